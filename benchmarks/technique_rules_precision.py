"""Precision and recall of each technique rule (`spinscope.layers.technique_rules`), kept and
dropped, on the TRAINING split of SemEval-2023 Task 3 only (validation articles are never read).

A hit is right when it overlaps a gold span of the rule's technique; recall counts the gold spans
of that technique that some hit of the rule overlaps. The Loaded_Language lexicon is scored twice:
as shipped (learned from all training articles, so in-sample and optimistic) and by k-fold
cross-validation over training articles (each fold scored with a lexicon learned without it),
which is the figure the rule's score uses. Rules of techniques absent from the data show their
hit counts only; `--show RULE` prints a rule's hits in context, to judge them by eye.

    python benchmarks/technique_rules_precision.py [DATA_DIR] [--folds 5] [--show RULE]
    python benchmarks/technique_rules_precision.py --write-lexicon   # retrain the shipped file
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from spinscope.evaluate.semeval import TechniqueSpan, read_techniques_dir
from spinscope.layers.technique_rules import (
    CANDIDATES,
    LEXICON_PATH,
    RULES,
    Rule,
    build_loaded_lexicon,
    find,
    lexicon_matcher,
    write_loaded_lexicon,
)
from spinscope.train.split import is_validation

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
    rule: Rule, texts: Mapping[str, str], spans: Mapping[str, Sequence[TechniqueSpan]]
) -> Tally:
    tally = Tally()
    for aid, text in texts.items():
        hits = [(h.start, h.end) for h in rule.hits(text)]
        tally.add(hits, gold_of(spans[aid], rule.technique))
    return tally


def cross_validated_lexicon(
    data: Path,
    texts: Mapping[str, str],
    spans: Mapping[str, Sequence[TechniqueSpan]],
    folds: int,
) -> Tally:
    ids = sorted(texts)
    tally = Tally()
    for fold in range(folds):
        held = ids[fold::folds]
        learn = [aid for aid in ids if aid not in set(held)]
        match = lexicon_matcher(build_loaded_lexicon(data, article_ids=learn))
        for aid in held:
            hits = list(match(texts[aid], None))
            tally.add(hits, gold_of(spans[aid], "Loaded_Language"))
    return tally


def show(
    rule: Rule, texts: Mapping[str, str], spans: Mapping[str, Sequence[TechniqueSpan]]
) -> None:
    console = Console(highlight=False)
    for aid, text in texts.items():
        for hit in rule.hits(text):
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
    everything = {**RULES, **CANDIDATES}
    if args.show:
        show(everything[args.show], texts, spans)
        return

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
        tally = score_rule(rule, texts, spans)
        row(rule_id, rule, tally, kept)
        if rule_id == "loaded_lexicon":
            # The lexicon's score is its cross-validated precision, not the in-sample one.
            tally = cross_validated_lexicon(args.data, texts, spans, args.folds)
            row(f"  {args.folds}-fold CV", rule, tally, kept)
        precision = tally.precision
        if rule.measured and precision is not None and abs(precision - rule.score) > 0.005:
            stale.append(f"{rule_id}: score {rule.score:.2f}, measured {precision:.2f}")

    started = time.perf_counter()
    for text in texts.values():
        find(text)
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
