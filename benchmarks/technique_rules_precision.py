"""Precision and recall of each technique rule (`spinscope.layers.techniques.rules`), kept and
dropped, on the TRAINING split of SemEval-2023 Task 3 only (validation articles are never read).

A hit is right when it overlaps a gold span of the rule's technique; recall counts the gold spans
of that technique that some hit of the rule overlaps. The Loaded_Language lexicon is scored twice:
as shipped (learned from all training articles, so in-sample and optimistic) and by k-fold
cross-validation over training articles (each fold scored with a lexicon learned without it),
which is the figure the rule's score uses. Rules of techniques absent from the data show their
hit counts only; `--show RULE` prints a rule's hits in context, to judge them by eye. The affect
adjectives are cross-validated the same way (their exclusions are learned from training gold).

    python benchmarks/technique_rules_precision.py [DATA_DIR] [--folds 5] [--show RULE]
    python benchmarks/technique_rules_precision.py --write-lexicon   # retrain the shipped file
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from spacy.tokens import Doc

from spinscope.evaluate.semeval import TechniqueSpan, read_techniques_dir
from spinscope.layers.techniques.rules import (
    CANDIDATES,
    LEXICON_PATH,
    RULES,
    Matcher,
    Rule,
    affect_matcher,
    find,
    lexicon_matcher,
)
from spinscope.parse import load_nlp
from spinscope.train.split import is_validation
from spinscope.train.technique_lexicons import (
    build_affect_lexicon,
    build_loaded_lexicon,
    write_loaded_lexicon,
)
from spinscope.train.techniques import afinn_valences

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/semeval2023-en/techniques"


@dataclass
class Tally:
    hits: int = 0
    right: int = 0
    gold: int = 0
    gold_found: int = 0

    @property
    def precision(self) -> float | None:
        return self.right / self.hits if self.hits else None

    def add(self, hits: Sequence[tuple[int, int]], gold: Sequence[tuple[int, int]]) -> None:
        def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
            return a[0] < b[1] and b[0] < a[1]

        self.hits += len(hits)
        self.right += sum(any(overlaps(h, g) for g in gold) for h in hits)
        self.gold += len(gold)
        self.gold_found += sum(any(overlaps(h, g) for h in hits) for g in gold)


def gold_of(spans: Sequence[TechniqueSpan], technique: str) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s in spans if s.technique == technique]


def score_rule(
    rule: Rule,
    texts: Mapping[str, str],
    docs: Mapping[str, Doc],
    spans: Mapping[str, Sequence[TechniqueSpan]],
) -> Tally:
    tally = Tally()
    for aid, text in texts.items():
        hits = [(h.start, h.end) for h in rule.hits(text, docs[aid])]
        tally.add(hits, gold_of(spans[aid], rule.technique))
    return tally


def cross_validated(
    learn_matcher: Callable[[list[str]], Matcher],
    texts: Mapping[str, str],
    docs: Mapping[str, Doc],
    spans: Mapping[str, Sequence[TechniqueSpan]],
    folds: int,
) -> Tally:
    """A learned word list's Loaded_Language precision on articles it was not learned from:
    `learn_matcher(ids)` learns it from the articles `ids`."""
    ids = sorted(texts)
    tally = Tally()
    for fold in range(folds):
        held = ids[fold::folds]
        match = learn_matcher([aid for aid in ids if aid not in set(held)])
        for aid in held:
            hits = list(match(texts[aid], docs[aid]))
            tally.add(hits, gold_of(spans[aid], "Loaded_Language"))
    return tally


def show(
    rule: Rule,
    texts: Mapping[str, str],
    docs: Mapping[str, Doc],
    spans: Mapping[str, Sequence[TechniqueSpan]],
) -> None:
    console = Console(highlight=False)
    for aid, text in texts.items():
        for hit in rule.hits(text, docs[aid]):
            labels = sorted(
                {s.technique for s in spans[aid] if hit.start < s.end and s.start < hit.end}
            )
            context = text[max(0, hit.start - 60) : hit.end + 40].replace("\n", " ")
            console.print(f"{aid}\t{text[hit.start : hit.end]!r}\t{labels}\t…{context}…")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--show", metavar="RULE", help="print this rule's hits in context")
    parser.add_argument(
        "--write-lexicon", action="store_true", help=f"relearn and write {LEXICON_PATH}"
    )
    args = parser.parse_args()

    if args.write_lexicon:
        lexicon = build_loaded_lexicon(args.data)
        write_loaded_lexicon(LEXICON_PATH, lexicon, "SemEval-2023 Task 3 English techniques")
        print(f"wrote {len(lexicon)} words to {LEXICON_PATH}")
        return

    gold = read_techniques_dir(args.data)
    all_spans = gold.require_spans()
    texts = {aid: t for aid, t in gold.texts.items() if not is_validation(aid)}
    spans = {aid: all_spans[aid] for aid in texts}
    docs = dict(zip(texts, load_nlp().pipe(texts.values()), strict=True))
    everything = {**RULES, **CANDIDATES}
    if args.show:
        show(everything[args.show], texts, docs, spans)
        return
    training = gold.subset(texts)
    valences = afinn_valences()

    def learned(rule_id: str) -> Callable[[list[str]], Matcher] | None:
        """How to relearn a rule's word list from some articles (None: the rule learns none)."""
        if rule_id == "loaded_lexicon":
            return lambda ids: lexicon_matcher(build_loaded_lexicon(args.data, article_ids=ids))
        if rule_id == "affect_adjective":
            return lambda ids: affect_matcher(
                build_affect_lexicon(training, {aid: docs[aid] for aid in ids}, valences)
            )
        return None

    table = Table(title=f"Technique rules on {len(texts)} training articles ({args.data.name})")
    for column in (
        "rule",
        "technique",
        "kept",
        "hits",
        "right",
        "precision",
        "gold found",
        "score",
    ):
        table.add_column(column, justify="left" if column in ("rule", "technique") else "right")

    def row(name: str, rule: Rule, tally: Tally, kept: str) -> None:
        precision = tally.precision
        table.add_row(
            name,
            rule.technique,
            kept,
            str(tally.hits),
            str(tally.right) if tally.gold else "-",
            f"{precision:.2f}" if precision is not None and tally.gold else "n/a",
            f"{tally.gold_found}/{tally.gold}",
            f"{rule.score:.2f}" + ("" if rule.measured else " prior"),
        )

    stale = []
    for rule_id, rule in everything.items():
        kept = "yes" if rule_id in RULES else "no"
        tally = score_rule(rule, texts, docs, spans)
        row(rule_id, rule, tally, kept)
        learn = learned(rule_id)
        if learn is not None:
            # A learned list's score is its cross-validated precision, not the in-sample one.
            tally = cross_validated(learn, texts, docs, spans, args.folds)
            row(f"  {args.folds}-fold CV", rule, tally, kept)
        precision = tally.precision
        if rule.measured and precision is not None and abs(precision - rule.score) > 0.005:
            stale.append(f"{rule_id}: score {rule.score:.2f}, measured {precision:.2f}")

    started = time.perf_counter()
    for aid, text in texts.items():
        find(text, docs[aid])
    per_article = (time.perf_counter() - started) / len(texts) * 1000
    console = Console(width=150)
    console.print(table)
    console.print(
        "right/precision 'n/a': the technique has no gold span in the data, so the rule cannot "
        "be measured and carries a prior score."
    )
    console.print(f"find(): {per_article:.2f} ms per article on average (all kept rules).")
    for line in stale:
        console.print(f"[red]stale score in technique_rules.py[/red] {line}")


if __name__ == "__main__":
    main()
