"""How the genre and frames layers are shown: one line for both in the terminal summary, one
panel for both in the HTML report."""

from __future__ import annotations

from rich.text import Text

from spinscope.document import Analysis
from spinscope.output.html import HtmlPart, html_part
from spinscope.output.style import score_cell, score_text


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
            line.append(" ").append(score_cell(analysis.genre.score, analysis.genre.uncertain))
    if analysis.frames:
        if line:
            line.append(" · ")
        line.append("Frames ", style="bold")
        for k, frame in enumerate(analysis.frames):
            line.append((", " if k else "") + frame.frame.replace("_", " "))
            if frame.score is not None:
                line.append(" ").append(score_cell(frame.score, frame.uncertain))
    return line


def html(analysis: Analysis) -> HtmlPart | None:
    """The frames layer's part: the genre and the frames in a panel."""
    return html_part(__package__, "frames.html.j2", _view(analysis)) if analysis.frames else None


def genre_html(analysis: Analysis) -> HtmlPart | None:
    """The genre layer's part: the genre among the header's counts, and the panel where there
    are no frames (else the frames layer shows it beside them)."""
    return html_part(__package__, "genre.html.j2", _view(analysis)) if analysis.genre else None


def _view(analysis: Analysis) -> dict[str, object]:
    return {
        "genre": analysis.genre,
        "genre_score": score_text(analysis.genre.score, analysis.genre.uncertain)
        if analysis.genre
        else None,
        "frames": [
            (f.frame.replace("_", " "), score_text(f.score, f.uncertain)) for f in analysis.frames
        ],
    }
