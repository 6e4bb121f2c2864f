"""`spinscope train entities`: the three heads of the entities layer, from SemEval-2025 Task 10
subtask 1 (`subtask-1-annotations.txt` and `documents/`).

Only the articles with at least one annotated mention are used (the others were not annotated
for this subtask, so their entities are not known to be uncast). Split by article id
(`spinscope.train.split.three_way`): validation articles are only scored, at the end. The
heads' regularisation and the cast head's threshold are chosen by cross-validation over the
fit and tune articles, the tune articles being one of the folds: the tune articles alone hold
74 mentions, on which "always Antagonist" won. The shipped heads are fitted on fit and tune
together with the chosen settings.

- `main` and `fine`: multinomial logistic regressions over the features of each gold mention
  (3 main roles; 22 fine roles, a mention with two fine roles counted once for each);
- `cast`: one logistic regression over the features of each entity the layer finds in an
  article, positive when a gold mention falls on one of its mentions.

The score of a role the layer shows is calibrated (`spinscope.ml.calibration`, stored in the
`main` head's meta) on the out-of-fold roles over the fit and tune articles: each fold's articles
run through the layer's `cast_entities` with heads fitted, as the shipped ones are, on the other
folds. A role is right when its main role is the one most of the entity's gold mentions carry
(those falling on one of its mentions); a role given an entity that no gold mention falls on is
not scored (the annotation marks only some entities of an article, so the gold says nothing of
its role), and how many there are is stated beside the figures.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from spinscope.arrays import Matrix
from spinscope.evaluate.entities import (
    FramingGold,
    Prepared,
    RoleMention,
    predict_roles,
    prepare,
    read_framing_dir,
    score_roles,
)
from spinscope.layers.entities import (
    FINE_LABELS,
    LAYER,
    MAIN_ROLES,
    SOURCE,
    WINDOW,
    MentionVectors,
    RoleModel,
    cast_entities,
    decide_role,
    entity_of,
)
from spinscope.ml.calibration import CONFIDENT, Calibration, ece
from spinscope.ml.encoder import DIM
from spinscope.ml.heads import MODELS_DIR, Head
from spinscope.taxonomy import FINE_ROLES
from spinscope.train import Progress
from spinscope.train.common import (
    CardText,
    best_f1_threshold,
    reliability_card,
    reliability_text,
    require_sklearn,
    round_floats,
    today,
    versions,
    write_card,
)
from spinscope.train.split import INNER_SEED, SEED, VALIDATION_FRACTION, is_validation, three_way

#: What `--data` holds.
DATA = "a SemEval-2025 Task 10 directory (documents/, subtask-1-annotations.txt)"

#: Inverse regularisation strengths tried (scikit-learn's C, on standardised features).
C_GRID = (0.001, 0.003, 0.01, 0.03, 0.1)
THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))
#: Folds of the fit and tune articles that settings are chosen by (the tune articles are one).
FOLDS = 5
#: Article resamples for the validation figures' 95% intervals.
BOOTSTRAP = 1000


def train(
    data: Path,
    out: Path = MODELS_DIR / LAYER,
    *,
    seed: int = 0,
    limit: int | None = None,
    progress: Progress = lambda message: None,
) -> dict[str, Any]:
    """Train the entities layer's heads from `data`; write them and the model card into `out`."""
    require_sklearn()
    started = time.monotonic()
    gold = read_framing_dir(data)
    fit_ids, tune_ids, validation_ids = three_way({m.doc for m in gold.mentions}, limit)
    progress(f"parsing {len(fit_ids) + len(tune_ids) + len(validation_ids)} articles")
    prepared = {
        doc: prepare(doc, gold.texts[doc]) for doc in [*fit_ids, *tune_ids, *validation_ids]
    }
    fit, tune = gold.subset(fit_ids), gold.subset(tune_ids)
    both = gold.subset([*fit_ids, *tune_ids])
    fitted = _fit(both, fit_ids, tune_ids, prepared, seed, progress)
    roles_c, cast_c, threshold = fitted.settings
    choices, (cast_f1, _) = fitted.choices, fitted.cast_choice

    progress("calibrating the roles' scores on out-of-fold roles")
    scores, right, _ = _out_of_fold_roles(
        both, prepared, fitted.folds, fitted.cast_rows, fitted.X, fitted.settings, seed
    )
    calibration = Calibration.fit(scores, right)
    model = replace(
        fitted.model, main=replace(fitted.model.main, meta={"calibration": calibration.to_dict()})
    )

    progress(f"scoring {len(validation_ids)} validation articles")
    validation = gold.subset(validation_ids)
    predicted = predict_roles(validation, model, prepared)
    card = _card(
        data,
        seed,
        limit,
        (fit, tune, validation),
        settings={
            "roles_c": roles_c,
            "cast_c": cast_c,
            "cast_threshold": threshold,
            "cast_f1": cast_f1,
            "roles_c_scores": {str(c): v for c, v in choices.items()},
            "calibration": calibration.to_dict(),
            "calibration_roles": len(scores),
        },
        validation=_validation_figures(validation, predicted, both.mentions, seed),
        reliability=_reliability(validation, prepared, model),
        seconds=time.monotonic() - started,
    )
    out.mkdir(parents=True, exist_ok=True)
    for name, head in (("cast", model.cast), ("main", model.main), ("fine", model.fine)):
        head.save(out / f"{name}.npz")
    write_card(out, card, card_text(card))
    return card


