"""Reviewers' corrections of findings, and an analysis as reviewed.

A correction names a finding by its layer's kind ("technique", `spinscope.layers.Correctable`)
and the finding as the `Analysis` JSON gives it, and says what a reviewer decided: `confirm`,
`reject`, `edit` (its `replacement` holds the fields that change: `{"speaker_entity": "…"}`) or
`add` (a finding the model missed: its `replacement` is the whole finding); `note` keeps a remark
on a finding without deciding. A correction of kind `article` is a note on the article.

The store keeps the corrections apart from the analyses (`spinscope.store.Store.correct`): a
re-analysis replaces the model's findings and keeps every reviewer's. `reviewed(analysis,
corrections)` is the analysis as reviewed: each finding a correction names is found again by its
layer's key and carries a `spinscope.document.Review`, which also says whether the model (the
analysis's, perhaps newer than the one corrected) agrees with the reviewer.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from spinscope.document import (
    Analysis,
    Review,
    ReviewStatus,
    check_spans,
    finding_type,
    holds_one,
)
from spinscope.errors import SpinscopeError
from spinscope.layers import Layer, correctable

Action = Literal["confirm", "reject", "edit", "add", "note"]

#: The kind of a note on the whole article.
ARTICLE = "article"

#: What each action makes of the finding's review.
_STATUS: dict[str, ReviewStatus] = {
    "confirm": "confirmed",
    "reject": "rejected",
    "edit": "edited",
    "add": "added",
}


class Correction(BaseModel):
    """A correction as a reviewer sends it (`POST /api/v1/articles/{id}/corrections`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(description="the kind of finding (quote, claim, technique…), or article")
    action: Action
    finding: dict[str, Any] | None = Field(
        default=None, description="the finding, as in the Analysis JSON (not for add)"
    )
    replacement: dict[str, Any] | None = Field(
        default=None,
        description="edit: the fields of the finding that change; add: the whole finding",
    )
    note: str | None = Field(default=None, max_length=10_000)


class Corrected(BaseModel):
    """A correction as the store keeps it: who made it and when, the finding before (as the
    analysis gave it) and after (edit, add), the spinscope version of the analysis it corrects
    and the finding's provenance (the model or rule it corrects)."""

    model_config = ConfigDict(frozen=True)

    id: int
    article_id: str
    kind: str
    action: Action
    finding: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    note: str | None = None
    reviewer: str
    at: datetime
    spinscope_version: str
    model: str | None = None


class CorrectionError(SpinscopeError):
    """A correction that cannot be made: `field` names the part of it that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class Checked(BaseModel):
    """A correction checked against the analysis it corrects, ready to be stored."""

    kind: str
    action: Action
    finding: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None
    model: str | None


def kinds() -> list[str]:
    """The kinds a correction may name: each correctable layer's, and `article`."""
    return [*correctable(), ARTICLE]


def check(correction: Correction, analysis: Analysis, reviewer: str) -> Checked:
    """`correction` checked against `analysis` (as reviewed so far), or `CorrectionError`
    naming what is wrong: a kind no layer has, a finding the analysis does not hold, a label
    outside the taxonomy, a span that is not the article's text there."""
    if correction.kind == ARTICLE:
        if correction.action != "note" or not correction.note:
            raise CorrectionError("action", "a correction of the article is a note: give a note")
        if correction.finding or correction.replacement:
            raise CorrectionError("finding", "a note on the article names no finding")
        return Checked(
            kind=ARTICLE, action="note", finding=None, after=None, note=correction.note, model=None
        )
    layers = correctable()
    layer = layers.get(correction.kind)
    if layer is None:
        raise CorrectionError(
            "kind", f"no kind {correction.kind!r}; the kinds are: {', '.join(kinds())}"
        )
    if correction.action == "note" and not correction.note:
        raise CorrectionError("note", "a note needs its text")
    before = None
    if correction.action == "add":
        if correction.finding is not None:
            raise CorrectionError("finding", "an added finding is given as the replacement")
    else:
        if correction.finding is None:
            raise CorrectionError("finding", f"name the {correction.kind} to {correction.action}")
        given = _item(layer, correction.finding, "finding", analysis.article.text)
        before = _find(layer, layer.findings(analysis), given)
        if before is None:
            raise CorrectionError(
                "finding", f"the article's current analysis has no such {correction.kind}"
            )
    after = None
    if correction.action in ("edit", "add"):
        if not correction.replacement:
            raise CorrectionError("replacement", f"give the replacement to {correction.action}")
        base = _plain(before) if before is not None else {}
        given = {**base, **correction.replacement, **_by_reviewer(layer, reviewer)}
        after = _item(layer, given, "replacement", analysis.article.text)
    elif correction.replacement is not None:
        raise CorrectionError("replacement", f"{correction.action} takes no replacement")
    return Checked(
        kind=correction.kind,
        action=correction.action,
        finding=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        note=correction.note,
        model=_provenance(before) if before is not None else None,
    )


def reviewed(analysis: Analysis, corrections: Sequence[Corrected]) -> Analysis:
    """`analysis` (the model's, without reviews) as its reviewers corrected it, in the order
    they did. A rejected finding stays, marked (one a reviewer added is withdrawn instead); an
    edited one is the reviewer's version; one a reviewer confirmed, edited or added that the
    model does not find is put after the model's findings (or in place of the one finding of a
    field that holds one, the genre). Notes decide nothing. A correction of a layer no longer
    registered, or whose finding no longer reads (a label the taxonomy dropped), is kept in the
    store and left out here."""
    layers = correctable()
    found: dict[str, list[Any]] = {}
    for correction in sorted(corrections, key=lambda c: c.id):
        layer = layers.get(correction.kind)
        if layer is None or correction.action == "note":
            continue
        try:
            before = _read(layer, correction.finding)
            after = _read(layer, correction.after)
        except ValidationError:
            continue
        items = found.setdefault(layer.field, layer.findings(analysis))
        _apply(layer, items, correction, before, after)
    for field, items in found.items():
        layer = next(layer for layer in layers.values() if layer.field == field)
        model = {_key(layer, item) for item in layer.findings(analysis)}
        found[field] = [_agreement(layer, item, model) for item in items]
    return analysis.with_findings(found) if found else analysis


def _apply(layer: Layer, items: list[Any], correction: Corrected, before: Any, after: Any) -> None:
    at = _index(layer, items, before)
    review = Review(
        status=_STATUS[correction.action],
        reviewer=correction.reviewer,
        at=correction.at,
        note=correction.note,
        correction=correction.id,
        model_agrees=False,  # settled once every correction is applied (`_agreement`)
    )
    if correction.action == "reject":
        if at is None:
            return
        earlier = items[at].review
        if earlier is not None and earlier.status == "added":  # a reviewer's own, withdrawn
            del items[at]
        else:
            items[at] = items[at].model_copy(update={"review": review})
        return
    if correction.action == "confirm":
        target = items[at] if at is not None else before
    else:
        target = after
        if at is None:
            at = _index(layer, items, after)
        else:
            twin = _index(layer, items, after)
            if twin is not None and twin != at:  # the edit makes it another finding's twin
                del items[twin]
                at = at - 1 if twin < at else at
    placed = target.model_copy(update={"review": review})
    if at is not None:
        items[at] = placed
    elif holds_one(layer.field):
        items[:] = [placed]
    else:
        items.append(placed)


def _agreement(layer: Layer, item: Any, model: set[Hashable]) -> Any:
    review = getattr(item, "review", None)
    if review is None:
        return item
    agrees = (_key(layer, item) in model) != (review.status == "rejected")
    return item.model_copy(update={"review": review.model_copy(update={"model_agrees": agrees})})


def _key(layer: Layer, item: Any) -> Hashable:
    assert layer.correct is not None
    return layer.correct.key(item)


def _index(layer: Layer, items: Sequence[Any], item: Any) -> int | None:
    if item is None:
        return None
    key = _key(layer, item)
    return next((i for i, other in enumerate(items) if _key(layer, other) == key), None)


def _find(layer: Layer, items: Sequence[Any], item: Any) -> Any:
    at = _index(layer, items, item)
    return None if at is None else items[at].model_copy(update={"review": None})


def _read(layer: Layer, data: dict[str, Any] | None) -> Any:
    return None if data is None else finding_type(layer.field).model_validate(data)


def _item(layer: Layer, data: dict[str, Any], field: str, text: str) -> Any:
    """`data` read as a finding of `layer`, its spans checked against the article's `text`, or
    `CorrectionError` naming the first problem under `field`."""
    data = {k: v for k, v in data.items() if k != "review"}
    try:
        item = finding_type(layer.field).model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join([field, *(str(part) for part in error["loc"])])
        raise CorrectionError(where, str(error["msg"]).removeprefix("Value error, ")) from exc
    try:
        check_spans(item, text, field)
    except ValueError as exc:
        where, _, message = str(exc).partition(" ")
        raise CorrectionError(where, message) from exc
    return item


def _plain(item: Any) -> dict[str, Any]:
    data: dict[str, Any] = item.model_dump(mode="json", exclude={"review"})
    return data


def _provenance_field(layer: Layer) -> str:
    """The field that says where a finding came from: a claim's is `origin` (its `source` is
    whom the claim is attributed to), every other finding's `source`."""
    fields = finding_type(layer.field).model_fields
    return "origin" if "origin" in fields else "source"


def _provenance(item: Any) -> str | None:
    value = getattr(item, "origin", None) or getattr(item, "source", None)
    return value if isinstance(value, str) else None


def _by_reviewer(layer: Layer, reviewer: str) -> dict[str, Any]:
    """What marks a finding as a reviewer's: its provenance, and no model score."""
    fields = finding_type(layer.field).model_fields
    marks: dict[str, Any] = {_provenance_field(layer): f"review/{reviewer}"}
    if "score" in fields:
        marks["score"] = None
    if "uncertain" in fields:
        marks["uncertain"] = False
    return marks
