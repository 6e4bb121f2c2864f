"""JSONL/NDJSON and CSV files: one article per record, streamed line by line.

A broken record (invalid JSON or CSV, nested too deeply, not valid in the file's encoding, a
NUL byte, no text, a wrong number of CSV fields, an id the model refuses, a line over the size
cap) is yielded as an InputError named `path:LINE`, and the records after it still come out.
Problems with the whole file (missing, empty, binary, no records, no text column) and a CSV
line over the cap (the reader cannot tell where its row ends) are raised as InputError.

The encoding is chosen line by line from the file's start (`_encoding`), so one broken line
cannot make the whole file look binary or change how the other records are decoded.

A record's id is its `id` field, else `<file stem>:<line>` (the line where the record starts).
"""

from __future__ import annotations

import codecs
import csv
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

from spinscope.errors import InputError
from spinscope.ingest.base import RECORD_FIELDS, IngestOptions, Loaded, new_article
from spinscope.ingest.text import choose_encoding, open_file, over_cap

_SAMPLE_BYTES = 65_536  # read to choose the file's encoding
_BINARY = "looks binary (contains NUL bytes); if it is UTF-16 text, save it as UTF-8"
#: Bytes an encoding for records must read as ASCII: JSON and CSV syntax is ASCII (UTF-7 and
#: HZ read `+-` and `~{` otherwise, EBCDIC code pages all of it).
_ASCII_PROBE = bytes(range(0x20, 0x7F)) + b"+-~{\t\r\n"
#: A character that a line's undecodable byte becomes (`surrogateescape`) in the CSV reader.
_UNDECODED = re.compile("[\udc80-\udcff]")


def _utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _reads_ascii(encoding: str) -> bool:
    return _ASCII_PROBE.decode(encoding, "replace") == _ASCII_PROBE.decode("ascii")


def _encoding(f: IO[bytes], source: str) -> tuple[str, tuple[str, ...]]:
    """The file's encoding, chosen line by line from its first 64 KiB (cut at a line end) so
    that a broken line fails on its own and cannot spoil the others.

    - A line holding a NUL byte is binary data, not text: it fails as a record. When such
      lines make up most of the sample, the file is refused as binary.
    - When most of the lines with non-ASCII bytes are valid UTF-8 (or there are none), the
      file is UTF-8, and a line that is not fails on its own.
    - Otherwise the lines that are not UTF-8 are in a legacy encoding (`_legacy_encoding`).
    """
    sample = f.read(_SAMPLE_BYTES)
    f.seek(0)
    if not sample:
        raise InputError(source, "is empty")
    if len(sample) == _SAMPLE_BYTES and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n")]
    if sample.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, notes = choose_encoding(sample, source)
        if encoding == "utf-16":
            raise InputError(source, "is UTF-16; save it as UTF-8 to read its records")
        return encoding, notes
    lines = sample.split(b"\n")
    if 2 * sum(len(line) for line in lines if b"\0" in line) > len(sample):
        raise InputError(source, _BINARY)
    foreign = [line for line in lines if not line.isascii() and b"\0" not in line]
    not_utf8 = [line for line in foreign if not _utf8(line)]
    if 2 * len(not_utf8) <= len(foreign):
        return "utf-8", ()
    return _legacy_encoding(not_utf8, len(sample), source)


def _legacy_encoding(
    lines: list[bytes], sample_size: int, source: str
) -> tuple[str, tuple[str, ...]]:
    """The encoding of the `lines` that are not UTF-8, chosen as for a text file
    (`choose_encoding`) among the encodings that read ASCII as ASCII. When none fits them, the
    file is refused as binary if they make up most of the sample, else it is UTF-8 and they
    fail one by one."""
    try:
        encoding, notes = choose_encoding(b"".join(lines), source)
    except InputError:
        encoding, notes = "utf-8", ()
    if encoding.replace("_", "-").startswith(("utf-16", "utf-32")) or not _reads_ascii(encoding):
        encoding, notes = "utf-8", ()
    if encoding == "utf-8" and 2 * sum(map(len, lines)) > sample_size:
        raise InputError(source, "looks binary: it is not UTF-8 and no text encoding fits it")
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
    InputError if it has no text, a field is not a scalar, or the model refuses a field."""
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
    article = new_article(
        where,
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
    if b"\0" in line:
        return InputError(where, "holds a NUL byte: it is binary data, not a JSON record")
    try:
        record = json.loads(line.rstrip(b"\r\n").decode(encoding))
    except UnicodeDecodeError:
        return InputError(where, f"is not valid {encoding}")
    except json.JSONDecodeError as exc:
        return InputError(where, f"is not valid JSON: {exc.msg} (column {exc.colno})")
    except RecursionError:
        return InputError(where, "is nested too deeply to read (arrays or objects in each other)")
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        return InputError(where, f"is not valid JSON: {exc}")
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
    """Decoded lines for the CSV reader, a byte that does not decode kept as a surrogate (the
    row that holds it fails, see `_rows`); a line over the cap stops the file."""
    for lineno, line in _lines(f, max_bytes):
        if line is None:
            raise InputError(
                f"{path}:{lineno}",
                f"this line {over_cap(None, max_bytes)}; the rest of the file was not read",
            )
        yield line.decode(encoding, "surrogateescape")


def _rows(lines: Iterable[str], encoding: str) -> Iterator[tuple[int, list[str], str | None]]:
    """Non-empty CSV rows, each with the line it starts on and why it is not a record (None if
    it is one). After a row it cannot parse, the csv module goes on with the next line."""
    reader = csv.reader(lines)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, [], f"is not valid CSV ({exc})"
            continue
        if any("\0" in value for value in row):
            yield start, row, "holds a NUL byte: it is binary data, not a CSV record"
        elif any(_UNDECODED.search(value) for value in row):
            yield start, row, f"is not valid {encoding}"
        elif row:
            yield start, row, None


def read_csv(path: Path, options: IngestOptions) -> Iterator[Loaded | InputError]:
    """The articles in a CSV file with a header row, one per row."""
    # Article texts can be longer than the csv module's default field limit (128 KiB).
    csv.field_size_limit(max(csv.field_size_limit(), options.max_bytes))
    with open_file(path) as f:
        encoding, notes = _encoding(f, str(path))
        rows = _rows(_text_lines(f, path, encoding, options.max_bytes), encoding)
        lineno, header, problem = next(rows, (0, [], None))
        if problem is not None:
            raise InputError(str(path), f"its header row (line {lineno}) {problem}")
        text_key = options.key("text")
        if text_key not in header:
            raise InputError(
                str(path),
                f"has no {text_key!r} column (its header: {', '.join(header) or 'none'}); "
                f"map the text column with IngestOptions.columns, e.g. {{'text': 'body'}}",
            )
        records = 0
        for lineno, row, problem in rows:
            records += 1
            where = f"{path}:{lineno}"
            if problem is not None:
                yield InputError(where, problem)
                continue
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
