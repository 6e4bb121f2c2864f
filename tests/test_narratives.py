"""The narratives layer: its decoding rules, its evidence, and the shipped model on real text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spinscope.document import Article, Narrative
from spinscope.evaluate.narratives import NarrativeLabels
from spinscope.layers.narratives import (
    FEATURES,
    NAMES,
    NARRATIVE_LABELS,
    SOURCE,
    SUBNARRATIVE_LABELS,
    Rules,
    evidence,
    model,
    name_vectors,
    narrative_features,
    sentence_shares,
)
from spinscope.ml.encoder import DIM
from spinscope.ml.heads import Head
from spinscope.parse import parse
from spinscope.pipeline import Pipeline
from spinscope.taxonomy import OTHER

BLAMING = "URW: Blaming the war on others rather than the invader"
WEST = "URW: Discrediting the West, Diplomacy"
WEST_AGGRESSORS = f"{BLAMING}: The West are the aggressors"


def probabilities(narratives: dict[str, float], subs: dict[str, float] | None = None):
    p = np.zeros(len(NARRATIVE_LABELS), np.float32)
    for label, value in narratives.items():
        p[NARRATIVE_LABELS.index(label)] = value
    p_sub = np.zeros(len(SUBNARRATIVE_LABELS), np.float32)
    for label, value in (subs or {}).items():
        p_sub[SUBNARRATIVE_LABELS.index(label)] = value
    return p, p_sub


def rules(threshold=0.3, other=0.5, relative=0.5, sub=0.3, sub_relative=0.0, below=0.0):
    thresholds = np.full(len(NARRATIVE_LABELS), threshold, np.float32)
    thresholds[NARRATIVE_LABELS.index(OTHER)] = other
    sub_thresholds = np.full(len(SUBNARRATIVE_LABELS), sub, np.float32)
    return Rules(thresholds, sub_thresholds, relative, sub_relative, below)


def decided(found) -> list[tuple[str, list[str]]]:
    return [(NARRATIVE_LABELS[j], subs) for j, subs in found]


def test_other_wins_at_its_threshold_whatever_else_scores() -> None:
    p, p_sub = probabilities({OTHER: 0.6, BLAMING: 0.9})
    assert rules().decide(p, p_sub) == []


def test_an_article_that_is_not_other_gets_its_best_narrative_even_below_threshold() -> None:
    p, p_sub = probabilities({OTHER: 0.2, BLAMING: 0.1, WEST: 0.05})
    assert decided(rules().decide(p, p_sub)) == [(BLAMING, [f"{BLAMING}: Other"])]


def test_other_narratives_need_their_threshold_and_a_share_of_the_best() -> None:
    p, p_sub = probabilities({BLAMING: 0.9, WEST: 0.4, "URW: Discrediting Ukraine": 0.35})
    assert [n for n, _ in decided(rules(relative=0.0).decide(p, p_sub))] == [
        BLAMING,
        WEST,
        "URW: Discrediting Ukraine",
    ]
    assert [n for n, _ in decided(rules(relative=0.5).decide(p, p_sub))] == [BLAMING]


def test_sub_narratives_stay_under_their_narrative() -> None:
    p, p_sub = probabilities(
        {BLAMING: 0.9},
        {WEST_AGGRESSORS: 0.8, "URW: Discrediting the West, Diplomacy: The West is weak": 0.9},
    )
    assert decided(rules().decide(p, p_sub)) == [(BLAMING, [WEST_AGGRESSORS])]


def test_narrative_other_joins_a_weak_best_sub_narrative() -> None:
    p, p_sub = probabilities({BLAMING: 0.9}, {WEST_AGGRESSORS: 0.4})
    assert decided(rules(below=0.5).decide(p, p_sub)) == [
        (BLAMING, [WEST_AGGRESSORS, f"{BLAMING}: Other"])
    ]
    assert decided(rules(below=0.3).decide(p, p_sub)) == [(BLAMING, [WEST_AGGRESSORS])]


def one_label_head(weights: np.ndarray) -> Head:
    return Head(
        labels=("x",),
        mean=np.zeros(FEATURES, np.float32),
        scale=np.ones(FEATURES, np.float32),
        weights=(weights.reshape(FEATURES, 1).astype(np.float32),),
        biases=(np.zeros(1, np.float32),),
        thresholds=np.full(1, 0.5, np.float32),
    )


def test_evidence_is_the_sentences_whose_vectors_push_the_score_up() -> None:
    parsed = parse(Article(id="t", text="One. Two. Three. Four."))
    weights = np.zeros(FEATURES)
    weights[0] = 1.0  # the first dimension of the mean
    sentences = np.zeros((4, DIM), np.float32)
    sentences[:, 0] = [-1.0, 3.0, 0.5, 2.0]
    found = evidence(one_label_head(weights), 0, sentences, parsed.sentences)
    assert [span.text for span in found] == ["Two.", "Four."]  # text order, best two


def test_the_sentence_closest_to_a_weighted_name_is_evidence() -> None:
    """Only the best cosine with one sub-narrative's name counts: the evidence is the sentence
    whose vector is that name's (cosine 1), wherever it stands."""
    parsed = parse(Article(id="t", text="One. Two. Three. Four."))
    name = NAMES.index("The West are the aggressors")
    weights = np.zeros(FEATURES)
    weights[2 * DIM + name] = 1.0
    rng = np.random.default_rng(0)
    sentences = rng.normal(size=(4, DIM)).astype(np.float32)
    sentences[2] = name_vectors()[name]
    found = evidence(one_label_head(weights), 0, sentences, parsed.sentences)
    assert [span.text for span in found] == ["Three."]


