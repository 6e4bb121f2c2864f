"""What each technique rule does to the techniques layer's span F1, on the threshold fold of the
training split (the articles where the tagger's thresholds are chosen, never the validation
split): the layer as shipped, the layer without each kept rule, and with each dropped candidate.

A rule whose training precision is under 0.5 is kept only when it raises both span F1s here
(label-matched and label-agnostic); `technique_rules_precision.py` gives the precision. The two
learned word lists (the Loaded_Language lexicon, the affect adjectives' exclusions) ship learned
from the whole training split, this fold included; here they are relearned from the other
training articles only, so that no row is scored on articles its rule learned from.

    python benchmarks/technique_rules_f1.py [DATA_DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping
from pathlib import Path

from rich.console import Console
from rich.table import Table

from spinscope.document import Article
from spinscope.evaluate.semeval import TechniqueSpan, read_techniques_dir
from spinscope.evaluate.techniques import score_spans
from spinscope.layers.techniques import tagged, tagger
from spinscope.layers.techniques.rules import (
    CANDIDATES,
    RULES,
    Rule,
    affect_matcher,
    find,
    lexicon_matcher,
)
from spinscope.parse import Parsed, load_nlp, parse
from spinscope.train.split import three_way
from spinscope.train.technique_lexicons import build_affect_lexicon, build_loaded_lexicon
from spinscope.train.techniques import afinn_valences

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/semeval2023-en/techniques"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    gold = read_techniques_dir(args.data)
    fit_ids, tune_ids, _ = three_way(gold.texts)
    fold = gold.subset(tune_ids)
    nlp = load_nlp()
    fit_docs = dict(zip(fit_ids, nlp.pipe(gold.texts[aid] for aid in fit_ids), strict=True))
    relearned = {
        "loaded_lexicon": lexicon_matcher(build_loaded_lexicon(args.data, article_ids=fit_ids)),
        "affect_adjective": affect_matcher(build_affect_lexicon(gold, fit_docs, afinn_valences())),
    }
    rules = {
        rule_id: dataclasses.replace(rule, match=relearned[rule_id])
        if rule_id in relearned
        else rule
        for rule_id, rule in RULES.items()
    }
    parsed: dict[str, Parsed] = {
        aid: parse(Article(id=aid, text=text), nlp) for aid, text in fold.texts.items()
    }
    from_tagger = {
        aid: [TechniqueSpan(s, e, t) for t, s, e, _ in tagged(p, tagger())]
        for aid, p in parsed.items()
    }

    def scores(rules: Mapping[str, Rule]) -> tuple[float, float]:
        predicted = {
            aid: from_tagger[aid]
            + [TechniqueSpan(h.start, h.end, h.technique) for h in find(p.text, p.doc, rules)]
            for aid, p in parsed.items()
        }
        result = score_spans(fold, predicted)
        return result.f1, result.identification_f1

    table = Table(title=f"Span F1 on the threshold fold ({len(parsed)} training articles)")
    for column in ("layer", "label-matched F1", "change", "label-agnostic F1", "change"):
        table.add_column(column, justify="left" if column == "layer" else "right")
    shipped = scores(rules)

    def row(name: str, figures: tuple[float, float]) -> None:
        matched, agnostic = figures
        table.add_row(
            name,
            f"{matched:.4f}",
            f"{matched - shipped[0]:+.4f}",
            f"{agnostic:.4f}",
            f"{agnostic - shipped[1]:+.4f}",
        )

    row("the layer (tagger and kept rules)", shipped)
    row("tagger alone", scores({}))
    for rule_id in rules:
        row(f"without {rule_id}", scores({k: r for k, r in rules.items() if k != rule_id}))
    for rule_id, rule in CANDIDATES.items():
        row(f"with {rule_id} (dropped)", scores({**rules, rule_id: rule}))
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
