"""The data model every part of spinscope shares: `Article`, `Span`, annotations, `Analysis`.

The article text is stored once; every annotation points into it with character offsets
(end exclusive, Python slicing). A `Span` also carries its `text`, which must equal the slice
of the article text: `Analysis` checks every span when it is built or loaded, so a span that
does not match its article can never leave the library.

Every annotation carries a `score` (0-1 where a model or rule gives one) and a provenance
string (`layer/rule-or-model@version`) so a user can always ask why something was flagged.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from spinscope.taxonomy import FINE_ROLES, FRAMES, GENRES, NARRATIVES, OTHER, ROLES, TECHNIQUES
from spinscope.version import __version__

#: `major.minor`: the major part is bumped when the JSON shape of `Analysis` changes
#: incompatibly, the minor part when it gains fields (1.1: entities, narratives, genre, frames;
#: 1.2: extensions; 1.3: `uncertain` on every finding with a score; 1.4: `review` on every
#: finding a reviewer can correct).
SCHEMA_VERSION = "1.4"

SCHEMA_PATH = Path(__file__).parent / "schema" / "analysis.schema.json"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Span(_Model):
    """A stretch of the article text: `text == article.text[start:end]`."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str

    @model_validator(mode="after")
    def _check_shape(self) -> Span:
        if self.end < self.start:
            raise ValueError(f"span end {self.end} is before its start {self.start}")
        if len(self.text) != self.end - self.start:
            raise ValueError(
                f"span text has {len(self.text)} characters but offsets "
                f"{self.start}:{self.end} cover {self.end - self.start}"
            )
        return self

    @classmethod
    def of(cls, text: str, start: int, end: int) -> Span:
        """The span of `text[start:end]`, with bounds checked."""
        if not 0 <= start <= end <= len(text):
            raise ValueError(f"span {start}:{end} is outside a text of {len(text)} characters")
        return cls(start=start, end=end, text=text[start:end])


#: What `uncertain` means, in the JSON Schema.
UNCERTAIN = (
    "the finding's score, a calibrated probability that it is right, is under the confidence its "
    "model card states (0.5): it is more likely wrong than right, shown as a suggestion and left "
    "out of corpus rates; a layer whose card states no confidence (the genre) marks every finding "
    "so"
)

ReviewStatus = Literal["confirmed", "rejected", "edited", "added"]


class Review(_Model):
    """What a reviewer decided about a finding (`spinscope.review`). A rejected finding stays in
    its list, marked, so that the indices other findings refer to hold (a claim's quote); an
    edited one is the reviewer's version; a confirmed, edited or added one that the model did not
    find is added after the model's findings.

    model_agrees -- whether the analysis's model agrees with the reviewer: it finds the
                    confirmed, edited or added finding itself, and does not find a rejected one.
                    A re-analysis by a newer model shows here where it now disagrees.
    """

    status: ReviewStatus
    reviewer: str
    at: datetime
    note: str | None = None
    correction: int = Field(description="the id of the correction (GET .../corrections)")
    model_agrees: bool


#: What `review` means, in the JSON Schema.
REVIEWED = "what a reviewer decided about the finding; null where no reviewer has looked at it"

#: The characters an article id cannot hold: C0 controls (CR, LF and tab among them), DEL and C1
#: controls. The JSON Schema states the same rule as a pattern.
_CONTROLS = r"\u0000-\u001f\u007f-\u009f"
_CONTROL = re.compile(f"[{_CONTROLS}]")


def check_id(value: str) -> str:
    """`value`, an article id without control characters (a `ValueError` that says where one
    is otherwise). The id is a key in the store and a segment of the web routes' URLs, where a
    CR, LF or other control character cannot be sent, so such an article could not be
    reached."""
    found = _CONTROL.search(value)
    if found:
        raise ValueError(
            f"article id {value!r} has a control character (U+{ord(found[0]):04X}) at "
            f"position {found.start()}; an id cannot hold CR, LF, tab, other C0 or C1 "
            f"controls or DEL: remove them or give the article another id"
        )
    return value


