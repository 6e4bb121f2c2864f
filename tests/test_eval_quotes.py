"""The quote-attribution evaluation: the brat reader and writer, and the scorer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from rich.console import Console

from spinscope.document import Quote, Span
from spinscope.errors import DataError
from spinscope.evaluate.brat import Attribution, format_ann, read_ann, write_ann
from spinscope.evaluate.quotes import (
    GoldArticle,
    evaluate_quotes,
    load_gold,
    score_prediction_files,
    score_quotes,
    scores_table,
)

TEXT = "x" * 200


def att(
    content: Sequence[tuple[int, int]],
    source: Sequence[tuple[int, int]] = (),
    cue: Sequence[tuple[int, int]] = (),
    text: str = TEXT,
) -> Attribution:
    def spans(pairs: Sequence[tuple[int, int]]) -> tuple[Span, ...]:
        return tuple(Span.of(text, start, end) for start, end in pairs)

    return Attribution(id="", content=spans(content), source=spans(source), cue=spans(cue))


def to_quote(attribution: Attribution) -> Quote:
    return Quote(
        kind="indirect",
        content=list(attribution.content),
        speaker=attribution.source[0] if attribution.source else None,
        cue=attribution.cue[0] if attribution.cue else None,
        source="test/oracle",
    )


@pytest.fixture(scope="module")
def dev(shared_data: Path) -> Path:
    return shared_data / "polnear" / "dev"


@pytest.fixture(scope="module")
def dev_gold(dev: Path) -> list[GoldArticle]:
    return load_gold(dev)


# --- brat reader on the real data ---------------------------------------------------------


def test_reader_reads_every_dev_article_with_matching_spans(dev: Path, dev_gold: list[GoldArticle]):
    assert len(dev_gold) == len(list((dev / "text").glob("*.txt"))) == 84
    attributions = [a for article in dev_gold for a in article.attributions]
    assert 1500 < len(attributions) < 3000
    for article in dev_gold:
        for a in article.attributions:
            assert a.content
            for span in (*a.content, *a.source, *a.cue):
                assert article.text[span.start : span.end] == span.text
    # Most attributions name a source and nearly all have a cue; some content is discontinuous.
    assert sum(bool(a.source) for a in attributions) > 0.85 * len(attributions)
    assert sum(bool(a.cue) for a in attributions) > 0.95 * len(attributions)
    assert any(len(a.content) > 1 for a in attributions)


def test_offsets_count_characters_not_bytes(dev_gold: list[GoldArticle]):
    # A span after a non-ASCII character would be misplaced if offsets counted UTF-8 bytes.
    assert any(
        any(ord(ch) > 127 for ch in article.text[: a.content[0].start])
        for article in dev_gold
        for a in article.attributions
    )


def test_one_annotator_per_article_first_by_file_name(dev: Path, dev_gold: list[GoldArticle]):
    by_article: dict[str, list[Path]] = {}
    for path in sorted((dev / "attributions").glob("*.ann")):
        by_article.setdefault(path.stem.rpartition("_")[0], []).append(path)
    multi = [name for name, paths in by_article.items() if len(paths) > 1]
    assert multi, "dev is expected to hold articles with several annotators"
    chosen = {article.name: article.ann_path for article in dev_gold}
    for name in multi:
        assert chosen[name] == by_article[name][0]


# --- brat reader errors and edge cases ---------------------------------------------------


def write(path: Path, content: str) -> Path:
    path.write_bytes(content.encode("utf-8"))
    return path


def test_reader_reports_text_mismatch_with_file_and_line(tmp_path: Path):
    text = "Alice said “hello there”."
    ann = write(
        tmp_path / "a.ann",
        "T1\tSource 0 5\tAlice\nT2\tCue 6 10\tsaid\nT3\tContent 11 24\thello there\n",
    )
    with pytest.raises(DataError, match=r"a\.ann:3: T3 Content"):
        read_ann(ann, text)


def test_reader_rejects_span_outside_text_and_dangling_reference(tmp_path: Path):
    with pytest.raises(DataError, match=r"a\.ann:1: .*outside the article"):
        read_ann(write(tmp_path / "a.ann", "T1\tSource 0 50\tAlice\n"), "Alice said so.")
    dangling = "T1\tSource 0 5\tAlice\nE1\tAttribution:T2 Source:T1\n"
    with pytest.raises(DataError, match=r"b\.ann:2: E1 refers to T2"):
        read_ann(write(tmp_path / "b.ann", dangling), "Alice said so.")


def test_reader_joins_continuation_lines_and_discontinuous_spans(tmp_path: Path):
    text = "First line\n\nsecond line, he said, third part."
    ann = write(
        tmp_path / "a.ann",
        "T1\tContent 0 23;34 44\tFirst line\n\nsecond line third part\n"
        "T2\tSource 25 27\the\n"
        "T3\tCue 28 32\tsaid\n"
        "T4\tAttribution 28 32\tsaid\n"
        "T5\tDiscard 0 5\tFirst\n"
        "#1\tAnnotatorNotes T1\ta note\n"
        "E1\tAttribution:T4 Content:T1 Cue:T3 Source:T2\n"
        "E2\tAttribution-no-source:T4 Cue:T3\n",
    )
    [a] = read_ann(ann, text)  # E2 has no content: skipped
    assert a.id == "E1"
    assert [s.text for s in a.content] == ["First line\n\nsecond line", "third part"]
    assert [s.text for s in a.source] == ["he"] and [s.text for s in a.cue] == ["said"]


# --- scorer on hand-built cases -----------------------------------------------------------


def test_perfect_prediction_scores_one():
    gold = [att([(0, 10)], source=[(20, 25)], cue=[(26, 30)]), att([(40, 60), (70, 80)])]
    scores = score_quotes([(gold, list(gold))])
    assert (scores.gold, scores.predicted, scores.matched, scores.articles) == (2, 2, 2, 1)
    assert scores.soft_precision == scores.soft_recall == scores.soft_f1 == 1.0
    assert scores.iou_precision == scores.iou_recall == scores.iou_f1 == 1.0
    assert scores.speaker_pairs == scores.cue_pairs == 1
    assert scores.speaker_overlap == scores.speaker_strict == 1.0
    assert scores.cue_overlap == scores.cue_strict == 1.0


def test_no_prediction_scores_zero_recall():
    scores = score_quotes([([att([(0, 10)])], [])])
    assert scores.soft_recall == scores.iou_recall == 0.0
    assert scores.soft_precision == scores.soft_f1 == scores.iou_f1 == 0.0
    assert (scores.gold, scores.predicted, scores.matched) == (1, 0, 0)


def test_half_overlap_soft_scores():
    # gold 0-10, prediction 5-15: half of each is covered by the other; IoU 5/15 is no match.
    scores = score_quotes([([att([(0, 10)])], [att([(5, 15)])])])
    assert scores.soft_precision == pytest.approx(0.5)
    assert scores.soft_recall == pytest.approx(0.5)
    assert scores.soft_f1 == pytest.approx(0.5)
    assert scores.matched == 0 and scores.iou_f1 == 0.0


def test_soft_scores_are_averaged_per_attribution_over_articles():
    # Article 1: prediction 0-5 inside gold 0-10 (P 1, R 0.5). Article 2: a prediction with no gold.
    scores = score_quotes(
        [([att([(0, 10)])], [att([(0, 5)])]), ([], [att([(0, 10)])])],
    )
    assert scores.articles == 2
    assert scores.soft_precision == pytest.approx((1.0 + 0.0) / 2)
    assert scores.soft_recall == pytest.approx(0.5)
    assert scores.matched == 1  # IoU exactly 0.5 matches
    assert scores.iou_precision == pytest.approx(0.5) and scores.iou_recall == 1.0


def test_content_is_the_union_of_its_spans():
    gold = [att([(0, 10), (20, 30)])]
    split_differently = [att([(20, 30), (0, 5), (5, 10)])]
    scores = score_quotes([(gold, split_differently)])
    assert scores.matched == 1 and scores.soft_f1 == 1.0


def test_one_to_one_matching_does_not_double_count():
    gold = [att([(0, 10)])]
    duplicates = [att([(0, 10)]), att([(0, 10)])]
    scores = score_quotes([(gold, duplicates)])
    assert scores.matched == 1
    assert scores.iou_precision == pytest.approx(0.5) and scores.iou_recall == 1.0
    # One prediction spanning two gold quotes matches at most one of them.
    two_gold = [att([(0, 10)]), att([(10, 20)])]
    scores = score_quotes([(two_gold, [att([(0, 12)])])])
    assert scores.matched == 1 and scores.iou_recall == pytest.approx(0.5)


def test_greedy_matching_prefers_the_highest_iou():
    gold = [att([(0, 10)])]
    predicted = [att([(0, 8)]), att([(0, 10)])]
    scores = score_quotes([(gold, predicted)])
    assert scores.matched == 1
    gold_with_speaker = [att([(0, 10)], source=[(50, 55)])]
    good_speaker_on_exact = [att([(0, 8)]), att([(0, 10)], source=[(50, 55)])]
    assert score_quotes([(gold_with_speaker, good_speaker_on_exact)]).speaker_overlap == 1.0


def test_speaker_and_cue_accuracy_on_matched_pairs():
    gold = [
        att([(0, 10)], source=[(100, 120)], cue=[(121, 125)]),  # speaker overlaps a little
        att([(20, 30)], source=[(130, 135)], cue=[(136, 140)]),  # prediction has no speaker
        att([(40, 50)], cue=[(141, 145)]),  # gold has no source: not a speaker pair
        att([(60, 70)], source=[(150, 155)]),  # unmatched: not counted
    ]
    predicted = [
        att([(0, 10)], source=[(118, 130)], cue=[(121, 125)]),
        att([(20, 30)], cue=[(170, 175)]),
        att([(40, 50)], source=[(1, 2)], cue=[(141, 145)]),
    ]
    scores = score_quotes([(gold, predicted)])
    assert scores.matched == 3
    assert scores.speaker_pairs == 2
    assert scores.speaker_overlap == pytest.approx(0.5)
    assert scores.speaker_strict == 0.0
    assert scores.cue_pairs == 3
    assert scores.cue_overlap == pytest.approx(2 / 3) == scores.cue_strict


def test_to_dict_and_table():
    scores = score_quotes([([att([(0, 10)])], [att([(0, 10)])])])
    data = scores.to_dict()
    assert data["soft_f1"] == 1.0 and data["matched"] == 1
    console = Console(record=True, width=100)
    console.print(scores_table(scores))
    assert "content, soft overlap" in console.export_text()


# --- brat writer, round trip, and the harness on real data -------------------------------


def test_write_read_round_trip_on_a_real_article(tmp_path: Path, dev_gold: list[GoldArticle]):
    article = next(a for a in dev_gold if any(len(x.content) > 1 for x in a.attributions))
    text = article.text
    quotes = [to_quote(a) for a in article.attributions]
    newline = text.index("\n")
    quotes.append(  # a span across a line break, with no speaker and no cue
        Quote(kind="partial", content=[Span.of(text, newline - 3, newline + 3)], source="t")
    )
    path = tmp_path / f"{article.name}.ann"
    write_ann(path, quotes)
    back = read_ann(path, text)
    assert len(back) == len(quotes)
    for got, quote in zip(back, quotes, strict=True):
        want = Attribution.from_quote(quote)
        assert (got.content, got.source, got.cue) == (want.content, want.source, want.cue)
    assert "Attribution-no-source" in format_ann(quotes[-1:])


def test_harness_scores_an_oracle_and_rescores_its_files(dev: Path, tmp_path: Path):
    gold = {a.name: a for a in load_gold(dev)}

    def oracle(name: str, text: str) -> list[Quote]:
        assert text == gold[name].text
        return [to_quote(a) for a in gold[name].attributions]

    scores = evaluate_quotes(dev, predict=oracle, write_dir=tmp_path / "pred")
    assert scores.articles == 84 and scores.predicted == scores.gold == scores.matched
    assert scores.soft_f1 == scores.iou_f1 == 1.0
    assert scores.speaker_overlap == scores.cue_overlap == 1.0
    assert len(list((tmp_path / "pred").glob("*.ann"))) == 84
    assert score_prediction_files(dev, tmp_path / "pred") == scores


def test_harness_errors(dev: Path, tmp_path: Path):
    with pytest.raises(DataError, match="no predictions for 84 of 84"):
        score_prediction_files(dev, tmp_path)
    with pytest.raises(DataError, match="expected a folder text/"):
        load_gold(tmp_path)

    def misplaced(name: str, text: str) -> list[Quote]:
        return [Quote(kind="direct", content=[Span(start=0, end=3, text="abc")], source="t")]

    with pytest.raises(ValueError, match="does not match the article text"):
        evaluate_quotes(dev, predict=misplaced)


def test_harness_runs_the_pipeline_by_default(tmp_path: Path):
    text = "Smith said the plan would fail.\n"
    (tmp_path / "text").mkdir()
    (tmp_path / "attributions").mkdir()
    write(tmp_path / "text" / "one.txt", text)
    write(
        tmp_path / "attributions" / "one_a.ann",
        "T1\tSource 0 5\tSmith\nT2\tCue 6 10\tsaid\nT3\tContent 11 30\tthe plan would fail\n"
        "T4\tAttribution 6 10\tsaid\nE1\tAttribution:T4 Content:T3 Cue:T2 Source:T1\n",
    )
    scores = evaluate_quotes(tmp_path)
    assert (scores.articles, scores.gold) == (1, 1)
    assert 0.0 <= scores.soft_f1 <= 1.0
