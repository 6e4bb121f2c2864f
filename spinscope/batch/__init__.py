"""Batch runs over corpora: resumable, idempotent, committed in chunks (`spinscope batch`).

    summary = run_batch(["corpus/"], "run.parquet", BatchOptions(workers=2))

The pieces: `inputs` (files and folders → records), `run` (skip what is done, analyse, commit
chunks), `output` (the chunked Parquet/JSONL folders and their commit records), `store_output`
(the same into the workbench's store, `sqlite:///…` or `postgresql://…`), `tables` (the
flat tables' schemas), `report` (the corpus report). pyarrow and warcio come with the `batch`
extra, Ray with the `ray` extra.
"""

from spinscope.batch.output import OutputError, committed_parts, open_output
from spinscope.batch.run import BatchOptions, Summary, run_batch

__all__ = ["BatchOptions", "OutputError", "Summary", "committed_parts", "open_output", "run_batch"]
