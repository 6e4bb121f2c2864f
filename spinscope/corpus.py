"""A layer's part of the corpus report (`spinscope report`): the sections a layer declares
(`register(..., views=Views(corpus=CorpusView(columns, sections)))`) are computed from its
finding rows and a `Corpus` (each article's outlet and week), and drawn with the one chart stack
(`spinscope.charts`).

A label carried by articles (a technique, a narrative) gets its rates by outlet and by week from
`rate_sections`, which counts as the workbench counts (`spinscope.rates`)."""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from spinscope.charts import rate_heatmap, rate_weeks
from spinscope.rates import Rate, rate_row

#: One table row: column name -> value.
Row = dict[str, Any]

#: How an article without an outlet is grouped.
UNKNOWN_OUTLET = "(unknown)"
#: How many labels the by-week charts draw (the most frequent; the tables keep all).
TOP_SERIES = 8

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class Section:
    """One part of the report: a heading, a note, a chart (a Vega-Lite spec) and its table."""

    key: str
    title: str
    note: str
    rows: list[Row]
    chart: dict[str, Any] | None


def week_of(published: str | None) -> str | None:
    """The Monday of the week of an ISO date at the start of `published`, as YYYY-MM-DD."""
    match = _DATE.match(published or "")
    if not match:
        return None
    try:
        day = datetime.date(*map(int, match.groups()))
    except ValueError:
        return None
    return (day - datetime.timedelta(days=day.weekday())).isoformat()


@dataclass(frozen=True)
class Corpus:
    """The articles of a corpus, by id: their rows (`article_id`, `outlet`, `published`), and
    each one's outlet (`UNKNOWN_OUTLET` without one) and week (None without a date)."""

    articles: Mapping[str, Row]
    outlet: dict[str, str] = field(init=False)
    week: dict[str, str | None] = field(init=False)

    def __post_init__(self) -> None:
        outlets = {a: row["outlet"] or UNKNOWN_OUTLET for a, row in self.articles.items()}
        weeks = {a: week_of(row["published"]) for a, row in self.articles.items()}
        object.__setattr__(self, "outlet", outlets)
        object.__setattr__(self, "week", weeks)

    @classmethod
    def of(cls, rows: Iterable[Row]) -> Corpus:
        return cls({row["article_id"]: row for row in rows})

    def outlet_of(self, article_id: str) -> str:
        return self.outlet.get(article_id, UNKNOWN_OUTLET)


def rate_sections(
    kind: str, title: str, found: Iterable[tuple[str, str]], corpus: Corpus
) -> list[Section]:
    """Rates of `found` (article id, label) by outlet and by week: the share of the group's
    articles that carry the label at least once (`spinscope.rates`), with the counts."""
    per_outlet = Counter(corpus.outlet.values())
    per_week = Counter(w for w in corpus.week.values() if w is not None)
    carried = sorted(set(found))  # an article carries a label once, however many spans
    by_outlet = Counter((corpus.outlet_of(article_id), label) for article_id, label in carried)
    by_week: Counter[tuple[str, str]] = Counter()
    for article_id, label in carried:
        when = corpus.week.get(article_id)
        if when is not None:
            by_week[when, label] += 1
    outlet_rows = [
        rate_row("outlet", o, kind, label, Rate(n, per_outlet[o]))
        for (o, label), n in sorted(by_outlet.items())
    ]
    week_rows = [
        rate_row("week", w, kind, label, Rate(n, per_week[w]))
        for (w, label), n in sorted(by_week.items())
    ]
    totals = Counter(label for _, label in carried)
    top = {label for label, _ in totals.most_common(TOP_SERIES)}
    return [
        Section(
            f"{kind}_rates_by_outlet",
            f"{title} by outlet",
            f"Rate: the share of the outlet's articles that carry the {kind} at least once "
            "(count: those articles; articles: all the outlet's articles analysed).",
            outlet_rows,
            rate_heatmap(outlet_rows, kind) if outlet_rows else None,
        ),
        Section(
            f"{kind}_rates_by_week",
            f"{title} by week",
            f"Rate: the share of the week's articles that carry the {kind} at least once (weeks "
            f"start on Monday; the chart draws the {TOP_SERIES} most frequent, the table has all).",
            week_rows,
            rate_weeks([r for r in week_rows if r[kind] in top], kind) if week_rows else None,
        ),
    ]


def inline(rows: list[Row]) -> dict[str, Any]:
    """Rows as a Vega-Lite inline data set."""
    return {"values": rows}
