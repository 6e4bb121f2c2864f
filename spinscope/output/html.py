"""HTML report of an `Analysis`: one self-contained page rendered from the same data as the JSON.

The article text is cut at every annotation boundary into segments (the idea of spaCy's
displacy): each segment is one `<span>` whose classes name every annotation that covers it, so
overlapping spans (a quote inside a claim sentence, a cue inside a quote, several persuasion
techniques on the same words) need no nesting rules. Persuasion techniques are drawn as
coloured bars under the text, one colour per technique group; a segment that several groups
cover gets one bar per group, stacked. Every piece of text goes through Jinja2 autoescaping;
the page carries its JSON twin in `<script type="application/json" id="spinscope-analysis">`.
"""

from __future__ import annotations

import bisect
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import pairwise
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from spinscope.document import (
    Analysis,
    Claim,
    CueClass,
    Entity,
    Narrative,
    Quote,
    Span,
    Technique,
)
from spinscope.output.extensions import html_views
from spinscope.output.findings import (
    cast,
    quote_text,
    ranked_claims,
    shorten,
    speaker_mention,
    speaker_name,
    technique_label,
    techniques_in_order,
    techniques_present,
)
from spinscope.taxonomy import GROUPS, TECHNIQUES

#: Id of the `<script>` element that holds the analysis as JSON.
JSON_SCRIPT_ID = "spinscope-analysis"

#: What each cue class means, for the legend (every `CueClass` but `none`).
CUE_LEGEND: dict[CueClass, str] = {
    "neutral": "said, told, noted, confirmed: reports without judging",
    "doubt": "claimed, alleged, contended: casts doubt on what is reported",
    "assertive": "insisted, stressed, argued, warned: presents it forcefully",
    "emotive": "slammed, decried, accused, boasted: charged wording",
    "tentative": "suggested, believed, hoped: marks it as uncertain",
    "stance": "supported, opposed, wanted, called for: a position taken, not a statement",
    "other": "denied, admitted, conceded, cited: another kind of reporting",
}


#: Colour of each persuasion-technique group (`spinscope.taxonomy.GROUPS`) in the report.
GROUP_COLOURS: dict[str, str] = {
    "Attack on reputation": "#dc2626",
    "Justification": "#2563eb",
    "Distraction": "#0891b2",
    "Simplification": "#ea580c",
    "Call": "#db2777",
    "Manipulative wording": "#65a30d",
}

#: Colour of a group missing from `GROUP_COLOURS`.
OTHER_GROUP_COLOUR = "#64748b"

#: Thickness in pixels of the bar under a technique span, one bar per group.
STRIPE_PX = 3
#: The gap in pixels between the text and its technique bars, which tells them from the
#: underlines of speakers and cues.
STRIPE_GAP_PX = 2


def group_slug(group: str) -> str:
    """The CSS name of a technique group: `Attack on reputation` -> `attack-on-reputation`."""
    return re.sub(r"[^a-z0-9]+", "-", group.lower()).strip("-")


def technique_class(name: str) -> str:
    """The CSS class of one technique: `tech-Loaded_Language`."""
    return "tech-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name)


@dataclass(frozen=True)
class Annotation:
    """One stretch to highlight: `ann` names its annotation (`q0` is `quotes[0]`, `c0` is
    `claims[0]`, `t0` is `techniques[0]`, `e0` is `entities[0]`, `n0` is `narratives[0]`),
    `classes` the part of it, `label` the line shown on hover."""

    start: int
    end: int
    ann: str
    classes: tuple[str, ...]
    label: str


@dataclass(frozen=True)
class Segment:
    """A stretch of text between two annotation boundaries, and what covers it."""

    text: str
    classes: tuple[str, ...] = ()
    anns: tuple[str, ...] = ()
    title: str = ""
    #: Inline CSS: the stacked technique bars, where more than one group covers the segment.
    style: str = ""


@dataclass(frozen=True)
class QuoteItem:
    id: str
    number: int
    kind: str
    cue: str | None
    cue_class: str
    mention: str | None
    text: str
    score: str | None
    source: str


@dataclass
class SpeakerGroup:
    name: str
    items: list[QuoteItem] = field(default_factory=list)


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


@dataclass(frozen=True)
class TechniqueItem:
    id: str
    number: int
    technique: str
    label: str
    css: str
    text: str
    score: str | None
    source: str


@dataclass
class TechniqueGroup:
    """The techniques of one group found in the article, in text order."""

    name: str
    slug: str
    items: list[TechniqueItem] = field(default_factory=list)


