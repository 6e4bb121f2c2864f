"""The techniques layer on real text: valid findings, the SemEval output, the evaluation command,
and the shipped tagger reproducing its model card on the validation split."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spinscope import analyze
from spinscope.cli import app
from spinscope.document import Article
from spinscope.layers import techniques as techniques_layer
from spinscope.layers.techniques import (
    GAP,
    Decoding,
    decode,
    find_techniques,
    shown_techniques,
    tagger,
    technique_rows,
)
from spinscope.ml.calibration import CONFIDENT, Calibration
from spinscope.ml.features import word_features
from spinscope.ml.heads import MODELS_DIR
from spinscope.ml.tagger import Tagger
from spinscope.parse import load_nlp, parse
from spinscope.taxonomy import TECHNIQUES

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "examples"
CARD = json.loads((MODELS_DIR / "techniques" / "card.json").read_text())


@pytest.fixture(scope="module")
def nato(shared_data: Path) -> str:
    return (shared_data.parent / "examples" / "nato-peskov-rt.txt").read_text(encoding="utf-8")


def test_findings_are_valid_spans_of_known_techniques(nato: str) -> None:
    analysis = analyze(nato)
    assert analysis.techniques
    for found in analysis.techniques:
        assert nato[found.start : found.end] == found.text
        assert TECHNIQUES[found.technique].group == found.group
        assert found.score is not None and 0 < found.score <= 1
        assert found.source.startswith("techniques/")
    starts = [(f.start, f.end, f.technique) for f in analysis.techniques]
    assert starts == sorted(starts)


def loaded_overlapping(text: str, phrase: str) -> bool:
    start = text.index(phrase)
    end = start + len(phrase)
    return any(
        f.technique == "Loaded_Language" and f.start < end and start < f.end
        for f in analyze(text).techniques
    )


def test_nato_ritual_victims_is_loaded_language(nato: str) -> None:
    assert loaded_overlapping(nato, "slaughter the Ukrainian people as ritual victims")


def test_nato_ill_fated_is_loaded_language(nato: str) -> None:
    # The training articles never use "ill-fated" (the tagger gives it about 0.02); the
    # affect-adjective rule finds it.
    assert loaded_overlapping(nato, "ill-fated")


def test_nato_much_touted_is_loaded_language(nato: str) -> None:
    # Issue 17: missed before; the affect-adjective rule reads the compound by its head.
    assert loaded_overlapping(nato, "much-touted")


def test_decode_joins_runs_within_a_sentence_only() -> None:
    text = "Title\nThe cruel and brutal regime lied. Voters shrugged.\n"
    parsed = parse(Article(id="t", text=text), load_nlp())
    words = word_features(parsed)
    probabilities = words.X[:, :1] * 0  # one technique, all words off …
    on = [i for i, s in enumerate(words.starts) if text[s : words.ends[i]] in {"cruel", "brutal"}]
    probabilities[on, 0] = 0.9  # … but "cruel" and "brutal", GAP words apart at most
    assert on[1] - on[0] - 1 <= GAP
    spans = decode(words, probabilities, ["Loaded_Language"], [0.5])
    assert [(t, text[s:e]) for t, s, e, _ in spans] == [("Loaded_Language", "cruel and brutal")]


def test_decode_grows_a_run_over_likely_neighbours_in_its_sentence() -> None:
    """Issue 17: a run grows over the words beside it whose probability reaches `grow` times the
    threshold ("slaughter" → "slaughter the Ukrainian people"), but not into another sentence
    and not from a run with no word over the threshold."""
    text = "Title\nThey slaughter the Ukrainian people. Voters shrugged and left.\n"
    parsed = parse(Article(id="t", text=text), load_nlp())
    words = word_features(parsed)
    probabilities = words.X[:, :1] * 0
    index = {text[s:e]: i for i, (s, e) in enumerate(zip(words.starts, words.ends, strict=True))}
    probabilities[index["slaughter"], 0] = 0.6
    weak = ["the", "Ukrainian", "people", "Voters", "shrugged", "and"]  # the last two: alone
    probabilities[[index[w] for w in weak], 0] = 0.3
    probabilities[index["people"] + 1, 0] = 0.3  # the full stop: the sentence ends there
    found = {
        grow: [
            text[s:e]
            for _, s, e, _ in decode(
                words, probabilities, ["L"], [0.5], decoding=Decoding(grow=grow)
            )
        ]
        for grow in (1.0, 0.5)
    }
    assert found == {1.0: ["slaughter"], 0.5: ["slaughter the Ukrainian people."]}


def test_semeval_format_from_the_command_line(tmp_path: Path, nato: str) -> None:
    source = tmp_path / "article123456.txt"
    source.write_text(nato, encoding="utf-8")
    result = CliRunner().invoke(app, ["analyze", str(source), "--format", "semeval"])
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert lines and all(len(fields) == 4 and fields[0] == "123456" for fields in lines)
    for _, technique, start, end in lines:
        assert technique in TECHNIQUES and 0 <= int(start) < int(end) <= len(nato)


def test_eval_on_a_directory_with_only_paragraph_labels(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "semeval2023-en" / "techniques"
    ids = sorted(p.name[7:-4] for p in (source / "articles").glob("article*.txt"))[:3]
    (tmp_path / "articles").mkdir()
    for aid in ids:
        name = f"article{aid}.txt"
        (tmp_path / "articles" / name).write_bytes((source / "articles" / name).read_bytes())
    labels = (source / "paragraph-labels.txt").read_text().splitlines()
    (tmp_path / "paragraph-labels.txt").write_text(
        "\n".join(line for line in labels if line.split("\t")[0] in ids) + "\n"
    )
    runner = CliRunner()
    span = runner.invoke(app, ["eval", "techniques", "--data", str(tmp_path)])
    assert span.exit_code == 1
    assert "only paragraph-level" in span.output
    predictions = tmp_path / "predictions.txt"
    paragraph = runner.invoke(
        app,
        [
            "eval",
            "techniques",
            "--data",
            str(tmp_path),
            "--level",
            "paragraph",
            "--json",
            "--predictions",
            str(predictions),
        ],
    )
    assert paragraph.exit_code == 0, paragraph.output
    scores = json.loads(paragraph.stdout)
    assert 0 <= scores["micro_f1"] <= 1 and scores["unpredicted"] == 0
    assert len(predictions.read_text().splitlines()) == scores["paragraphs"]


def test_the_shipped_tagger_reproduces_its_card(shared_data: Path) -> None:
    """The shipped artifacts are the ones the model card describes: scoring the validation
    split again gives the card's figures."""
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "techniques",
            "--data",
            str(shared_data / "semeval2023-en" / "techniques"),
            "--split",
            "validation",
            "--workers",
            "2",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    card = CARD["validation"]
    assert abs(scores["identification_f1"] - card["span_identification"]["f1"]) < 1e-3
    assert abs(scores["f1"] - card["span_labelled"]["f1"]) < 1e-3
    assert tagger().head.labels == tuple(CARD["model"]["labels"])


