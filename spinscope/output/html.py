"""HTML report of an `Analysis`: one self-contained page rendered from the same data as the JSON.

The article text is cut at every highlight's boundary into segments (the idea of spaCy's
displacy): each segment is one `<span>` whose classes name every highlight that covers it, so
overlapping spans (a quote inside a claim sentence, a cue inside a quote, several persuasion
techniques on the same words) need no nesting rules. A highlight may draw a bar under the
text; a segment that several bars cover gets them stacked. Every piece of text goes through
Jinja2 autoescaping; the page carries its JSON twin in
`<script type="application/json" id="spinscope-analysis">`.

This module draws the page and what every layer shares; each layer draws its own part (its
registration's `views.html`, in its package: an `HtmlPart`), and a layer that draws none is
shown as a table of its rows.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from spinscope.document import Analysis
from spinscope.layers import registered
from spinscope.output.extensions import rows_table

#: Id of the `<script>` element that holds the analysis as JSON.
JSON_SCRIPT_ID = "spinscope-analysis"

#: Thickness in pixels of a bar under the text (`Annotation.bar`).
STRIPE_PX = 3
#: The gap in pixels between the text and its bars, which tells them from underlines.
STRIPE_GAP_PX = 2

#: A piece of a part that shows nothing.
NOTHING = Markup()

#: The pieces of a layer's part, in the page's order: its stylesheet rules, its counts in the
#: header, its switches and keys in the toolbar, its link above the panels, its panel and its
#: entries in the legend.
PIECES = ("css", "chips", "toolbar", "keys", "jump", "panel", "legend")


@dataclass(frozen=True)
class Annotation:
    """One stretch to highlight: `ann` names the finding it belongs to (its panel item's
    `data-target`, `q0` for the first quote), `classes` the part of it, `label` the line shown
    on hover. `bar`, a CSS colour, draws a bar under the text; where several bars cover the
    same words they are stacked in the order of `bar_rank`."""

    start: int
    end: int
    ann: str
    classes: tuple[str, ...]
    label: str
    bar: str = ""
    bar_rank: int = 0
    #: The finding is uncertain (`spinscope.ml.calibration.CONFIDENT`): drawn as a suggestion.
    uncertain: bool = False


@dataclass(frozen=True)
class Segment:
    """A stretch of text between two annotation boundaries, and what covers it."""

    text: str
    classes: tuple[str, ...] = ()
    anns: tuple[str, ...] = ()
    title: str = ""
    #: Inline CSS: the stacked bars, where more than one bar covers the segment.
    style: str = ""


@dataclass(frozen=True)
class HtmlPart:
    """A layer's part of the report: its highlights in the text, and each of `PIECES` as
    escaped HTML (`html_part` makes them from a template's macros)."""

    highlights: Sequence[Annotation] = ()
    css: Markup = NOTHING
    chips: Markup = NOTHING
    toolbar: Markup = NOTHING
    keys: Markup = NOTHING
    jump: Markup = NOTHING
    panel: Markup = NOTHING
    legend: Markup = NOTHING


def html_part(
    package: str, template: str, view: Mapping[str, Any], highlights: Iterable[Annotation] = ()
) -> HtmlPart:
    """A layer's part drawn by the macros of `template` in `package`'s `templates/` folder:
    each macro named for one of `PIECES` gets `view` and draws that piece (a piece without a
    macro is empty)."""
    module = templates(package).get_template(template).module
    pieces = {
        piece: Markup(getattr(module, piece)(view)) for piece in PIECES if hasattr(module, piece)
    }
    return HtmlPart(highlights=tuple(highlights), **pieces)


def render_html(
    analysis: Analysis,
    links: Sequence[tuple[str, str]] = (),
    scripts: Sequence[tuple[str, Mapping[str, Any]]] = (),
) -> str:
    """The analysis as one self-contained HTML page (inline CSS and JS, no external resources).

    `links` are (label, href) pairs shown in a bar above the report (the web app's navigation);
    both are escaped like every other string. `scripts` are (src, config) pairs of scripts the
    page loads besides its own, each given its config as JSON in its `data-config` attribute
    (the workbench's review controls); a saved report has none.
    """
    context = _context(analysis)
    context["links"] = list(links)
    context["scripts"] = [(src, json.dumps(config)) for src, config in scripts]
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


def segment(text: str, found: Iterable[Annotation]) -> list[Segment]:
    """Cut `text` at every boundary of `found`; each piece lists the annotations covering it.

    Joining the texts of the segments gives `text` back exactly. Empty annotations cover
    nothing and are dropped. A piece that only uncertain annotations cover has the class
    `uncertain` (drawn as a suggestion), and each uncertain annotation says so on hover.
    """
    found = list(found)
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
                classes=_unique(
                    [
                        *(c for a in here for c in a.classes),
                        *(["uncertain"] if here and all(a.uncertain for a in here) else []),
                    ]
                ),
                anns=_unique(a.ann for a in here),
                title="\n".join(_unique(_label(a) for a in here)),
                style=_stacked_bars(here),
            )
        )
    return segments


def _label(annotation: Annotation) -> str:
    if annotation.uncertain:
        return f"{annotation.label} (uncertain: a suggestion)"
    return annotation.label


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


def parts(analysis: Analysis) -> list[HtmlPart]:
    """Each layer's part of the report of `analysis`, in the registry's order: the part its
    `views.html` draws, or, for a layer that found something, a panel of the string its
    `views.html` gives (the panel's body) or else of its rows."""
    found = []
    generic = 0
    for layer in registered():
        drawn = layer.views.html(analysis) if layer.views.html is not None else None
        if isinstance(drawn, HtmlPart):
            found.append(drawn)
        elif layer.findings(analysis):
            generic += 1
            columns, rows = rows_table(layer, analysis) if drawn is None else ([], [])
            view = {
                "id": f"layer-{generic}",
                "name": layer.name,
                "count": len(layer.findings(analysis)),
                "fragment": None if drawn is None else Markup(drawn),
                "columns": columns,
                "rows": rows,
            }
            found.append(html_part("spinscope.output", "layer.html.j2", view))
    return found


def _context(analysis: Analysis) -> dict[str, Any]:
    article = analysis.article
    url = article.url
    safe_url = url if url and url.lower().startswith(("http://", "https://")) else None
    drawn = parts(analysis)
    return {
        "analysis": analysis,
        "article": article,
        "title": article.title.strip() or "Untitled article",
        "url_href": safe_url,
        "meta": [part for part in (article.outlet, article.published, article.author) if part],
        "segments": segment(article.text, (a for part in drawn for a in part.highlights)),
        "parts": drawn,
        "analysis_json": analysis_json(analysis),
        "json_script_id": JSON_SCRIPT_ID,
    }


def _stacked_bars(covering: Iterable[Annotation]) -> str:
    """The inline style that stacks the bars of `covering` under its text, where there are
    several (one bar needs none: its class draws it)."""
    bars = sorted({(a.bar_rank, a.bar) for a in covering if a.bar})
    if len(bars) < 2:
        return ""
    stacked = ", ".join(
        f"0 {STRIPE_GAP_PX + STRIPE_PX * (k + 1)}px 0 {bar}" for k, (_, bar) in enumerate(bars)
    )
    return f"--stripes: 0 {STRIPE_GAP_PX}px 0 var(--card), {stacked}"


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
