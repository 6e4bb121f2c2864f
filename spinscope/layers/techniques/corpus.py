"""The techniques layer's part of the corpus report (`spinscope.corpus`): the share of each
outlet's and each week's articles that carry each technique."""

from __future__ import annotations

from spinscope.corpus import Corpus, Row, Section, rate_sections

#: The columns of the techniques table the report reads.
COLUMNS = ("article_id", "technique")


def sections(rows: list[Row], corpus: Corpus) -> list[Section]:
    found = [(row["article_id"], row["technique"]) for row in rows]
    return rate_sections("technique", "Persuasion techniques", found, corpus)
