"""What every ingest module shares: the options (`IngestOptions`), the result (`Loaded`), and
`new_article`, which turns the model's refusal of a field into an InputError."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from spinscope.document import Article
from spinscope.errors import InputError

#: The article fields a JSONL/CSV record can fill; `IngestOptions.columns` maps them to keys.
RECORD_FIELDS = ("id", "title", "text", "url", "outlet", "published", "author", "language")


@dataclass(frozen=True)
class IngestOptions:
    """How inputs are read. The defaults here are the only place defaults are declared.

    max_bytes -- the largest input read: a whole file, stdin, a fetched URL body, or one
                 line of a JSONL/CSV file (record files themselves are streamed).
    timeout -- seconds for each network operation of a URL fetch, and for the whole download.
    allow_private -- fetch URLs that resolve to private, loopback, link-local, reserved,
                     multicast or unspecified addresses (refused by default).
    max_redirects -- redirects followed per URL; each hop's address is checked.
    columns -- record field -> key in the JSONL object or CSV header, for fields whose key
               differs from the field name, e.g. ``{"text": "body", "published": "date"}``.
    """

    max_bytes: int = 2_000_000
    timeout: float = 10.0
    allow_private: bool = False
    max_redirects: int = 5
    columns: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, not {self.max_bytes}")
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive, not {self.timeout}")
        if self.max_redirects < 0:
            raise ValueError(f"max_redirects must be 0 or more, not {self.max_redirects}")
        unknown = sorted(set(self.columns) - set(RECORD_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown record field(s) in columns: {', '.join(unknown)}; "
                f"the fields are {', '.join(RECORD_FIELDS)}"
            )
        object.__setattr__(self, "columns", MappingProxyType(dict(self.columns)))

    def key(self, record_field: str) -> str:
        """The record key that holds `record_field`."""
        return self.columns.get(record_field, record_field)


@dataclass(frozen=True)
class Loaded:
    """One article read from an input, with notes on how it was read (e.g. a guessed encoding).

    `where` is where in its input the article was read, when the input holds several (a
    record's `path:LINE`, a Parquet row's `path#ROW`, a WARC record's `path@OFFSET`); None for
    an input that is one article.
    """

    article: Article
    notes: tuple[str, ...] = ()
    where: str | None = None

    def updated(self, **fields: Any) -> Loaded:
        """The same, its article's `fields` set (an outlet or a date given beside the input)."""
        return replace(self, article=self.article.model_copy(update=fields)) if fields else self


def new_article(where: str, **fields: Any) -> Article:
    """The article of `fields` read at `where`; InputError naming `where` when the model refuses
    a field (an id with a control character), so that a bad record is reported as one, never
    raised as a ValidationError that would end the reading of its file."""
    try:
        return Article(**fields)
    except ValidationError as exc:
        raise InputError(where, "; ".join(map(_problem, exc.errors()))) from exc


def _problem(error: ErrorDetails) -> str:
    """One of pydantic's errors as a sentence: the validator's own message where it gave one."""
    if error["type"] == "value_error":
        return error["msg"].removeprefix("Value error, ")
    field_name = ".".join(map(str, error["loc"]))
    return f"field {field_name!r}: {error['msg']}"


#: The default options, for function defaults.
DEFAULTS = IngestOptions()
