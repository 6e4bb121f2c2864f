"""Parquet files: one article per row, read a few hundred rows at a time.

Columns are the record fields (`id`, `title`, `text`, …), mapped as for JSONL/CSV with
`IngestOptions.columns`; only those columns are read. A row is named `path#ROW` (1-based) and
its id defaults to `<file stem>:<ROW>`. A row with no text, a field that is not a scalar, or a
text over the size cap is yielded as an InputError and the other rows still come out; a file
that is not Parquet, or has no text column, is raised as InputError. Dates and timestamps are
written in ISO 8601.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

from spinscope.errors import InputError, require
from spinscope.ingest.base import RECORD_FIELDS, IngestOptions, Loaded
from spinscope.ingest.records import from_record
from spinscope.ingest.text import open_file, over_cap

_BATCH_ROWS = 256


def _scalar(value: object) -> object:
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return value.isoformat()
    return value


def read_parquet(path: Path, options: IngestOptions) -> Iterator[Loaded | InputError]:
    """The articles in a Parquet file, one per row."""
    require("pyarrow", "reading Parquet files", "batch")
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = str(path)
    open_file(path).close()  # missing, a directory, unreadable: the usual messages
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(source, f"is not a readable Parquet file ({exc})") from exc
    names = set(parquet.schema_arrow.names)
    text_key = options.key("text")
    if text_key not in names:
        raise InputError(
            source,
            f"has no {text_key!r} column (its columns: {', '.join(sorted(names)) or 'none'}); "
            f"map the text column with --column text=NAME",
        )
    columns = sorted({options.key(f) for f in RECORD_FIELDS} & names)
    row = 0
    try:
        for batch in parquet.iter_batches(batch_size=_BATCH_ROWS, columns=columns):
            for record in batch.to_pylist():
                row += 1
                where = f"{path}#{row}"
                text = record.get(text_key)
                if isinstance(text, str) and len(text.encode("utf-8")) > options.max_bytes:
                    yield InputError(where, f"this row's text {over_cap(None, options.max_bytes)}")
                    continue
                fields = {key: _scalar(value) for key, value in record.items()}
                try:
                    yield from_record(fields, where, f"{path.stem}:{row}", options, ())
                except InputError as err:
                    yield err
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"{path}#{row + 1}", f"cannot be read ({exc}); the rest of the file was not read"
        ) from exc
    if not row:
        raise InputError(source, "has no rows")
