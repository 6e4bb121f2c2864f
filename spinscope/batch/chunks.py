"""What every batch output keeps: chunks committed whole (`Chunk`), what committed chunks
hold (`Done`), the verbs of an output (`Output`: `done`, `refuse`, `commit`, `close`),
and the model version a result depends on (an output that cannot be used raises
`spinscope.errors.OutputError`). Two outputs keep it: the folders of
`spinscope.batch.folder` and the store of `spinscope.batch.store_output`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from typing import Protocol

from spinscope.document import Analysis
from spinscope.tables import Row
from spinscope.version import __version__


def model_version(layers: tuple[str, ...], llm: str | None = None) -> str:
    """What a result depends on, as a short hash: spinscope's version, the layers run, the
    shipped models' cards (which change whenever a model is retrained), and the model of the
    LLM that refines the analyses, if one does."""
    digest = hashlib.sha256(f"{__version__}|{','.join(layers)}".encode())
    if llm is not None:
        digest.update(f"|llm:{llm}".encode())
    models = resources.files("spinscope").joinpath("models")
    for layer in sorted(p.name for p in models.iterdir() if p.is_dir()):
        card = models.joinpath(layer, "card.json")
        if card.is_file():
            digest.update(layer.encode() + b"\0" + card.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


@dataclass
class Chunk:
    """What one chunk holds before it is committed."""

    analyses: list[tuple[Analysis, str]] = field(default_factory=list)  # with where it was read
    errors: list[Row] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.analyses) + len(self.errors)


@dataclass(frozen=True)
class Done:
    """What committed chunks hold: the article ids (analysed, or failed after reading) and the
    locations of records that could not be read, under the current model version."""

    ids: frozenset[str]
    wheres: frozenset[str]


class Output(Protocol):
    """A batch output: what is done already, what it cannot hold, and committing one chunk at
    a time."""

    def done(self) -> Done: ...

    def refuse(self, analysis: Analysis) -> str | None:
        """Why this output cannot hold `analysis` (the record is then a bad record), or None."""
        ...

    def commit(self, chunk: Chunk) -> None: ...

    def close(self) -> None: ...
