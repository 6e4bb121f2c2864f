"""How the quotes layer is shown in the terminal summary: who says what, with its cue."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from spinscope.document import Analysis, Quote
from spinscope.output.findings import quote_text, shorten, speaker_mention, speaker_name
from spinscope.output.style import CUE_STYLES


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
    cue = Text(" ".join(quote.cue.text.split()), style=CUE_STYLES.get(quote.cue_class, ""))
    if quote.cue_class != "none":
        cue.append(f" ({quote.cue_class})", style="dim")
    return cue
