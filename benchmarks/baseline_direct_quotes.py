"""The direct-quotes-only baseline for quote attribution: every pair of quote marks is a quote,
with no speaker and no cue. It shows how much of news attribution is indirect speech.

    python benchmarks/baseline_direct_quotes.py ../shared/data/polnear/dev
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from spinscope.document import Quote, Span
from spinscope.evaluate.quotes import evaluate_quotes, scores_table
from spinscope.layers.quotes.quote_marks import find_quote_marks
from spinscope.parse import paragraph_spans


def direct_quotes(name: str, text: str) -> Sequence[Quote]:
    regions, _ = find_quote_marks(text, paragraph_spans(text))
    return [
        Quote(kind="direct", content=[Span.of(text, r.start, r.end)], source="baseline/quote-marks")
        for r in regions
    ]


if __name__ == "__main__":
    data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/polnear/dev")
    scores = evaluate_quotes(data, predict=direct_quotes)
    Console().print(scores_table(scores, "Direct quotes only"))
