"""Check-worthiness evaluation: CheckThat! 2024 Task 1 gold, submission files, scores."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from rich.console import Console

from spinscope.errors import DataError
from spinscope.evaluate.checkworthiness import (
    CheckworthySentence,
    checkworthiness_table,
    format_checkworthy_predictions,
    read_checkworthy,
    read_checkworthy_predictions,
    score_checkworthiness,
    score_checkworthiness_file,
    write_checkworthy_predictions,
)


@pytest.fixture(scope="module")
def dev_path(shared_data: Path) -> Path:
    return shared_data / "checkthat2024-en" / "dev.tsv"


@pytest.fixture(scope="module")
def dev(dev_path: Path) -> list[CheckworthySentence]:
    return read_checkworthy(dev_path)


def test_reads_the_real_dev_set(dev: list[CheckworthySentence]):
    # dev.tsv has CRLF line ends and no newline after its last line; quote marks are text.
    assert len(dev) == 1032
    assert sum(s.label for s in dev) == 238
    assert len({s.id for s in dev}) == 1032
    assert not any(s.text.endswith("\r") or "\t" in s.text for s in dev)
    assert any(s.text.startswith('"') for s in dev)


def test_gold_as_predictions_scores_one(dev: list[CheckworthySentence]):
    scores = score_checkworthiness(dev, {s.id: s.label for s in dev})
    assert (scores.precision, scores.recall, scores.f1, scores.accuracy) == (1.0, 1.0, 1.0, 1.0)
    assert scores.true_positive == scores.gold_positive == 238


def test_all_yes_gives_the_positive_rate_as_precision(dev: list[CheckworthySentence]):
    scores = score_checkworthiness(dev, {s.id: True for s in dev})
    rate = 238 / 1032
    assert scores.precision == pytest.approx(rate)
    assert scores.recall == 1.0
    assert scores.f1 == pytest.approx(2 * rate / (rate + 1))
    assert scores.accuracy == pytest.approx(rate)
    none = score_checkworthiness(dev, {s.id: False for s in dev})
    assert (none.precision, none.recall, none.f1) == (0.0, 0.0, 0.0)


def test_scores_equal_sklearn_on_random_predictions(dev: list[CheckworthySentence]):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = random.Random(7)
    predictions = {s.id: rng.random() < 0.3 for s in dev}
    scores = score_checkworthiness(dev, predictions)
    y_true = ["Yes" if s.label else "No" for s in dev]
    y_pred = ["Yes" if predictions[s.id] else "No" for s in dev]
    assert scores.precision == pytest.approx(
        metrics.precision_score(y_true, y_pred, pos_label="Yes")
    )
    assert scores.recall == pytest.approx(metrics.recall_score(y_true, y_pred, pos_label="Yes"))
    assert scores.f1 == pytest.approx(metrics.f1_score(y_true, y_pred, pos_label="Yes"))


def test_submission_file_round_trip(tmp_path: Path, dev_path: Path, dev: list[CheckworthySentence]):
    path = tmp_path / "run.tsv"
    write_checkworthy_predictions(path, [(s.id, s.label) for s in dev], run_id="oracle-1")
    lines = path.read_text().splitlines()
    assert lines[0] == "id\tclass_label\trun_id"
    assert lines[1] == f"{dev[0].id}\t{'Yes' if dev[0].label else 'No'}\toracle-1"
    assert read_checkworthy_predictions(path) == {s.id: s.label for s in dev}
    assert score_checkworthiness_file(dev_path, path).f1 == 1.0


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("id\tlabel\trun_id\n", 1, "expected the header"),
        ("id\tclass_label\trun_id\n1\tYes\tr\n2\tMaybe\tr\n", 3, "Yes or No"),
        ("id\tclass_label\trun_id\n1\tYes\n", 2, "expected 3 TAB-separated fields"),
        ("id\tclass_label\trun_id\n1\tYes\tr\n1\tNo\tr\n", 3, "appears twice"),
        ("id\tclass_label\trun_id\n1\tYes\trun id\n", 2, "run_id"),
    ],
)
def test_malformed_predictions_name_the_line(tmp_path: Path, content: str, line: int, message: str):
    path = tmp_path / "run.tsv"
    path.write_text(content)
    with pytest.raises(DataError, match=message) as error:
        read_checkworthy_predictions(path)
    assert f"{path}:{line}:" in str(error.value)


def test_malformed_gold_names_the_line(tmp_path: Path):
    path = tmp_path / "gold.tsv"
    path.write_text("Sentence_id\tText\tclass_label\n1\tA claim.\tYes\n2\tTwo\ttabs\tNo\n")
    with pytest.raises(DataError, match="expected 3") as error:
        read_checkworthy(path)
    assert f"{path}:3:" in str(error.value)
    path.write_text("")
    with pytest.raises(DataError, match="empty file"):
        read_checkworthy(path)


def test_predictions_must_cover_exactly_the_gold(dev: list[CheckworthySentence]):
    predictions = {s.id: s.label for s in dev[1:]}
    with pytest.raises(DataError, match="1 missing"):
        score_checkworthiness(dev, predictions)
    predictions.update({dev[0].id: True, "no-such-id": True})
    with pytest.raises(DataError, match="1 not in the gold"):
        score_checkworthiness(dev, predictions)


def test_writer_refuses_bad_run_ids_and_ids():
    with pytest.raises(ValueError, match="run_id"):
        format_checkworthy_predictions({"1": True}, run_id="my run")
    with pytest.raises(ValueError, match="sentence id"):
        format_checkworthy_predictions({"1\t2": True})


def test_table_renders(dev: list[CheckworthySentence]):
    console = Console(record=True, width=100)
    console.print(checkworthiness_table(score_checkworthiness(dev, {s.id: True for s in dev})))
    out = console.export_text()
    assert "0.231" in out and "1032 sentences" in out and "238 check-worthy" in out
