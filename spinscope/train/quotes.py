"""`spinscope train quotes`: the attribution tagger of the quotes layer, and how the layer
combines it with its rules.

Data: the `train/` directory of PolNeAR (`<data>/train/text`, `<data>/train/attributions`); its
`dev/` directory is not read: it is kept for `spinscope eval quotes`. Split by article id
(`spinscope.train.split`): validation articles are only scored, at the end. The training
articles are split once more (`INNER_SEED`): the tagger (the encoder's last layers fine-tuned
with a head that also reads each word's `linguistic` features, `spinscope.train.finetune`) is
fitted on one part, and its thresholds and combination settings are chosen on the other by
the combined layer's scores there. "Add nothing" is one of the choices, so the learned step is
only switched on where it beats the rules alone on articles it was not fitted on. The scores of
the attributions the tagger adds are calibrated on that other part too (`spinscope.ml.calibration`):
each right when the evaluation's one-to-one matching (`spinscope.evaluate.quotes.match`, content
IoU >= 0.5) pairs it with a gold attribution. Everything is seeded; a rerun gives the same
artifacts and figures.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from spacy.language import Language
from spacy.tokens import Doc

from spinscope.arrays import Matrix
from spinscope.document import Article, Quote
from spinscope.errors import DataError
from spinscope.evaluate.brat import Attribution
from spinscope.evaluate.quotes import (
    GoldArticle,
    QuoteScores,
    intervals,
    load_gold,
    match,
    score_quotes,
)
from spinscope.layers.quotes import rule_quotes
from spinscope.layers.quotes.attribution import (
    CONTENT,
    DOUBTED_SOURCE,
    GAP,
    HEAD,
    LABELS,
    LAYER,
    LAYERS_FILE,
    MIN_CONTENT_WORDS,
    RUN_THRESHOLD,
    TAGGER_SOURCE,
    Settings,
    combine,
    features,
    linguistic,
)
from spinscope.ml.calibration import CONFIDENT, Calibration
from spinscope.ml.features import WordFeatures, Words, words
from spinscope.ml.heads import MODELS_DIR, Head
from spinscope.ml.tagger import Tagger
from spinscope.ml.transformer import read_tuned_layers, save_tuned_layers
from spinscope.parse import Parsed, load_nlp, parse
from spinscope.train import Progress
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
DATA = "the PolNeAR root (only its train/ folder is read; dev/ is left for `spinscope eval`)"

RECIPE = Recipe()
#: Mean content probability an attribution the rules missed needs; above 1 means "never".
SCORE_GRID = (0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 1.01)
#: Thresholds tried for cue and source words (one value for both).
ROLE_GRID = (0.3, 0.5)
#: What the settings are chosen for: the sum of the three figures the layer is judged by, none
#: of which may fall below the rules' own.
OBJECTIVE = ("soft_f1", "iou_f1", "speaker_overlap")


@dataclasses.dataclass(frozen=True)
class Prepared:
    """One article as scoring needs it: the parse, the rules' quotes, the words and the
    tagger's features of each."""

    gold: GoldArticle
    doc: Doc
    rules: list[Quote]
    words: WordFeatures
    X: Matrix


@dataclasses.dataclass(frozen=True)
class Tagged:
    """A prepared article with the tagger's word probabilities, computed once per head."""

    article: Prepared
    probabilities: Matrix

    def quotes(self, thresholds: Sequence[float], settings: Settings) -> list[Quote]:
        """The combined layer's quotes under the given thresholds and settings."""
        a = self.article
        return combine(
            a.gold.text, a.doc, a.rules, a.words, self.probabilities, thresholds, settings
        )


def tag(articles: Sequence[Prepared], head: Head) -> list[Tagged]:
    return [Tagged(article, head.predict_proba(article.X)) for article in articles]