@dataclass(frozen=True)
class EntityItem:
    """A cast-list entry: an entity the article casts in a role."""

    id: str
    number: int
    name: str
    main: str
    fine: tuple[str, ...]
    score: str | None
    mentions: tuple[str, ...]
    mention_count: int
    evidence: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class NarrativeItem:
    id: str
    number: int
    narrative: str
    subnarratives: tuple[str, ...]
    score: str | None
    evidence: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class TechniqueEntry:
    """A legend entry: one technique found in the article."""

    technique: str
    label: str
    css: str
    group: str
    slug: str
    definition: str
    count: int


def render_html(analysis: Analysis, links: Sequence[tuple[str, str]] = ()) -> str:
    """The analysis as one self-contained HTML page (inline CSS and JS, no external resources).

    `links` are (label, href) pairs shown in a bar above the report (the web app's navigation);
    both are escaped like every other string.
    """
    context = _context(analysis)
    context["links"] = list(links)
    return (
        templates("spinscope.output", keep_trailing_newline=True)
        .get_template("report.html.j2")
        .render(**context)
    )


@cache
def report_script() -> str:
    """The report's one inline script, exactly as its page holds it: a server that serves the
    page allows this script by its hash in a Content-Security-Policy, and no other."""
    return (
        templates("spinscope.output", keep_trailing_newline=True)
        .get_template("report.js.j2")
        .render(json_script_id=JSON_SCRIPT_ID)
    )


def highlights(analysis: Analysis) -> list[Annotation]:
    """Every highlighted span of `analysis`, quotes first, then claims, persuasion
    techniques, entity mentions and narrative evidence, in index order."""
    found: list[Annotation] = []
    for i, quote in enumerate(analysis.quotes):
        ann, label = f"q{i}", _quote_label(i, quote)
        found += [Annotation(s.start, s.end, ann, ("q", "q-content"), label) for s in quote.content]
        found += [Annotation(s.start, s.end, ann, ("q", "q-quoted"), label) for s in quote.quoted]
        if quote.speaker:
            found.append(
                Annotation(
                    quote.speaker.start,
                    quote.speaker.end,
                    ann,
                    ("q", "q-speaker"),
                    f"Speaker of quote {i + 1}: {speaker_name(quote)}",
                )
            )
        if quote.cue:
            found.append(
                Annotation(
                    quote.cue.start,
                    quote.cue.end,
                    ann,
                    ("q", "q-cue", f"cue-{quote.cue_class}"),
                    f"Cue of quote {i + 1}: {_cue_label(quote)}",
                )
            )
    for i, claim in enumerate(analysis.claims):
        ann, label = f"c{i}", _claim_label(i, claim)
        found.append(Annotation(claim.span.start, claim.span.end, ann, ("c", "c-claim"), label))
        found += [
            Annotation(s.start, s.end, ann, ("c", "c-number"), f"Number in claim {i + 1}")
            for s in claim.numbers
        ]
        found += [
            Annotation(s.start, s.end, ann, ("c", "c-hedge"), f"Hedge in claim {i + 1}")
            for s in claim.hedges
        ]
        if claim.source.span:
            span = claim.source.span
            found.append(
                Annotation(
                    span.start,
                    span.end,
                    ann,
                    ("c", "c-source", f"source-{claim.source.kind}"),
                    f"Source of claim {i + 1} ({claim.source.kind})",
                )
            )
    for i, technique in enumerate(analysis.techniques):
        found.append(
            Annotation(
                technique.start,
                technique.end,
                f"t{i}",
                ("t", f"tg-{group_slug(technique.group)}", technique_class(technique.technique)),
                _technique_label(technique),
            )
        )
    for i, entity in enumerate(analysis.entities):
        role = entity.role
        css = ("e", f"role-{role.main.lower()}" if role else "role-none")
        label = f"{entity.name}" + (f" — {role.main}" if role else "")
        if role and role.fine:
            label += f" ({', '.join(role.fine)})"
        found += [Annotation(m.start, m.end, f"e{i}", css, label) for m in entity.mentions]
    for i, narrative in enumerate(analysis.narratives):
        label = f"Narrative {i + 1}: {narrative.narrative}"
        found += [Annotation(s.start, s.end, f"n{i}", ("n",), label) for s in narrative.evidence]
    return found


def stack_stripes(segments: list[Segment]) -> list[Segment]:
    """Give each segment that several technique groups cover one bar per group, stacked
    under its text in the order of `GROUPS` (a segment of one group needs no inline style:
    its class draws its bar)."""
    order = {group_slug(group): k for k, group in enumerate(GROUPS)}
    stacked = []
    for piece in segments:
        slugs = [c[3:] for c in piece.classes if c.startswith("tg-")]
        if len(slugs) > 1:
            slugs.sort(key=lambda slug: order.get(slug, len(order)))
            bars = ", ".join(
                f"0 {STRIPE_GAP_PX + STRIPE_PX * (k + 1)}px 0 var(--g-{slug}, {OTHER_GROUP_COLOUR})"
                for k, slug in enumerate(slugs)
            )
            piece = replace(piece, style=f"--stripes: 0 {STRIPE_GAP_PX}px 0 var(--card), {bars}")
        stacked.append(piece)
    return stacked


