"""How the claims layer is shown in the terminal summary and the HTML report: the most
check-worthy first, with numbers, hedges and sources."""

from __future__ import annotations

from dataclasses import dataclass

from rich import box
from rich.table import Table
from rich.text import Text

from spinscope.document import Analysis, Claim
from spinscope.output.html import Annotation, HtmlPart, html_part
from spinscope.output.style import flat, score_cell, score_text, shorten


@dataclass(frozen=True)
class ClaimItem:
    id: str
    number: int
    text: str
    numbers: tuple[str, ...]
    hedges: tuple[str, ...]
    source_kind: str
    source_text: str | None
    quote_id: str | None
    quote_number: int | None
    score: str | None
    origin: str


def terminal(analysis: Analysis) -> Table | Text:
    if not analysis.claims:
        return Text("No claims found.", style="dim")
    scored = any(claim.score is not None for claim in analysis.claims)
    title = "Claims, most check-worthy first" if scored else "Claims"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, expand=True)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    if scored:
        table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Claim", ratio=6)
    table.add_column("Numbers", ratio=2, style="green")
    table.add_column("Hedges", ratio=2, style="yellow")
    table.add_column("Source", ratio=3)
    table.add_column("Quote", no_wrap=True)
    for i, claim in ranked_claims(analysis):
        source = claim.source
        said = _said(claim)
        source_cell = Text(source.kind, style="red" if source.kind == "none" else "bold")
        if said:
            source_cell.append(f": {said}", style="")
        score = [score_cell(claim.score, claim.uncertain)] if scored else []
        table.add_row(
            Text(f"C{i + 1}"),
            *score,
            Text(shorten(claim.span.text, 120)),
            Text(", ".join(span.text for span in claim.numbers)),
            Text(", ".join(span.text for span in claim.hedges)),
            source_cell,
            Text(f"Q{claim.quote + 1}" if claim.quote is not None else ""),
        )
    return table


def html(analysis: Analysis) -> HtmlPart:
    """The report's part: each claim's sentence, numbers, hedges and source in the text, and
    the claims, the most check-worthy first, in a panel (each links to the quote it is in)."""
    view = {
        "claims": [_claim_item(i, claim) for i, claim in ranked_claims(analysis)],
        "scored": any(claim.score is not None for claim in analysis.claims),
    }
    return html_part(__package__, "claims.html.j2", view, _highlights(analysis))


def _highlights(analysis: Analysis) -> list[Annotation]:
    found: list[Annotation] = []
    for i, claim in enumerate(analysis.claims):
        ann, label = f"c{i}", _claim_label(i, claim)
        found.append(
            Annotation(
                claim.span.start,
                claim.span.end,
                ann,
                ("c", "c-claim", *(("c-unsourced",) if claim.source.kind == "none" else ())),
                label,
                uncertain=claim.uncertain,
            )
        )
        found += [
            Annotation(s.start, s.end, ann, ("c", "c-number"), f"Number in claim {i + 1}")
            for s in claim.numbers
        ]
        found += [
            Annotation(s.start, s.end, ann, ("c", "c-hedge"), f"Hedge in claim {i + 1}")
            for s in claim.hedges
        ]
        if claim.source.span:
            span, kind = claim.source.span, claim.source.kind
            classes = ("c", "c-source", f"source-{kind}")
            source = f"Source of claim {i + 1} ({kind})"
            found.append(Annotation(span.start, span.end, ann, classes, source))
    return found


def _claim_item(i: int, claim: Claim) -> ClaimItem:
    source = claim.source
    return ClaimItem(
        id=f"c{i}",
        number=i + 1,
        text=shorten(claim.span.text, 280),
        numbers=tuple(flat(span) for span in claim.numbers),
        hedges=tuple(flat(span) for span in claim.hedges),
        source_kind=source.kind,
        source_text=_said(claim) or None,
        quote_id=f"q{claim.quote}" if claim.quote is not None else None,
        quote_number=claim.quote + 1 if claim.quote is not None else None,
        score=score_text(claim.score, claim.uncertain),
        origin=claim.origin,
    )


def _claim_label(i: int, claim: Claim) -> str:
    said = _said(claim)
    label = f"Claim {i + 1} — source: {claim.source.kind}" + (f" ({said})" if said else "")
    if claim.numbers:
        label += " · numbers: " + ", ".join(flat(s) for s in claim.numbers)
    if claim.hedges:
        label += " · hedges: " + ", ".join(flat(s) for s in claim.hedges)
    if claim.quote is not None:
        label += f" · quote {claim.quote + 1}"
    return label


def _said(claim: Claim) -> str:
    """Who the claim is attributed to: the source's entity, else its words ("" for none)."""
    source = claim.source
    return source.entity or (flat(source.span) if source.span else "")


def ranked_claims(analysis: Analysis) -> list[tuple[int, Claim]]:
    """The claims with their indexes, the most check-worthy first: by `score` descending,
    claims without a score after those with one, ties in text order."""

    def key(item: tuple[int, Claim]) -> tuple[bool, float, int, int]:
        i, claim = item
        score = claim.score
        return (score is None, -(score or 0.0), claim.span.start, i)

    return sorted(enumerate(analysis.claims), key=key)