def test_a_tagger_span_shows_its_calibrated_score_and_is_uncertain_under_half(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The layer shows a tagger span's calibrated probability (the head's calibration), marks
    it uncertain under 0.5, and its table row carries the mark; a rule hit keeps its rule's
    score (its measured precision), and where both find a span the likelier provenance wins."""
    text = "Title\nThe ill-fated regime lied. Critics call the plan a disaster.\n"
    parsed = parse(Article(id="t", text=text), load_nlp())

    def at(words: str) -> tuple[int, int]:
        return text.index(words), text.index(words) + len(words)

    spans = [
        ("Doubt", *at("Critics"), 0.6),
        ("Loaded_Language", *at("a disaster"), 0.9),  # the lexicon rule finds "disaster" (0.54)
        ("Loaded_Language", *at("ill-fated"), 0.55),  # the affect rule finds it too (0.47)
    ]
    monkeypatch.setattr(techniques_layer, "tagged", lambda parsed, tagger: spans)
    calibration = Calibration(a=1.0, b=-1.0)  # the tagger is over-sure: 0.6 is about 0.36
    head = dataclasses.replace(tagger().head, meta={"calibration": calibration.to_dict()})
    shown = {f.text: (f, raw) for f, raw in shown_techniques(parsed, Tagger(head))}
    assert [f for f, _ in shown.values()] == find_techniques(parsed, Tagger(head))
    (doubt, raw), (loaded, _) = shown["Critics"], shown["a disaster"]
    assert raw == 0.6 and doubt.score == round(calibration(0.6), 4) < CONFIDENT
    assert doubt.uncertain and doubt.source == techniques_layer.TAGGER_SOURCE
    assert loaded.score == round(calibration(0.9), 4) > 0.54 and not loaded.uncertain
    assert loaded.source == techniques_layer.TAGGER_SOURCE
    # calibrated, the tagger's 0.55 is about 0.31: the affect rule's 0.47 is the likelier
    affect, raw = shown["ill-fated"]
    assert (affect.score, raw) == (0.47, None) and affect.source.startswith("techniques/rules:")
    assert affect.uncertain
    rows = {row["text"]: row for row in technique_rows([f for f, _ in shown.values()])}
    assert rows["Critics"]["uncertain"] is True and rows["Critics"]["score"] == doubt.score
    assert rows["a disaster"]["uncertain"] is False and rows["ill-fated"]["uncertain"] is True


def test_the_shipped_tagger_is_calibrated() -> None:
    shipped, card = tagger().head.calibration, Calibration.from_dict(CARD["model"]["calibration"])
    assert (shipped.a, shipped.b) == pytest.approx((card.a, card.b), abs=1e-4)  # the card rounds
    assert shipped != Calibration()
