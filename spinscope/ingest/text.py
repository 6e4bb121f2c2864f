"""Reading bytes within the size cap, decoding them, and plain-text articles.

Decoding order: a byte-order mark, then UTF-8, then an encoding the input declares (an HTML
meta tag or HTTP header), then charset-normalizer's guess. Anything but UTF-8 gets a note.
"""

from __future__ import annotations

import codecs
import re
import sys
from pathlib import Path

import charset_normalizer

from spinscope.document import Article
from spinscope.errors import InputError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HTML_START = re.compile(rb"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)


def _too_big(size: int | None, max_bytes: int) -> str:
    what = f"is {size:,} bytes" if size is not None else "is larger than that"
    return f"{what}, over the {max_bytes:,}-byte cap; raise it with --max-bytes (IngestOptions.max_bytes)"


def read_file(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; an InputError if it is missing, not a file, empty or over the cap."""
    source = str(path)
    try:
        if not path.exists():
            raise InputError(source, "no such file")
        if not path.is_file():
            raise InputError(source, "is not a regular file")
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(source, _too_big(size, max_bytes))
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)  # the file may have grown since stat
    except OSError as exc:
        raise InputError(source, f"cannot be read: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise InputError(source, _too_big(None, max_bytes))
    if not data:
        raise InputError(source, "is empty")
    return data


def read_stdin(max_bytes: int) -> bytes:
    """Standard input's bytes, within the cap."""
    data = sys.stdin.buffer.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError("-", f"standard input {_too_big(None, max_bytes)}")
    if not data:
        raise InputError("-", "standard input is empty")
    return data


def declared_charset(html: bytes) -> str | None:
    """The charset an HTML page declares in a meta tag near its start, if any."""
    match = _META_CHARSET.search(html[:4096])
    return match.group(1).decode("ascii") if match else None


def choose_encoding(
    data: bytes, source: str, declared: str | None = None
) -> tuple[str, tuple[str, ...]]:
    """The codec that decodes `data`, and notes on how it was chosen.

    Raises InputError when the data looks binary (NUL bytes, or no encoding fits).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, () if encoding == "utf-8-sig" else (f"decoded as {encoding} (BOM)",)
    if b"\0" in data:
        raise InputError(
            source, "looks binary (contains NUL bytes); if it is UTF-16 text, save it as UTF-8"
        )
    try:
        data.decode("utf-8")
        return "utf-8", ()
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            codecs.lookup(declared)
            data.decode(declared)
            return declared, (f"decoded as {declared} (declared), not UTF-8",)
        except (LookupError, UnicodeDecodeError):
            pass
    results = list(charset_normalizer.from_bytes(data))
    if not results:
        raise InputError(source, "looks binary: it is not UTF-8 and no text encoding fits it")
    # Short texts leave several single-byte code pages equally plausible; among the least
    # chaotic, prefer cp1252 (the usual legacy encoding of Western pages, a superset of Latin-1).
    least = min(r.chaos for r in results)
    tied = [r.encoding for r in results if r.chaos == least]
    encoding = "cp1252" if "cp1252" in tied else tied[0]
    return encoding, (f"decoded as {encoding} (detected), not UTF-8",)


def decode(data: bytes, source: str, declared: str | None = None) -> tuple[str, tuple[str, ...]]:
    """The text of `data` (a BOM removed, nothing else changed) and notes on its encoding."""
    encoding, notes = choose_encoding(data, source, declared)
    return data.decode(encoding), notes


def looks_like_html(data: bytes) -> bool:
    """Whether `data` starts like an HTML document (doctype, <html>, <head> or <body>)."""
    for bom, _ in _BOMS:
        data = data.removeprefix(bom)
    return _HTML_START.match(data[:4096]) is not None


def article_from_text(text: str, *, id: str, source: str, url: str | None = None) -> Article:
    """A plain-text article: its first non-blank line is the title; `text` is all of it."""
    if not text.strip():
        raise InputError(source, "contains only whitespace")
    title = next(line.strip() for line in text.splitlines() if line.strip())
    return Article(id=id, title=title, text=text, url=url)
