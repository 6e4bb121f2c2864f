"""How sure a finding is: Platt calibration of raw scores, the reliability measures, and how an
uncertain finding travels (JSON, views, the store's rates and filters, the corpus report)."""

from __future__ import annotations

import numpy as np
from corpus import URW_BLAME, made

from spinscope.document import Analysis, Narrative
from spinscope.ml.calibration import (
    CONFIDENT,
    Calibration,
    ece,
    ece_floor,
    is_uncertain,
    reliability,
)
from spinscope.output.html import Annotation, segment
from spinscope.output.terminal import render_text
from spinscope.store import Filters, Store
from spinscope.train.common import reliability_card, reliability_text


def _overconfident(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Raw scores three times as sure (in logits) as the truth they are drawn from."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2, n)
    right = rng.random(n) < 1 / (1 + np.exp(-z))
    return 1 / (1 + np.exp(-(3 * z + 1))), right


def test_platt_scaling_undoes_a_known_overconfidence() -> None:
    raw, right = _overconfident(5000)
    calibration = Calibration.fit(raw.tolist(), right.tolist())
    assert abs(calibration.a - 1 / 3) < 0.05 and abs(calibration.b + 1 / 3) < 0.1
    calibrated = calibration.apply(raw)
    assert ece(raw.tolist(), right.tolist()) > 0.1
    assert ece(calibrated.tolist(), right.tolist()) < 0.03
    # monotone: a threshold on the raw scores decides as its image does on the calibrated
    cut = 0.3
    assert np.array_equal(raw >= cut, calibrated >= calibration(cut))


def test_nothing_to_learn_leaves_the_scores_as_they_are() -> None:
    assert Calibration.fit([0.9, 0.8], [True, True]) == Calibration()
    assert Calibration.fit([], []) == Calibration()
    assert Calibration.from_dict(None)(0.37) == 0.37
    fitted = Calibration(0.6, -0.2)
    assert Calibration.from_dict(fitted.to_dict()) == fitted


def test_reliability_bins_and_the_chance_floor() -> None:
    rows = reliability([0.05, 0.15, 0.95, 1.0], [False, False, True, True])
    assert [(r.low, r.count) for r in rows] == [(0.0, 1), (0.1, 1), (0.9, 2)]
    assert ece([0.8] * 10, [True] * 8 + [False] * 2) < 1e-9
    # perfectly calibrated scores still show an error by chance, less on more findings
    raw, _ = _overconfident(2000)
    small, large = ece_floor(raw[:100].tolist()), ece_floor(raw.tolist())
    assert small > 2 * large > 0


def test_a_layer_that_states_no_confidence_makes_every_finding_a_suggestion() -> None:
    """The genre's case: scores that hold only on the training outlets."""
    assert not is_uncertain(CONFIDENT) and is_uncertain(0.49)
    assert is_uncertain(0.99, None) and not is_uncertain(0.3, 0.25)
    raw, correct = [0.9, 0.8, 0.3], [True, True, False]
    stated = reliability_card(raw, correct, Calibration())
    none = reliability_card(raw, correct, Calibration(), confident=None)
    assert (stated["confident"], stated["uncertain_share"]) == (CONFIDENT, 1 / 3)
    assert (none["confident"], none["uncertain_share"]) == (None, 1.0)
    assert none["ece"] == stated["ece"]
    assert "A finding under 0.5 is marked uncertain: 33% of the 3" in reliability_text(stated)
    assert "every finding is marked uncertain" in reliability_text(none)


def test_an_uncertain_finding_is_a_suggestion_in_the_views() -> None:
    text = "Title\nThe war is the West's fault, the paper said."
    analysis = made("a", text, narratives=[URW_BLAME]).with_findings(
        {"narratives": [Narrative(narrative=URW_BLAME, score=0.31, uncertain=True, source="t")]}
    )
    summary = render_text(analysis)
    assert "0.31?" in summary and "1 uncertain" in summary
    pieces = segment(
        text,
        [
            Annotation(6, 15, "n0", ("n",), "Narrative 1", uncertain=True),
            Annotation(10, 20, "c0", ("c",), "Claim 1"),
        ],
    )
    only_uncertain = next(p for p in pieces if p.text == "The ")
    both = next(p for p in pieces if p.text == "war i")
    assert "uncertain" in only_uncertain.classes and "uncertain" not in both.classes
    assert "Narrative 1 (uncertain: a suggestion)" in both.title.splitlines()
    assert Analysis.from_json(analysis.to_json()).narratives[0].uncertain


def test_rates_and_filters_leave_uncertain_findings_out_unless_asked(db_url: str) -> None:
    sure = made("sure", "A. It is a disaster.", outlet="O", techniques=[("Doubt", "a disaster")])
    unsure = made("unsure", "B. It is a scandal.", outlet="O", techniques=[("Doubt", "a scandal")])
    technique = unsure.techniques[0].model_copy(update={"uncertain": True, "score": 0.2})
    unsure = unsure.with_findings({"techniques": [technique]})
    assert CONFIDENT == 0.5
    with Store(db_url) as store:
        store.save(sure)
        store.save(unsure)
        (row,) = store.stats("outlet", "technique")
        assert (row.articles, row.counts) == (2, {"Doubt": 1})
        (row,) = store.stats("outlet", "technique", Filters(uncertain=True))
        assert row.counts == {"Doubt": 2}
        doubt = {"technique": "Doubt"}
        assert [s.id for s in store.articles(Filters(labels=doubt))] == ["sure"]
        found = store.articles(Filters(labels=doubt, uncertain=True))
        assert sorted(s.id for s in found) == ["sure", "unsure"]
        # the article still counts every finding it holds
        assert {s.id: s.counts["techniques"] for s in store.articles()} == {"sure": 1, "unsure": 1}