def segment(text: str, found: list[Annotation]) -> list[Segment]:
    """Cut `text` at every boundary of `found`; each piece lists the annotations covering it.

    Joining the texts of the segments gives `text` back exactly. Empty annotations cover
    nothing and are dropped.
    """
    cuts = sorted({0, len(text)} | {a.start for a in found} | {a.end for a in found})
    covering: list[list[Annotation]] = [[] for _ in cuts[:-1]]
    for annotation in found:
        first = bisect.bisect_left(cuts, annotation.start)
        last = bisect.bisect_left(cuts, annotation.end)
        for k in range(first, last):
            covering[k].append(annotation)
    segments = []
    for (start, end), here in zip(pairwise(cuts), covering, strict=True):
        segments.append(
            Segment(
                text=text[start:end],
                classes=_unique(c for a in here for c in a.classes),
                anns=_unique(a.ann for a in here),
                title="\n".join(_unique(a.label for a in here)),
            )
        )
    return segments


def analysis_json(analysis: Analysis) -> Markup:
    """The analysis as JSON that is safe inside a `<script>` element (see `script_json`)."""
    return script_json(analysis.to_dict())


def script_json(value: Any) -> Markup:
    """`value` as JSON that is safe inside a `<script>` element.

    `<`, `>` and `&` only occur inside JSON strings, where `\\u003c`-style escapes mean the
    same character; with them escaped no `</script>` or `<!--` can end the element early.
    """
    text = json.dumps(value, ensure_ascii=False, indent=None)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)  # escaped above for a script element, not for HTML text


@cache
def templates(package: str, keep_trailing_newline: bool = False) -> Environment:
    """The Jinja2 environment of `package`'s `templates/` folder, made once per package:
    HTML autoescaped, and a name the context lacks is an error, never an empty string."""
    return Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=keep_trailing_newline,
    )


def _context(analysis: Analysis) -> dict[str, Any]:
    article = analysis.article
    url = article.url
    safe_url = url if url and url.lower().startswith(("http://", "https://")) else None
    return {
        "analysis": analysis,
        "article": article,
        "title": article.title.strip() or "Untitled article",
        "url_href": safe_url,
        "meta": [part for part in (article.outlet, article.published, article.author) if part],
        "segments": stack_stripes(segment(article.text, highlights(analysis))),
        "groups": _speaker_groups(analysis),
        "claims": [_claim_item(i, claim) for i, claim in ranked_claims(analysis)],
        "claims_scored": any(claim.score is not None for claim in analysis.claims),
        "technique_groups": _technique_groups(analysis),
        "technique_legend": _technique_legend(analysis),
        "cast": [_entity_item(i, entity) for i, entity, _ in cast(analysis)],
        "narratives": [_narrative_item(i, n) for i, n in enumerate(analysis.narratives)],
        "genre": analysis.genre,
        "frames": [(f.frame.replace("_", " "), _score(f.score)) for f in analysis.frames],
        "group_colours": [
            (group, group_slug(group), GROUP_COLOURS.get(group, OTHER_GROUP_COLOUR))
            for group in GROUPS
        ],
        "stripe_px": STRIPE_PX,
        "stripe_gap_px": STRIPE_GAP_PX,
        "cue_legend": CUE_LEGEND.items(),
        "other_layers": html_views(analysis),
        "analysis_json": analysis_json(analysis),
        "json_script_id": JSON_SCRIPT_ID,
    }


def _speaker_groups(analysis: Analysis) -> list[SpeakerGroup]:
    """Quotes grouped by speaker: the most quoted first, ties in order of first quote."""
    groups: dict[str, SpeakerGroup] = {}
    for i, quote in enumerate(analysis.quotes):
        name = speaker_name(quote)
        groups.setdefault(name, SpeakerGroup(name)).items.append(
            QuoteItem(
                id=f"q{i}",
                number=i + 1,
                kind=quote.kind,
                cue=" ".join(quote.cue.text.split()) if quote.cue else None,
                cue_class=quote.cue_class,
                mention=speaker_mention(quote),
                text=shorten(quote_text(quote), 280),
                score=_score(quote.score),
                source=quote.source,
            )
        )
    return sorted(groups.values(), key=lambda group: -len(group.items))