def train(
    data: Path,
    out: Path = MODELS_DIR / LAYER,
    *,
    seed: int = 0,
    limit: int | None = None,
    held_out: Collection[str] | None = None,
    progress: Progress = lambda message: None,
) -> dict[str, Any]:
    """Train the attribution tagger from the PolNeAR directory `data` (which holds `train/`);
    write its fine-tuned encoder layers, its head and the model card into `out`; return the
    card.

    `limit` keeps only the first `limit` articles of each split (for quick checks); `held_out`
    (article names) replaces the validation split, as `spinscope.train.split.three_way` says."""
    directory = data / "train"
    if not directory.is_dir():
        raise DataError(f"{data}: expected PolNeAR's train/ folder in it")
    require_torch()
    started = time.monotonic()
    gold = {article.name: article for article in load_gold(directory)}
    fit_ids, tune_ids, validation_ids = three_way(gold, limit, held_out)

    nlp = load_nlp()
    progress(f"parsing, encoding and running the rules on {len(fit_ids)} articles to fit on")
    fitting = [_fitting(gold[name], nlp) for name in fit_ids]
    progress(
        f"fine-tuning encoder layers {RECIPE.first}+ and the tagger on "
        f"{sum(len(y) for _, _, y, _ in fitting)} words of {len(fit_ids)} articles"
    )
    layers, head = fine_tune(
        [(parsed, found, y) for parsed, found, y, _ in fitting],
        LABELS,
        RECIPE,
        extras=[extra for _, _, _, extra in fitting],
        seed=seed,
        progress=progress,
    )
    del fitting
    out.mkdir(parents=True, exist_ok=True)
    # Everything below scores the layers as they ship: quantised, read back from the file.
    save_tuned_layers(out / LAYERS_FILE, RECIPE.first, layers)
    tuned = read_tuned_layers(out / LAYERS_FILE)

    progress(f"choosing thresholds and settings on {len(tune_ids)} articles")
    tuning = [prepare(gold[name], nlp, Tagger(head, tuned)) for name in tune_ids]
    thresholds, settings, grid = choose(tuning, head)
    progress(f"calibrating the scores of learned quotes on {len(tune_ids)} articles")
    calibration = Calibration.fit(*learned_quotes(tag(tuning, head), thresholds, settings))
    head = dataclasses.replace(
        with_thresholds(head, thresholds),
        meta={**settings.to_meta(), "calibration": calibration.to_dict()},
    )

    progress(f"scoring {len(validation_ids)} validation articles")
    validating = [prepare(gold[name], nlp, Tagger(head, tuned)) for name in validation_ids]
    tagged_validation = tag(validating, head)
    card: dict[str, Any] = round_floats(
        {
            "layer": LAYER,
            "head": HEAD,
            "date": today(),
            "data": str(directory),
            "split": {
                "rule": (
                    f"sha256('{SEED}:' + article id) < {VALIDATION_FRACTION} -> validation; "
                    if held_out is None
                    else "validation: the articles held out by the caller; "
                )
                + f"training articles split again with seed '{INNER_SEED}' for thresholds and "
                "combination settings",
                "fit_articles": len(fit_ids),
                "threshold_articles": len(tune_ids),
                "validation_articles": len(validation_ids),
                "limit": limit,
            },
            "seed": seed,
            "model": {
                "tagger": f"encoder layers {RECIPE.first}+ fine-tuned with an MLP head "
                f"{len(head.mean)}->{RECIPE.hidden}->{len(LABELS)} sigmoid",
                "recipe": dataclasses.asdict(RECIPE),
                "torch_threads": THREADS,
                "features": "word vector (mean of its word pieces) + sentence vector from the "
                "fine-tuned layers; part of speech, dependency and path to the nearest "
                "reporting verb above the word; the rules' roles at the word (content by "
                "kind, cue, speaker, quote marks)",
                "labels": list(LABELS),
                "word_label": "the roles whose gold spans the word overlaps",
                "decoding": f"content: runs of words with probability >= {RUN_THRESHOLD}, gaps "
                f"of {GAP} bridged, at least {MIN_CONTENT_WORDS} words, kept when the run's "
                "mean probability reaches the Content threshold; cue and source: the tagged "
                "runs nearest to it in the sentences it touches; speaker: the subject of the "
                "cue's verb, else the tagged source",
                "combination": "the rules' quotes, plus learned attributions whose content "
                "overlaps none of theirs; fill_speakers gives a rule quote with no speaker "
                "the tagger's, replace_speakers one whose speaker's words all have a source "
                f"probability below {DOUBTED_SOURCE} the tagged source nearest its content; "
                "extend runs a rule quote's reported speech on to the end of the run of "
                "likely content words it stops in",
                "thresholds": dict(zip(LABELS, thresholds, strict=True)),
                "settings": settings.to_meta(),
                "calibration": calibration.to_dict(),
                "objective": " + ".join(OBJECTIVE) + ", none of them below the rules alone",
            },
            "threshold_fold": grid,
            "validation": {
                "rules": evaluate(validating).to_dict(),
                "rules+tagger": evaluate_tagged(tagged_validation, thresholds, settings).to_dict(),
            },
            "reliability": _reliability(tagged_validation, thresholds, settings, calibration),
            "training_seconds": time.monotonic() - started,
            "versions": versions(),
        }
    )
    out.mkdir(parents=True, exist_ok=True)
    head.save(out / f"{HEAD}.npz")
    write_card(out, card, card_text(card))
    return card


