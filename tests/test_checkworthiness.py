"""Check-worthiness: scores on real sentences, claims ranked by them, and the shipped head
reproducing its model card on held-out data."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from spinscope import analyze
from spinscope.cli import app
from spinscope.layers.claims.checkworthiness import head, score_sentences, threshold
from spinscope.ml.heads import MODELS_DIR

CARD = json.loads((MODELS_DIR / "checkworthiness" / "card.json").read_text())


def test_factual_claims_score_above_small_talk() -> None:
    checkworthy, chatter = score_sentences(
        [
            "Unemployment fell to 3.5 percent last year, the lowest rate in fifty years.",
            "Thank you all so much for being here tonight.",
        ]
    )
    assert 0.0 <= chatter < threshold() <= checkworthy <= 1.0


def test_the_threshold_is_the_one_the_card_reports() -> None:
    assert threshold() == CARD["model"]["threshold"]
    assert head().labels == ("checkworthy",)


def test_every_claim_has_a_score_and_unsourced_assertions_become_claims() -> None:
    text = (
        "City budget\n"
        "The city spent $4 million on the bridge, the mayor said.\n"
        "Crime doubled in the city since the new police chief took office.\n"
        "It was a sunny afternoon.\n"
    )
    analysis = analyze(text)
    sentences = [c.span.text for c in analysis.claims]
    assert all(c.score is not None and 0 <= c.score <= 1 for c in analysis.claims)
    assert "Crime doubled in the city since the new police chief took office." in sentences
    crime = next(c for c in analysis.claims if c.span.text.startswith("Crime"))
    assert crime.source.kind == "none"
    assert "It was a sunny afternoon." not in sentences


def test_the_shipped_head_reproduces_its_card_on_dev(shared_data: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "checkworthiness",
            "--data",
            str(shared_data / "checkthat2024-en" / "dev.tsv"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert abs(scores["f1"] - CARD["validation"]["f1"]) < 1e-3
    assert abs(scores["precision"] - CARD["validation"]["precision"]) < 1e-3


def test_eval_writes_official_predictions_and_rescores_them(
    shared_data: Path, tmp_path: Path
) -> None:
    lines = (shared_data / "checkthat2024-en" / "dev.tsv").read_text().splitlines()
    small = tmp_path / "small.tsv"
    small.write_text("\n".join(lines[:41]) + "\n")
    predictions = tmp_path / "predictions.tsv"
    runner = CliRunner()
    first = runner.invoke(
        app,
        ["eval", "checkworthiness", "--data", str(small), "--predictions", str(predictions)],
    )
    assert first.exit_code == 0, first.output
    written = predictions.read_text().splitlines()
    assert written[0] == "id\tclass_label\trun_id"
    assert len(written) == 41
    again = runner.invoke(
        app,
        ["eval", "checkworthiness", "--data", str(small), "--score", str(predictions), "--json"],
    )
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["sentences"] == 40
