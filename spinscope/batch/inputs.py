"""The inputs of a batch run: files and folders, expanded into the files they hold, in order.

A folder is walked recursively in sorted order; hidden files and folders (a leading `.`) are
left out, and every other file is read by its suffix as `spinscope.ingest.read` reads it, so a
stray binary or empty file is reported as a bad record, never skipped in silence.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from spinscope.errors import InputError
from spinscope.ingest import suffix

#: Suffixes whose record count is found by counting lines (an estimate for CSV).
_LINE_SUFFIXES = (".jsonl", ".ndjson", ".csv")
#: Suffixes whose record count is not known before reading.
_UNKNOWN_SUFFIXES = (".warc", ".warc.gz")


def input_files(inputs: list[str]) -> Iterator[str]:
    """Each input file; the files of a folder (recursively, sorted, hidden ones left out)."""
    for source in inputs:
        path = Path(source)
        if not path.is_dir():
            yield source  # a missing file is reported by the reader, as a bad input
            continue
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    yield str(Path(folder) / name)


def count_records(files: list[str]) -> int | None:
    """How many records the files hold, found quickly; None when a file's count is unknown
    (a WARC file: its HTML responses are known only when read)."""
    total = 0
    for source in files:
        path = Path(source)
        kind = suffix(path)
        if kind in _UNKNOWN_SUFFIXES:
            return None
        try:
            if kind in _LINE_SUFFIXES:
                total += _count_lines(path) - (kind == ".csv")
            elif kind == ".parquet":
                total += _parquet_rows(path)
            else:
                total += 1
        except (OSError, InputError):
            total += 1  # it will be one error
    return max(total, 0)


def _count_lines(path: Path) -> int:
    lines = 0
    last = b"\n"
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")


def _parquet_rows(path: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except pa.ArrowException:
        return 1