@dataclasses.dataclass(frozen=True)
class _Fitted:
    """The heads `train` fits on the fit and tune articles (the roles' scores not calibrated
    yet), the strengths and cast threshold it chose (`settings`: roles' C, cast C, threshold)
    with what each strength scored, and the rows and folds they were chosen on."""

    model: RoleModel
    settings: tuple[float, float, float]
    choices: dict[float, float]
    cast_choice: tuple[float, float]
    X: Matrix
    folds: npt.NDArray[np.int64]
    cast_rows: tuple[Matrix, npt.NDArray[np.bool_], npt.NDArray[np.int64]]


def _fit(
    both: FramingGold,
    fit_ids: Sequence[str],
    tune_ids: Sequence[str],
    prepared: dict[str, Prepared],
    seed: int,
    progress: Progress,
) -> _Fitted:
    """The role and cast heads fitted on the mentions of `both` (the fit and tune articles),
    each strength and the cast threshold chosen by cross-validation over `FOLDS` folds of them
    (the tune articles one fold, `_folds`)."""
    folds = _folds(both.mentions, fit_ids, tune_ids)
    progress(f"main and fine heads: {len(both.mentions)} mentions, {FOLDS} folds")
    X = _mention_rows(both, prepared)
    choices = {c: _cross_validate_roles(X, both.mentions, folds, c, seed) for c in C_GRID}
    roles_c = max(C_GRID, key=lambda c: (choices[c], -c))
    main, fine = _role_heads(X, both.mentions, roles_c, seed)

    progress("cast head: which entities get a role")
    Xc, yc, cast_folds = _cast_rows(both, [*fit_ids, *tune_ids], prepared, folds)
    cast_choices = {c: _cross_validate_cast(Xc, yc, cast_folds, c, seed) for c in C_GRID}
    cast_c = max(C_GRID, key=lambda c: (cast_choices[c][0], -c))
    threshold = cast_choices[cast_c][1]
    cast = replace(
        _fit_binary(Xc, yc, cast_c, seed), thresholds=np.asarray([threshold], dtype=np.float32)
    )
    return _Fitted(
        RoleModel(cast, main, fine),
        (roles_c, cast_c, threshold),
        choices,
        cast_choices[cast_c],
        X,
        folds,
        (Xc, yc, cast_folds),
    )


