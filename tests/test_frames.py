"""The genre and frames layers with the shipped heads, on real text."""

from __future__ import annotations

from pathlib import Path

import pytest

from spinscope.layers.frames import FRAMES_SOURCE, GENRE_SOURCE, heads
from spinscope.pipeline import Pipeline
from spinscope.taxonomy import FRAMES, GENRES

OPINION = """Why this government must go
This government has failed us. It promised cheaper homes and delivered higher rents; it promised
safer streets and cut the police. Every week brings a new scandal, and every week the ministers
tell us that nothing is wrong. We deserve better than this. It is time for them to go, and for
voters to remember at the next election who broke their promises.
"""


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(("genre", "frames"))


def test_one_genre_and_the_frames_over_their_threshold(pipeline: Pipeline) -> None:
    analysis = pipeline.analyze(OPINION)
    assert analysis.genre is not None
    assert analysis.genre.genre in GENRES and analysis.genre.source == GENRE_SOURCE
    assert analysis.genre.genre == "opinion"
    # its score holds only for the outlets it was trained on: a suggestion, however sure
    assert analysis.genre.score is not None and analysis.genre.score > 0.5
    assert analysis.genre.uncertain
    frames = analysis.frames
    assert frames and all(f.frame in FRAMES and f.source == FRAMES_SOURCE for f in frames)
    scores = [f.score or 0 for f in frames]
    assert scores == sorted(scores, reverse=True)
    threshold = float(heads()[1].thresholds[0])
    assert min(scores) >= threshold
    assert "Political" in {f.frame for f in frames}


def test_an_article_without_sentences_gets_neither(pipeline: Pipeline) -> None:
    analysis = pipeline.analyze("   \n  ")
    assert analysis.genre is None and analysis.frames == []


def test_the_nato_news_report_gets_its_genre_only_as_a_suggestion(
    pipeline: Pipeline, shared_data: Path
) -> None:
    """Issue 17: a news report the head calls opinion, sure of it (0.89 at this writing): its
    genre, whatever it is, is shown as a suggestion, as every genre is."""
    text = (shared_data.parent / "examples" / "nato-peskov-rt.txt").read_text(encoding="utf-8")
    genre = pipeline.analyze(text).genre
    assert genre is not None and genre.score is not None and genre.uncertain