def _fitting(
    gold: GoldArticle, nlp: Language
) -> tuple[Parsed, Words, npt.NDArray[np.bool_], Matrix]:
    """One article as fine-tuning reads it: the parse, its words, their gold labels and their
    `linguistic` features."""
    parsed = parse(Article(id=gold.name, text=gold.text), nlp)
    found = words(parsed)
    extra = linguistic(parsed.doc, found, rule_quotes(parsed))
    return parsed, found, word_labels(found, gold.attributions), extra


def prepare(gold: GoldArticle, nlp: Language, tagger: Tagger) -> Prepared:
    """Parse, encode and run the rules on one article; keep what `tagger` reads."""
    parsed = parse(Article(id=gold.name, text=gold.text), nlp)
    rules = rule_quotes(parsed)
    found = tagger.features(parsed)
    return Prepared(gold, parsed.doc, rules, found, features(parsed.doc, found, rules))


def word_labels(words: Words, attributions: Sequence[Attribution]) -> npt.NDArray[np.bool_]:
    """(words, LABELS): whether each word overlaps a gold span of each role."""
    Y = np.zeros((len(words.starts), len(LABELS)), dtype=bool)
    for attribution in attributions:
        for j, spans in enumerate((attribution.source, attribution.cue, attribution.content)):
            for span in spans:
                Y[(words.starts < span.end) & (words.ends > span.start), j] = True
    return Y


def evaluate(articles: Sequence[Prepared]) -> QuoteScores:
    """The rules' scores on `articles`."""
    return _score((a.gold, a.rules) for a in articles)


def evaluate_tagged(
    tagged: Sequence[Tagged], thresholds: Sequence[float], settings: Settings
) -> QuoteScores:
    """The combined layer's scores on `tagged` under the given thresholds and settings."""
    return _score((t.article.gold, t.quotes(thresholds, settings)) for t in tagged)


def learned_quotes(
    tagged: Sequence[Tagged], thresholds: Sequence[float], settings: Settings
) -> tuple[list[float], list[bool]]:
    """The attributions the tagger adds to the rules' in `tagged` under the given thresholds
    and settings, each with its raw score (its content words' mean probability) and whether it
    is right: paired with a gold attribution by the evaluation's one-to-one matching of every
    quote the layer gives the article (`spinscope.evaluate.quotes.match`, content IoU >= 0.5).
    What their scores are calibrated on."""
    scores, right = [], []
    for t in tagged:
        quotes = t.quotes(thresholds, settings)
        matched = {
            p
            for _, p in match(
                [intervals(a.content) for a in t.article.gold.attributions],
                [intervals(q.content) for q in quotes],
            )
        }
        for i, quote in enumerate(quotes):
            if quote.source == TAGGER_SOURCE and quote.score is not None:
                scores.append(quote.score)
                right.append(i in matched)
    return scores, right