@dataclasses.dataclass(frozen=True)
class CrossValidated:
    """One run of `cross_validate`: the roles predicted for every gold mention (the mentions
    given, as the official scorer and `spinscope eval entities` score them) by heads that
    never saw its article, and the trivial baseline's (each fold's training mentions' most
    common Antagonist fine role)."""

    gold: list[RoleMention]
    predicted: list[RoleMention]
    baseline: list[RoleMention]


def cross_validate(
    data: Path,
    *,
    folds: int = FOLDS,
    seeds: Sequence[int] = (1,),
    progress: Progress = lambda message: None,
) -> list[CrossValidated]:
    """Nested cross-validation over every annotated article of `data`, once per seed of the
    outer folds: each article's mentions get roles from heads fitted, and strengths and cast
    threshold chosen, on the other folds only, exactly as `train` fits and chooses them (its
    tune articles the training articles `split` sets apart with `INNER_SEED`)."""
    require_sklearn()
    from sklearn.model_selection import KFold

    gold = read_framing_dir(data)
    docs = sorted({m.doc for m in gold.mentions})
    progress(f"parsing {len(docs)} articles")
    prepared = {doc: prepare(doc, gold.texts[doc]) for doc in docs}
    runs = []
    for seed in seeds:
        truth: list[RoleMention] = []
        predicted: list[RoleMention] = []
        baseline: list[RoleMention] = []
        outer = KFold(folds, shuffle=True, random_state=seed).split(docs)
        for k, (fit, held) in enumerate(outer):
            training = [docs[i] for i in fit]
            tune_ids = [d for d in training if is_validation(d, seed=INNER_SEED)]
            fit_ids = [d for d in training if d not in set(tune_ids)]
            progress(f"seed {seed}, fold {k + 1} of {folds}: {len(held)} articles held out")
            both = gold.subset(training)
            model = _fit(both, fit_ids, tune_ids, prepared, 0, progress).model
            held_out = gold.subset([docs[i] for i in held])
            fine = _most_common([m.fine for m in both.mentions if m.main == "Antagonist"])
            truth += held_out.mentions
            predicted += predict_roles(held_out, model, prepared)
            baseline += [replace(m, main="Antagonist", fine=fine) for m in held_out.mentions]
        runs.append(CrossValidated(truth, predicted, baseline))
    return runs


def _shown_roles(
    gold: FramingGold, docs: Sequence[str], prepared: dict[str, Prepared], model: RoleModel
) -> tuple[list[float], list[bool | None]]:
    """The roles the layer shows in `docs` (`cast_entities` under `model`), each with its score
    and whether it is right: its main role is the one most of the entity's gold mentions carry
    (ties: any of them), None where no gold mention falls on the entity."""
    scores: list[float] = []
    right: list[bool | None] = []
    for doc in docs:
        ready = prepared[doc]
        gold_mains = [(gold.located(m), m.main) for m in gold.mentions if m.doc == doc]
        for entity in cast_entities(ready.parsed, ready.clusters, model):
            if entity.role is None or entity.role.score is None:
                continue
            mains = Counter(
                main
                for (start, end), main in gold_mains
                if any(m.start < end and start < m.end for m in entity.mentions)
            )
            most = max(mains.values(), default=0)
            scores.append(entity.role.score)
            right.append(mains[entity.role.main] == most if mains else None)
    return scores, right