#: Lone surrogates: code points that are halves of a UTF-16 pair, not characters. JSON can
#: spell one ("\\ud800") and Python decodes it, but no UTF-8 output, store or page can hold it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(value: str) -> str:
    """`value`, a text that UTF-8 can hold (a `ValueError` that says where it cannot)."""
    found = _SURROGATE.search(value)
    if found:
        raise ValueError(
            f"the text has a lone surrogate (U+{ord(found[0]):04X}, half of a UTF-16 pair, not "
            f"a character) at position {found.start()}: the input is not valid Unicode; decode "
            f"it as UTF-8 or JSON again, or replace the code point"
        )
    return value


class Article(_Model):
    """One input document. `text` is exactly the input text, so offsets match source files."""

    id: str = Field(json_schema_extra={"pattern": f"^[^{_CONTROLS}]*$"})
    title: str = ""
    text: str
    url: str | None = None
    outlet: str | None = None
    published: str | None = None
    author: str | None = None
    language: str | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        return check_text(check_id(value))

    @field_validator("title", "text", "url", "outlet", "published", "author", "language")
    @classmethod
    def _check_text(cls, value: str | None) -> str | None:
        return value if value is None else check_text(value)

    @staticmethod
    def make_id(text: str) -> str:
        """A stable id for an article that came without one: a hash of its text (any text: one
        that is not valid Unicode is refused when the article is made, `check_text`)."""
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


QuoteKind = Literal["direct", "partial", "indirect", "mixed"]
CueClass = Literal[
    "neutral", "doubt", "assertive", "emotive", "tentative", "stance", "other", "none"
]


class Quote(_Model):
    """One attribution: who said what, with which reporting cue.

    kind -- `direct` (the statement in quote marks), `indirect` (reported speech),
            `mixed` (reported speech with quoted fragments), `partial` (a quoted fragment
            with no reporting clause of its own, e.g. scare quotes).
    content -- the reported content, one span or several when split by its attribution.
    quoted -- the parts of the content that stand in quote marks (the speaker's own words).
    speaker -- the mention of the speaker in this sentence ("he", "the NATO secretary general").
    speaker_entity -- the entity it resolves to ("Jens Stoltenberg").
    """

    kind: QuoteKind
    content: list[Span]
    quoted: list[Span] = []
    speaker: Span | None = None
    speaker_entity: str | None = None
    cue: Span | None = None
    cue_class: CueClass = "none"
    score: float | None = Field(default=None, ge=0, le=1)
    uncertain: bool = Field(default=False, description=UNCERTAIN)
    review: Review | None = Field(default=None, description=REVIEWED)
    source: str

    @model_validator(mode="after")
    def _check_content(self) -> Quote:
        if not self.content:
            raise ValueError("a quote needs at least one content span")
        return self

    @property
    def attributed_to(self) -> str | None:
        """Who the quote is attributed to, as every view names them: the entity, else the
        mention's words, else None (unattributed)."""
        if self.speaker_entity:
            return self.speaker_entity
        return " ".join(self.speaker.text.split()) if self.speaker else None


SourceKind = Literal["named", "vague", "none"]


class ClaimSource(_Model):
    """Who a claim is attributed to: a named source, a vague one, or none."""

    kind: SourceKind
    span: Span | None = None
    entity: str | None = None


class Claim(_Model):
    """A claim sentence with its numbers, hedges and attributed source.

    `source` is the claim's attributed source, in the journalist's sense; where the
    detection came from is `origin` (the provenance other annotations call `source`).
    """

    span: Span
    numbers: list[Span] = []
    hedges: list[Span] = []
    source: ClaimSource
    quote: int | None = Field(default=None, ge=0, description="index into Analysis.quotes")
    score: float | None = Field(default=None, ge=0, le=1)
    uncertain: bool = Field(default=False, description=UNCERTAIN)
    review: Review | None = Field(default=None, description=REVIEWED)
    origin: str


