"""Parquet files: one article per row, read a few hundred rows at a time.

Columns are the record fields (`id`, `title`, `text`, …), mapped as for JSONL/CSV with
`IngestOptions.columns`; only those columns are read. A row is named `path#ROW` (1-based) and
its id defaults to `<file stem>:<ROW>`. A row with no text, a field that is not a scalar, or a
text over the size cap is yielded as an InputError and the other rows still come out; so is a
row group that cannot be read (a damaged file), and the row groups after it are still read. A
file that is not Parquet (or is cut short: its metadata is at its end), or has no text column,
is raised as InputError. Dates and timestamps are written in ISO 8601.
"""

from __future__ import annotations

import datetime
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

from spinscope.errors import InputError, require
from spinscope.ingest.base import RECORD_FIELDS, IngestOptions, Loaded
from spinscope.ingest.records import from_record
from spinscope.ingest.text import open_file, over_cap

_BATCH_ROWS = 256


def _scalar(value: object) -> object:
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return value.isoformat()
    return value


def _rows(batch: Any) -> list[dict[str, object] | None]:
    """The rows of a record batch as dicts; None for a row that cannot be converted (a damaged
    file can hold a string that is not UTF-8), so that the rows beside it still come out."""
    try:
        rows: list[dict[str, object] | None] = batch.to_pylist()
        return rows
    except ValueError:  # UnicodeDecodeError among them
        pass
    rows = []
    for i in range(batch.num_rows):
        try:
            rows.append(batch.slice(i, 1).to_pylist()[0])
        except ValueError:
            rows.append(None)
    return rows


def _row(
    record: dict[str, object] | None, where: str, default_id: str, options: IngestOptions
) -> Loaded | InputError:
    """The article of one row, or why there is none."""
    if record is None:
        return InputError(where, "this row cannot be read (a value in it is damaged)")
    text = record.get(options.key("text"))
    if isinstance(text, str) and len(text.encode("utf-8")) > options.max_bytes:
        return InputError(where, f"this row's text {over_cap(None, options.max_bytes)}")
    fields = {key: _scalar(value) for key, value in record.items()}
    try:
        return from_record(fields, where, default_id, options, ())
    except InputError as err:
        return err


def read_parquet(path: Path, options: IngestOptions) -> Iterator[Loaded | InputError]:
    """The articles in a Parquet file, one per row, read row group by row group: a row group
    that cannot be read is one InputError, and the row groups after it are still read."""
    require("pyarrow", "reading Parquet files", "batch")
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = str(path)
    open_file(path).close()  # missing, a directory, unreadable: the usual messages
    try:
        # A page written with a checksum is checked against it: damage is then an error.
        parquet = pq.ParquetFile(path, page_checksum_verification=True)
        names = set(parquet.schema_arrow.names)
        groups = [
            int(parquet.metadata.row_group(i).num_rows) for i in range(parquet.num_row_groups)
        ]
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(source, f"is not a readable Parquet file ({exc})") from exc
    text_key = options.key("text")
    if text_key not in names:
        raise InputError(
            source,
            f"has no {text_key!r} column (its columns: {', '.join(sorted(names)) or 'none'}); "
            f"map the text column with --column text=NAME",
        )
    columns = sorted({options.key(f) for f in RECORD_FIELDS} & names)
    before = 0  # the rows of the row groups before this one
    for group, size in enumerate(groups):
        before += yield from _read_group(parquet, group, size, before, columns, path, options)
    if not before:
        raise InputError(source, "has no rows")


def _read_group(
    parquet: Any,
    group: int,
    size: int,
    before: int,
    columns: list[str],
    path: Path,
    options: IngestOptions,
) -> Generator[Loaded | InputError, None, int]:
    """The articles of row group `group` of `size` rows (numbered after the `before` rows of
    the groups before it), and one InputError for its rows from the first that cannot be read;
    returns how many rows it counts for."""
    import pyarrow as pa

    batches = parquet.iter_batches(batch_size=_BATCH_ROWS, row_groups=[group], columns=columns)
    done = 0
    while True:
        try:
            batch = next(batches, None)
            rows = None if batch is None else _rows(batch)
        except (pa.ArrowException, OSError, ValueError, MemoryError) as exc:
            first, last = before + done + 1, before + max(size, done + 1)
            yield InputError(
                f"{path}#{first}",
                f"row group {group + 1} of {parquet.num_row_groups} cannot be read from here "
                f"({exc}): its rows {first}-{last} were skipped",
            )
            return max(size, done + 1)
        if rows is None:
            return max(size, done)
        for record in rows:
            done += 1
            number = before + done
            yield _row(record, f"{path}#{number}", f"{path.stem}:{number}", options)
