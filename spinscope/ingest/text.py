"""Reading bytes within the size cap, decoding them, and plain-text articles.

Decoding order: a byte-order mark, then UTF-8, then an encoding the input declares (an HTML
meta tag or HTTP header), then cp1252 when the bytes read as Western European text in it
(`reads_as_western`), then charset-normalizer's guess. Anything but UTF-8 gets a note.
"""

from __future__ import annotations

import codecs
import os
import re
import sys
from pathlib import Path
from typing import IO

import charset_normalizer

from spinscope.document import Article
from spinscope.errors import InputError
from spinscope.ingest.base import new_article

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HTML_START = re.compile(rb"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
#: What Western European text holds beyond ASCII, as cp1252 reads it: the Latin-1 letters but
#: Icelandic ð and þ (which Baltic š, ž and Turkish ğ, ş turn into), French œ and Ÿ, and common
#: typographic punctuation and signs.
_WESTERN = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝßàáâãäåæçèéêëìíîïñòóôõöøùúûüýÿŒœŸ"
    "\u00a0‘’‚“”„‹›«»–—…•·†‡‰°€£¥¢©®™§¶¡¿´¨"
)


def over_cap(size: int | None, max_bytes: int) -> str:
    """The reason an input over the size cap is refused, and what to do about it."""
    what = f"is {size:,} bytes, over" if size is not None else "is over"
    return f"{what} the {max_bytes:,}-byte cap; raise it with --max-bytes (IngestOptions.max_bytes)"


def open_file(path: Path) -> IO[bytes]:
    """`path` opened for reading bytes; InputError if it is missing, a directory or unreadable."""
    source = str(path)
    try:
        if path.is_dir():
            raise InputError(source, "is a directory, not a file")
        return path.open("rb")
    except FileNotFoundError as exc:
        raise InputError(source, "no such file") from exc
    except OSError as exc:
        raise InputError(source, f"cannot be read: {exc.strerror or exc}") from exc


def read_file(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; InputError if it cannot be read, is empty or is over the cap."""
    source = str(path)
    with open_file(path) as f:
        try:
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                raise InputError(source, over_cap(size, max_bytes))
            data = f.read(max_bytes + 1)  # the size of a pipe or a growing file may be wrong
        except OSError as exc:
            raise InputError(source, f"cannot be read: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise InputError(source, over_cap(None, max_bytes))
    if not data:
        raise InputError(source, "is empty")
    return data


def read_stdin(max_bytes: int) -> bytes:
    """Standard input's bytes, within the cap."""
    data = sys.stdin.buffer.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError("-", f"standard input {over_cap(None, max_bytes)}")
    if not data:
        raise InputError("-", "standard input is empty")
    return data


def declared_charset(html: bytes) -> str | None:
    """The charset an HTML page declares in a meta tag near its start, if any."""
    match = _META_CHARSET.search(html[:4096])
    return match.group(1).decode("ascii") if match else None


def reads_as_western(text: str) -> bool:
    """Whether `text`, bytes decoded as cp1252, reads as Western European text: each non-ASCII
    character is one such text uses (`_WESTERN`), and most letters are ASCII.

    Text in another script read as cp1252 fails one test or the other: Cyrillic, Greek or
    Hebrew letters turn into runs of accented letters (and ð, ×, ÷), Central European ones into
    š, ž, ³ or ¹, Baltic and Turkish ones into ð or þ. A short Latin-1 text leaves many code
    pages equally likely to a statistical detector; this rule does not depend on length.
    """
    ascii_letters = other_letters = 0
    for char in text:
        if char.isascii():
            ascii_letters += char.isalpha()
        elif char in _WESTERN:
            other_letters += char.isalpha()
        else:
            return False
    return ascii_letters > other_letters


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
    try:
        if reads_as_western(data.decode("cp1252")):
            return "cp1252", ("decoded as cp1252 (detected), not UTF-8",)
    except UnicodeDecodeError:  # cp1252 leaves five bytes undefined
        pass
    # No BOM and no NUL bytes: a UTF-16/32 guess is a misreading of a short single-byte text.
    results = [
        r
        for r in charset_normalizer.from_bytes(data)
        if not r.encoding.startswith(("utf_16", "utf_32"))
    ]
    # Short texts leave many code pages equally plausible, and the detector's pick among them is
    # arbitrary: prefer cp1252 (the usual legacy encoding of Western text, a superset of
    # Latin-1's printable text) unless another encoding reads the bytes with less chaos.
    cp1252 = charset_normalizer.from_bytes(data, cp_isolation=["cp1252"]).best()
    if cp1252 is not None and all(cp1252.chaos <= r.chaos for r in results):
        encoding = "cp1252"
    elif results:
        encoding = min(results, key=lambda r: r.chaos).encoding
    else:
        raise InputError(source, "looks binary: it is not UTF-8 and no text encoding fits it")
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
    return new_article(source, id=id, title=title, text=text, url=url)