class Technique(_Model):
    """A span that uses a persuasion technique (one of the 23 of SemEval-2023 Task 3).

    The technique's definition is `spinscope.taxonomy.TECHNIQUES[technique].definition`.
    """

    technique: str
    group: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    score: float | None = Field(default=None, ge=0, le=1)
    uncertain: bool = Field(default=False, description=UNCERTAIN)
    review: Review | None = Field(default=None, description=REVIEWED)
    source: str

    @field_validator("technique")
    @classmethod
    def _known_technique(cls, value: str) -> str:
        if value not in TECHNIQUES:
            raise ValueError(f"unknown persuasion technique {value!r}")
        return value

    @model_validator(mode="after")
    def _check_technique(self) -> Technique:
        info = TECHNIQUES[self.technique]
        if info.group != self.group:
            raise ValueError(f"{self.technique} is in group {info.group!r}, not {self.group!r}")
        if self.end <= self.start:
            raise ValueError(f"technique span {self.start}:{self.end} is empty or reversed")
        return self

    @property
    def span(self) -> Span:
        return Span(start=self.start, end=self.end, text=self.text)


class Role(_Model):
    """An entity's role in one article (SemEval-2025 Task 10): a main role and its fine roles."""

    main: Literal["Protagonist", "Antagonist", "Innocent"]
    fine: list[str] = []
    score: float | None = Field(default=None, ge=0, le=1)
    uncertain: bool = Field(default=False, description=UNCERTAIN)

    @model_validator(mode="after")
    def _check_fine(self) -> Role:
        for fine in self.fine:
            if FINE_ROLES.get(fine) != self.main:
                raise ValueError(
                    f"{fine!r} is not a fine role of {self.main} (those are: "
                    f"{', '.join(ROLES[self.main])})"
                )
        return self


class Entity(_Model):
    """A person, group, organisation or place, with every mention of it in the article (names,
    surnames, titles, pronouns), its role in the article's story where it has one, and the
    sentences that cast it in that role."""

    name: str
    mentions: list[Span]
    role: Role | None = None
    evidence: list[Span] = []
    review: Review | None = Field(default=None, description=REVIEWED + " (its role)")
    source: str


class Narrative(_Model):
    """A narrative of the SemEval-2025 taxonomy that the article carries, with the sub-narratives
    found (their full labels, "<narrative>: <sub-narrative>") and the sentences that carry it.
    `Other` (no narrative of the taxonomy) has no sub-narratives."""

    narrative: str
    subnarratives: list[str] = []
    score: float | None = Field(default=None, ge=0, le=1)
    uncertain: bool = Field(default=False, description=UNCERTAIN)
    evidence: list[Span] = []
    review: Review | None = Field(default=None, description=REVIEWED)
    source: str

    @field_validator("narrative")
    @classmethod
    def _known_narrative(cls, value: str) -> str:
        if value != OTHER and value not in NARRATIVES:
            raise ValueError(f"unknown narrative {value!r}")
        return value

    @model_validator(mode="after")
    def _check_labels(self) -> Narrative:
        if self.narrative == OTHER:
            if self.subnarratives:
                raise ValueError("the narrative Other has no sub-narratives")
            return self
        subs = NARRATIVES[self.narrative]
        for label in self.subnarratives:
            if label.removeprefix(f"{self.narrative}: ") not in subs or label == self.narrative:
                raise ValueError(f"{label!r} is not a sub-narrative of {self.narrative!r}")
        return self