def _out_of_fold_roles(
    gold: FramingGold,
    prepared: dict[str, Prepared],
    folds: npt.NDArray[np.int64],
    cast_rows: tuple[Matrix, npt.NDArray[np.bool_], npt.NDArray[np.int64]],
    X: Matrix,
    settings: tuple[float, float, float],
    seed: int,
) -> tuple[list[float], list[bool], int]:
    """The raw scores of the roles the layer shows in each fold's articles, with heads fitted
    (with the chosen strengths and cast threshold) on the other folds, and whether each is right
    (`_shown_roles`); also how many roles fell on entities no gold mention falls on (left
    out)."""
    Xc, yc, cast_folds = cast_rows
    roles_c, cast_c, threshold = settings
    fold_of = {m.doc: int(f) for m, f in zip(gold.mentions, folds, strict=True)}
    scores: list[float] = []
    right: list[bool] = []
    unscored = 0
    for fold in range(FOLDS):
        train = np.flatnonzero(folds != fold)
        main, fine = _role_heads(
            X[train], [gold.mentions[i] for i in train.tolist()], roles_c, seed
        )
        cast = replace(
            _fit_binary(Xc[cast_folds != fold], yc[cast_folds != fold], cast_c, seed),
            thresholds=np.asarray([threshold], dtype=np.float32),
        )
        docs = sorted(doc for doc, f in fold_of.items() if f == fold)
        for score, ok in zip(
            *_shown_roles(gold, docs, prepared, RoleModel(cast, main, fine)), strict=True
        ):
            if ok is None:
                unscored += 1
            else:
                scores.append(score)
                right.append(ok)
    return scores, right, unscored


def _reliability(
    validation: FramingGold, prepared: dict[str, Prepared], model: RoleModel
) -> dict[str, Any]:
    """How sure the roles the layer shows on the validation articles are (`reliability_card`
    over those with gold mentions), how many it shows in all, how many of those are uncertain,
    and the calibrated error were a role on an entity with no gold mention counted wrong."""
    identity = replace(model, main=replace(model.main, meta={}))
    raw, right = _shown_roles(validation, sorted(validation.texts), prepared, identity)
    calibration = model.main.calibration
    scored = [(p, ok) for p, ok in zip(raw, right, strict=True) if ok is not None]
    calibrated = calibration.apply(raw)
    return {
        **reliability_card([p for p, _ in scored], [bool(ok) for _, ok in scored], calibration),
        "roles_shown": len(raw),
        "roles_without_gold": len(raw) - len(scored),
        "uncertain_share_all": float((calibrated < CONFIDENT).mean()) if raw else 0.0,
        "ece_counting_unscored_wrong": ece(calibrated.tolist(), [ok is True for ok in right]),
    }


def _folds(
    mentions: Sequence[RoleMention], fit_ids: Sequence[str], tune_ids: Sequence[str]
) -> npt.NDArray[np.int64]:
    """The fold of each mention: the tune articles are fold 0, the fit articles are dealt into
    folds 1.. in id order, so every article's mentions stay in one fold."""
    fold_of = {doc: 0 for doc in tune_ids}
    fold_of.update({doc: 1 + i % (FOLDS - 1) for i, doc in enumerate(fit_ids)})
    return np.asarray([fold_of[m.doc] for m in mentions], dtype=np.int64)


def _cross_validate_roles(
    X: Matrix, mentions: Sequence[RoleMention], folds: npt.NDArray[np.int64], c: float, seed: int
) -> float:
    """Fine exact match plus main-role accuracy of the heads with strength `c`, each fold
    predicted by heads fitted on the others."""
    predicted: list[RoleMention] = []
    gold: list[RoleMention] = []
    for fold in range(FOLDS):
        train, held = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        main, fine = _role_heads(X[train], [mentions[i] for i in train.tolist()], c, seed)
        main_p, fine_p = RoleModel(main, main, fine).distributions(X[held])
        for i, m, f in zip(held.tolist(), main_p, fine_p, strict=True):
            role = decide_role(m, f)
            gold.append(mentions[i])
            predicted.append(replace(mentions[i], main=role.main, fine=tuple(role.fine)))
    scores = score_roles(gold, predicted)
    return scores.exact_match + scores.main_accuracy


