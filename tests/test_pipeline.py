"""`analyze_many` with worker processes: input order, and how far it reads ahead."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from spinscope.document import Analysis, Article
from spinscope.ingest import sample_article
from spinscope.pipeline import _HELD_PER_WORKER, analyze_many

LAYERS = ("quotes", "claims")  # spaCy and rules only: quick to load in each worker
SHORT = "Council backs plan\nThe council said that the plan would cut costs by {n} percent.\n"


def test_a_long_article_first_keeps_the_input_order() -> None:
    """The first article takes far longer than the eight after it: the other worker goes on
    with them, and the results still come in input order, the same as with one worker."""
    sample = sample_article()
    long = Article(id="long", text="\n\n".join([sample.text] * 12))
    shorts = [Article(id=f"s{n}", text=SHORT.format(n=n)) for n in range(8)]
    items = [(article, article.id) for article in [long, *shorts]]
    two = list(analyze_many(items, layers=LAYERS, workers=2))
    one = list(analyze_many(items, layers=LAYERS, workers=1))
    assert [context for _, context in two] == ["long", *(f"s{n}" for n in range(8))]
    assert all(isinstance(result, Analysis) for result, _ in two)
    assert [result for result, _ in two] == [result for result, _ in one]
    long_result = two[0][0]
    assert isinstance(long_result, Analysis) and len(long_result.quotes) >= 12


def test_reads_a_bounded_number_of_articles_ahead() -> None:
    """An endless stream: after the first result, no more than the bound has been read."""
    taken: list[int] = []

    def endless() -> Iterator[tuple[Article, int]]:
        for n in itertools.count():
            taken.append(n)
            yield Article(id=f"s{n}", text=SHORT.format(n=n)), n

    results = analyze_many(endless(), layers=LAYERS, workers=2)
    first_result, first_context = next(results)
    results.close()  # shuts the pool down
    assert isinstance(first_result, Analysis) and first_context == 0
    assert len(taken) <= _HELD_PER_WORKER * 2
