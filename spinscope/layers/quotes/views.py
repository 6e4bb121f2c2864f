"""How the quotes layer is shown: who says what, with its cue, in the terminal summary and the
HTML report."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich import box
from rich.table import Table
from rich.text import Text

from spinscope.document import Analysis, CueClass, Quote
from spinscope.output.html import Annotation, HtmlPart, html_part
from spinscope.output.style import CUE_STYLES, flat, score_text, shorten

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


def terminal(analysis: Analysis) -> Table | Text:
    if not analysis.quotes:
        return Text("No quotes found.", style="dim")
    table = Table(title="Who says what", title_justify="left", box=box.SIMPLE_HEAD, expand=True)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("Speaker", ratio=2, min_width=16)
    table.add_column("Kind", no_wrap=True)
    table.add_column("Cue", ratio=2)
    table.add_column("Content", ratio=5)
    for number, quote in enumerate(analysis.quotes, start=1):
        speaker = Text(speaker_name(quote), style="bold")
        mention = speaker_mention(quote)
        if mention:
            speaker.append(f"\n“{mention}”", style="dim")
        table.add_row(
            Text(f"Q{number}"),
            speaker,
            Text(quote.kind),
            _cue(quote),
            Text(shorten(quote_text(quote), 120)),
        )
    return table


def _cue(quote: Quote) -> Text:
    if quote.cue is None:
        return Text("—", style="dim")
    cue = Text(flat(quote.cue), style=CUE_STYLES.get(quote.cue_class, ""))
    if quote.cue_class != "none":
        cue.append(f" ({quote.cue_class})", style="dim")
    return cue


def html(analysis: Analysis) -> HtmlPart:
    """The report's part: each quote's content, own words, speaker and cue in the text, and
    the quotes grouped by speaker in a panel."""
    view = {
        "count": len(analysis.quotes),
        "groups": _speaker_groups(analysis),
        "cue_legend": CUE_LEGEND.items(),
    }
    return html_part(__package__, "quotes.html.j2", view, _highlights(analysis))


def _highlights(analysis: Analysis) -> list[Annotation]:
    found: list[Annotation] = []
    for i, quote in enumerate(analysis.quotes):
        ann, label = f"q{i}", _quote_label(i, quote)
        found += [
            Annotation(s.start, s.end, ann, ("q", "q-content"), label, uncertain=quote.uncertain)
            for s in quote.content
        ]
        found += [Annotation(s.start, s.end, ann, ("q", "q-quoted"), label) for s in quote.quoted]
        if quote.speaker:
            speaker = f"Speaker of quote {i + 1}: {speaker_name(quote)}"
            found.append(
                Annotation(quote.speaker.start, quote.speaker.end, ann, ("q", "q-speaker"), speaker)
            )
        if quote.cue:
            classes = ("q", "q-cue", f"cue-{quote.cue_class}")
            cue = f"Cue of quote {i + 1}: {_cue_label(quote)}"
            found.append(Annotation(quote.cue.start, quote.cue.end, ann, classes, cue))
    return found


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
                cue=flat(quote.cue) if quote.cue else None,
                cue_class=quote.cue_class,
                mention=speaker_mention(quote),
                text=shorten(quote_text(quote), 280),
                score=score_text(quote.score, quote.uncertain),
                source=quote.source,
            )
        )
    return sorted(groups.values(), key=lambda group: -len(group.items))


def _quote_label(i: int, quote: Quote) -> str:
    label = f"Quote {i + 1} — {speaker_name(quote)}"
    if quote.cue:
        label += f", {_cue_label(quote)}"
    return f"{label} · {quote.kind}"


def _cue_label(quote: Quote) -> str:
    cue = f"“{flat(quote.cue)}”" if quote.cue else "no cue"
    return cue if quote.cue_class == "none" else f"{cue} ({quote.cue_class})"


def speaker_name(quote: Quote) -> str:
    """Who a quote is attributed to (`Quote.attributed_to`), else `unattributed`."""
    return quote.attributed_to or "unattributed"


def speaker_mention(quote: Quote) -> str | None:
    """The speaker's mention in the text ("he", "the NATO chief") where it tells more than the
    name it is shown under: not where one holds all the words of the other ("Peskov")."""
    if quote.speaker is None:
        return None
    mention = flat(quote.speaker)
    mention_words = set(mention.casefold().split())
    name_words = set(speaker_name(quote).casefold().split())
    if mention_words <= name_words or name_words <= mention_words:
        return None
    return mention


def quote_text(quote: Quote) -> str:
    """The reported content of a quote, its pieces joined with ` … `."""
    return " … ".join(span.text for span in quote.content)
