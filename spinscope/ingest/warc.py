"""WARC files (plain or gzipped, as crawlers write them): one article per HTML response.

Only `response` records of a successful (2xx) HTTP exchange whose body is HTML are articles;
requests, metadata, redirects, images and other media are passed over, as a crawl is full of
them. The page is extracted as an HTML file is (`spinscope.ingest.html`), with the charset of
the HTTP header when the bytes are not UTF-8. A record is named `path@OFFSET` (the byte offset
of the record in the file, as `warcio index` prints it); its article id is the record's
`WARC-Record-ID` without the `urn:uuid:` wrapper, and its URL the `WARC-Target-URI`.

A record that cannot be read as an article (over the size cap, no text extracted, binary) is
yielded as an InputError. So is a record that is not whole, of any type (`_whole`): it has no
valid Content-Length, fewer bytes follow than its Content-Length says (a file cut short), it
does not end where its Content-Length says (the blank lines that end a record do not follow,
or in a gzipped file its gzip member goes on: the length is wrong, or the record was cut and
another written after it), or its page holds the start of another record. Such a record is
never read, so its headers are never paired with another record's page. (A record whose bytes
do not match its WARC-Block-Digest is read, with a note: see `_damaged`.) Reading goes on at
the next record found after its start (a `WARC/1.x` line, or in a gzipped file a gzip member
that opens with one), and where none is found the error says the rest of the file was not read.
warcio fails on malformed input with whatever exception its code runs into (AttributeError for
a record without a target URI, zlib errors in a broken gzip member): any exception from it is
taken as a file that is not a readable WARC at that offset, reported and read past the same way.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from spinscope.errors import InputError, require
from spinscope.ingest.base import IngestOptions, Loaded
from spinscope.ingest.html import article_from_html
from spinscope.ingest.text import declared_charset, decode, open_file, over_cap

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_GZIP = b"\x1f\x8b"
_VERSION_LINE = re.compile(rb"WARC/[01]\.\d+\r?\n")
_RECORD_START = re.compile(rb"WARC/1\.[01]\r\n[\w-]+:")  # a version line, a header
_SCAN_BYTES = 1 << 20  # read at a time when looking for the next record
_CHUNK = 1 << 16  # read at a time to the end of a record


@dataclass(frozen=True)
class _Stop:
    """Where and why reading from one offset stopped: `failed` None at the end of the file."""

    records: int
    failed: int | None = None
    reason: str = ""


def _record_id(value: str | None) -> str | None:
    if not value:
        return None
    return value.strip().removeprefix("<").removesuffix(">").removeprefix("urn:uuid:") or None


def _content_length(record: Any) -> int | None:
    value = (record.rec_headers.get_header("Content-Length") or "").strip()
    return int(value) if value.isdigit() else None


def _is_page(record: Any) -> bool:
    """Whether the record is an article's page: a 2xx HTML response."""
    if record.rec_type != "response" or record.http_headers is None:
        return False
    status = record.http_headers.get_statuscode() or ""
    content_type = record.http_headers.get_header("Content-Type") or ""
    return status.startswith("2") and content_type.partition(";")[0].strip().lower() in _HTML_TYPES


def _whole(record: Any, records: Any, max_bytes: int) -> tuple[str | None, bytes | None]:
    """Why the record is not whole (None if it is), and its page's bytes (up to the cap and one
    more) if it is a page. Reads the record to its end and the blank lines after it."""
    declared = _content_length(record)
    if declared is None:
        return "this record has no valid Content-Length header", None
    data = record.content_stream().read(max_bytes + 1) if _is_page(record) else None
    while record.raw_stream.read(_CHUNK):
        pass
    missing = record.raw_stream.limit  # a LimitReader: what was declared but not there
    warnings = records.err_count
    records.get_record_offset()  # warcio reads the blank lines after the record here
    if missing:
        return (
            f"this record is cut short: its Content-Length is {declared:,} bytes but only "
            f"{declared - missing:,} could be read"
        ), None
    # In a gzipped file a record ends its member, so nothing of the member follows it.
    if records.err_count > warnings or (records.reader.decompressor and records.next_line):
        return (
            "this record does not end where its Content-Length says: the length is wrong, or "
            "the record was cut short and another record written after it"
        ), None
    if data is not None and _holds_a_record(record, data):
        return "this record was cut short and another record written after it", None
    return None, data


def _holds_a_record(record: Any, data: bytes) -> bool:
    """Whether a page holds the start of another record (its WARC version line and a header,
    or WARC headers read as HTTP headers): its own record was cut, another written after it,
    and its Content-Length, by chance, ends where the blank lines after a record could be."""
    names = (name.lower() for name, _ in record.http_headers.headers)
    return _RECORD_START.search(data) is not None or any(n.startswith("warc-") for n in names)


