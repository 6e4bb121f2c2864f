"""`Store`: analyses kept in a database, with filters, full-text search and corpus statistics.

One article is one row, found again by its id or, failing that, by the hash of its text: saving
an analysis of an article already stored updates that article instead of adding a second one.
Each article keeps one analysis per spinscope version; the newest version is the `current` one,
which lists, filters, search and statistics read. Every save is one transaction: the article,
its analysis JSON and the flattened findings are committed together or not at all;
`save_all` commits several in one transaction (a chunk of a batch run, with its commit record).

Reviewers' corrections (`correct`, `spinscope.review`) are kept apart from the analyses: an
analysis is stored as its model made it, and read back (`get`), flattened and counted as
reviewed, so that a re-analysis keeps every correction.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from packaging.version import InvalidVersion, Version
from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    and_,
    column,
    delete,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from spinscope.document import Analysis, Article
from spinscope.errors import SpinscopeError
from spinscope.layers import Layer, correctable, facets, searched
from spinscope.rates import Rate
from spinscope.review import Corrected, Correction, check, reviewed
from spinscope.store.engine import WRITE, open_engine
from spinscope.store.jobs import JobQueue
from spinscope.store.models import AnalysisRow, ArticleRow, CorrectionRow, FindingRow
from spinscope.tables import finding_tables, indexed

#: What statistics are grouped by.
StatsBy = Literal["outlet", "week"]

#: Words left out of a search query: "what did Peskov say about NATO?" looks for Peskov and NATO.
STOP_WORDS = frozenset(
    "a an and are as at be by did do does for from has have he her his how i in is it its me "
    "of on or our she so that the their them they this to was we were what when where which "
    "who whom why will with you your say says said tell tells told about".split()
)

#: The article's metadata that a save of an article already stored keeps where the new analysis
#: has none (an empty title, no outlet, …).
KEPT_METADATA = ("title", "url", "outlet", "published", "author", "language")

#: What a reviewer decided that makes a finding count even if it is uncertain.
ACCEPTED = ("confirmed", "edited", "added")

#: The metadata of a stored article that `update` may change.
EDITABLE = ("title", "url", "outlet", "published", "author", "language")

#: A query of any columns.
_Query = Select[*tuple[Any, ...]]

#: Saves retried after a conflict with a concurrent save of the same article.
_SAVE_ATTEMPTS = 5


@dataclass(frozen=True)
class Filters:
    """Which articles a list, search or statistic covers. None means any."""

    outlet: str | None = None
    since: date | None = None
    until: date | None = None
    #: By facet (`spinscope.layers.Facet`, by its name): the articles with a finding of that
    #: label ("technique": "Doubt"), or, for a facet without choices, whose label contains it.
    labels: Mapping[str, str] = field(default_factory=dict)
    #: The articles a search for these words finds (in their title or text; `search`).
    search: str | None = None
    #: Whether uncertain findings (`spinscope.ml.calibration`) count for the label filters and
    #: the rates (`stats`): by default they do not, as suggestions.
    uncertain: bool = False

    def query_params(self) -> dict[str, str]:
        """The filters that are set, as strings (for links and exports)."""
        values = {
            "outlet": self.outlet,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            **self.labels,
            "q": self.search,
            "uncertain": "true" if self.uncertain else None,
        }
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class ArticleSummary:
    """One stored article and, by finding table (`spinscope.tables.finding_tables`), how many
    findings its current analysis has there."""

    id: str
    title: str
    outlet: str | None
    published: str | None
    url: str | None
    spinscope_version: str
    counts: dict[str, int]
    updated_at: datetime


@dataclass(frozen=True)
class Snippet:
    """A stretch of text around a search hit, as pieces; `hit` pieces matched a search word."""

    pieces: tuple[tuple[str, bool], ...]

    @property
    def text(self) -> str:
        return "".join(piece for piece, _ in self.pieces)


@dataclass(frozen=True)
class ArticleHit:
    article: ArticleSummary
    snippet: Snippet


@dataclass(frozen=True)
class FindingHit:
    """A finding a search found: its article, its words and offsets, and the columns its
    layer shows with it (`spinscope.layers.Search.shown`: a quote's speaker and verb)."""

    article_id: str
    article_title: str
    outlet: str | None
    published: str | None
    shown: dict[str, Any]
    text: str
    start: int | None
    end: int | None
    snippet: Snippet


@dataclass(frozen=True)
class SearchResults:
    """What a search found: articles, and the hits among each searched layer's findings, by
    its table, in the registry's order (every searched table, empty where nothing was found)."""

    query: str
    words: tuple[str, ...]
    articles: list[ArticleHit] = field(default_factory=list)
    findings: dict[str, list[FindingHit]] = field(default_factory=dict)


#: The orders of the review queue (`Store.queue`).
QueueOrder = Literal["uncertain", "checkworthy", "disagreements"]
QUEUE_ORDERS: dict[str, str] = {
    "uncertain": "the findings the models are least sure of (a score nearest 0.5) first",
    "checkworthy": "the claims most worth checking first",
    "disagreements": "where a newer model disagrees with a reviewer",
}


@dataclass(frozen=True)
class QueueItem:
    """A finding in the review queue: its article, its kind and index there (its layer's
    findings, `Analysis.findings`), its label, words, offsets and score, and what a reviewer
    decided (disagreements only)."""

    article_id: str
    article_title: str
    outlet: str | None
    kind: str
    field: str
    index: int
    label: str | None
    text: str
    start: int | None
    end: int | None
    score: float | None
    review: str | None


@dataclass(frozen=True)
class StatsRow:
    """One outlet or week: how many articles, and how many of them carry each label."""

    key: str
    articles: int
    counts: dict[str, int]

    def rate_of(self, label: str) -> Rate:
        """The share of these articles that carry `label`, with its counts."""
        return Rate(self.counts.get(label, 0), self.articles)

    def rate(self, label: str) -> float:
        return self.rate_of(label).share


class Store:
    """Analyses in a database: SQLite (a path or `sqlite:///…`, the default file when None) or
    PostgreSQL (`postgresql://…`). Opening it runs the migrations."""

    def __init__(self, db: str | Path | None = None) -> None:
        self.engine: Engine = open_engine(db)
        self.dialect = self.engine.dialect.name
        #: The workbench's background jobs, in the same database.
        self.jobs = JobQueue(self.engine)

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with Session(self.engine.execution_options(**{WRITE: True})) as session, session.begin():
            yield session

    def save(self, analysis: Analysis, layers: Sequence[str] = ()) -> Analysis:
        """Store `analysis` and return it as stored.

        An article already stored with the same id, or else with the same text, is updated: the
        analysis returned carries the stored article's id, and its title, URL, outlet, date,
        author and language where `analysis` has none (`KEPT_METADATA`). An analysis of the
        same spinscope version replaces the one stored; another version is kept beside it.
        """
        return self.save_all([analysis], layers)[0]

    def save_all(
        self,
        analyses: Sequence[Analysis],
        layers: Sequence[str] = (),
        also: Callable[[Session], None] | None = None,
    ) -> list[Analysis]:
        """Store every analysis of `analyses` as `save` does, all in one transaction, and
        return them as stored. `also`, when given, adds its own rows to that transaction
        (the commit record of a batch chunk): everything is committed together or not at all.
        """
        for attempt in range(_SAVE_ATTEMPTS):
            try:
                with self._write() as session:
                    stored = [self._save(session, analysis, layers) for analysis in analyses]
                    if also is not None:
                        also(session)
                    return stored
            except IntegrityError:
                # Another save inserted the same article or version first: go again (the
                # whole transaction), and find it this time.
                if attempt == _SAVE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _save(self, session: Session, analysis: Analysis, layers: Sequence[str]) -> Analysis:
        where = next((path for path, _ in _reviews(analysis)), None)
        if where is not None:
            raise SpinscopeError(
                f"{where} carries a review: the store keeps a model's analysis, and reviewers' "
                f"corrections apart (Store.correct); save the analysis as the model made it"
            )
        article = analysis.article
        text_hash = hashlib.sha256(article.text.encode("utf-8")).hexdigest()
        now = datetime.now(UTC)
        row = session.scalar(
            select(ArticleRow).where(ArticleRow.id == article.id).with_for_update()
        )
        if row is None:
            row = session.scalar(
                select(ArticleRow)
                .where(ArticleRow.text_hash == text_hash)
                .order_by(ArticleRow.pk)
                .limit(1)
                .with_for_update()
            )
        if row is None:
            row = ArticleRow(id=article.id, created_at=now)
            session.add(row)
        else:
            # the stored article's id, and its metadata where the new analysis gives none: a
            # re-analysis without an outlet does not erase the one stored
            kept = {
                name: getattr(row, name)
                for name in KEPT_METADATA
                if not getattr(article, name) and getattr(row, name)
            }
            if kept or row.id != article.id:
                article = article.model_copy(update={**kept, "id": row.id})
                analysis = analysis.model_copy(update={"article": article})
        row.text_hash = text_hash
        row.title = article.title
        row.text = article.text
        row.url = article.url
        row.outlet = article.outlet
        row.published = article.published
        row.published_date = _date(article.published)
        row.author = article.author
        row.language = article.language
        row.updated_at = now
        session.flush()

        stored = session.scalar(
            select(AnalysisRow).where(
                AnalysisRow.article_pk == row.pk,
                AnalysisRow.spinscope_version == analysis.spinscope_version,
            )
        )
        if stored is None:
            stored = AnalysisRow(
                article_pk=row.pk, spinscope_version=analysis.spinscope_version, created_at=now
            )
            session.add(stored)
        else:
            session.execute(delete(FindingRow).where(FindingRow.analysis_pk == stored.pk))
        stored.schema_version = analysis.schema_version
        stored.layers = ",".join(layers)
        stored.data = analysis.to_json(indent=None)
        stored.updated_at = now
        stored.current = False
        session.flush()
        analysis = reviewed(analysis, _corrections(session, CorrectionRow.article_pk == row.pk))
        session.add_all(_finding_rows(analysis, row.pk, stored.pk))

        _mark_current(session, row.pk)
        return analysis

    def correct(self, article_id: str, correction: Correction, reviewer: str) -> Corrected | None:
        """Keep `reviewer`'s `correction` of the article's current analysis, and return it as
        kept (None if there is no such article). `spinscope.review.CorrectionError` names what
        is wrong with a correction that cannot be made. Corrections of one article are made
        one after the other (the article's row is locked), each checked against the analysis
        as the ones before left it."""
        with self._write() as session:
            row = session.scalar(
                select(ArticleRow).where(ArticleRow.id == article_id).with_for_update()
            )
            if row is None:
                return None
            current = session.scalar(
                select(AnalysisRow).where(AnalysisRow.article_pk == row.pk, AnalysisRow.current)
            )
            assert current is not None, "a stored article has a current analysis"
            model = Analysis.from_json(current.data)
            before = _corrections(session, CorrectionRow.article_pk == row.pk)
            checked = check(correction, reviewed(model, before), reviewer)
            kept = CorrectionRow(
                article_pk=row.pk,
                kind=checked.kind,
                action=checked.action,
                finding=_json(checked.finding),
                after=_json(checked.after),
                note=checked.note,
                reviewer=reviewer,
                spinscope_version=current.spinscope_version,
                model=checked.model,
                created_at=datetime.now(UTC),
            )
            session.add(kept)
            session.flush()
            corrected = _corrected(kept, row.id)
            session.execute(delete(FindingRow).where(FindingRow.analysis_pk == current.pk))
            session.add_all(
                _finding_rows(reviewed(model, [*before, corrected]), row.pk, current.pk)
            )
            return corrected

    def corrections(
        self,
        article_id: str | None = None,
        reviewer: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[Corrected]:
        """The corrections kept, oldest first: of one article, by one reviewer, of one kind,
        made at or after `since`; at most `limit` (the newest)."""
        conditions: list[ColumnElement[bool]] = []
        if article_id is not None:
            conditions.append(ArticleRow.id == article_id)
        if reviewer is not None:
            conditions.append(CorrectionRow.reviewer == reviewer)
        if kind is not None:
            conditions.append(CorrectionRow.kind == kind)
        if since is not None:
            conditions.append(CorrectionRow.created_at >= since)
        with Session(self.engine) as session:
            return _corrections(session, *conditions, limit=limit)

    def reviewed(self, kinds: Sequence[str]) -> Iterator[Analysis]:
        """The current analysis, as reviewed, of each article that a reviewer corrected a
        finding of one of `kinds` in (notes aside), in the order they were stored."""
        query = (
            select(ArticleRow.id)
            .where(
                exists().where(
                    CorrectionRow.article_pk == ArticleRow.pk,
                    CorrectionRow.kind.in_(kinds),
                    CorrectionRow.action != "note",
                )
            )
            .order_by(ArticleRow.pk)
        )
        with Session(self.engine) as session:
            ids = list(session.scalars(query))
        for article_id in ids:
            analysis = self.get(article_id)
            if analysis is not None:  # deleted since
                yield analysis

    def update(self, article_id: str, **metadata: str | None) -> Analysis | None:
        """Change the metadata of a stored article (`EDITABLE`: title, URL, outlet, date,
        author, language; None clears one, a title becomes empty) in the article and in each of
        its analyses, and return its current analysis (None if there is no such article)."""
        unknown = sorted(set(metadata) - set(EDITABLE))
        if unknown:
            raise SpinscopeError(
                f"cannot change {', '.join(unknown)}; an article's metadata is: "
                f"{', '.join(EDITABLE)}"
            )
        with self._write() as session:
            row = session.scalar(
                select(ArticleRow).where(ArticleRow.id == article_id).with_for_update()
            )
            if row is None:
                return None
            changes = {
                name: "" if name == "title" and value is None else value
                for name, value in metadata.items()
            }
            for name, value in changes.items():
                setattr(row, name, value)
            row.published_date = _date(row.published)
            row.updated_at = datetime.now(UTC)
            for stored in session.scalars(
                select(AnalysisRow).where(AnalysisRow.article_pk == row.pk)
            ):
                analysis = Analysis.from_json(stored.data)
                article = Article.model_validate({**analysis.article.model_dump(), **changes})
                stored.data = analysis.model_copy(update={"article": article}).to_json(indent=None)
        return self.get(article_id)

    def delete(self, article_id: str) -> bool:
        """Delete an article with all its analyses; False if there was none."""
        with self._write() as session:
            result = session.execute(delete(ArticleRow).where(ArticleRow.id == article_id))
            return bool(getattr(result, "rowcount", 0))

    def delete_version(self, article_id: str, version: str) -> bool:
        """Delete the analysis of an article by spinscope `version`; False if there was none.
        The newest version left becomes current; an article left with none is deleted."""
        with self._write() as session:
            by_id = select(ArticleRow).where(ArticleRow.id == article_id)
            row = session.scalar(by_id.with_for_update())
            if row is None:
                return False
            result = session.execute(
                delete(AnalysisRow).where(
                    AnalysisRow.article_pk == row.pk, AnalysisRow.spinscope_version == version
                )
            )
            if not getattr(result, "rowcount", 0):
                return False
            if not _mark_current(session, row.pk):
                session.delete(row)
                return True
            current = session.scalar(
                select(AnalysisRow).where(AnalysisRow.article_pk == row.pk, AnalysisRow.current)
            )
            assert current is not None
            # the findings of the version now current, as reviewed since it was saved
            session.execute(delete(FindingRow).where(FindingRow.analysis_pk == current.pk))
            model = Analysis.from_json(current.data)
            corrected = reviewed(model, _corrections(session, CorrectionRow.article_pk == row.pk))
            session.add_all(_finding_rows(corrected, row.pk, current.pk))
            return True

    # -- reading -------------------------------------------------------------------------

    def get(self, article_id: str, version: str | None = None) -> Analysis | None:
        """The current analysis of an article (or that of spinscope `version`), None if absent."""
        query = select(AnalysisRow.data).join(ArticleRow).where(ArticleRow.id == article_id)
        query = query.where(
            AnalysisRow.current if version is None else AnalysisRow.spinscope_version == version
        )
        with Session(self.engine) as session:
            data = session.scalar(query)
            if data is None:
                return None
            return reviewed(
                Analysis.from_json(data), _corrections(session, ArticleRow.id == article_id)
            )

    def versions(self, article_id: str) -> list[Analysis]:
        """Every stored analysis of an article, newest spinscope version first."""
        query = (
            select(AnalysisRow.spinscope_version, AnalysisRow.data)
            .join(ArticleRow)
            .where(ArticleRow.id == article_id)
        )
        with Session(self.engine) as session:
            rows = sorted(
                session.execute(query).all(),
                key=lambda r: _version_key(r.spinscope_version),
                reverse=True,
            )
            corrections = _corrections(session, ArticleRow.id == article_id) if rows else []
        return [reviewed(Analysis.from_json(r.data), corrections) for r in rows]

    def articles(
        self, filters: Filters = Filters(), limit: int = 50, offset: int = 0
    ) -> list[ArticleSummary]:
        """Summaries of the stored articles that pass `filters`, newest first."""
        query = (
            self._summaries()
            .where(self._filtered(filters))
            .order_by(
                ArticleRow.published_date.desc().nulls_last(),
                ArticleRow.updated_at.desc(),
                ArticleRow.pk.desc(),
            )
            .limit(limit)
            .offset(offset)
        )
        with Session(self.engine) as session:
            return [_summary(r) for r in session.execute(query)]

    def count(self, filters: Filters = Filters()) -> int:
        """How many stored articles pass `filters`."""
        with Session(self.engine) as session:
            return (
                session.scalar(
                    select(func.count()).select_from(ArticleRow).where(self._filtered(filters))
                )
                or 0
            )

    def outlets(self) -> list[str]:
        """Every outlet of a stored article, in order."""
        query = select(ArticleRow.outlet).where(ArticleRow.outlet.is_not(None)).distinct()
        with Session(self.engine) as session:
            return sorted(o for o in session.scalars(query) if o)

    def search(self, query: str, filters: Filters = Filters(), limit: int = 20) -> SearchResults:
        """Articles (title and text), and the findings of each layer that declares a search
        (label and words), that contain every word of `query` but common ones ("what did X say
        about Y" looks for X and Y), best first; at most `limit` of each."""
        words = search_words(query)
        layers = searched()
        if not words:
            return SearchResults(query, (), findings={layer.field: [] for layer in layers})
        with Session(self.engine) as session:
            if self.dialect == "sqlite":
                match = " ".join(f'"{w}"' for w in words)
                afts = table("articles_fts", column("rowid"), column("rank"))
                qfts = table("findings_fts", column("rowid"), column("rank"))
                article_query = (
                    self._summaries()
                    .join(afts, afts.c.rowid == ArticleRow.pk)
                    .where(text("articles_fts MATCH :match"))
                    .order_by(afts.c.rank)
                )
                finding_query = (
                    self._findings()
                    .join(qfts, qfts.c.rowid == FindingRow.pk)
                    .where(text("findings_fts MATCH :match"))
                    .order_by(qfts.c.rank)
                )
                params: dict[str, Any] = {"match": match}
            else:
                tsquery = func.to_tsquery("english", " & ".join(words))
                asearch: ColumnElement[Any] = literal_column("articles.search")
                qsearch: ColumnElement[Any] = literal_column("findings.search")
                article_query = (
                    self._summaries()
                    .where(asearch.bool_op("@@")(tsquery))
                    .order_by(func.ts_rank(asearch, tsquery).desc())
                )
                finding_query = (
                    self._findings()
                    .where(qsearch.bool_op("@@")(tsquery))
                    .order_by(func.ts_rank(qsearch, tsquery).desc())
                )
                params = {}
            where = self._filtered(replace(filters, search=None))  # the query is the search
            articles = session.execute(
                article_query.add_columns(ArticleRow.text).where(where).limit(limit), params
            ).all()
            hits = {
                layer.field: session.execute(
                    finding_query.where(where, FindingRow.layer == layer.field).limit(limit),
                    params,
                ).all()
                for layer in layers
            }
        return SearchResults(
            query,
            words,
            [ArticleHit(_summary(r), snippet(r.text, words)) for r in articles],
            {layer.field: [_hit(layer, r, words) for r in hits[layer.field]] for layer in layers},
        )

    def labelled(self, filters: Filters, limit: int = 50) -> dict[str, list[FindingHit]]:
        """For each label filter set on a layer whose findings the search looks in (the
        speaker filter), those findings that carry the label, in the articles the filters
        select, newest article first: what the speaker said, not only where. By the layer's
        field; layers without such a filter set are left out."""
        found: dict[str, list[FindingHit]] = {}
        known = facets()
        for name, value in filters.labels.items():
            if not value or name not in known:
                continue
            layer, facet = known[name]
            if layer.table is None or layer.table.search is None:
                continue
            matches = (
                FindingRow.label == value
                if facet.choices is not None
                else _containing(value)(FindingRow.label)
            )
            query = (
                self._findings()
                .where(self._filtered(filters), FindingRow.layer == layer.field, matches)
                .where(counted(FindingRow, filters.uncertain))
                .order_by(
                    ArticleRow.published_date.desc().nulls_last(),
                    ArticleRow.pk.desc(),
                    FindingRow.idx,
                )
                .limit(limit)
            )
            with Session(self.engine) as session:
                rows = session.execute(query).all()
            found[layer.field] = [_hit(layer, row, ()) for row in rows]
        return found

    def stats(
        self, by: StatsBy = "outlet", of: str = "technique", filters: Filters = Filters()
    ) -> list[StatsRow]:
        """For each outlet (or week of publication, `YYYY-MM-DD` of its Monday), the number of
        articles and how many of them carry each label of the facet `of` (a technique, say) at
        least once (in a finding that is not uncertain, unless `filters.uncertain`). `of` is a
        facet with choices (`rated()`); `SpinscopeError` otherwise."""
        layer = _rated_layer(of)
        if by == "outlet":
            key: ColumnElement[Any] = func.coalesce(ArticleRow.outlet, "")
        elif self.dialect == "sqlite":
            key = func.date(ArticleRow.published_date, "-6 days", "weekday 1")
        else:
            key = func.to_char(func.date_trunc("week", ArticleRow.published_date), "YYYY-MM-DD")
        label = FindingRow.label
        where = self._filtered(filters)
        if by == "week":
            where = and_(where, ArticleRow.published_date.is_not(None))
        totals_query = (
            select(key.label("key"), func.count(ArticleRow.pk)).where(where).group_by(key)
        )
        counts_query = (
            select(key.label("key"), label, func.count(func.distinct(ArticleRow.pk)))
            .select_from(ArticleRow)
            .join(FindingRow, FindingRow.article_pk == ArticleRow.pk)
            .join(AnalysisRow, and_(AnalysisRow.pk == FindingRow.analysis_pk, AnalysisRow.current))
            .where(where, FindingRow.layer == layer.field)
            .where(counted(FindingRow, filters.uncertain))
            .group_by(key, label)
        )
        with Session(self.engine) as session:
            totals = {k: n for k, n in session.execute(totals_query)}
            rows = {k: StatsRow(k, n, {}) for k, n in totals.items()}
            for k, name, n in session.execute(counts_query):
                rows[k].counts[name] = n
        order = sorted(rows) if by == "week" else sorted(rows, key=lambda k: (-rows[k].articles, k))
        return [rows[k] for k in order]

    def queue(
        self,
        order: QueueOrder = "uncertain",
        filters: Filters = Filters(),
        limit: int = 50,
        offset: int = 0,
    ) -> list[QueueItem]:
        """The findings of current analyses most worth a reviewer's look, by `order`
        (`QUEUE_ORDERS`): findings no reviewer has decided on, the least sure first, or the
        claims most worth checking first; or the reviewed findings whose model disagrees."""
        kinds = {layer.field: kind for kind, layer in correctable().items() if layer.table}
        query = _current_findings(
            ArticleRow.id,
            ArticleRow.title,
            ArticleRow.outlet,
            FindingRow.layer,
            FindingRow.idx,
            FindingRow.label,
            FindingRow.text,
            FindingRow.start,
            FindingRow.end,
            FindingRow.score,
            FindingRow.review,
        ).where(self._filtered(filters), FindingRow.layer.in_(kinds))
        if order == "disagreements":
            query = query.where(FindingRow.model_agrees.is_(False)).order_by(
                ArticleRow.updated_at.desc()
            )
        elif order == "checkworthy":
            query = query.where(
                FindingRow.review.is_(None),
                FindingRow.layer == correctable()["claim"].field,
                FindingRow.score.is_not(None),
            ).order_by(FindingRow.score.desc())
        else:
            query = query.where(
                FindingRow.review.is_(None), FindingRow.score.is_not(None)
            ).order_by(func.abs(FindingRow.score - 0.5))
        query = query.order_by(ArticleRow.pk, FindingRow.layer, FindingRow.idx)
        with Session(self.engine) as session:
            rows = session.execute(query.limit(limit).offset(offset)).all()
        return [
            QueueItem(
                article_id=r.id,
                article_title=r.title,
                outlet=r.outlet,
                kind=kinds[r.layer],
                field=r.layer,
                index=r.idx,
                label=r.label,
                text=r.text,
                start=r.start,
                end=r.end,
                score=r.score,
                review=r.review,
            )
            for r in rows
        ]

    # -- query parts ---------------------------------------------------------------------

    def _summaries(self) -> _Query:
        counts = [
            select(func.count())
            .where(
                FindingRow.analysis_pk == AnalysisRow.pk,
                FindingRow.layer == table,
                FindingRow.review.is_distinct_from("rejected"),
            )
            .correlate(AnalysisRow)
            .scalar_subquery()
            .label(f"count_{i}")
            for i, table in enumerate(finding_tables())
        ]
        return (
            select(
                ArticleRow.id,
                ArticleRow.title,
                ArticleRow.outlet,
                ArticleRow.published,
                ArticleRow.url,
                ArticleRow.updated_at,
                AnalysisRow.spinscope_version,
                *counts,
            )
            .select_from(ArticleRow)
            .join(AnalysisRow, and_(AnalysisRow.article_pk == ArticleRow.pk, AnalysisRow.current))
        )

    def _findings(self) -> _Query:
        """The searched findings of current analyses, with their articles."""
        return _current_findings(
            ArticleRow.id,
            ArticleRow.title,
            ArticleRow.outlet,
            ArticleRow.published,
            FindingRow.data,
            FindingRow.text,
            FindingRow.start,
            FindingRow.end,
        ).where(FindingRow.searched)

    def _filtered(self, filters: Filters) -> ColumnElement[bool]:
        """The condition on `ArticleRow` for `filters`: articles with a current analysis (all
        of them when no filter is set). Subqueries use aliases, so that they never correlate
        with the tables of the query they are put in."""
        conditions: list[ColumnElement[bool]] = [_has_current(ArticleRow.pk)]
        if filters.outlet:
            conditions.append(ArticleRow.outlet == filters.outlet)
        if filters.since:
            conditions.append(ArticleRow.published_date >= filters.since)
        if filters.until:
            conditions.append(ArticleRow.published_date <= filters.until)
        known = facets()
        for name, value in filters.labels.items():
            if not value:
                continue
            if name not in known:
                raise SpinscopeError(
                    f"no filter {name!r}; the filters by label are: {', '.join(known) or 'none'}"
                )
            layer, facet = known[name]
            label = value if facet.choices is not None else _containing(value)
            conditions.append(_found(layer.field, label, filters.uncertain))
        words = search_words(filters.search or "")
        if words:
            conditions.append(self._matching(words))
        return and_(*conditions)

    def _matching(self, words: Sequence[str]) -> ColumnElement[bool]:
        """The article's title or text contains every one of `words` (as `search` finds)."""
        if self.dialect == "sqlite":
            match = " ".join(f'"{w}"' for w in words)
            fts: Select[tuple[Any]] = (
                select(literal_column("rowid"))
                .select_from(table("articles_fts"))
                .where(text("articles_fts MATCH :filter_words").bindparams(filter_words=match))
            )
            return ArticleRow.pk.in_(fts)
        tsquery = func.to_tsquery("english", " & ".join(words))
        condition: ColumnElement[bool] = literal_column("articles.search").bool_op("@@")(tsquery)
        return condition


def _current_findings(*columns: Any) -> _Query:
    """`columns` of the findings of current analyses, joined with their articles."""
    return (
        select(*columns)
        .select_from(FindingRow)
        .join(AnalysisRow, and_(AnalysisRow.pk == FindingRow.analysis_pk, AnalysisRow.current))
        .join(ArticleRow, ArticleRow.pk == FindingRow.article_pk)
    )


def _found(
    table: str, label: str | Callable[[Any], ColumnElement[bool]], uncertain: bool
) -> ColumnElement[bool]:
    """The article has a finding in `table` in its current analysis whose label is `label`
    (or meets it, a condition on the label column), an uncertain one only if `uncertain`."""
    finding = aliased(FindingRow)
    condition = finding.label == label if isinstance(label, str) else label(finding.label)
    return exists().where(
        finding.article_pk == ArticleRow.pk,
        finding.layer == table,
        condition,
        counted(finding, uncertain),
        _is_current(finding.analysis_pk),
    )


def counted(finding: Any, uncertain: bool) -> ColumnElement[bool]:
    """The condition on a findings table (or an alias of it) that a finding counts in rates
    and label filters: a reviewer did not reject it, and it is not uncertain unless `uncertain`
    or a reviewer accepted it (`ACCEPTED`)."""
    kept = finding.review.is_distinct_from("rejected")
    if uncertain:
        return kept  # type: ignore[no-any-return]
    return and_(kept, or_(finding.uncertain.is_(False), finding.review.in_(ACCEPTED)))


def _containing(part: str) -> Callable[[Any], ColumnElement[bool]]:
    """A condition on a label column: it contains `part`, ignoring case."""
    lowered = part.lower()

    def condition(label: Any) -> ColumnElement[bool]:
        found: ColumnElement[bool] = func.lower(label).contains(lowered, autoescape=True)
        return found

    return condition


def rated() -> dict[str, str]:
    """The facets the store gives rates of (`stats(of=NAME)`), by name: those with choices,
    with their titles."""
    return {name: facet.title for name, (_, facet) in facets().items() if facet.choices}


def _rated_layer(of: str) -> Layer:
    found = facets().get(of)
    if found is None or found[1].choices is None:
        known = ", ".join(rated()) or "none"
        raise SpinscopeError(f"no rates of {of!r}; the store rates: {known}")
    return found[0]


def _has_current(article_pk: Any) -> ColumnElement[bool]:
    analysis = aliased(AnalysisRow)
    return exists().where(analysis.article_pk == article_pk, analysis.current)


def _is_current(analysis_pk: Any) -> ColumnElement[bool]:
    analysis = aliased(AnalysisRow)
    return exists().where(analysis.pk == analysis_pk, analysis.current)


def _mark_current(session: Session, article_pk: int) -> bool:
    """Make the newest version of an article's analyses its current one; False if it has none."""
    versions = session.execute(
        select(AnalysisRow.pk, AnalysisRow.spinscope_version).where(
            AnalysisRow.article_pk == article_pk
        )
    ).all()
    if not versions:
        return False
    newest = max(versions, key=lambda v: _version_key(v.spinscope_version)).pk
    session.execute(
        update(AnalysisRow)
        .where(AnalysisRow.article_pk == article_pk)
        .values(current=AnalysisRow.pk == newest)
    )
    return True


def search_words(query: str) -> tuple[str, ...]:
    """The words a search looks for: every word of `query` but the common ones (all of them
    where all are common), lower-cased, in order, once each."""
    words = [w.lower() for w in re.findall(r"\w+", query)]
    kept = [w for w in words if w not in STOP_WORDS] or words
    return tuple(dict.fromkeys(kept))


def snippet(body: str, words: Sequence[str], width: int = 240) -> Snippet:
    """About `width` characters of `body` around the first hit of `words` (matching word
    starts, so "sanction" finds "sanctions"), with every hit marked."""
    if not words:
        return Snippet(((body[:width], False),))
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\w*", re.I)
    first = pattern.search(body)
    start = max(0, (first.start() if first else 0) - width // 3)
    end = min(len(body), start + width)
    window = body[start:end]
    pieces: list[tuple[str, bool]] = [("…", False)] if start else []
    at = 0
    for hit in pattern.finditer(window):
        if hit.start() > at:
            pieces.append((window[at : hit.start()], False))
        pieces.append((hit.group(), True))
        at = hit.end()
    pieces.append((window[at:] + ("…" if end < len(body) else ""), False))
    return Snippet(tuple(pieces))


def _corrections(
    session: Session, *conditions: ColumnElement[bool], limit: int | None = None
) -> list[Corrected]:
    """The corrections that meet `conditions` (on `CorrectionRow` and `ArticleRow`), oldest
    first; with `limit`, the newest `limit` of them."""
    query = (
        select(CorrectionRow, ArticleRow.id)
        .join(ArticleRow, ArticleRow.pk == CorrectionRow.article_pk)
        .where(*conditions)
        .order_by(CorrectionRow.pk.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    return [_corrected(row, article_id) for row, article_id in reversed(rows)]


def _corrected(row: CorrectionRow, article_id: str) -> Corrected:
    return Corrected(
        id=row.pk,
        article_id=article_id,
        kind=row.kind,
        action=row.action,
        finding=json.loads(row.finding) if row.finding else None,
        after=json.loads(row.after) if row.after else None,
        note=row.note,
        reviewer=row.reviewer,
        # Stored in UTC; SQLite gives it back without its time zone.
        at=row.created_at.replace(tzinfo=row.created_at.tzinfo or UTC),
        spinscope_version=row.spinscope_version,
        model=row.model,
    )


def _json(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _reviews(analysis: Analysis) -> Iterator[tuple[str, Any]]:
    """Every finding of `analysis` that carries a review, with where it is."""
    for layer in correctable().values():
        for i, finding in enumerate(layer.findings(analysis)):
            if getattr(finding, "review", None) is not None:
                yield f"{layer.field}[{i}]", finding


def _finding_rows(analysis: Analysis, article_pk: int, analysis_pk: int) -> list[FindingRow]:
    tables = {layer.field for layer in searched()}
    return [
        FindingRow(
            article_pk=article_pk,
            analysis_pk=analysis_pk,
            layer=found.table,
            idx=found.index,
            label=found.label,
            text=found.text,
            start=found.start,
            end=found.end,
            score=found.score,
            data=json.dumps(
                {k: v for k, v in found.row.items() if k not in ("article_id", "index")},
                ensure_ascii=False,
            ),
            searched=found.table in tables,
            uncertain=found.uncertain,
            review=found.review.status if found.review else None,
            model_agrees=found.review.model_agrees if found.review else None,
        )
        for found in indexed(analysis)
    ]


def _summary(row: Any) -> ArticleSummary:
    return ArticleSummary(
        id=row.id,
        title=row.title,
        outlet=row.outlet,
        published=row.published,
        url=row.url,
        spinscope_version=row.spinscope_version,
        counts={table: getattr(row, f"count_{i}") for i, table in enumerate(finding_tables())},
        # Stored in UTC; SQLite gives it back without its time zone.
        updated_at=row.updated_at.replace(tzinfo=row.updated_at.tzinfo or UTC),
    )


def _hit(layer: Layer, row: Any, words: Sequence[str]) -> FindingHit:
    assert layer.table is not None and layer.table.search is not None
    data = json.loads(row.data)
    return FindingHit(
        article_id=row.id,
        article_title=row.title,
        outlet=row.outlet,
        published=row.published,
        shown={name: data.get(column) for name, column in layer.table.search.shown.items()},
        text=row.text,
        start=row.start,
        end=row.end,
        snippet=snippet(row.text, words, width=400),
    )


def _date(published: str | None) -> date | None:
    """The date `published` starts with (YYYY-MM-DD), or None."""
    if not published:
        return None
    try:
        return date.fromisoformat(published.strip()[:10])
    except ValueError:
        return None


def _version_key(version: str) -> tuple[int, Version | str]:
    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)