class Genre(_Model):
    """The article's genre (SemEval-2023 Task 3, subtask 1)."""

    genre: str
    score: float | None = Field(default=None, ge=0, le=1)
    uncertain: bool = Field(default=False, description=UNCERTAIN)
    review: Review | None = Field(default=None, description=REVIEWED)
    source: str

    @field_validator("genre")
    @classmethod
    def _check_genre(cls, value: str) -> str:
        if value not in GENRES:
            raise ValueError(f"unknown genre {value!r}; genres: {', '.join(GENRES)}")
        return value


class Frame(_Model):
    """A frame the article uses (SemEval-2023 Task 3, subtask 2; the Policy Frames Codebook)."""

    frame: str
    score: float | None = Field(default=None, ge=0, le=1)
    uncertain: bool = Field(default=False, description=UNCERTAIN)
    review: Review | None = Field(default=None, description=REVIEWED)
    source: str

    @field_validator("frame")
    @classmethod
    def _check_frame(cls, value: str) -> str:
        if value not in FRAMES:
            raise ValueError(f"unknown frame {value!r}")
        return value


#: The type of the findings of each field kept in `Analysis.extensions`, by field name: what a
#: layer registered outside spinscope assigns (`spinscope.layers.register(..., item=...)`).
_EXTENSIONS: dict[str, TypeAdapter[list[Any]]] = {}
_EXTENSION_TYPES: dict[str, type[BaseModel]] = {}


def register_extension(name: str, item: type[BaseModel]) -> None:
    """Keep the findings named `name` in `Analysis.extensions`, read back as `item`s."""
    if name in Analysis.model_fields:
        raise ValueError(f"{name!r} is a field of Analysis, not an extension")
    _EXTENSIONS[name] = TypeAdapter(list[item])  # type: ignore[valid-type]
    _EXTENSION_TYPES[name] = item


def unregister_extension(name: str) -> None:
    _EXTENSIONS.pop(name, None)
    _EXTENSION_TYPES.pop(name, None)


class Analysis(_Model):
    """Everything spinscope found in one article, as one JSON document.

    extensions -- the findings of layers registered outside spinscope, by the field each
                  assigns; those of a layer not registered here read back as plain JSON.
    """

    schema_version: str = SCHEMA_VERSION
    spinscope_version: str = __version__
    article: Article
    sentences: list[Span] = []
    paragraphs: list[Span] = []
    quotes: list[Quote] = []
    claims: list[Claim] = []
    techniques: list[Technique] = []
    entities: list[Entity] = []
    narratives: list[Narrative] = []
    genre: Genre | None = None
    frames: list[Frame] = []
    extensions: dict[str, list[Any]] = {}
    warnings: list[str] = []

    @field_validator("extensions")
    @classmethod
    def _read_extensions(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        return {
            name: _EXTENSIONS[name].validate_python(items) if name in _EXTENSIONS else items
            for name, items in value.items()
        }

    @classmethod
    def of(
        cls,
        article: Article,
        sentences: list[Span],
        paragraphs: list[Span],
        found: dict[str, list[Any]],
        warnings: list[str],
    ) -> Analysis:
        """The analysis of `article` from each field's findings (`found`, by field name, a
        list for every field: a field that holds one finding, the genre, takes the first)."""
        fields: dict[str, Any] = {}
        extensions: dict[str, list[Any]] = {}
        for name, items in found.items():
            if name not in cls.model_fields:
                extensions[name] = items
            elif name in _SINGLE:
                fields[name] = next(iter(items), None)
            else:
                fields[name] = items
        return cls(
            article=article,
            sentences=sentences,
            paragraphs=paragraphs,
            extensions=extensions,
            warnings=warnings,
            **fields,
        )

    def findings(self, name: str) -> list[Any]:
        """The findings a field holds, as a list: `findings("quotes")`, `findings("genre")`
        (none or one), or those of an extension."""
        if name in _NOT_FINDINGS or name == "extensions":
            raise ValueError(f"{name!r} holds no findings")
        if name not in type(self).model_fields:
            return list(self.extensions.get(name, []))
        value = getattr(self, name)
        if name in _SINGLE:
            return [] if value is None else [value]
        return list(value)

    def with_findings(
        self, found: Mapping[str, list[Any]], warnings: list[str] | None = None
    ) -> Analysis:
        """A copy with the findings of the fields in `found` replaced (placed as `of` places
        them), and its `warnings` when given; every span is checked again."""
        data = {name: getattr(self, name) for name in type(self).model_fields}
        extensions = dict(self.extensions)
        for name, items in found.items():
            if name in _NOT_FINDINGS or name == "extensions":
                raise ValueError(f"{name!r} holds no findings")
            if name not in type(self).model_fields:
                extensions[name] = list(items)
            elif name in _SINGLE:
                data[name] = next(iter(items), None)
            else:
                data[name] = list(items)
        data["extensions"] = extensions
        if warnings is not None:
            data["warnings"] = warnings
        return type(self)(**data)

    @model_validator(mode="after")
    def _check_spans(self) -> Analysis:
        for name in type(self).model_fields:
            if name != "article":
                check_spans(getattr(self, name), self.article.text, name)
        for i, claim in enumerate(self.claims):
            if claim.quote is not None and claim.quote >= len(self.quotes):
                raise ValueError(f"claims[{i}] refers to quote {claim.quote}, which does not exist")
        return self

    def spans(self) -> Iterator[tuple[str, Span]]:
        """Every span in the analysis, with a path naming where it is (`quotes[0].speaker`),
        found by walking the fields: a layer's new field is checked without being listed here.
        The article itself holds no span."""
        for name in type(self).model_fields:
            if name != "article":
                yield from _spans(getattr(self, name), name)

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: str | bytes) -> Analysis:
        return cls.model_validate_json(data)