def _technique_groups(analysis: Analysis) -> list[TechniqueGroup]:
    """The techniques found, by group in the order of `GROUPS`, each group in text order."""
    order = {group: k for k, group in enumerate(GROUPS)}
    groups: dict[str, TechniqueGroup] = {}
    for i, technique in techniques_in_order(analysis):
        group = technique.group
        groups.setdefault(group, TechniqueGroup(group, group_slug(group))).items.append(
            TechniqueItem(
                id=f"t{i}",
                number=i + 1,
                technique=technique.technique,
                label=technique_label(technique.technique),
                css=technique_class(technique.technique),
                text=shorten(technique.text, 200),
                score=_score(technique.score),
                source=technique.source,
            )
        )
    return sorted(groups.values(), key=lambda group: order.get(group.name, len(order)))


def _technique_legend(analysis: Analysis) -> list[TechniqueEntry]:
    """Every technique found, once, by group in the order of `GROUPS`, then by name."""
    counts = Counter(technique.technique for technique in analysis.techniques)
    order = {group: k for k, group in enumerate(GROUPS)}
    entries = [
        TechniqueEntry(
            technique=name,
            label=technique_label(name),
            css=technique_class(name),
            group=TECHNIQUES[name].group,
            slug=group_slug(TECHNIQUES[name].group),
            definition=TECHNIQUES[name].definition,
            count=counts[name],
        )
        for name in techniques_present(analysis)
    ]
    return sorted(entries, key=lambda e: (order.get(e.group, len(order)), e.label))


def _entity_item(i: int, entity: Entity) -> EntityItem:
    role = entity.role
    if role is None:
        raise ValueError(f"entity {entity.name!r} has no role to list")
    return EntityItem(
        id=f"e{i}",
        number=i + 1,
        name=entity.name,
        main=role.main,
        fine=tuple(role.fine),
        score=_score(role.score),
        mentions=_unique(_flat(m) for m in entity.mentions),
        mention_count=len(entity.mentions),
        evidence=tuple(shorten(s.text, 240) for s in entity.evidence),
        source=entity.source,
    )


def _narrative_item(i: int, narrative: Narrative) -> NarrativeItem:
    prefix = f"{narrative.narrative}: "
    return NarrativeItem(
        id=f"n{i}",
        number=i + 1,
        narrative=narrative.narrative,
        subnarratives=tuple(label.removeprefix(prefix) for label in narrative.subnarratives),
        score=_score(narrative.score),
        evidence=tuple(shorten(s.text, 240) for s in narrative.evidence),
        source=narrative.source,
    )


def _claim_item(i: int, claim: Claim) -> ClaimItem:
    source = claim.source
    said = source.entity or (_flat(source.span) if source.span else None)
    return ClaimItem(
        id=f"c{i}",
        number=i + 1,
        text=shorten(claim.span.text, 280),
        numbers=tuple(_flat(span) for span in claim.numbers),
        hedges=tuple(_flat(span) for span in claim.hedges),
        source_kind=source.kind,
        source_text=said,
        quote_id=f"q{claim.quote}" if claim.quote is not None else None,
        quote_number=claim.quote + 1 if claim.quote is not None else None,
        score=_score(claim.score),
        origin=claim.origin,
    )


def _quote_label(i: int, quote: Quote) -> str:
    label = f"Quote {i + 1} — {speaker_name(quote)}"
    if quote.cue:
        label += f", {_cue_label(quote)}"
    return f"{label} · {quote.kind}"


def _cue_label(quote: Quote) -> str:
    cue = f"“{_flat(quote.cue)}”" if quote.cue else "no cue"
    return cue if quote.cue_class == "none" else f"{cue} ({quote.cue_class})"


def _claim_label(i: int, claim: Claim) -> str:
    source = claim.source
    said = source.entity or (_flat(source.span) if source.span else "")
    label = f"Claim {i + 1} — source: {source.kind}" + (f" ({said})" if said else "")
    if claim.numbers:
        label += " · numbers: " + ", ".join(_flat(s) for s in claim.numbers)
    if claim.hedges:
        label += " · hedges: " + ", ".join(_flat(s) for s in claim.hedges)
    if claim.quote is not None:
        label += f" · quote {claim.quote + 1}"
    return label


def _technique_label(technique: Technique) -> str:
    label = f"{technique_label(technique.technique)} ({technique.group})"
    if technique.score is not None:
        label += f" · score {technique.score:.2f}"
    return f"{label} — {TECHNIQUES[technique.technique].definition}"


def _flat(span: Span) -> str:
    return " ".join(span.text.split())


def _score(score: float | None) -> str | None:
    return None if score is None else f"{score:.2f}"


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
