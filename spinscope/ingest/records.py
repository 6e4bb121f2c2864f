"""JSONL/NDJSON and CSV files: one article per record, streamed line by line.

A broken record (invalid JSON, no text, a wrong number of CSV fields, a line over the size
cap) is yielded as an InputError named `path:LINE`, and the records after it still come out.
Problems with the whole file (missing, empty, binary, no records, no text column) and CSV
errors the reader cannot recover from are raised as InputError.

A record's id is its `id` field, else `<file stem>:<line>` (the line where the record starts).
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

from spinscope.document import Article
from spinscope.errors import InputError
from spinscope.ingest.base import RECORD_FIELDS, IngestOptions, Loaded
from spinscope.ingest.text import choose_encoding, open_file, over_cap

_SAMPLE_BYTES = 65_536  # read to choose the file's encoding


def _encoding(f: IO[bytes], source: str) -> tuple[str, tuple[str, ...]]:
    """The file's encoding, chosen from its first bytes (cut at a line end)."""
    sample = f.read(_SAMPLE_BYTES)
    f.seek(0)
    if not sample:
        raise InputError(source, "is empty")
    if len(sample) == _SAMPLE_BYTES and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n")]
    encoding, notes = choose_encoding(sample, source)
    if encoding == "utf-16":
        raise InputError(source, "is UTF-16; save it as UTF-8 to read its records")
    return encoding, notes


def _lines(f: IO[bytes], max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """The file's numbered lines; None for a line over `max_bytes` (skipped, never held whole)."""
    for lineno in itertools.count(1):
        line = f.readline(max_bytes + 1)
        if not line:
            return
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = f.readline(max_bytes + 1)
            yield lineno, None
        else:
            yield lineno, line


def from_record(
    record: Mapping[str, object],
    where: str,
    default_id: str,
    options: IngestOptions,
    notes: tuple[str, ...],
) -> Loaded:
    """The article in one record (a JSONL object, CSV row or Parquet row) read at `where`;
    InputError if it has no text or a field is not a scalar."""
    values: dict[str, str | None] = {}
    for name in RECORD_FIELDS:
        key = options.key(name)
        value = record.get(key)
        if value is None:
            values[name] = None
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            string = str(value)
            kept = string if name == "text" else string.strip()  # the text is kept exactly
            values[name] = kept if string.strip() else None
        else:
            raise InputError(where, f"field {key!r} is a {type(value).__name__}, expected text")
    text = values["text"]
    if text is None:
        raise InputError(where, f"has no text: field {options.key('text')!r} is missing or empty")
    article = Article(
        id=values["id"] or default_id,
        title=values["title"] or "",
        text=text,
        url=values["url"],
        outlet=values["outlet"],
        published=values["published"],
        author=values["author"],
        language=values["language"],
    )
    return Loaded(article, notes, where)


def _json_record(
    line: bytes,
    encoding: str,
    where: str,
    default_id: str,
    options: IngestOptions,
    notes: tuple[str, ...],
) -> Loaded | InputError:
    try:
        record = json.loads(line.rstrip(b"\r\n").decode(encoding))
    except UnicodeDecodeError:
        return InputError(where, f"is not valid {encoding}")
    except json.JSONDecodeError as exc:
        return InputError(where, f"is not valid JSON: {exc.msg} (column {exc.colno})")
    if not isinstance(record, dict):
        return InputError(where, f"is not a JSON object but a {type(record).__name__}")
    try:
        return from_record(record, where, default_id, options, notes)
    except InputError as err:
        return err


def read_jsonl(path: Path, options: IngestOptions) -> Iterator[Loaded | InputError]:
    """The articles in a JSON Lines file, one JSON object per line (blank lines skipped)."""
    with open_file(path) as f:
        encoding, notes = _encoding(f, str(path))
        records = 0
        for lineno, line in _lines(f, options.max_bytes):
            where = f"{path}:{lineno}"
            if line is not None and not line.strip():
                continue
            records += 1
            if line is None:
                yield InputError(where, f"this line {over_cap(None, options.max_bytes)}")
            else:
                yield _json_record(line, encoding, where, f"{path.stem}:{lineno}", options, notes)
    if not records:
        raise InputError(str(path), "has no records (it contains only whitespace)")


def _text_lines(f: IO[bytes], path: Path, encoding: str, max_bytes: int) -> Iterator[str]:
    """Decoded lines for the CSV reader; a line that cannot be read stops the file."""
    for lineno, line in _lines(f, max_bytes):
        stop = "; the rest of the file was not read"
        if line is None:
            raise InputError(f"{path}:{lineno}", f"this line {over_cap(None, max_bytes)}{stop}")
        try:
            yield line.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}:{lineno}", f"is not valid {encoding}{stop}") from exc


def _rows(lines: Iterable[str], path: Path) -> Iterator[tuple[int, list[str]]]:
    """Non-empty CSV rows, each with the line it starts on."""
    reader = csv.reader(lines)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(
                f"{path}:{reader.line_num}",
                f"is not valid CSV ({exc}); the rest of the file was not read",
            ) from exc
        if row:
            yield start, row


def read_csv(path: Path, options: IngestOptions) -> Iterator[Loaded | InputError]:
    """The articles in a CSV file with a header row, one per row."""
    # Article texts can be longer than the csv module's default field limit (128 KiB).
    csv.field_size_limit(max(csv.field_size_limit(), options.max_bytes))
    with open_file(path) as f:
        encoding, notes = _encoding(f, str(path))
        rows = _rows(_text_lines(f, path, encoding, options.max_bytes), path)
        _, header = next(rows, (0, []))
        text_key = options.key("text")
        if text_key not in header:
            raise InputError(
                str(path),
                f"has no {text_key!r} column (its header: {', '.join(header) or 'none'}); "
                f"map the text column with IngestOptions.columns, e.g. {{'text': 'body'}}",
            )
        records = 0
        for lineno, row in rows:
            records += 1
            where = f"{path}:{lineno}"
            if len(row) != len(header):
                yield InputError(where, f"has {len(row)} fields but the header has {len(header)}")
                continue
            record = dict(zip(header, row, strict=True))
            try:
                item: Loaded | InputError = from_record(
                    record, where, f"{path.stem}:{lineno}", options, notes
                )
            except InputError as err:
                item = err
            yield item
    if not records:
        raise InputError(str(path), "has a header but no records")
