"""The quotes layer's rules alone against the rules with the learned attribution tagger, on a
PolNeAR-style directory: what the learned step adds. The second table is what
`spinscope eval quotes` reports.

    python benchmarks/quotes_rules_vs_tagger.py ../shared/data/polnear/dev
    python benchmarks/quotes_rules_vs_tagger.py ../shared/data/polnear/train --validation

`--validation` scores only the articles `spinscope train quotes` held out for validation
(`spinscope.train.split`), so the figures are those of the model card, measured again.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from spinscope.document import Article
from spinscope.evaluate.brat import Attribution
from spinscope.evaluate.quotes import load_gold, score_quotes, scores_table
from spinscope.layers.quotes import attribution, rule_quotes, without_repeats
from spinscope.parse import load_nlp, parse
from spinscope.train.split import split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="text/ and attributions/ (PolNeAR layout)")
    parser.add_argument(
        "--validation", action="store_true", help="only the training validation split"
    )
    args = parser.parse_args()
    names = None
    if args.validation:
        _, names = split([path.stem for path in (args.data / "text").glob("*.txt")])
    gold = load_gold(args.data, names)
    nlp, head = load_nlp(), attribution.tagger()
    rules, combined = [], []
    for article in gold:
        parsed = parse(Article(id=article.name, text=article.text), nlp)
        found = rule_quotes(parsed)
        for quotes, into in (
            (without_repeats(found), rules),
            (without_repeats(attribution.with_learned(parsed, found, head)), combined),
        ):
            predicted = [Attribution.from_quote(q, id=str(i)) for i, q in enumerate(quotes)]
            into.append((article.attributions, predicted))
    console = Console(highlight=False)
    console.print(scores_table(score_quotes(rules), "Rules alone"))
    console.print(scores_table(score_quotes(combined), "Rules + learned tagger (the layer)"))


if __name__ == "__main__":
    main()