#: The fields of `Analysis` that are not findings; `_SINGLE`, those that hold one finding or none.
_NOT_FINDINGS = frozenset(
    {"schema_version", "spinscope_version", "article", "sentences", "paragraphs", "warnings"}
)
_SINGLE = frozenset({"genre"})


def finding_type(name: str) -> type[BaseModel]:
    """The type of one finding of the field `name` (`Quote` for "quotes", `Genre` for "genre",
    the registered type of an extension's)."""
    if name in _EXTENSION_TYPES:
        return _EXTENSION_TYPES[name]
    if name in _NOT_FINDINGS or name not in Analysis.model_fields:
        raise ValueError(f"{name!r} holds no findings")
    annotation = Analysis.model_fields[name].annotation
    found = [a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
    if not found:
        raise ValueError(f"{name!r} holds no findings")
    return found[0]


def holds_one(name: str) -> bool:
    """Whether the field `name` holds one finding or none (the genre), not a list."""
    return name in _SINGLE


def json_schema() -> dict[str, Any]:
    """The JSON Schema of `Analysis`, as published in `spinscope/schema/`."""
    schema = Analysis.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def write_json_schema(path: Path = SCHEMA_PATH) -> None:
    path.write_text(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n", "utf-8")


def check_spans(value: Any, text: str, path: str) -> None:
    """Raise `ValueError`, naming where (`path` and on: `quotes[0].speaker`), unless every span
    in `value` (a finding, a list of them…) equals the slice of `text` it points to."""
    for where, span in _spans(value, path):
        if span.end > len(text) or text[span.start : span.end] != span.text:
            raise ValueError(
                f"{where} span {span.start}:{span.end} {span.text!r} does not match "
                f"the article text there"
            )


def _spans(value: Any, path: str) -> Iterator[tuple[str, Span]]:
    if isinstance(value, Span):
        yield path, value
    elif isinstance(value, BaseModel):
        fields = type(value).model_fields
        if {"start", "end", "text"} <= fields.keys():  # a finding that is a span (a Technique)
            yield path, Span(start=value.start, end=value.end, text=value.text)  # type: ignore[attr-defined]
        for name in fields:
            yield from _spans(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _spans(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _spans(item, f"{path}.{key}")
