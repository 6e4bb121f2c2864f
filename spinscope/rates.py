"""What a corpus rate is, in one place: the share of a group's articles (an outlet's, a week's)
that carry a label (a technique, a narrative) at least once. The workbench's charts, the REST
API's `/stats` and the corpus report (`spinscope report`) all count this way, and every
percentage is shown with the counts it comes from: 50% of two articles is not 50% of two
hundred."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rate:
    """`carrying` of a group's `articles` carry the label."""

    carrying: int
    articles: int

    @property
    def share(self) -> float:
        return self.carrying / self.articles if self.articles else 0.0

    def __str__(self) -> str:
        return f"{self.share:.0%} ({self.carrying}/{self.articles})"


#: One row of a rate table: the group (an outlet or a week), the label, and the rate's counts.
Row = dict[str, Any]


def rate_row(by: str, key: str, kind: str, label: str, rate: Rate) -> Row:
    """The row of `rate` for the group `key` (an outlet, by="outlet"; a week, by="week") and
    `label` (a technique or narrative, kind="technique" or "narrative"): the articles that
    carry it (`count`), all the group's articles, the share, and the share as shown."""
    return {
        by: key,
        kind: label,
        "count": rate.carrying,
        "articles": rate.articles,
        "rate": rate.share,
        "shown": str(rate),
    }
