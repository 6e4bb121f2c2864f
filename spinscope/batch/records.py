"""How a batch run goes (`BatchOptions`) and what its engines read: the records of one input,
with what an earlier run did (`records`), and what an engine yields for each (`Event`). The
local engine (`spinscope.batch.run`) and the Ray engine (`spinscope.batch.ray_engine`) both
read through `records`, so they see the same ids, skips and errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from spinscope.batch.chunks import Done
from spinscope.document import Analysis, Article
from spinscope.errors import InputError, require
from spinscope.ingest import IngestOptions, read
from spinscope.ingest.base import DEFAULTS
from spinscope.layers import resolve
from spinscope.llm import LLMOptions
from spinscope.pipeline import DEFAULT_LAYERS, MAX_SECONDS

Engine = Literal["local", "ray"]

#: The article fields `BatchOptions.name_fields` may fill.
NAME_FIELDS = ("outlet", "published", "author", "title", "language", "url")

#: Records per committed chunk, by default: at most this much work is redone after a kill.
CHUNK_SIZE = 256


@dataclass(frozen=True)
class BatchOptions:
    r"""How a batch run goes. The defaults here are the only place they are declared.

    layers -- the layers run (their requirements are added).
    workers -- worker processes (local engine) or actors (Ray), each with one pipeline.
    chunk_size -- records per committed chunk.
    english_only -- a text that does not look English is a bad record (else: analysed, with
                    a warning in its analysis).
    ingest -- how inputs are read (size cap, column mapping).
    name_fields -- a regular expression whose named groups (outlet, published, author, title,
                   language, url) fill those fields of a one-article file from its name (the
                   stem), where the file did not give them; e.g. for `nyt_2016-05-03_slug.txt`:
                   `(?P<outlet>[^_]+)_(?P<published>\d{4}-\d{2}-\d{2})_`.
    engine -- `local` (a process pool) or `ray` (Ray Data, the `ray` extra).
    ray_address -- the Ray cluster to join (None: start a local Ray runtime).
    max_seconds -- the time budget of one article's analysis: one that runs past it is a bad
                   record (see `Pipeline`); None for none.
    llm -- the LLM endpoint that refines each analysis (see `Pipeline`); None for none.
    """

    layers: tuple[str, ...] = DEFAULT_LAYERS
    workers: int = 1
    chunk_size: int = CHUNK_SIZE
    english_only: bool = True
    ingest: IngestOptions = DEFAULTS
    name_fields: str | None = None
    engine: Engine = "local"
    ray_address: str | None = None
    max_seconds: float | None = MAX_SECONDS
    llm: LLMOptions | None = None

    @property
    def llm_model(self) -> str | None:
        """The model of the LLM that refines the analyses, if one does."""
        return None if self.llm is None else self.llm.model

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be 1 or more, not {self.workers}")
        if self.chunk_size < 1:
            raise ValueError(f"chunk_size must be 1 or more, not {self.chunk_size}")
        if self.max_seconds is not None and self.max_seconds <= 0:
            raise ValueError(f"max_seconds must be positive, not {self.max_seconds}")
        resolve(self.layers)  # unknown layers fail here, before anything is read
        if self.engine == "ray":
            require("ray", "--engine ray", "ray")
        if self.name_fields is not None:
            try:
                groups = set(re.compile(self.name_fields).groupindex)
            except re.error as exc:
                raise ValueError(f"name_fields is not a regular expression: {exc}") from None
            unknown = sorted(groups - set(NAME_FIELDS))
            if unknown or not groups:
                raise ValueError(
                    f"name_fields must name groups among {', '.join(NAME_FIELDS)}"
                    + (f", not {', '.join(unknown)}" if unknown else "")
                )


#: The options of a run that names none.
DEFAULT_OPTIONS = BatchOptions()


class Skipped:
    """A record done in an earlier run (its article id, or its location for a bad record)."""


SKIPPED = Skipped()


@dataclass(frozen=True)
class Result:
    """An article's analysis (with the notes on how it was read among its warnings), or why it
    failed, with where it was read."""

    outcome: Analysis | InputError
    where: str


#: What an engine yields for each record, in input order.
Event = Skipped | InputError | Result


@dataclass(frozen=True)
class Record:
    """An article read and not done yet, with where it was read and how."""

    article: Article
    where: str
    notes: tuple[str, ...]


def records(source: str, options: BatchOptions, done: Done) -> Iterator[Record | Event]:
    """The records of one input, in order: the articles to analyse, read errors, and what an
    earlier run did (`SKIPPED`). Both engines read through this."""
    pattern = re.compile(options.name_fields) if options.name_fields is not None else None
    for item in read(source, options.ingest):
        if isinstance(item, InputError):
            yield SKIPPED if item.source in done.wheres else item
            continue
        article = item.article
        if pattern is not None and item.where is None:
            article = _fields_from_name(article, source, pattern)
        if article.id in done.ids:
            yield SKIPPED
        else:
            yield Record(article, item.where or source, item.notes)


def _fields_from_name(article: Article, source: str, pattern: re.Pattern[str]) -> Article:
    match = pattern.search(Path(source).stem)
    if match is None:
        return article
    found = {
        name: value
        for name, value in match.groupdict().items()
        if value and not getattr(article, name)
    }
    return article.model_copy(update=found) if found else article
