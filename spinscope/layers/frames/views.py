"""How the genre and frames layers are shown in the terminal summary: one line for both."""

from __future__ import annotations

from rich.text import Text

from spinscope.document import Analysis


def terminal(analysis: Analysis) -> Text | None:
    """The frames layer's view: the genre and the frames in one line ("Genre reporting 0.90 ·
    Frames Economic 0.77")."""
    return _line(analysis) if analysis.frames else None


def genre_alone(analysis: Analysis) -> Text | None:
    """The genre layer's view: the genre's line where there are no frames (else the frames
    layer shows it beside them)."""
    return _line(analysis) if analysis.genre and not analysis.frames else None


def _line(analysis: Analysis) -> Text:
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
