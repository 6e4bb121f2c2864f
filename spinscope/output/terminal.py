"""Terminal summary of an `Analysis`, drawn with Rich.

Every string that comes from the article (title, text, names) goes into a `rich.text.Text`,
so Rich never reads it as console markup or emoji codes.

The helpers shared with the HTML report live here too: speaker names, claims ranked by
check-worthiness, techniques in text order and their readable names.
"""

from __future__ import annotations

import io

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from spinscope.document import Analysis, CueClass, Quote
from spinscope.output.extensions import terminal_views
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
from spinscope.taxonomy import TECHNIQUES

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

#: Rich style of each persuasion-technique group (`spinscope.taxonomy.GROUPS`).
GROUP_STYLES: dict[str, str] = {
    "Attack on reputation": "bold red",
    "Justification": "bold blue",
    "Distraction": "bold magenta",
    "Simplification": "bold dark_orange",
    "Call": "bold deep_pink3",
    "Manipulative wording": "bold green",
}

#: Rich style of each main role of an entity.
ROLE_STYLES: dict[str, str] = {
    "Protagonist": "bold green",
    "Antagonist": "bold red",
    "Innocent": "bold blue",
}

#: Width of the plain-text rendering (`render_text`).
TEXT_WIDTH = 100


def render_terminal(analysis: Analysis, console: Console) -> None:
    """Print a summary of `analysis`: header, warnings, quotes table, claims table (the most
    check-worthy first), persuasion techniques table and their definitions, and, where the
    framing layers ran, the cast, the narratives, the genre and the frames; then what the layers
    registered outside spinscope found (`spinscope.output.extensions`)."""
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
    console.print()
    if analysis.techniques:
        console.print(_techniques_table(analysis))
        console.print(Text("What they mean", style="bold"))
        console.print(_definitions(analysis))
    else:
        console.print(Text("No persuasion techniques found.", style="dim"))
    if cast(analysis):
        console.print()
        console.print(_cast_table(analysis))
    if analysis.narratives:
        console.print()
        console.print(_narratives_table(analysis))
    if analysis.genre or analysis.frames:
        console.print()
        console.print(_genre_and_frames(analysis))
    for view in terminal_views(analysis):
        console.print()
        console.print(view)


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
        f"{len(analysis.techniques)} techniques",
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
        said = source.entity or (" ".join(source.span.text.split()) if source.span else "")
        source_cell = Text(source.kind, style="red" if source.kind == "none" else "bold")
        if said:
            source_cell.append(f": {said}", style="")
        score = [_score(claim.score)] if scored else []
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


def _techniques_table(analysis: Analysis) -> Table:
    table = Table(
        title="Persuasion techniques", title_justify="left", box=box.SIMPLE_HEAD, expand=True
    )
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("Technique", overflow="fold")
    table.add_column("Group")
    table.add_column("Text", ratio=1, min_width=20)
    table.add_column("Score", justify="right", no_wrap=True)
    for i, found in techniques_in_order(analysis):
        style = GROUP_STYLES.get(found.group, "bold")
        table.add_row(
            Text(f"T{i + 1}"),
            Text(technique_label(found.technique), style=style),
            Text(found.group),
            Text(shorten(found.text, 120)),
            _score(found.score),
        )
    return table


def _definitions(analysis: Analysis) -> Table:
    table = Table.grid(padding=(0, 2), expand=True)
    table.add_column(no_wrap=True)
    table.add_column(ratio=1)
    for name in techniques_present(analysis):
        info = TECHNIQUES[name]
        meaning = Text(info.definition)
        meaning.append(f" ({info.group})", style="dim")
        table.add_row(
            Text(technique_label(name), style=GROUP_STYLES.get(info.group, "bold")), meaning
        )
    return table


def _cast_table(analysis: Analysis) -> Table:
    table = Table(
        title="Cast: who the article makes hero, villain, victim",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        expand=True,
    )
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("Entity", ratio=2, min_width=14)
    table.add_column("Role", no_wrap=True)
    table.add_column("Fine roles", ratio=2)
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Mentions", ratio=3)
    table.add_column("Evidence", ratio=4)
    for i, entity, role in cast(analysis):
        forms = list(dict.fromkeys(" ".join(m.text.split()) for m in entity.mentions))
        mentions = Text(f"{len(entity.mentions)}× ", style="dim")
        mentions.append(shorten(", ".join(forms), 80))
        evidence = shorten(entity.evidence[0].text, 120) if entity.evidence else ""
        table.add_row(
            Text(f"E{i + 1}"),
            Text(entity.name, style="bold"),
            Text(role.main, style=ROLE_STYLES.get(role.main, "bold")),
            Text(", ".join(role.fine)),
            _score(role.score),
            mentions,
            Text(evidence),
        )
    return table


def _narratives_table(analysis: Analysis) -> Table:
    table = Table(title="Narratives", title_justify="left", box=box.SIMPLE_HEAD, expand=True)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("Narrative", ratio=3, style="bold")
    table.add_column("Sub-narratives", ratio=3)
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Evidence", ratio=4)
    for i, narrative in enumerate(analysis.narratives):
        prefix = f"{narrative.narrative}: "
        subs = [label.removeprefix(prefix) for label in narrative.subnarratives]
        evidence = shorten(narrative.evidence[0].text, 120) if narrative.evidence else ""
        table.add_row(
            Text(f"N{i + 1}"),
            Text(narrative.narrative),
            Text("; ".join(subs)),
            _score(narrative.score),
            Text(evidence),
        )
    return table


def _genre_and_frames(analysis: Analysis) -> Text:
    line = Text()
    if analysis.genre:
        line.append("Genre ", style="bold")
        line.append(analysis.genre.genre)
        if analysis.genre.score is not None:
            line.append(f" {analysis.genre.score:.2f}", style="dim")
    if analysis.frames:
        if line:
            line.append(" · ")
        line.append("Frames ", style="bold")
        for k, frame in enumerate(analysis.frames):
            line.append((", " if k else "") + frame.frame.replace("_", " "))
            if frame.score is not None:
                line.append(f" {frame.score:.2f}", style="dim")
    return line


def _score(score: float | None) -> Text:
    return Text("—", style="dim") if score is None else Text(f"{score:.2f}")
