"""Persuasion-technique evaluation: SemEval-2023 Task 3 files, span and paragraph scores."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from spinscope.errors import DataError
from spinscope.evaluate.semeval import (
    TECHNIQUES,
    ParagraphKey,
    TechniquesGold,
    TechniqueSpan,
    article_id,
    format_paragraph_labels,
    read_paragraph_labels,
    read_spans,
    read_techniques_dir,
    write_paragraph_labels,
    write_spans,
)
from spinscope.evaluate.techniques import (
    merge,
    paragraph_scores_table,
    paragraphs_from_spans,
    score_paragraph_file,
    score_paragraphs,
    score_span_file,
    score_spans,
    span_scores_table,
)

LL, DOUBT = "Loaded_Language", "Doubt"


@pytest.fixture(scope="module")
def techniques_dir(shared_data: Path) -> Path:
    return shared_data / "semeval2023-en" / "techniques"


@pytest.fixture(scope="module")
def gold(techniques_dir: Path) -> TechniquesGold:
    return read_techniques_dir(techniques_dir)


def toy_gold(spans: dict[str, list[TechniqueSpan]], length: int = 100) -> TechniquesGold:
    texts = {aid: "x" * length for aid in spans}
    return TechniquesGold(
        path=Path("toy"),
        texts=texts,
        spans={aid: tuple(s) for aid, s in spans.items()},
        paragraphs={(aid, 1): frozenset() for aid in spans},
    )


def span(start: int, end: int, technique: str = LL) -> TechniqueSpan:
    return TechniqueSpan(start, end, technique)


# --- reading the real directory ---------------------------------------------------------------


def test_reads_every_article_span_and_paragraph(gold: TechniquesGold, shared_data: Path):
    assert gold.spans is not None and gold.has_spans
    assert len(gold.texts) == 371
    assert sum(len(s) for s in gold.spans.values()) == 6136
    assert len(gold.paragraphs) == 7895
    names = (shared_data / "semeval2023-en" / "techniques.txt").read_text().split()
    assert tuple(names) == TECHNIQUES


def test_offsets_are_exact_characters_bom_included(gold: TechniquesGold):
    assert gold.spans is not None
    # Exact offsets put span edges on text, not on the spaces around it; off by one would not.
    trimmed = sum(
        gold.texts[aid][s.start : s.end] == gold.texts[aid][s.start : s.end].strip()
        for aid, spans in gold.spans.items()
        for s in spans
    )
    assert trimmed >= 6136 - 4
    # Two articles start with a byte-order mark, and their offsets count it.
    text = gold.texts["705409419"]
    assert text.startswith("\ufeff")
    first = gold.spans["705409419"][0]
    assert text[first.start : first.end].startswith("a devastating")


def test_gold_spans_reproduce_the_paragraph_labels(gold: TechniquesGold):
    assert gold.spans is not None
    assert paragraphs_from_spans(gold.texts, gold.spans) == gold.paragraphs


def test_article_id():
    assert article_id("article111111111.txt") == "111111111"
    assert article_id("article111111111") == "111111111"
    assert article_id("article7-labels-subtask-3.txt") == "7"
    assert article_id("EN_CC_100.txt") == "EN_CC_100"
    assert article_id("articles.txt") == "articles"


# --- span level ----------------------------------------------------------------------------------


def test_gold_spans_against_themselves_score_one(gold: TechniquesGold):
    assert gold.spans is not None
    scores = score_spans(gold, gold.spans)
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 1.0, 1.0)
    ident = (
        scores.identification_precision,
        scores.identification_recall,
        scores.identification_f1,
    )
    assert ident == (1.0, 1.0, 1.0)
    # Overlapping gold spans of one technique are merged, as the official scorer merges them.
    assert scores.gold == scores.predicted == 6132
    assert scores.identification_gold < scores.gold
    for row in scores.per_technique:
        assert row.f1 == 1.0
        assert row.precision == row.recall == (1.0 if row.gold else 0.0)
    assert sum(row.gold for row in scores.per_technique) == scores.gold


def test_strict_refuses_overlapping_predictions_of_one_technique(gold: TechniquesGold):
    assert gold.spans is not None
    with pytest.raises(DataError, match="overlap"):
        score_spans(gold, gold.spans, strict=True)


def test_partial_overlap_by_hand():
    gold = toy_gold({"1": [span(10, 20), span(30, 40, DOUBT)]})
    predicted = {"1": [span(15, 25), span(0, 50, DOUBT), span(60, 70)]}
    scores = score_spans(gold, predicted)
    # Label-matched: P = (5/10 + 10/50 + 0) / 3, R = (5/10 + 10/10) / 2.
    assert scores.precision == pytest.approx(0.7 / 3)
    assert scores.recall == pytest.approx(0.75)
    assert scores.f1 == pytest.approx(2 * (0.7 / 3) * 0.75 / (0.7 / 3 + 0.75))
    # Any technique: predictions merge to 0-50 and 60-70; P = (20/50 + 0) / 2, R = (1 + 1) / 2.
    assert scores.identification_predicted == 2
    assert scores.identification_precision == pytest.approx(0.2)
    assert scores.identification_recall == pytest.approx(1.0)
    by_name = {row.technique: row for row in scores.per_technique}
    assert by_name[LL].precision == pytest.approx(0.25)
    assert by_name[LL].recall == pytest.approx(0.5)
    assert (by_name[LL].gold, by_name[LL].predicted) == (1, 2)
    assert by_name[DOUBT].precision == pytest.approx(0.2)
    assert by_name[DOUBT].recall == pytest.approx(1.0)
    # A technique with neither gold nor predictions: F1 1.0, as the official scorer gives it.
    assert by_name["Slogans"].f1 == 1.0


def test_one_prediction_gets_credit_from_every_gold_span_it_covers():
    gold = toy_gold({"1": [span(10, 20), span(30, 40)]})
    scores = score_spans(gold, {"1": [span(10, 40)]})
    assert scores.precision == pytest.approx(20 / 30)
    assert scores.recall == pytest.approx(1.0)


def test_overlapping_gold_of_one_technique_is_merged_first():
    gold = toy_gold({"1": [span(0, 10), span(5, 15), span(15, 20)]})
    scores = score_spans(gold, {"1": [span(0, 15)]})
    assert scores.gold == 2  # 0-10 and 5-15 merge; 15-20 only touches and stays apart.
    assert (scores.precision, scores.recall) == (1.0, 0.5)
    assert merge([(5, 15), (0, 10), (15, 20)]) == [(0, 15), (15, 20)]


def test_gold_articles_without_predictions_count_in_recall_only():
    gold = toy_gold({"1": [span(0, 10)], "2": [span(0, 10)]})
    scores = score_spans(gold, {"1": [span(0, 10)]})
    assert (scores.precision, scores.recall) == (1.0, 0.5)
    empty = score_spans(gold, {})
    assert (empty.precision, empty.recall, empty.f1) == (0.0, 0.0, 0.0)


def test_bad_span_predictions_are_refused():
    gold = toy_gold({"1": [span(0, 10)]})
    with pytest.raises(DataError, match="not in"):
        score_spans(gold, {"2": [span(0, 10)]})
    with pytest.raises(DataError, match="outside the article"):
        score_spans(gold, {"1": [span(90, 101)]})


def test_span_files_round_trip_and_score(tmp_path: Path, gold: TechniquesGold):
    assert gold.spans is not None
    some = dict(list(gold.spans.items())[:5])
    path = tmp_path / "spans.tsv"
    write_spans(path, {f"article{aid}": spans for aid, spans in some.items()})
    first = path.read_text().splitlines()[0].split("\t")
    assert first[0] in some and first[1] in TECHNIQUES
    assert {aid: sorted(s) for aid, s in read_spans(path).items()} == {
        aid: sorted(s) for aid, s in some.items() if s
    }


def test_score_span_file(tmp_path: Path, techniques_dir: Path):
    data = small_copy(techniques_dir, tmp_path / "data", spans=True, labels=False)
    predictions = tmp_path / "predictions.tsv"
    shutil.copyfile(next((data / "spans").glob("*.txt")), predictions)
    scores = score_span_file(data, predictions)
    assert scores.precision == 1.0 and 0.0 < scores.recall < 1.0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("111\tLoaded_Language\t5", "expected 4 TAB-separated fields"),
        ("111\tLoaded-Language\t5\t9", "unknown technique"),
        ("111\tDoubt\t9\t5", "is empty"),
        ("111\tDoubt\tfive\t9", "non-negative integers"),
        ("\tDoubt\t5\t9", "empty article id"),
    ],
)
def test_malformed_span_lines_name_the_line(tmp_path: Path, line: str, message: str):
    path = tmp_path / "predictions.tsv"
    path.write_text(f"111\tDoubt\t0\t4\n{line}\n")
    with pytest.raises(DataError, match=message) as error:
        read_spans(path)
    assert f"{path}:2:" in str(error.value)


# --- paragraph level ------------------------------------------------------------------------


def test_paragraph_scores_equal_sklearn_on_random_data():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    binarizer = preprocessing.MultiLabelBinarizer()
    binarizer.fit([TECHNIQUES])
    for seed in range(12):
        rng = random.Random(seed)
        density = rng.choice([0.0, 0.02, 0.1, 0.4])
        present = rng.sample(TECHNIQUES, rng.randint(0, len(TECHNIQUES)))
        keys: list[ParagraphKey] = [(str(rng.randint(1, 9)), n) for n in range(1, 120)]
        keys = sorted(set(keys))

        def draw() -> frozenset[str]:
            return frozenset(t for t in present if rng.random() < density)  # noqa: B023

        truth = {key: draw() for key in keys}
        guess = {key: draw() for key in keys if rng.random() < 0.9}
        ours = score_paragraphs(truth, guess)
        y_true = binarizer.transform([sorted(truth[k]) for k in keys])
        y_pred = binarizer.transform([sorted(guess.get(k, ())) for k in keys])
        for average, value in (("micro", ours.micro_f1), ("macro", ours.macro_f1)):
            expected = sklearn_metrics.f1_score(y_true, y_pred, average=average, zero_division=1)
            assert value == pytest.approx(expected, abs=1e-12), (seed, average)
        for name, ours_value in (
            ("precision_score", ours.micro_precision),
            ("recall_score", ours.micro_recall),
        ):
            metric = getattr(sklearn_metrics, name)
            expected = metric(y_true, y_pred, average="micro", zero_division=1)
            assert ours_value == pytest.approx(expected, abs=1e-12), (seed, name)
        per_class = sklearn_metrics.f1_score(y_true, y_pred, average=None, zero_division=1)
        order = list(binarizer.classes_)
        for row in ours.per_technique:
            assert row.f1 == pytest.approx(per_class[order.index(row.technique)], abs=1e-12)


def test_paragraph_gold_against_itself_and_missing_predictions(gold: TechniquesGold):
    perfect = score_paragraphs(gold, gold.paragraphs)
    assert (perfect.micro_f1, perfect.macro_f1) == (1.0, 1.0)
    assert perfect.gold_labels == perfect.true_positives == 4984
    # Gold paragraphs with no prediction count as predicted empty.
    half = {k: v for i, (k, v) in enumerate(sorted(gold.paragraphs.items())) if i % 2}
    scores = score_paragraphs(gold, half)
    assert scores.unpredicted == len(gold.paragraphs) - len(half)
    assert scores.micro_precision == 1.0 and 0.3 < scores.micro_recall < 0.7
    none = score_paragraphs(gold, {})
    assert none.micro_f1 == 0.0
    assert none.macro_f1 == pytest.approx(4 / 23)  # four techniques never occur: F1 1.0 each


def test_predictions_for_unknown_paragraphs_are_refused(gold: TechniquesGold):
    with pytest.raises(DataError, match="article 111111111 line 2"):
        score_paragraphs(gold, {("111111111", 2): frozenset({LL})})
    with pytest.raises(DataError, match="unknown predicted technique"):
        score_paragraphs(gold, {("111111111", 1): frozenset({"Propaganda"})})


def test_paragraph_files_round_trip(tmp_path: Path):
    labels = {("12", 3): {LL, DOUBT}, ("12", 1): set(), ("article9", 1): {"Slogans"}}
    path = tmp_path / "paragraphs.tsv"
    write_paragraph_labels(path, labels)
    assert path.read_text() == "12\t1\t\n12\t3\tDoubt,Loaded_Language\n9\t1\tSlogans\n"
    assert read_paragraph_labels(path) == {
        ("12", 1): frozenset(),
        ("12", 3): frozenset({LL, DOUBT}),
        ("9", 1): frozenset({"Slogans"}),
    }
    # A missing third field reads as no technique, as the official scorer reads it.
    path.write_text("12\t1\n")
    assert read_paragraph_labels(path) == {("12", 1): frozenset()}
    assert format_paragraph_labels({}) == ""


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("111\t0\tDoubt", "positive integer"),
        ("111\tone\tDoubt", "positive integer"),
        ("111\t3\tDoubt,Slogan", "unknown technique 'Slogan'"),
        ("111\t3\tDoubt,,Slogans", "unknown technique ''"),
        ("111\t1\tDoubt", "listed twice"),
        ("111\t3\tDoubt\textra", "expected 3 TAB-separated fields"),
        ("111", "expected 3 TAB-separated fields"),
    ],
)
def test_malformed_paragraph_lines_name_the_line(tmp_path: Path, line: str, message: str):
    path = tmp_path / "paragraphs.tsv"
    path.write_text(f"111\t1\t\n{line}\n")
    with pytest.raises(DataError, match=message) as error:
        read_paragraph_labels(path)
    assert f"{path}:2:" in str(error.value)


# --- a directory without spans/ ---------------------------------------------------------------


def small_copy(source: Path, target: Path, *, spans: bool, labels: bool, n: int = 3) -> Path:
    """The first `n` articles of a techniques directory, with or without spans/ and labels."""
    (target / "articles").mkdir(parents=True)
    files = sorted((source / "articles").glob("*.txt"))[:n]
    ids = {article_id(f.name) for f in files}
    for file in files:
        shutil.copyfile(file, target / "articles" / file.name)
    if spans:
        (target / "spans").mkdir()
        for aid in ids:
            name = f"article{aid}-labels-subtask-3.txt"
            shutil.copyfile(source / "spans" / name, target / "spans" / name)
    if labels:
        lines = (source / "paragraph-labels.txt").read_text().splitlines(keepends=True)
        kept = [line for line in lines if line.split("\t")[0] in ids]
        (target / "paragraph-labels.txt").write_text("".join(kept))
    return target


def test_directory_without_spans_scores_paragraphs_and_refuses_spans(
    tmp_path: Path, techniques_dir: Path, gold: TechniquesGold
):
    data = small_copy(techniques_dir, tmp_path / "data", spans=False, labels=True)
    small = read_techniques_dir(data)
    assert not small.has_spans and len(small.texts) == 3
    assert small.paragraphs == {k: v for k, v in gold.paragraphs.items() if k[0] in small.texts}
    assert score_paragraphs(small, small.paragraphs).micro_f1 == 1.0
    predictions = tmp_path / "paragraphs.tsv"
    write_paragraph_labels(predictions, {k: set() for k in small.paragraphs})
    assert score_paragraph_file(data, predictions).micro_recall == 0.0
    with pytest.raises(DataError, match=r"no spans/ folder.*only paragraph-level"):
        score_spans(small, {})
    with pytest.raises(DataError, match="only paragraph-level"):
        small.require_spans()


def test_directory_without_paragraph_labels_derives_them(
    tmp_path: Path, techniques_dir: Path, gold: TechniquesGold
):
    data = small_copy(techniques_dir, tmp_path / "data", spans=True, labels=False)
    small = read_techniques_dir(data)
    assert small.paragraphs == {k: v for k, v in gold.paragraphs.items() if k[0] in small.texts}


def test_bad_directories_are_refused(tmp_path: Path, techniques_dir: Path):
    with pytest.raises(DataError, match="articles/"):
        read_techniques_dir(tmp_path)
    data = small_copy(techniques_dir, tmp_path / "data", spans=False, labels=False)
    with pytest.raises(DataError, match=r"spans/ or paragraph-labels\.txt"):
        read_techniques_dir(data)
    (data / "paragraph-labels.txt").write_text("999\t1\t\n")
    with pytest.raises(DataError, match="article 999 is not in articles/"):
        read_techniques_dir(data)
    (data / "spans").mkdir()
    with pytest.raises(DataError, match="needs an empty file"):
        read_techniques_dir(data)


# --- tables -----------------------------------------------------------------------------------


def test_tables_render(gold: TechniquesGold):
    assert gold.spans is not None
    console = Console(record=True, width=120)
    console.print(span_scores_table(score_spans(gold, gold.spans)))
    console.print(paragraph_scores_table(score_paragraphs(gold, {})))
    out = console.export_text()
    assert "technique and span (official)" in out and "span only (any technique)" in out
    assert "Loaded_Language" in out and "macro" in out and "7895 paragraphs" in out
