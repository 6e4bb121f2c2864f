"""Turning inputs into articles: `read(source, options)` yields `Loaded | InputError`.

A source is a path, an http(s) URL, or `-` for standard input. The format follows the
extension: `.txt`; `.html`/`.htm`/`.xhtml`; `.jsonl`/`.ndjson`, `.csv` and `.parquet` (one
article per record or row); `.warc`/`.warc.gz` (one article per HTML response); anything else
is read as text if it decodes. Parquet and WARC need the `batch` extra (pyarrow, warcio).
Standard input is text unless it starts like an HTML document.

`read` never raises for bad input: each problem is yielded as an `InputError` that names the
input (`path:LINE` for a record) and says what is wrong, and the caller decides what to do.
Each reader turns its library's errors into InputErrors itself; as a last resort, any other
exception a reader raises ends that source only, as one InputError (`_unexpected`), so that a
bug in a reader cannot end a run that reads other files.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable, Iterator
from pathlib import Path

from spinscope.document import Article
from spinscope.errors import InputError
from spinscope.ingest.base import DEFAULTS, RECORD_FIELDS, IngestOptions, Loaded
from spinscope.ingest.html import article_from_html
from spinscope.ingest.parquet import read_parquet
from spinscope.ingest.records import read_csv, read_jsonl
from spinscope.ingest.text import (
    article_from_text,
    declared_charset,
    decode,
    looks_like_html,
    read_file,
    read_stdin,
)
from spinscope.ingest.url import fetch
from spinscope.ingest.warc import read_warc

__all__ = [
    "RECORD_FIELDS",
    "RECORD_SUFFIXES",
    "SAMPLE_SOURCE",
    "IngestOptions",
    "Loaded",
    "read",
    "sample_article",
    "suffix",
]

#: How the bundled sample article is named: its id, and its source in messages.
SAMPLE_SOURCE = "sample"


def sample_article() -> Article:
    """The short fictional news article bundled with spinscope (`spinscope/data/sample.txt`)."""
    resource = importlib.resources.files("spinscope").joinpath("data", "sample.txt")
    text = resource.read_text("utf-8")
    return article_from_text(text, id=SAMPLE_SOURCE, source=SAMPLE_SOURCE)


_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_RECORD_READERS: dict[str, Callable[[Path, IngestOptions], Iterator[Loaded | InputError]]] = {
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".csv": read_csv,
    ".parquet": read_parquet,
    ".warc": read_warc,
    ".warc.gz": read_warc,
}
#: Suffixes of the files that hold many articles, one per record.
RECORD_SUFFIXES = tuple(_RECORD_READERS)


def suffix(path: Path) -> str:
    """The suffix that picks the reader: `.warc.gz` counts as one."""
    name = path.name.lower()
    return ".warc.gz" if name.endswith(".warc.gz") else path.suffix.lower()


def _loaded(
    data: bytes,
    source: str,
    *,
    html: bool,
    id: str | None,
    url: str | None = None,
    charset: str | None = None,
) -> Loaded:
    """One article from the bytes of a page or text; `id` None means a hash of the text."""
    if html:
        text, notes = decode(data, source, charset or declared_charset(data))
        return Loaded(article_from_html(text, id=id, source=source, url=url), notes)
    text, notes = decode(data, source, charset)
    article_id = id or Article.make_id(text)
    return Loaded(article_from_text(text, id=article_id, source=source, url=url), notes)


def _read(source: str, options: IngestOptions) -> Iterator[Loaded | InputError]:
    if source == "-":
        data = read_stdin(options.max_bytes)
        yield _loaded(data, source, html=looks_like_html(data), id=None)
    elif source.lower().startswith(("http://", "https://")):
        page = fetch(source, options)
        loaded = _loaded(
            page.data,
            source,
            html=page.kind == "html",
            id=None,
            url=page.url,
            charset=page.charset,
        )
        yield Loaded(loaded.article, (*page.notes, *loaded.notes))
    else:
        path = Path(source)
        kind = suffix(path)
        if kind in _RECORD_READERS:
            yield from _RECORD_READERS[kind](path, options)
        else:
            data = read_file(path, options.max_bytes)
            yield _loaded(data, source, html=kind in _HTML_SUFFIXES, id=path.stem)


def _unexpected(source: str, exc: Exception) -> InputError:
    """The InputError for an exception a reader did not expect; the exception is its cause."""
    error = InputError(
        source,
        f"reading stopped on an unexpected {type(exc).__name__} ({exc}); the rest of it was not "
        f"read. This is a bug in spinscope: please report it, with the input if you can",
    )
    error.__cause__ = exc
    return error


def read(source: str, options: IngestOptions = DEFAULTS) -> Iterator[Loaded | InputError]:
    """The articles in `source` (a path, an http(s) URL, or `-`), or the errors reading them."""
    try:
        yield from _read(source, options)
    except InputError as err:
        yield err
    except Exception as exc:  # the last resort; see the module docstring
        yield _unexpected(source, exc)