def _reliability(
    tagged: Sequence[Tagged],
    thresholds: Sequence[float],
    settings: Settings,
    calibration: Calibration,
) -> dict[str, Any]:
    """How sure the learned quotes are on `tagged` (`reliability_card`), and how many quotes
    the layer shows there in all (the rules' are never uncertain)."""
    raw, right = learned_quotes(tagged, thresholds, settings)
    shown = sum(len(t.quotes(thresholds, settings)) for t in tagged)
    uncertain = int((calibration.apply(raw) < CONFIDENT).sum()) if raw else 0
    return {
        **reliability_card(raw, right, calibration),
        "quotes_shown": shown,
        "quotes_uncertain_share": uncertain / max(shown, 1),
    }


def _score(predictions: Iterable[tuple[GoldArticle, Sequence[Quote]]]) -> QuoteScores:
    return score_quotes(
        (gold.attributions, [Attribution.from_quote(q, id=str(i)) for i, q in enumerate(quotes)])
        for gold, quotes in predictions
    )


def objective(scores: QuoteScores) -> float:
    return sum(float(getattr(scores, name)) for name in OBJECTIVE)


def no_worse(scores: QuoteScores, baseline: QuoteScores) -> bool:
    """Whether none of the `OBJECTIVE` figures is below the baseline's."""
    return all(getattr(scores, name) >= getattr(baseline, name) for name in OBJECTIVE)


def choose(
    articles: Sequence[Prepared], head: Head
) -> tuple[list[float], Settings, dict[str, Any]]:
    """The thresholds and settings with the best `objective` on `articles` among those that
    lower none of its figures below the rules alone (ties: the earlier in the grid, which adds
    less); the rules alone (nothing added, nothing filled) compete. Also returns the figures
    behind the choice, for the card."""
    rules = evaluate(articles)
    tagged = tag(articles, head)
    best: tuple[float, list[float], Settings, QuoteScores] = (
        objective(rules),
        [ROLE_GRID[-1], ROLE_GRID[-1], SCORE_GRID[-1]],
        Settings(),
        rules,
    )
    tried = 0
    switches = list(itertools.product((False, True), repeat=4))
    for score, role, require_cue, (across, fill, replace, extend) in itertools.product(
        reversed(SCORE_GRID), ROLE_GRID, (True, False), switches
    ):
        settings = Settings(
            across=across,
            require_cue=require_cue,
            fill_speakers=fill,
            replace_speakers=replace,
            extend=extend,
        )
        if score > 1 and (not settings.adds or require_cue or across):
            continue  # adds nothing: the same as other settings
        thresholds = [role, role, score]
        scores = evaluate_tagged(tagged, thresholds, settings)
        tried += 1
        if objective(scores) > best[0] and no_worse(scores, rules):
            best = (objective(scores), thresholds, settings, scores)
    _, thresholds, settings, chosen = best
    grid = {
        "settings_tried": tried,
        "rules": rules.to_dict(),
        "rules+tagger": chosen.to_dict(),
        "added_nothing": thresholds[CONTENT] > 1 and not settings.adds,
    }
    return thresholds, settings, grid


