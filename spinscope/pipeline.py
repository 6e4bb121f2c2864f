"""The pipeline: article → parse → layers → `Analysis`. The CLI, benchmarks and evaluation are
thin adapters around it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from spinscope.document import Analysis, Article
from spinscope.layers import Findings, resolve
from spinscope.parse import load_nlp, parse

#: The layers `analyze` runs when none are named.
DEFAULT_LAYERS: tuple[str, ...] = ("quotes", "claims")


class Pipeline:
    """Reusable analysis pipeline. Construction does no I/O; models load on first use."""

    def __init__(self, layers: Sequence[str] = DEFAULT_LAYERS) -> None:
        self.layers = resolve(layers)

    def analyze(self, item: str | Article) -> Analysis:
        """Analyse one article (a string is taken as the article's whole text)."""
        article = (
            item if isinstance(item, Article) else Article(id=Article.make_id(item), text=item)
        )
        parsed = parse(article, load_nlp())
        found: Findings = {}
        for layer in self.layers:
            found[layer.name] = layer.run(parsed, found)
        return Analysis(
            article=parsed.article,
            sentences=parsed.sentences,
            paragraphs=parsed.paragraphs,
            quotes=found.get("quotes", []),
            claims=found.get("claims", []),
            warnings=parsed.warnings,
        )

    def pipe(self, articles: Iterable[Article]) -> Iterator[Analysis]:
        for article in articles:
            yield self.analyze(article)


def analyze(item: str | Article, layers: Sequence[str] = DEFAULT_LAYERS) -> Analysis:
    """Analyse one article with the default pipeline."""
    return Pipeline(layers).analyze(item)
