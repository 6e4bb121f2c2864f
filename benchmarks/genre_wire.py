"""The genre layer on news reports from outlets it never saw: PolNeAR's wire copy.

    python benchmarks/genre_wire.py [--polnear DIR]

Every genre figure of `spinscope train frames` and `frames_cv.py` comes from SemEval-2023's
English articles and their outlets. PolNeAR's wire copy (AP, AFP, Reuters and UPI stories of
the 2016 US election coverage, 75 articles) is news reporting by what it is, from another
corpus, year and set of outlets: a check of how often the layer calls such a report
`reporting`, and of how sure it says it is when it does not. It prints the genres shown, and
the calibrated scores of the wrong ones (median, and how many reach 0.9).
"""

from __future__ import annotations

import argparse
import csv
import statistics
from collections import Counter
from pathlib import Path

from spinscope.document import Article
from spinscope.pipeline import Pipeline

DEFAULT_POLNEAR = Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear"
WIRES = {"AP", "AFP", "Reuters", "reuters", "UPI"}


def wire_reports(polnear: Path) -> list[tuple[str, str]]:
    """(name, text) of every PolNeAR article its metadata credits to a wire service."""
    found = []
    with (polnear / "metadata.tsv").open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows, delimiter="\t"):
            if row["wire"] not in WIRES:
                continue
            for split in ("train", "dev"):
                path = polnear / split / "text" / f"{row['filename']}.txt"
                if path.exists():
                    found.append((row["filename"], path.read_text(encoding="utf-8")))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polnear", type=Path, default=DEFAULT_POLNEAR)
    args = parser.parse_args()
    try:
        reports = wire_reports(args.polnear)
    except (OSError, KeyError) as exc:
        parser.error(f"cannot read PolNeAR's wire reports under {args.polnear}: {exc!r}")
    pipeline = Pipeline(layers=("genre",))
    shown: Counter[str] = Counter()
    wrong: list[float] = []
    for name, text in reports:
        genre = pipeline.analyze(Article(id=name, text=text)).genre
        if genre is None:
            continue
        shown[genre.genre] += 1
        if genre.genre != "reporting" and genre.score is not None:
            wrong.append(genre.score)
    total = sum(shown.values())
    print(f"{total} wire reports: " + ", ".join(f"{g} {n}" for g, n in shown.most_common()))
    if wrong:
        print(
            f"scores of the {len(wrong)} not called reporting: median "
            f"{statistics.median(wrong):.2f}, {sum(s >= 0.9 for s in wrong)} at 0.9 or more"
        )


if __name__ == "__main__":
    main()
