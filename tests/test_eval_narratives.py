"""Narratives, genre and frames evaluation: the official formats and metrics, and the CLI on
tiny data directories written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spinscope.cli import app
from spinscope.errors import DataError
from spinscope.evaluate.frames import read_frames, score_frames, score_genres
from spinscope.evaluate.narratives import (
    COARSE_CLASSES,
    FINE_CLASSES,
    NarrativeLabels,
    bootstrap_interval,
    format_narrative_labels,
    read_narrative_labels,
    sample_f1,
    score_narratives,
)

BLAMING = "URW: Blaming the war on others rather than the invader"
WEST = "URW: Discrediting the West, Diplomacy"


def labels(narratives: str, subs: str) -> NarrativeLabels:
    return NarrativeLabels(frozenset(narratives.split(";")), frozenset(subs.split(";")))


def test_sample_f1_is_the_scorers_binary_f1_over_its_classes() -> None:
    assert sample_f1({"Other"}, {"Other"}, COARSE_CLASSES) == 1.0
    assert sample_f1({BLAMING, WEST}, {BLAMING}, COARSE_CLASSES) == pytest.approx(2 / 3)
    assert sample_f1({BLAMING}, {WEST}, COARSE_CLASSES) == 0.0
    # labels outside the classes are ignored, as the official scorer's one-hot encoding does
    assert sample_f1({BLAMING}, {BLAMING, "URW: Not a narrative"}, COARSE_CLASSES) == 1.0
    assert f"{BLAMING}: Other" in FINE_CLASSES and "Other" in FINE_CLASSES


def test_scores_average_over_articles_with_the_scorers_deviation() -> None:
    gold = {"a": labels("Other", "Other"), "b": labels(f"{BLAMING};{WEST}", f"{BLAMING}: Other")}
    found = {"a": labels("Other", "Other"), "b": labels(BLAMING, f"{WEST}: Other")}
    scores = score_narratives(gold, found)
    assert scores.coarse_f1 == pytest.approx((1 + 2 / 3) / 2)
    assert scores.coarse_sd == pytest.approx((1 - 2 / 3) / 2)
    assert scores.fine_f1 == pytest.approx(0.5)
    with pytest.raises(DataError, match="1 missing"):
        score_narratives(gold, {"a": found["a"]})


def test_bootstrap_interval_brackets_the_mean() -> None:
    values = [0.0, 1.0] * 40
    low, high = bootstrap_interval(values)
    assert low < 0.5 < high and high - low < 0.3
    assert bootstrap_interval([0.4] * 10) == (pytest.approx(0.4), pytest.approx(0.4))


def test_labels_file_round_trip_with_crlf_and_repeated_narratives(tmp_path: Path) -> None:
    path = tmp_path / "gold.txt"
    path.write_bytes(
        f"EN_UA_1.txt\t{BLAMING};{BLAMING}\t"
        f"{BLAMING}: Other;{BLAMING}: Ukraine is the aggressor\r\n"
        "EN_CC_2.txt\tOther\tOther\r\n".encode()
    )
    read = read_narrative_labels(path)
    assert read["EN_UA_1.txt"].narratives == {BLAMING}
    assert len(read["EN_UA_1.txt"].subnarratives) == 2
    (tmp_path / "again.txt").write_text(format_narrative_labels(read))
    assert read_narrative_labels(tmp_path / "again.txt") == read


def test_genre_macro_and_frames_micro_by_hand() -> None:
    genres = score_genres(
        {"1": "opinion", "2": "opinion", "3": "reporting"},
        {"1": "opinion", "2": "reporting", "3": "reporting"},
    )
    assert genres.f1 == pytest.approx((2 / 3 + 2 / 3) / 2)  # macro over opinion, reporting
    assert genres.other_f1 == pytest.approx(2 / 3)  # micro = accuracy
    frames = score_frames(
        {"1": frozenset({"Economic", "Political"}), "2": frozenset({"Morality"})},
        {"1": ["Economic"], "2": ["Morality", "Political"]},
    )
    assert frames.f1 == pytest.approx(2 * 2 / (3 + 3))
    assert (frames.precision, frames.recall) == (pytest.approx(2 / 3), pytest.approx(2 / 3))


def test_frames_file_may_list_none_and_refuses_unknown_frames(tmp_path: Path) -> None:
    path = tmp_path / "frames.txt"
    path.write_text("1\tEconomic,Political\n2\t\n")
    assert read_frames(path) == {"1": {"Economic", "Political"}, "2": frozenset()}
    path.write_text("1\tEconomy\n")
    with pytest.raises(DataError, match="unknown frame 'Economy'"):
        read_frames(path)


UA_TEXT = """NATO is to blame for the war in Ukraine, Moscow says
The Kremlin said on Tuesday that the Western alliance provoked the conflict by expanding towards
Russia's borders and arming Kiev. The West has no interest in peace, a spokesman said, and its
diplomats only pretend to seek talks while sending more weapons.
"""
SPORT_TEXT = """Local club wins the regional cup
The under-14 team of the town's football club won the regional cup on Sunday after a penalty
shoot-out. The coach praised the players' spirit and thanked the parents who drove them to every
match this season.
"""


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


@pytest.fixture
def narratives_dir(tmp_path: Path) -> Path:
    data = tmp_path / "semeval2025"
    (data / "documents").mkdir(parents=True)
    (data / "documents" / "EN_UA_1.txt").write_text(UA_TEXT)
    (data / "documents" / "EN_CC_2.txt").write_text(SPORT_TEXT)
    (data / "subtask-2-annotations.txt").write_text(
        f"EN_UA_1.txt\t{BLAMING};{WEST}\t{BLAMING}: The West are the aggressors;{WEST}: Other\n"
        "EN_CC_2.txt\tOther\tOther\n"
    )
    return data


def test_eval_narratives_scores_a_predictions_file(narratives_dir: Path, tmp_path: Path) -> None:
    predictions = tmp_path / "predictions.txt"
    predictions.write_text(f"EN_UA_1.txt\t{BLAMING}\t{BLAMING}: Other\nEN_CC_2.txt\tOther\tOther\n")
    result = invoke(
        "eval", "narratives", "--data", narratives_dir, "--score", predictions, "--json"
    )
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["coarse_f1"] == pytest.approx((2 / 3 + 1) / 2)
    assert scores["fine_f1"] == pytest.approx(0.5)
    assert scores["all_other"]["coarse_f1"] == pytest.approx(0.5)


def test_eval_narratives_runs_the_layer_and_writes_the_official_format(
    narratives_dir: Path, tmp_path: Path
) -> None:
    written = tmp_path / "out.txt"
    result = invoke("eval", "narratives", "--data", narratives_dir, "--predictions", written)
    assert result.exit_code == 0, result.output
    assert "coarse F1" in result.output and "all Other" in result.output
    found = read_narrative_labels(written)
    assert set(found) == {"EN_UA_1.txt", "EN_CC_2.txt"}
    assert all(n.startswith("URW: ") for n in found["EN_UA_1.txt"].narratives)


def test_eval_genre_and_frames(tmp_path: Path) -> None:
    data = tmp_path / "genre-framing"
    (data / "articles").mkdir(parents=True)
    (data / "articles" / "article1.txt").write_text(UA_TEXT)
    (data / "articles" / "article2.txt").write_text(SPORT_TEXT)
    (data / "genre-labels.txt").write_text("1\topinion\n2\treporting\n")
    (data / "frame-labels.txt").write_text(
        "1\tSecurity_and_defense,Political\n2\tQuality_of_life\n"
    )
    genre_out = tmp_path / "genre.txt"
    result = invoke("eval", "genre", "--data", data, "--predictions", genre_out, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["baseline"]["f1"] == pytest.approx(1 / 3)
    assert [line.split("\t")[0] for line in genre_out.read_text().splitlines()] == ["1", "2"]
    frames_out = tmp_path / "frames.txt"
    result = invoke("eval", "frames", "--data", data, "--predictions", frames_out)
    assert result.exit_code == 0, result.output
    assert "micro-F1 (official)" in result.output and "all 14 frames" in result.output
    rescored = invoke("eval", "frames", "--data", data, "--score", frames_out, "--json")
    assert rescored.exit_code == 0, rescored.output
    assert set(read_frames(frames_out)) == {"1", "2"}


def test_eval_refuses_a_missing_directory(tmp_path: Path) -> None:
    result = invoke("eval", "narratives", "--data", tmp_path / "nowhere")
    assert result.exit_code == 1 and "no such directory" in result.output
