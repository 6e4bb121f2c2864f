"""Terminal summary of an `Analysis`, drawn with Rich.

Every string that comes from the article (title, text, names) goes into a `rich.text.Text`,
so Rich never reads it as console markup or emoji codes.
"""

from __future__ import annotations

import io

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from spinscope.document import Analysis, CueClass, Quote

#: Rich style of a reporting cue, by cue class; doubt-casting cues stand out.
CUE_STYLES: dict[CueClass, str] = {
    "neutral": "",
    "doubt": "bold red",
    "assertive": "bold green",
    "emotive": "bold magenta",
    "tentative": "yellow",
    "stance": "blue",
    "other": "cyan",
    "none": "dim",
}

#: Width of the plain-text rendering (`render_text`).
TEXT_WIDTH = 100


def shorten(text: str, width: int = 120) -> str:
    """`text` on one line, cut at a word boundary to at most `width` characters (with `…`)."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    cut = flat[: width - 1]
    space = cut.rfind(" ")
    if space > width // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"


def speaker_name(quote: Quote) -> str:
    """Who a quote is attributed to: the entity, else the mention, else `unattributed`."""
    if quote.speaker_entity:
        return quote.speaker_entity
    if quote.speaker:
        return " ".join(quote.speaker.text.split())
    return "unattributed"


def speaker_mention(quote: Quote) -> str | None:
    """The speaker's mention in the text ("he", "the NATO chief") where it tells more than the
    name it is shown under: not where one holds all the words of the other ("Peskov")."""
    if quote.speaker is None:
        return None
    mention = " ".join(quote.speaker.text.split())
    mention_words = set(mention.casefold().split())
    name_words = set(speaker_name(quote).casefold().split())
    if mention_words <= name_words or name_words <= mention_words:
        return None
    return mention


def quote_text(quote: Quote) -> str:
    """The reported content of a quote, its pieces joined with ` … `."""
    return " … ".join(span.text for span in quote.content)


def render_terminal(analysis: Analysis, console: Console) -> None:
    """Print a summary of `analysis`: header, warnings, quotes table, claims table."""
    console.print(_header(analysis))
    for warning in analysis.warnings:
        console.print(Text(f"⚠ {warning}", style="yellow"))
    if analysis.warnings:
        console.print()
    if analysis.quotes:
        console.print(_quotes_table(analysis))
    else:
        console.print(Text("No quotes found.", style="dim"))
    console.print()
    if analysis.claims:
        console.print(_claims_table(analysis))
    else:
        console.print(Text("No claims found.", style="dim"))


def render_text(analysis: Analysis, width: int = TEXT_WIDTH) -> str:
    """The terminal summary as plain text (no colours), `width` columns wide."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=False,
        color_system=None,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
    )
    render_terminal(analysis, console)
    return buffer.getvalue()


def _header(analysis: Analysis) -> Panel:
    article = analysis.article
    lines: list[Text] = [Text.assemble(("id ", "dim"), article.id)]
    meta = [part for part in (article.outlet, article.published, article.author) if part]
    if meta:
        lines.append(Text(" · ".join(meta)))
    if article.url:
        lines.append(Text(article.url, style="blue"))
    counts = [
        f"{len(analysis.paragraphs)} paragraphs" if analysis.paragraphs else "",
        f"{len(analysis.sentences)} sentences" if analysis.sentences else "",
        f"{len(analysis.quotes)} quotes",
        f"{len(analysis.claims)} claims",
    ]
    lines.append(Text(" · ".join(count for count in counts if count), style="dim"))
    title = Text(shorten(article.title, 90) or "(untitled)", style="bold")
    return Panel(Group(*lines), title=title, title_align="left", box=box.ROUNDED)


def _cue(quote: Quote) -> Text:
    if quote.cue is None:
        return Text("—", style="dim")
    cue = Text(" ".join(quote.cue.text.split()), style=CUE_STYLES.get(quote.cue_class, ""))
    if quote.cue_class != "none":
        cue.append(f" ({quote.cue_class})", style="dim")
    return cue


def _quotes_table(analysis: Analysis) -> Table:
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


def _claims_table(analysis: Analysis) -> Table:
    table = Table(title="Claims", title_justify="left", box=box.SIMPLE_HEAD, expand=True)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("Claim", ratio=6)
    table.add_column("Numbers", ratio=2, style="green")
    table.add_column("Hedges", ratio=2, style="yellow")
    table.add_column("Source", ratio=3)
    table.add_column("Quote", no_wrap=True)
    for number, claim in enumerate(analysis.claims, start=1):
        source = claim.source
        said = source.entity or (" ".join(source.span.text.split()) if source.span else "")
        source_cell = Text(source.kind, style="red" if source.kind == "none" else "bold")
        if said:
            source_cell.append(f": {said}", style="")
        table.add_row(
            Text(f"C{number}"),
            Text(shorten(claim.span.text, 120)),
            Text(", ".join(span.text for span in claim.numbers)),
            Text(", ".join(span.text for span in claim.hedges)),
            source_cell,
            Text(f"Q{claim.quote + 1}" if claim.quote is not None else ""),
        )
    return table
