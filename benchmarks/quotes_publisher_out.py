"""The attribution tagger trained without one publisher, scored on that publisher's articles:
how the learned step does on a source it never saw.

    python benchmarks/quotes_publisher_out.py [--data DIR] [--publisher NAME] [--out DIR]

PolNeAR's `train/` has 120 articles from each of 7 publishers (`metadata.tsv`). This trains
the tagger exactly as `spinscope train quotes` does (`spinscope.train.quotes.train`), on the
other six publishers' articles (fit and threshold articles split by the usual inner seed),
with the publisher's 120 as the validation articles; the tagger goes into `--out`, never into
`spinscope/models`. It prints the rules alone and the rules with the tagger on those 120
articles, beside the shipped card's figures on its own validation split (157 articles of all
seven publishers). The rules are not learned, so the tagger's gain over them is the figure to
compare: its gain on a publisher it never saw against its gain where it saw every publisher.
30–40 minutes on one core (torch) and about 7 GB.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from spinscope.layers.quotes.attribution import LAYER
from spinscope.ml.heads import MODELS_DIR
from spinscope.train import quotes as training

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear"
FIGURES = ("soft_f1", "iou_f1", "speaker_overlap")


def publisher_articles(data: Path, publisher: str) -> list[str]:
    """The names of `publisher`'s articles in PolNeAR's `train/` compartment."""
    with (data / "metadata.tsv").open(encoding="utf-8") as rows:
        return sorted(
            row["filename"]
            for row in csv.DictReader(rows, delimiter="\t")
            if row["compartment"] == "train" and row["publisher"] == publisher
        )


def line(name: str, scores: dict[str, float]) -> str:
    return f"{name} | " + " / ".join(f"{scores[key]:.3f}" for key in FIGURES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--publisher", default="west-journal")
    parser.add_argument("--out", type=Path, default=Path("/tmp/spinscope-quotes-publisher-out"))
    args = parser.parse_args()
    if not (args.data / "metadata.tsv").is_file():
        parser.error(f"{args.data}: no metadata.tsv there (PolNeAR's publisher of each article)")
    held_out = publisher_articles(args.data, args.publisher)
    if not held_out:
        parser.error(f"{args.data}: no train/ articles of publisher {args.publisher!r}")
    card = training.train(
        args.data, args.out / args.publisher, held_out=set(held_out), progress=print
    )
    shipped = json.loads((MODELS_DIR / LAYER / "card.json").read_text())
    print("figures: content soft F1 / IoU F1 / speaker accuracy (overlap)")
    own, seen = card["validation"], shipped["validation"]
    print(line(f"{args.publisher}, {len(held_out)} articles, rules alone", own["rules"]))
    print(line(f"{args.publisher}, the tagger trained without it", own["rules+tagger"]))
    print(line("shipped card, its validation split, rules alone", seen["rules"]))
    print(line("shipped card, its validation split, rules + tagger", seen["rules+tagger"]))
    for key in FIGURES:
        gain_out = own["rules+tagger"][key] - own["rules"][key]
        gain_in = seen["rules+tagger"][key] - seen["rules"][key]
        print(f"the tagger's gain, {key}: {gain_out:+.3f} unseen publisher, {gain_in:+.3f} shipped")


if __name__ == "__main__":
    main()
