"""The learned attribution step of the quotes layer: decoding, combination with the rules, the
shipped head on real text, and reproducible training."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import spinscope
from spinscope.document import Article, Quote
from spinscope.errors import DataError
from spinscope.evaluate.quotes import evaluate_quotes, load_gold
from spinscope.layers.quotes import attribution, quote_rows, rule_quotes
from spinscope.layers.quotes.attribution import CONTENT, CUE, LABELS, SOURCE, Settings, combine
from spinscope.ml.calibration import CONFIDENT, Calibration
from spinscope.ml.features import word_features
from spinscope.ml.heads import Head, read_head
from spinscope.ml.tagger import Tagger
from spinscope.parse import Parsed, parse
from spinscope.train import quotes as train_quotes

#: Reported speech the rules do not read as an attribution: "contends" and "convinced" are not
#: in their lexicon (the first paragraph), next to a plain report they do read (the second).
TEXT = (
    "Senator Maria Lopez is convinced that the new tariffs will hurt farmers in her state.\n"
    "The governor said that the budget is balanced.\n"
)


def parsed_of(text: str) -> Parsed:
    return parse(Article(id="test", text=text))


def words_at(parsed: Parsed, phrase: str) -> np.ndarray:
    """Which words of the article lie inside the first occurrence of `phrase`."""
    words = word_features(parsed)
    start = parsed.text.index(phrase)
    return np.asarray((words.starts >= start) & (words.ends <= start + len(phrase)))


def probabilities_for(parsed: Parsed, source: str, cue: str, content: str) -> np.ndarray:
    """Word probabilities a perfect tagger would give one attribution."""
    P = np.zeros((len(word_features(parsed).starts), len(LABELS)), dtype=np.float32)
    P[words_at(parsed, source), SOURCE] = 0.9
    P[words_at(parsed, cue), CUE] = 0.9
    P[words_at(parsed, content), CONTENT] = 0.95
    return P


def check_spans(text: str, quotes: list[Quote]) -> None:
    for quote in quotes:
        for span in [*quote.content, *quote.quoted, quote.speaker, quote.cue]:
            if span is not None:
                assert 0 <= span.start < span.end <= len(text)
                assert text[span.start : span.end] == span.text


def overlaps(a: Quote, b: Quote) -> bool:
    return any(x.start < y.end and y.start < x.end for x in a.content for y in b.content)


# --- combination, with word probabilities written by hand ----------------------------------


def test_combination_adds_what_the_rules_missed_with_its_speaker() -> None:
    parsed = parsed_of(TEXT)
    rules = rule_quotes(parsed)
    assert not any("tariffs" in c.text for q in rules for c in q.content)
    P = probabilities_for(
        parsed, "Senator Maria Lopez", "is convinced", "that the new tariffs will hurt farmers"
    )
    combined = combine(
        TEXT, parsed.doc, rules, word_features(parsed), P, [0.5, 0.5, 0.8], Settings()
    )
    added = [q for q in combined if q.source == attribution.TAGGER_SOURCE]
    assert len(added) == 1
    quote = added[0]
    assert quote.content[0].text == "that the new tariffs will hurt farmers"
    assert quote.kind == "indirect"
    assert quote.cue is not None and quote.cue.text == "is convinced"
    assert quote.speaker is not None and quote.speaker.text == "Senator Maria Lopez"
    assert quote.speaker_entity == "Maria Lopez"
    assert quote.score is not None and 0.9 < quote.score <= 1
    assert [q for q in combined if q.source != attribution.TAGGER_SOURCE] == rules
    check_spans(TEXT, combined)


def test_a_learned_quote_shows_its_calibrated_score_and_is_uncertain_under_half() -> None:
    """A learned attribution's score is the head's calibrated probability that it is right,
    uncertain under 0.5, and its table row carries the mark; the rules' quotes have no score
    and are never uncertain."""
    parsed = parsed_of(TEXT)
    rules = rule_quotes(parsed)
    P = probabilities_for(
        parsed, "Senator Maria Lopez", "is convinced", "that the new tariffs will hurt farmers"
    )
    words = word_features(parsed)
    raw = combine(TEXT, parsed.doc, rules, words, P, [0.5, 0.5, 0.8], Settings())
    calibration = Calibration(a=0.5, b=-1.5)  # the tagger's 0.95 is about 0.36
    combined = combine(TEXT, parsed.doc, rules, words, P, [0.5, 0.5, 0.8], Settings(), calibration)
    (before,) = [q for q in raw if q.source == attribution.TAGGER_SOURCE]
    (learned,) = [q for q in combined if q.source == attribution.TAGGER_SOURCE]
    assert before.score is not None and not before.uncertain
    assert learned.score == round(calibration(before.score), 4) < CONFIDENT
    assert learned.uncertain
    assert learned.model_copy(update={"score": before.score, "uncertain": False}) == before
    assert all(q.score is None and not q.uncertain for q in combined if q in rules)
    rows = list(quote_rows(combined))
    assert [row["uncertain"] for row in rows] == [q is learned for q in combined]
    assert rows[combined.index(learned)]["score"] == learned.score


def test_the_layer_applies_its_head_s_calibration() -> None:
    shipped = attribution.tagger()
    assert shipped.head.calibration != Calibration()
    assert Settings.of(shipped.head.meta) == Settings.of(
        {k: v for k, v in shipped.head.meta.items() if k != "calibration"}
    )
    parsed = parsed_of(TEXT)
    rules = rule_quotes(parsed)
    sure = Calibration(a=1.0, b=-20.0)  # every learned quote far under 0.5
    head = dataclasses.replace(
        shipped.head, meta={**shipped.head.meta, "calibration": sure.to_dict()}
    )
    learned = [
        q
        for q in attribution.with_learned(parsed, rules, Tagger(head, shipped.layers))
        if q.source == attribution.TAGGER_SOURCE
    ]
    assert learned and all(q.uncertain and q.score is not None for q in learned)
    assert all(q.score is not None and q.score < 0.01 for q in learned)


def test_a_source_tagged_inside_a_name_gets_the_whole_name() -> None:
    parsed = parsed_of(TEXT)
    rules = rule_quotes(parsed)
    P = probabilities_for(
        parsed, "Senator Maria", "is convinced", "that the new tariffs will hurt farmers"
    )
    combined = combine(
        TEXT, parsed.doc, rules, word_features(parsed), P, [0.5, 0.5, 0.8], Settings()
    )
    (quote,) = [q for q in combined if q.source == attribution.TAGGER_SOURCE]
    assert quote.speaker is not None and quote.speaker.text == "Senator Maria Lopez"
    assert quote.speaker_entity == "Maria Lopez"


def test_combination_never_duplicates_a_rule_quote() -> None:
    parsed = parsed_of(TEXT)
    rules = rule_quotes(parsed)
    assert any("budget is balanced" in c.text for q in rules for c in q.content)
    P = probabilities_for(parsed, "The governor", "said", "the budget is balanced")
    combined = combine(
        TEXT, parsed.doc, rules, word_features(parsed), P, [0.5, 0.5, 0.5], Settings()
    )
    assert combined == rules


#: The parse hangs "calling" on the main clause, so the rules take "The fracas" for the speaker.
FRACAS = (
    "The fracas erupted just two months after the real estate tycoon entered the race with "
    "harsh words about Mexican immigrants, calling them rapists.\n"
)


def test_a_speaker_the_tagger_doubts_gives_way_to_the_source_it_tags() -> None:
    parsed = parsed_of(FRACAS)
    (rule,) = rule_quotes(parsed)
    assert rule.speaker is not None and rule.speaker.text == "The fracas"
    P = probabilities_for(parsed, "the real estate tycoon", "calling", "them rapists")
    words = word_features(parsed)

    def combined(P: np.ndarray, settings: Settings) -> Quote:
        (quote,) = combine(FRACAS, parsed.doc, [rule], words, P, [0.5, 0.5, 0.8], settings)
        return quote

    assert combined(P, Settings(fill_speakers=True)) == rule  # only speakerless quotes
    quote = combined(P, Settings(replace_speakers=True))
    assert quote.speaker is not None and quote.speaker.text == "the real estate tycoon"
    assert quote.source == f"{rule.source}+{attribution.TAGGER_SOURCE}"
    assert (quote.content, quote.cue) == (rule.content, rule.cue)
    # a speaker the tagger gives some source probability stays
    P[words_at(parsed, "The fracas"), SOURCE] = 2 * attribution.DOUBTED_SOURCE
    assert combined(P, Settings(replace_speakers=True)) == rule


#: "Pence’s call for": a reporting noun whose owner is the speaker.
CALL = "Other Republicans joined Pence’s call for a special prosecutor on Tuesday.\n"


def test_the_owner_of_a_reporting_noun_is_its_speaker() -> None:
    parsed = parsed_of(CALL)
    rules = rule_quotes(parsed)
    P = probabilities_for(parsed, "Other Republicans", "call for", "a special prosecutor")
    combined = combine(
        CALL, parsed.doc, rules, word_features(parsed), P, [0.5, 0.5, 0.8], Settings()
    )
    (quote,) = [q for q in combined if q.source == attribution.TAGGER_SOURCE]
    assert quote.speaker is not None and quote.speaker.text == "Pence’s"


def test_content_the_rules_cut_short_runs_on_with_the_tagger() -> None:
    text = "The mayor praised the firefighters after the storm.\n"
    parsed = parsed_of(text)
    (rule,) = rule_quotes(parsed)
    assert [c.text for c in rule.content] == ["the firefighters"]
    P = probabilities_for(parsed, "The mayor", "praised", "the firefighters after the storm")
    words = word_features(parsed)
    (quote,) = combine(text, parsed.doc, [rule], words, P, [0.5, 0.5, 0.8], Settings(extend=True))
    assert [c.text for c in quote.content] == ["the firefighters after the storm"]
    assert (quote.speaker, quote.cue) == (rule.speaker, rule.cue)
    assert combine(text, parsed.doc, [rule], words, P, [0.5, 0.5, 0.8], Settings()) == [rule]


def test_content_never_runs_on_over_another_quote() -> None:
    text = "The governor said the economy is growing, adding that wages will rise.\n"
    parsed = parsed_of(text)
    rules = rule_quotes(parsed)
    assert len(rules) == 2
    P = probabilities_for(
        parsed, "The governor", "said", "the economy is growing, adding that wages will rise"
    )
    words = word_features(parsed)
    assert combine(text, parsed.doc, rules, words, P, [0.5, 0.5, 0.8], Settings(extend=True)) == (
        rules
    )


def test_a_head_that_adds_nothing_leaves_the_rules_alone() -> None:
    head = Head(
        labels=LABELS,
        mean=np.zeros(1, np.float32),
        scale=np.ones(1, np.float32),
        weights=(),
        biases=(),
        thresholds=np.asarray([0.5, 0.5, 1.01], np.float32),
        meta=Settings().to_meta(),
    )
    parsed = parsed_of(TEXT)
    rules = rule_quotes(parsed)
    # the head has no weights at all: it must not even be run
    assert attribution.with_learned(parsed, rules, Tagger(head)) == rules


def test_settings_round_trip_through_the_head_meta() -> None:
    settings = Settings(across=True, fill_speakers=True, replace_speakers=True, extend=True)
    assert Settings.of(settings.to_meta()) == settings
    assert Settings.of({}) == Settings()


# --- the shipped head on real text ---------------------------------------------------------


def test_the_layer_adds_reported_speech_the_rules_miss() -> None:
    quotes = spinscope.analyze(TEXT, layers=("quotes",)).quotes
    learned = [q for q in quotes if q.source == attribution.TAGGER_SOURCE]
    found = [q for q in learned if any("tariffs will hurt farmers" in c.text for c in q.content)]
    assert found, [(q.source, [c.text for c in q.content]) for q in quotes]
    assert found[0].speaker is not None and "Lopez" in found[0].speaker.text
    rules = [q for q in quotes if q.source != attribution.TAGGER_SOURCE]
    assert not any(overlaps(a, b) for a in learned for b in rules)
    check_spans(TEXT, quotes)


def test_learned_quotes_never_overlap_rule_quotes_in_a_real_article(shared_data: Path) -> None:
    text = (shared_data.parent / "examples" / "nato-peskov-rt.txt").read_text(encoding="utf-8")
    parsed = parsed_of(text)
    rules = rule_quotes(parsed)
    combined = attribution.with_learned(parsed, rules, attribution.tagger())
    learned = [q for q in combined if q.source == attribution.TAGGER_SOURCE]
    assert not any(overlaps(a, b) for a in learned for b in rules)
    assert all(q.kind == "indirect" and q.score is not None for q in learned)
    check_spans(text, combined)
    # every rule quote is still there, with its content (a speaker may have been filled in)
    assert [q.content for q in combined if q.source != attribution.TAGGER_SOURCE] == [
        q.content for q in rules
    ]


# --- evaluation on a subset, training ------------------------------------------------------


def test_gold_can_be_loaded_for_some_articles_only(shared_data: Path) -> None:
    train = shared_data / "polnear" / "train"
    names = sorted(p.stem for p in (train / "text").glob("*.txt"))[:2]
    assert [a.name for a in load_gold(train, names)] == names
    assert evaluate_quotes(train, predict=lambda name, text: [], names=names).articles == 2
    with pytest.raises(DataError, match=r"no article nonesuch\.txt"):
        load_gold(train, ["nonesuch"])


def same_heads(a: Path, b: Path) -> None:
    first, second = read_head(a), read_head(b)
    assert first.labels == second.labels == LABELS
    assert first.meta == second.meta
    for x, y in zip(
        (*first.weights, first.thresholds), (*second.weights, second.thresholds), strict=True
    ):
        assert np.array_equal(x, y)


def test_quotes_training_is_reproducible(shared_data: Path, torch: object, tmp_path: Path) -> None:
    data = shared_data / "polnear"
    cards = [train_quotes.train(data, tmp_path / name, limit=3) for name in ("a", "b")]
    same_heads(tmp_path / "a" / "attribution.npz", tmp_path / "b" / "attribution.npz")
    layers = [dict(np.load(tmp_path / name / attribution.LAYERS_FILE)) for name in ("a", "b")]
    assert layers[0].keys() == layers[1].keys()
    assert all(np.array_equal(layers[0][k], layers[1][k]) for k in layers[0])
    assert cards[0]["validation"] == cards[1]["validation"]
    written = json.loads((tmp_path / "a" / "card.json").read_text())
    assert written["split"]["validation_articles"] == 3
    assert set(written["validation"]) == {"rules", "rules+tagger"}
    assert {"soft_f1", "iou_f1", "speaker_overlap"} <= set(written["validation"]["rules"])
    assert "Validation figures" in (tmp_path / "a" / "MODEL_CARD.md").read_text()


def test_the_tuned_tagger_runs_as_it_trained_in_torch(torch: Any) -> None:
    """The head reads the tuned layers' word and sentence vectors and then the linguistic
    features, in training (torch, float32) as at run time (onnxruntime, int8 products): the
    same probabilities, to within the int8 rounding (at most about 0.003 here)."""
    from spinscope.ml.features import words
    from spinscope.ml.transformer import TunedLayers
    from spinscope.train import finetune

    parsed = parsed_of(TEXT)
    rules = rule_quotes(parsed)
    found = words(parsed)
    extra = attribution.linguistic(parsed.doc, found, rules)
    y = np.zeros((len(found.starts), len(LABELS)), dtype=bool)
    torch.manual_seed(0)
    model = finetune._new_tagger(finetune.Recipe(), len(LABELS), extra.shape[1])
    model.eval()
    with torch.no_grad():
        trained = torch.sigmoid(
            model(finetune._batch(finetune._units(parsed, found, y, extra)))
        ).numpy()
    tagger = Tagger(model.head_export(LABELS), TunedLayers(model.export()))
    tuned = tagger.features(parsed)
    at_run_time = tagger.head.predict_proba(attribution.features(parsed.doc, tuned, rules))
    assert extra.shape[1] > 50 and extra.any()
    assert np.abs(at_run_time - trained).max() < 0.01


def test_training_refuses_a_directory_without_train(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="train/"):
        train_quotes.train(tmp_path, tmp_path / "out")


def test_head_meta_survives_saving(tmp_path: Path) -> None:
    head = Head(
        labels=LABELS,
        mean=np.zeros(2, np.float32),
        scale=np.ones(2, np.float32),
        weights=(np.ones((2, 3), np.float32),),
        biases=(np.zeros(3, np.float32),),
        thresholds=np.asarray([0.3, 0.3, 0.8], np.float32),
        meta=Settings(fill_speakers=True).to_meta(),
    )
    head.save(tmp_path / "h.npz")
    assert Settings.of(read_head(tmp_path / "h.npz").meta) == Settings(fill_speakers=True)
