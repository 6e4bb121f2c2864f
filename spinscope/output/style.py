"""How the views show findings, shared by the layers' views (`spinscope.layers.*.views`) and the
pages around them (`spinscope.output.terminal`, `spinscope.output.html`): text cut to a width,
and the terminal summary's Rich styles."""

from __future__ import annotations

from rich.text import Text

from spinscope.document import CueClass, Span

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


#: What follows the score of an uncertain finding (`spinscope.ml.calibration.CONFIDENT`).
UNCERTAIN_MARK = "?"


def score_text(score: float | None, uncertain: bool = False) -> str | None:
    """A score as the report shows it (two decimals, and "uncertain" after an uncertain
    finding's), None for none."""
    if score is None:
        return None
    return f"{score:.2f}, uncertain" if uncertain else f"{score:.2f}"


def score_cell(score: float | None, uncertain: bool = False) -> Text:
    """A score as a table shows it: two decimals (dim, with `UNCERTAIN_MARK`, for an uncertain
    finding), or a dim dash where there is none."""
    if score is None:
        return Text("—", style="dim")
    if uncertain:
        return Text(f"{score:.2f}{UNCERTAIN_MARK}", style="dim italic")
    return Text(f"{score:.2f}")


def flat(span: Span) -> str:
    """A span's text on one line."""
    return " ".join(span.text.split())


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


def counted(n: int, plural: str) -> str:
    """`n` of something named by an English plural: "1 entity", "3 quotes" (a field's name)."""
    if n != 1:
        return f"{n} {plural}"
    singular = plural[:-3] + "y" if plural.endswith("ies") else plural.removesuffix("s")
    return f"{n} {singular}"