def _cross_validate_cast(
    X: Matrix, y: npt.NDArray[np.bool_], folds: npt.NDArray[np.int64], c: float, seed: int
) -> tuple[float, float]:
    """`(F1, threshold)` of the cast head with strength `c`, from out-of-fold probabilities."""
    probabilities = np.zeros(len(y), dtype=np.float32)
    for fold in range(FOLDS):
        train, held = folds != fold, folds == fold
        probabilities[held] = _fit_binary(X[train], y[train], c, seed).predict_proba(X[held])[:, 0]
    return best_f1_threshold(probabilities, y[:, 0], THRESHOLD_GRID)


def _mention_rows(gold: FramingGold, prepared: dict[str, Prepared]) -> Matrix:
    rows = []
    vectors: dict[str, MentionVectors] = {}
    for m in gold.mentions:
        ready = prepared[m.doc]
        if m.doc not in vectors:
            vectors[m.doc] = MentionVectors(ready.parsed)
        target = gold.located(m)
        entity = entity_of(ready.clusters, target, ready.parsed.text)
        rows.append(vectors[m.doc].features(entity, target))
    return np.vstack(rows)


def _cast_rows(
    gold: FramingGold,
    docs: Sequence[str],
    prepared: dict[str, Prepared],
    mention_folds: npt.NDArray[np.int64],
) -> tuple[Matrix, npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """One row per entity the layer finds, positive when a gold mention falls on one of its
    mentions, and the row's fold (its article's)."""
    fold_of = {m.doc: int(f) for m, f in zip(gold.mentions, mention_folds, strict=True)}
    rows, targets, folds = [], [], []
    for doc in docs:
        ready = prepared[doc]
        vectors = MentionVectors(ready.parsed)
        spans = [gold.located(m) for m in gold.mentions if m.doc == doc]
        for cluster in ready.clusters:
            rows.append(vectors.cast_features(cluster))
            folds.append(fold_of[doc])
            targets.append(any(s < e2 and s2 < e for s, e in cluster.mentions for s2, e2 in spans))
    return (
        np.vstack(rows),
        np.asarray(targets, dtype=bool).reshape(-1, 1),
        np.asarray(folds, dtype=np.int64),
    )


def _role_heads(
    X: Matrix, mentions: Sequence[RoleMention], c: float, seed: int
) -> tuple[Head, Head]:
    """The main-role and fine-role heads, fitted on the rows of `mentions`."""
    main = _fit_multinomial(X, [m.main for m in mentions], MAIN_ROLES, c, seed)
    rows = [i for i, m in enumerate(mentions) for _ in m.fine]
    fine = _fit_multinomial(X[rows], [f for m in mentions for f in m.fine], FINE_LABELS, c, seed)
    return main, fine


def _standardise(X: Matrix) -> tuple[Matrix, Matrix, Matrix]:
    mean = X.mean(axis=0).astype(np.float32)
    scale = X.std(axis=0).astype(np.float32)
    scale[scale == 0] = 1.0
    return mean, scale, (X - mean) / scale


def _fit_multinomial(
    X: Matrix, targets: Sequence[str], labels: tuple[str, ...], c: float, seed: int
) -> Head:
    """An L2 multinomial logistic regression on standardised features, as a head whose outputs
    are the sigmoids of its logits (a label never seen gets a logit of -30)."""
    from sklearn.linear_model import LogisticRegression

    mean, scale, Z = _standardise(X)
    weights = np.zeros((X.shape[1], len(labels)), dtype=np.float32)
    biases = np.full(len(labels), -30.0, dtype=np.float32)
    seen = sorted(set(targets))
    if len(seen) == 1:
        biases[labels.index(seen[0])] = 0.0
    else:
        model = LogisticRegression(C=c, max_iter=5000, random_state=seed).fit(Z, targets)
        coef, intercept = model.coef_, model.intercept_
        if len(seen) == 2:  # scikit-learn keeps one row for two classes: logits 0 and z
            coef, intercept = np.vstack([0 * coef, coef]), np.concatenate([[0.0], intercept])
        for k, label in enumerate(model.classes_):
            weights[:, labels.index(label)], biases[labels.index(label)] = coef[k], intercept[k]
    return Head(labels, mean, scale, (weights,), (biases,), np.full(len(labels), 0.5, np.float32))


def _fit_binary(X: Matrix, y: npt.NDArray[np.bool_], c: float, seed: int) -> Head:
    """An L2 logistic regression with one output ("cast") on standardised features."""
    from sklearn.linear_model import LogisticRegression

    mean, scale, Z = _standardise(X)
    model = LogisticRegression(C=c, max_iter=5000, random_state=seed).fit(Z, y[:, 0])
    return Head(
        ("cast",),
        mean,
        scale,
        (model.coef_.T.astype(np.float32),),
        (model.intercept_.astype(np.float32),),
        np.full(1, 0.5, np.float32),
    )


def _validation_figures(
    validation: FramingGold,
    predicted: Sequence[RoleMention],
    training: Sequence[RoleMention],
    seed: int,
) -> dict[str, Any]:
    """The official scores, the trivial baselines', and 95% intervals from resampling the
    validation articles."""
    majority = _most_common([m.fine for m in training])
    antagonist = _most_common([m.fine for m in training if m.main == "Antagonist"])
    baselines = {  # one row when the two coincide
        f"always {FINE_ROLES[fine[0]]} / {' + '.join(fine)}": fine
        for fine in (antagonist, majority)
    }
    scores = score_roles(validation.mentions, predicted)
    rng = np.random.default_rng(seed)
    docs = sorted(validation.texts)
    by_key = {p.key: p for p in predicted}
    exact, main = [], []
    for _ in range(BOOTSTRAP):
        sample = [m for d in rng.choice(docs, len(docs)) for m in validation.mentions if m.doc == d]
        if not sample:
            continue
        exact.append(np.mean([set(by_key[m.key].fine) == set(m.fine) for m in sample]))
        main.append(np.mean([by_key[m.key].main == m.main for m in sample]))
    return {
        "mentions": scores.mentions,
        "exact_match": scores.exact_match,
        "main_accuracy": scores.main_accuracy,
        "fine_f1": scores.fine_f1,
        "exact_match_95": [float(np.percentile(exact, 2.5)), float(np.percentile(exact, 97.5))],
        "main_accuracy_95": [float(np.percentile(main, 2.5)), float(np.percentile(main, 97.5))],
        "baselines": {
            name: {
                "exact_match": (s := score_roles(validation.mentions, rows)).exact_match,
                "main_accuracy": s.main_accuracy,
            }
            for name, fine in baselines.items()
            for rows in [
                [replace(m, main=FINE_ROLES[fine[0]], fine=fine) for m in validation.mentions]
            ]
        },
    }


def _most_common(values: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    """The most common value (ties: the first in sorted order)."""
    return max(sorted(set(values)), key=values.count)


def _card(
    data: Path,
    seed: int,
    limit: int | None,
    parts: tuple[FramingGold, FramingGold, FramingGold],
    settings: dict[str, Any],
    validation: dict[str, Any],
    reliability: dict[str, Any],
    seconds: float,
) -> dict[str, Any]:
    fit, tune, held = parts
    return round_floats(  # type: ignore[no-any-return]
        {
            "layer": LAYER,
            "source": SOURCE,
            "date": today(),
            "data": str(data),
            "split": {
                "rule": f"articles with subtask-1 annotations; sha256('{SEED}:' + file name) < "
                f"{VALIDATION_FRACTION} -> validation; the others split again with seed "
                f"'{INNER_SEED}' into fit / tune; settings by {FOLDS}-fold cross-validation "
                "over fit and tune by article (tune is one fold)",
                "fit_articles": len(fit.texts),
                "fit_mentions": len(fit.mentions),
                "tune_articles": len(tune.texts),
                "tune_mentions": len(tune.mentions),
                "validation_articles": len(held.texts),
                "validation_mentions": len(held.mentions),
                "limit": limit,
            },
            "seed": seed,
            "model": {
                "main": f"multinomial logistic regression, {len(MAIN_ROLES)} main roles",
                "fine": f"multinomial logistic regression, {len(FINE_LABELS)} fine roles",
                "cast": "logistic regression, one output",
                "features": f"per mention: word pieces of the mention and within {WINDOW} "
                "pieces of it, its sentence and the sentences beside it; the same over every "
                f"mention of its entity; the article's vector; counts ({DIM}-d vectors of the "
                "shared encoder pass)",
                **settings,
            },
            "validation": validation,
            "reliability": reliability,
            "training_seconds": seconds,
            "versions": versions(),
        }
    )


def card_text(card: dict[str, Any]) -> CardText:
    """The model card for people (`spinscope.train.common.card_markdown`)."""
    v, s, m = card["validation"], card["split"], card["model"]
    baselines = "\n".join(
        f"| {name} | {b['main_accuracy']:.3f} | {b['exact_match']:.3f} |"
        for name, b in v["baselines"].items()
    )
    main, exact = v["main_accuracy_95"], v["exact_match_95"]
    return CardText(
        title="entities layer (roles)",
        command=f"spinscope train entities --data {card['data']}",
        facts=[
            (
                "What it does",
                "decides which entities an article casts, and in which role (SemEval-2025 Task "
                f"10 subtask 1: a main role and a fine role). Features: {m['features']}; the "
                f"encoder `{card['versions']['encoder']}` is frozen.",
            ),
            (
                "Files",
                f"`main.npz` ({m['main']}), `fine.npz` ({m['fine']}), both with C "
                f"{m['roles_c']}; `cast.npz` ({m['cast']}; C {m['cast_c']}, threshold "
                f"{m['cast_threshold']}, F1 {m['cast_f1']:.3f} out of fold).",
            ),
            ("Data", "SemEval-2025 Task 10 English training release, subtask 1."),
            (
                "Split",
                f"{s['rule']}. Fit: {s['fit_articles']} articles ({s['fit_mentions']} "
                f"mentions); tune: {s['tune_articles']} articles ({s['tune_mentions']} "
                "mentions); the shipped heads are fitted on both. Scored on "
                f"{s['validation_articles']} validation articles ({s['validation_mentions']} "
                "mentions) never used before.",
            ),
            ("Seed", f"{card['seed']}. Training took {card['training_seconds']:.0f} s."),
        ],
        sections=[
            (
                "Validation figures (official metrics, gold mentions given)",
                "| | main-role accuracy | fine-role exact match |\n|---|---|---|\n"
                f"| this model | {v['main_accuracy']:.3f} ({main[0]:.3f}–{main[1]:.3f}) | "
                f"{v['exact_match']:.3f} ({exact[0]:.3f}–{exact[1]:.3f}) |\n"
                f"{baselines}\n\n"
                f"In brackets: 95% intervals from {BOOTSTRAP} resamples of the validation "
                "articles.",
            ),
            ("How sure a role is", _reliability_text(card["reliability"], m)),
        ],
    )


def _reliability_text(r: dict[str, Any], m: dict[str, Any]) -> str:
    return (
        "The roles the layer gives the entities it finds (not the gold mentions above), each "
        "right when its main role is the one most of the entity's gold mentions carry; "
        f"calibrated on {m['calibration_roles']} out-of-fold roles over the fit and tune "
        "articles. "
        + reliability_text(r)
        + f"\n\nOf the {r['roles_shown']} roles the layer gave on the validation articles, "
        f"{r['roles_without_gold']} fall on entities no gold mention falls on (the annotation "
        "marks only some entities of an article), so their role is not scored above; "
        f"{r['uncertain_share_all']:.0%} of all {r['roles_shown']} are marked uncertain. Counted "
        "as wrong, those roles would give an expected calibration error of "
        f"{r['ece_counting_unscored_wrong']:.3f}: the score says how likely the role is right "
        "where the article casts the entity, not whether it casts it."
    )