def test_sentence_shares_add_up_to_the_score(shared_data: Path) -> None:
    """On a real article and the shipped head, the sentences' shares add up to the head's score
    before its bias and the standardisation's means: the split is exact."""
    text = (shared_data.parent / "examples" / "nato-peskov-rt.txt").read_text(encoding="utf-8")
    parsed = parse(Article(id="nato", text=text))
    sentences = np.vstack([unit.vector for unit in parsed.units])
    head = model().narratives
    label = NARRATIVE_LABELS.index(BLAMING)
    score = narrative_features(sentences) @ (head.weights[0][:, label] / head.scale)
    assert sentence_shares(head, label, sentences).sum() == pytest.approx(score, rel=1e-4)


def test_labels_of_findings_as_the_task_writes_them() -> None:
    other = Narrative(narrative=OTHER, score=0.7, source=SOURCE)
    assert NarrativeLabels.of([other]) == NarrativeLabels(frozenset([OTHER]), frozenset([OTHER]))
    found = Narrative(narrative=BLAMING, subnarratives=[WEST_AGGRESSORS], source=SOURCE)
    assert NarrativeLabels.of([found]) == NarrativeLabels(
        frozenset([BLAMING]), frozenset([WEST_AGGRESSORS])
    )


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(("narratives",))


def test_nato_article_blames_the_west(shared_data: Path, pipeline: Pipeline) -> None:
    text = (shared_data.parent / "examples" / "nato-peskov-rt.txt").read_text(encoding="utf-8")
    analysis = pipeline.analyze(text)
    found = {n.narrative: n for n in analysis.narratives}
    assert {BLAMING, WEST} <= set(found)
    assert WEST_AGGRESSORS in found[BLAMING].subnarratives
    # nothing in the article ties Ukraine to nazism (the old sub-narrative threshold of 0.05
    # listed it; its probability is 0.18, under the 0.2 the trainer now starts from)
    listed = {s for n in found.values() for s in n.subnarratives}
    assert "URW: Discrediting Ukraine: Ukraine is associated with nazism" not in listed
    for narrative in found.values():
        assert narrative.subnarratives
        assert all(s.startswith(f"{narrative.narrative}: ") for s in narrative.subnarratives)
        # "<narrative>: Other" is the decision that no specific sub-narrative applies, never
        # a label beside specific ones (the trainer keeps `sub_other_below` at 0)
        other = f"{narrative.narrative}: {OTHER}"
        assert other not in narrative.subnarratives or narrative.subnarratives == [other]
        assert 1 <= len(narrative.evidence) <= 2
        assert all(span in analysis.sentences for span in narrative.evidence)


CLIMATE = """Climate alarmists are lying to you about the weather
The so-called climate emergency is a hoax pushed by globalist elites who want to control how you
live, what you eat and where you travel. The climate has always changed: warm periods and ice ages
came and went long before anyone drove a car. Carbon dioxide is plant food, and a little more of
it greens the planet. Yet governments keep raising energy prices with green taxes that ruin
farmers and families, while the activists fly to their summits on private jets.
"""


def test_a_climate_sceptic_text_gets_climate_narratives(pipeline: Pipeline) -> None:
    found = pipeline.analyze(CLIMATE).narratives
    assert found and all(n.narrative.startswith("CC: ") for n in found)
    assert all(0 <= (n.score or 0) <= 1 and n.source == SOURCE for n in found)
