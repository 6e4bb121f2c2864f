"""Nested cross-validation of the techniques training over every English training article.

    python benchmarks/techniques_cv.py [--data DIR] [--folds 0,1,2,3,4] [--work DIR] [--limit N]
    python benchmarks/techniques_cv.py --report          # the folds done so far, and pooled

The validation split of `spinscope train techniques` holds 85 articles. This scores the same
training procedure on all 371 instead: 5 outer folds by article id (a seeded shuffle of the
sorted ids, dealt round), each trained by `spinscope.train.techniques.train` itself on the other
four fifths (fitted on one part of them and its thresholds, sentence widening and calibration
chosen on the other, split by `INNER_SEED` as always), with the fold as its validation
articles. Each fold trains into `--work` (never into `spinscope/models`), with the rules reading
the Loaded_Language lexicon and the affect adjectives learned in that fold, not the shipped
ones (which were learned on articles of every fold). A fold takes about a quarter of an hour
on one core and is kept in `--work/fold-K.json`, so a run can stop and go on (`--folds 2,3`).

It prints, per fold and pooled over the folds done (every held-out article scored once, by the
official scorers of `spinscope.evaluate.techniques`), span identification F1, label-matched span
F1 and paragraph micro- and macro-F1, beside the trivial baseline for paragraphs (every line
Loaded_Language), and the expected calibration error of the findings shown, as shown.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

from spinscope.document import Article
from spinscope.evaluate.semeval import TechniqueSpan, read_techniques_dir
from spinscope.evaluate.techniques import score_paragraphs
from spinscope.layers.techniques import LAYERS_FILE, shown_techniques
from spinscope.layers.techniques import rules as technique_rules
from spinscope.ml.calibration import ece, ece_floor
from spinscope.ml.heads import read_head
from spinscope.ml.tagger import Tagger
from spinscope.ml.transformer import read_tuned_layers
from spinscope.parse import load_nlp, parse
from spinscope.train import techniques as training
from spinscope.train.split import three_way

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2023-en"
DEFAULT_DATA = DEFAULT_DATA / "techniques"
FOLDS = 5
#: Where the folds train (never `spinscope/models`).
WORK = Path("/tmp/spinscope-techniques-cv")
SHUFFLE_SEED = 1


def folds(ids: list[str]) -> list[list[str]]:
    """The outer folds: the sorted ids shuffled with `SHUFFLE_SEED`, dealt round."""
    order = sorted(ids)
    random.Random(SHUFFLE_SEED).shuffle(order)
    return [sorted(order[k::FOLDS]) for k in range(FOLDS)]


def use_lexicons(out: Path) -> None:
    """Make the rules read the word lists a fold learned (the trainer writes them into `out`)."""
    technique_rules.LEXICON_PATH = out / technique_rules.LEXICON_PATH.name
    technique_rules.AFFECT_PATH = out / technique_rules.AFFECT_PATH.name
    technique_rules.shipped_lexicon.cache_clear()
    technique_rules.shipped_affect_lexicon.cache_clear()


def run_fold(data: Path, work: Path, k: int, held_out: list[str], limit: int | None) -> None:
    out = work / f"fold-{k}"
    use_lexicons(out)
    started = time.monotonic()
    card = training.train(
        data, out, limit=limit, held_out=set(held_out), progress=lambda m: print(f"fold {k}: {m}")
    )
    gold = read_techniques_dir(data)
    scored = three_way(gold.texts, limit, set(held_out))[2]
    tagger = Tagger(read_head(out / "tagger.npz"), read_tuned_layers(out / LAYERS_FILE))
    nlp = load_nlp()
    spans = gold.require_spans()
    found: dict[str, list[list[Any]]] = {}
    for aid in scored:
        parsed = parse(Article(id=aid, text=gold.texts[aid]), nlp)
        found[aid] = [
            [
                f.start,
                f.end,
                f.technique,
                f.score,
                raw,
                training._is_right(f.technique, f.start, f.end, spans[aid]),
            ]
            for f, raw in shown_techniques(parsed, tagger)
        ]
    metrics = training.evaluate(gold.subset(scored), _techniques(found))
    print(
        f"fold {k}: span F1 label-agnostic / labelled, paragraph micro-F1: trainer "
        + " / ".join(f"{x:.4f}" for x in _headline(card["validation"]))
        + ", rescored here "
        + " / ".join(f"{x:.4f}" for x in _headline(metrics))
    )
    record = {
        "fold": k,
        "articles": scored,
        "found": found,
        "card_validation": card["validation"],
        "reliability": card["reliability"],
        "split": card["split"],
        "training_seconds": card["training_seconds"],
        "seconds": time.monotonic() - started,
    }
    (work / f"fold-{k}.json").write_text(json.dumps(record), encoding="utf-8")
    print(f"fold {k}: done in {record['seconds']:.0f} s")


def _techniques(found: dict[str, list[list[Any]]]) -> dict[str, list[Any]]:
    """The findings as `evaluate` takes them (anything with start, end and technique)."""
    return {aid: [TechniqueSpan(s, e, t) for s, e, t, *_ in rows] for aid, rows in found.items()}


def _headline(metrics: dict[str, Any]) -> tuple[float, float, float]:
    return (
        metrics["span_identification"]["f1"],
        metrics["span_labelled"]["f1"],
        metrics["paragraph"]["micro_f1"],
    )


def report(data: Path, work: Path) -> None:
    gold = read_techniques_dir(data)
    done = sorted(work.glob("fold-*.json"))
    if not done:
        print(f"no folds in {work}")
        return
    print(
        "fold  articles  span-id P / R / F1        labelled P / R / F1       paragraph micro / "
        "macro  | baseline micro / macro  | ECE shown (floor, n)  | minutes"
    )
    pooled_found: dict[str, list[list[Any]]] = {}
    rows = []
    for path in done:
        record = json.loads(path.read_text(encoding="utf-8"))
        pooled_found.update(record["found"])
        rows.append(_line(str(record["fold"]), gold, record["found"], record["seconds"]))
    _line("all", gold, pooled_found, None)
    for label in ("span_identification", "span_labelled", "paragraph_micro"):
        values = [row[label] for row in rows]
        print(f"{label} F1: mean of folds {sum(values) / len(values):.3f}, worst {min(values):.3f}")
    print(f"'all': pooled over the {len(pooled_found)} articles of {len(rows)} folds")


def _line(
    name: str, gold: Any, found: dict[str, list[list[Any]]], seconds: float | None
) -> dict[str, float]:
    subset = gold.subset(found)
    metrics = training.evaluate(subset, _techniques(found))
    baseline = score_paragraphs(
        subset, {key: frozenset({"Loaded_Language"}) for key in subset.paragraphs}
    )
    shown = [row[3] for rows in found.values() for row in rows]
    right = [row[5] for rows in found.values() for row in rows]
    si, sl, p = metrics["span_identification"], metrics["span_labelled"], metrics["paragraph"]
    print(
        f"{name:>4}  {len(found):>8}  {si['precision']:.3f} / {si['recall']:.3f} / "
        f"{si['f1']:.3f}     {sl['precision']:.3f} / {sl['recall']:.3f} / {sl['f1']:.3f}     "
        f"{p['micro_f1']:.3f} / {p['macro_f1']:.3f}          | {baseline.micro_f1:.3f} / "
        f"{baseline.macro_f1:.3f}          | {ece(shown, right):.3f} "
        f"({ece_floor(shown):.3f}, {len(shown)})"
        + ("" if seconds is None else f"  | {seconds / 60:.1f}")
    )
    return {
        "span_identification": si["f1"],
        "span_labelled": sl["f1"],
        "paragraph_micro": p["micro_f1"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--folds", default=",".join(str(k) for k in range(FOLDS)))
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--limit", type=int, default=None, help="articles per split (a check)")
    parser.add_argument("--report", action="store_true", help="only report the folds done")
    args = parser.parse_args()
    started = time.monotonic()
    if not args.report:
        gold = read_techniques_dir(args.data)
        outer = folds(list(gold.texts))
        args.work.mkdir(parents=True, exist_ok=True)
        for k in (int(k) for k in args.folds.split(",")):
            if (args.work / f"fold-{k}.json").exists():
                print(f"fold {k}: done before, kept")
                continue
            run_fold(args.data, args.work, k, outer[k], args.limit)
    report(args.data, args.work)
    print(f"{time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
