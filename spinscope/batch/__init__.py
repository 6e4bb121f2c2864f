"""Batch runs over corpora: resumable, idempotent, committed in chunks (`spinscope batch`).

    summary = run_batch(["corpus/"], "run.parquet", BatchOptions(workers=2))

The pieces: `inputs` (files and folders → input names), `records` (the options, and the
records of one input with what an earlier run did), `run` (skip what is done, analyse, commit
chunks), `ray_engine` (the same on Ray), `chunks` (what every output keeps: chunks committed
whole), `folder` (the chunked Parquet/JSONL folders and their commit records), `store_output`
(the same into the workbench's store, `sqlite:///…` or `postgresql://…`), `tables` (the flat
tables' schemas), `report` (the corpus report). pyarrow and warcio come with the `batch`
extra, Ray with the `ray` extra.
"""

from spinscope.batch.folder import committed_parts
from spinscope.batch.records import BatchOptions
from spinscope.batch.run import Summary, open_output, run_batch
from spinscope.errors import OutputError

__all__ = ["BatchOptions", "OutputError", "Summary", "committed_parts", "open_output", "run_batch"]
