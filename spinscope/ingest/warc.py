"""WARC files (plain or gzipped, as crawlers write them): one article per HTML response.

Only `response` records of a successful (2xx) HTTP exchange whose body is HTML are articles;
requests, metadata, redirects, images and other media are passed over, as a crawl is full of
them. The page is extracted as an HTML file is (`spinscope.ingest.html`), with the charset of
the HTTP header when the bytes are not UTF-8. A record is named `path@OFFSET` (the byte offset
of the record in the file, as `warcio index` prints it); its article id is the record's
`WARC-Record-ID` without the `urn:uuid:` wrapper, and its URL the `WARC-Target-URI`.

A record that cannot be read as an article (over the size cap, no text extracted, binary) is
yielded as an InputError; a file that is not a WARC, or breaks off, is raised as InputError
named by the offset where reading stopped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from spinscope.errors import InputError, require
from spinscope.ingest.base import IngestOptions, Loaded
from spinscope.ingest.html import article_from_html
from spinscope.ingest.text import declared_charset, decode, open_file, over_cap

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


def _record_id(value: str | None) -> str | None:
    if not value:
        return None
    return value.strip().removeprefix("<").removesuffix(">").removeprefix("urn:uuid:") or None


def read_warc(path: Path, options: IngestOptions) -> Iterator[Loaded | InputError]:
    """The articles in a WARC file, one per HTML response record."""
    require("warcio", "reading WARC files", "batch")
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    offset = 0
    seen = False
    with open_file(path) as f:
        records = ArchiveIterator(f)
        try:
            for record in records:
                seen = True
                if record.format != "warc":  # warcio reads what is not WARC as a lax ARC
                    raise ArchiveLoadFailed("no WARC record header")
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                status = record.http_headers.get_statuscode() or ""
                content_type = record.http_headers.get_header("Content-Type") or ""
                media_type = content_type.partition(";")[0].strip().lower()
                if not status.startswith("2") or media_type not in _HTML_TYPES:
                    continue
                data = record.content_stream().read(options.max_bytes + 1)
                # warcio finds the offset by reading to the record's end: only after the read
                offset = records.get_record_offset()
                where = f"{path}@{offset}"
                if len(data) > options.max_bytes:
                    reason = f"this record's page {over_cap(None, options.max_bytes)}"
                    yield InputError(where, reason)
                    continue
                if not data.strip():
                    yield InputError(where, "this record's page is empty")
                    continue
                match = _CHARSET.search(content_type)
                url = record.rec_headers.get_header("WARC-Target-URI")
                article_id = _record_id(record.rec_headers.get_header("WARC-Record-ID"))
                try:
                    charset = match.group(1) if match else declared_charset(data)
                    text, notes = decode(data, where, charset)
                    article = article_from_html(text, id=article_id, source=where, url=url)
                except InputError as err:
                    yield err
                    continue
                yield Loaded(article, notes, where)
        except ArchiveLoadFailed as exc:
            raise InputError(
                f"{path}@{offset}",
                f"is not a readable WARC file here ({exc}); the rest was not read",
            ) from exc
    if not seen:
        raise InputError(str(path), "is empty" if not path.stat().st_size else "has no records")