def card_text(card: dict[str, Any]) -> CardText:
    """The model card for people (`spinscope.train.common.card_markdown`): what the head is,
    how it was trained, what it scores."""
    model, split, fold = card["model"], card["split"], card["threshold_fold"]
    verdict = (
        "On the threshold fold no setting beat the rules alone, so the layer adds nothing: "
        "its output is the rules' (the head documents the measured attempt)."
        if fold["added_nothing"]
        else "On the threshold fold these settings beat the rules alone and lower none of the "
        "objective's figures, so the layer uses them."
    )
    return CardText(
        title="quotes layer, attribution tagger",
        command=f"spinscope train quotes --data {Path(card['data']).parent}",
        facts=[
            (
                "What it does",
                "tags each word as part of an attribution's source, cue or content, over a "
                "fine-tuned copy of the last layers of the encoder "
                f"`{card['versions']['encoder']}` (shipped as int8 differences from its "
                f"weights, `{LAYERS_FILE}`); the quotes layer adds what it finds to the rules' "
                "quotes.\n"
                f"  - tagger: {model['tagger']}\n"
                f"  - recipe: {_pairs(model['recipe'])}; torch on {model['torch_threads']} "
                "thread\n"
                f"  - features: {model['features']}\n"
                f"  - word label: {model['word_label']}\n"
                f"  - decoding: {model['decoding']}\n"
                f"  - combination: {model['combination']}",
            ),
            (
                "Data",
                f"PolNeAR v1.0 `train/` ({card['data']}); `dev/` is not read (it is kept for "
                "`spinscope eval quotes`).",
            ),
            (
                "Split",
                f"{split['rule']}. Fitted on {split['fit_articles']} articles; thresholds and "
                f"settings chosen, and the learned quotes' scores calibrated, on "
                f"{split['threshold_articles']} "
                f"({fold['settings_tried']} settings tried; objective: {model['objective']}); "
                f"scored on {split['validation_articles']} validation articles the tagger "
                "never saw. The rules it is combined with were written by reading errors on "
                'all of `train/`, validation articles included, so the "rules" row is not a '
                "held-out figure for them.",
            ),
            (
                "Chosen",
                f"thresholds {_pairs(model['thresholds'])}; settings "
                f"{_pairs(model['settings'])}. {verdict}",
            ),
            ("Seed", f"{card['seed']}. Training took {card['training_seconds']:.0f} s."),
        ],
        sections=[
            (
                "Validation figures (metrics of `spinscope.evaluate.quotes`)",
                _table(card["validation"]),
            ),
            ("Threshold fold (where the settings were chosen)", _table(fold)),
            ("How sure a learned quote is", _reliability_text(card["reliability"])),
            (
                "Limits",
                "- The tagger reads the rules' output (their roles at each word): retrain it "
                "when the rules change.\n"
                "- Learned attributions are `indirect`, with cue class `other`: the tagger does "
                "not classify its cues.",
            ),
        ],
    )


def _reliability_text(r: dict[str, Any]) -> str:
    return (
        "The attributions the tagger adds to the rules' (source `quotes/minilm-tagger`), each "
        "right when the evaluation's one-to-one matching pairs it with a gold attribution "
        "(content IoU >= 0.5); calibrated on the threshold fold. "
        + reliability_text(r)
        + f"\n\nThe rules' quotes have no score and are never uncertain: of all "
        f"{r['quotes_shown']} quotes the layer gave the validation articles, "
        f"{r['quotes_uncertain_share']:.0%} are marked uncertain."
    )


def _pairs(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in values.items())


def _table(figures: dict[str, Any]) -> str:
    rows = [
        "| | soft P | soft R | soft F1 | IoU P | IoU R | IoU F1 | speaker | cue | predicted |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("rules", "rules+tagger"):
        s = figures[name]
        rows.append(
            f"| {name} | {s['soft_precision']:.3f} | {s['soft_recall']:.3f} | "
            f"{s['soft_f1']:.3f} | {s['iou_precision']:.3f} | {s['iou_recall']:.3f} | "
            f"{s['iou_f1']:.3f} | {s['speaker_overlap']:.3f} | {s['cue_overlap']:.3f} | "
            f"{s['predicted']} |"
        )
    gold = figures["rules"]
    rows.append("")
    rows.append(
        f"{gold['articles']} articles, {gold['gold']} gold attributions. Speaker and cue: "
        "accuracy over matched pairs, right when the spans overlap (`speaker_overlap`, "
        "`cue_overlap`)."
    )
    return "\n".join(rows)