def _damaged(record: Any) -> tuple[str, ...]:
    """A note if the record's bytes do not match its WARC-Block-Digest. Not an error: some
    tools that copy records write wrong digests (warcio issue #123); a record that is cut, the
    usual damage, fails the checks of `_whole`."""
    problems = record.digest_checker.problems
    if any(p.startswith("block digest failed") for p in problems):
        return ("this record's bytes do not match its WARC-Block-Digest: it may be damaged",)
    return ()


def _article(record: Any, data: bytes, where: str, max_bytes: int) -> Loaded | InputError:
    """The article of a page record's bytes, or why there is none."""
    if len(data) > max_bytes:
        return InputError(where, f"this record's page {over_cap(None, max_bytes)}")
    if not data.strip():
        return InputError(where, "this record's page is empty")
    match = _CHARSET.search(record.http_headers.get_header("Content-Type") or "")
    url = record.rec_headers.get_header("WARC-Target-URI")
    article_id = _record_id(record.rec_headers.get_header("WARC-Record-ID"))
    try:
        charset = match.group(1) if match else declared_charset(data)
        text, notes = decode(data, where, charset)
        article = article_from_html(text, id=article_id, source=where, url=url)
    except InputError as err:
        return err
    return Loaded(article, (*_damaged(record), *notes), where)


def _unreadable(exc: Exception) -> str:
    detail = " ".join(str(exc).split())[:200]
    if type(exc).__name__ != "ArchiveLoadFailed":
        detail = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return f"is not a readable WARC file here ({detail})"


def _read_from(
    f: IO[bytes], start: int, path: Path, options: IngestOptions
) -> Generator[Loaded | InputError, None, _Stop]:
    """The articles of the records from offset `start` on, up to the first that is not whole or
    cannot be read."""
    from warcio.archiveiterator import ArchiveIterator

    f.seek(start)
    # With check_digests=True warcio records a digest that does not match; it does not raise.
    records = ArchiveIterator(f, check_digests=True)
    records.INC_RECORD = ""  # its warning on stderr for a bad record end: reported here instead
    count, last, size = 0, start - 1, os.fstat(f.fileno()).st_size
    while True:
        # Where the next record starts. warcio counts it wrong after a gzip member that holds
        # more than its record: then the search for the next record starts after the last.
        offset = records.offset if last < records.offset <= size else last + 1
        last = offset
        try:
            record = next(records, None)
            if record is None:  # warcio also ends at a record whose headers the file cuts off
                if offset < size:
                    return _Stop(count, offset, "this record is cut short inside its headers")
                return _Stop(count)
            count += 1
            if record.format != "warc":  # warcio reads what is not WARC as a lax ARC
                return _Stop(count, offset, "is not a readable WARC file here (no WARC header)")
            problem, data = _whole(record, records, options.max_bytes)
        except Exception as exc:  # warcio's errors on malformed input (module docstring)
            return _Stop(count, offset, _unreadable(exc))
        if problem is not None:
            return _Stop(count, offset, problem)
        if data is not None:
            yield _article(record, data, f"{path}@{offset}", options.max_bytes)


def _opens_record(f: IO[bytes], offset: int) -> bool:
    """Whether a WARC record, or a gzip member holding one, starts at `offset`."""
    f.seek(offset)
    head = f.read(4096)
    if head.startswith(_GZIP):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 64)
        except zlib.error:
            return False
    return _VERSION_LINE.match(head) is not None


def _next_record(f: IO[bytes], offset: int) -> int | None:
    """The offset of the first record that starts at `offset` or after it; None if none does.
    Both kinds of start are looked for, as damage can hide whether a file is gzipped."""
    while True:
        f.seek(offset)
        chunk = f.read(_SCAN_BYTES)
        hits = [at for at in (chunk.find(_GZIP), chunk.find(b"WARC/")) if at >= 0]
        if hits:
            if _opens_record(f, offset + min(hits)):
                return offset + min(hits)
            offset += min(hits) + 1
        elif len(chunk) < _SCAN_BYTES:
            return None
        else:
            offset += len(chunk) - 4  # a start cut by the chunk's end is in the next chunk


def read_warc(path: Path, options: IngestOptions) -> Iterator[Loaded | InputError]:
    """The articles in a WARC file, one per HTML response record."""
    require("warcio", "reading WARC files", "batch")
    seen = False
    with open_file(path) as f:
        start: int | None = 0
        while start is not None:
            stop = yield from _read_from(f, start, path, options)
            seen = seen or stop.records > 0 or stop.failed is not None
            if stop.failed is None:
                break
            start = _next_record(f, stop.failed + 1)
            rest = (
                "the rest of the file was not read"
                if start is None
                else f"reading goes on at the next record, @{start}"
            )
            yield InputError(f"{path}@{stop.failed}", f"{stop.reason}; {rest}")
    if not seen:
        raise InputError(str(path), "is empty" if not path.stat().st_size else "has no records")
