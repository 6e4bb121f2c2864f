"""Entity-framing evaluation (SemEval-2025 Task 10 subtask 1): the files, the official scores,
and the `spinscope eval entities` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spinscope.cli import app
from spinscope.errors import DataError
from spinscope.evaluate.entities import (
    RoleMention,
    format_roles,
    predict_roles,
    read_framing_dir,
    read_roles,
    score_roles,
)
from spinscope.ml.heads import MODELS_DIR
from spinscope.train.split import is_validation

ARTICLE = (
    "NATO slaughters Ukrainians, Kremlin says\n\n"
    "NATO is sacrificing countless Ukrainian lives to contain Russia, Kremlin spokesman "
    "Dmitry Peskov said. The Ukrainian people are ritual victims of the alliance, he added.\n"
)


def mention(doc: str, words: str, start: int, main: str, *fine: str) -> RoleMention:
    return RoleMention(doc, words, start, start + len(words), main, fine)


@pytest.fixture
def framing_dir(tmp_path: Path) -> Path:
    """A subtask-1 directory of one article, in the release's format (end inclusive, CRLF)."""
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "EN_UA_1.txt").write_text(ARTICLE, encoding="utf-8")
    nato, people = ARTICLE.index("NATO is"), ARTICLE.index("Ukrainian people")
    (tmp_path / "subtask-1-annotations.txt").write_bytes(
        f"EN_UA_1.txt\tNATO\t{nato}\t{nato + 3}\tAntagonist\tConspirator\tInstigator\r\n"
        f"EN_UA_1.txt\tUkrainian people\t{people}\t{people + 15}\tInnocent\tVictim\r\n".encode()
    )
    return tmp_path


def test_reads_the_release_format_with_inclusive_ends(framing_dir: Path) -> None:
    gold = read_framing_dir(framing_dir)
    nato, people = gold.mentions
    assert ARTICLE[nato.start : nato.end] == "NATO"
    assert (nato.main, nato.fine) == ("Antagonist", ("Conspirator", "Instigator"))
    assert ARTICLE[people.start : people.end] == "Ukrainian people"
    assert format_roles([nato]).endswith(f"\t{nato.end - 1}\tAntagonist\tConspirator\tInstigator\n")


def test_a_shifted_offset_is_found_nearby(framing_dir: Path) -> None:
    gold = read_framing_dir(framing_dir)
    at = ARTICLE.index("Kremlin spokesman")
    shifted = mention("EN_UA_1.txt", "Kremlin", at + 2, "Antagonist", "Tyrant")
    assert gold.located(shifted) == (at, at + len("Kremlin"))


def test_a_fine_role_of_another_main_role_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("EN_UA_1.txt\tNATO\t0\t3\tInnocent\tTyrant\n", encoding="utf-8")
    with pytest.raises(DataError, match="'Tyrant' is not a fine role of Innocent"):
        read_roles(path)


def test_the_official_scores() -> None:
    gold = [
        mention("a", "NATO", 0, "Antagonist", "Conspirator", "Instigator"),
        mention("a", "Kyiv", 10, "Innocent", "Victim"),
        mention("a", "Peskov", 20, "Protagonist", "Guardian"),
    ]
    predicted = [
        mention("a", "NATO", 0, "Antagonist", "Conspirator"),  # main right, set not equal
        mention("a", "Kyiv", 10, "Innocent", "Victim"),  # all right
    ]  # Peskov: no prediction, counted wrong
    scores = score_roles(gold, predicted)
    assert (scores.mentions, scores.unpredicted) == (3, 1)
    assert scores.exact_match == pytest.approx(1 / 3)
    assert scores.main_accuracy == pytest.approx(2 / 3)
    assert (scores.fine_precision, scores.fine_recall) == (1.0, 0.5)
    reordered = mention("a", "NATO", 0, "Antagonist", "Instigator", "Conspirator")
    assert score_roles(gold[:1], [reordered]).exact_match == 1.0  # sets, not lists
    with pytest.raises(DataError, match="a mention the gold does not list"):
        score_roles(gold, [mention("a", "Moscow", 40, "Antagonist", "Tyrant")])


def test_eval_entities_command_writes_and_rescores_official_predictions(
    framing_dir: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "predictions.txt"
    ran = runner.invoke(
        app, ["eval", "entities", "--data", str(framing_dir), "--predictions", str(out), "--json"]
    )
    assert ran.exit_code == 0, ran.output
    scores = json.loads(ran.output)
    assert scores["mentions"] == 2 and scores["unpredicted"] == 0
    written = read_roles(out)
    assert [(m.mention, m.start, m.end) for m in written] == [
        (m.mention, m.start, m.end) for m in read_framing_dir(framing_dir).mentions
    ]
    rescored = runner.invoke(
        app, ["eval", "entities", "--data", str(framing_dir), "--score", str(out), "--json"]
    )
    assert rescored.exit_code == 0, rescored.output
    assert json.loads(rescored.output) == scores
    missing = runner.invoke(app, ["eval", "entities", "--data", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1
    assert "documents/ and subtask-1-annotations.txt" in missing.output


def test_the_shipped_heads_score_on_validation_as_their_card_says(shared_data: Path) -> None:
    """`eval entities --split validation` reproduces the model card, and stays above the
    trivial baselines."""
    data = shared_data / "semeval2025-en"
    gold = read_framing_dir(data)
    validation = gold.subset(doc for doc in gold.texts if is_validation(doc))
    scores = score_roles(validation.mentions, predict_roles(validation))
    card = json.loads((MODELS_DIR / "entities" / "card.json").read_text())["validation"]
    assert scores.mentions == card["mentions"]
    assert scores.exact_match == pytest.approx(card["exact_match"], abs=0.001)
    assert scores.main_accuracy == pytest.approx(card["main_accuracy"], abs=0.001)
    floors = card["baselines"].values()
    assert scores.exact_match > max(b["exact_match"] for b in floors) + 0.1
    assert scores.main_accuracy >= max(b["main_accuracy"] for b in floors)
