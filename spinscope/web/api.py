"""The REST API, under `/api/v1`. Every analysis it returns is exactly the `Analysis` JSON of
`spinscope analyze --format json`; errors are `{"ok": false, "status": N, "error": "..."}`."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import io
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from spinscope.document import Analysis, check_id, check_text
from spinscope.errors import BlockedURLError, InputError, TooLarge
from spinscope.ingest.base import Loaded
from spinscope.layers import HIT_FIELDS, facets
from spinscope.output.training import FORMATS, KINDS, TrainingFormat, write_training_data
from spinscope.review import Corrected, Correction, CorrectionError, kinds
from spinscope.store import (
    QUEUE_ORDERS,
    ArticleSummary,
    Filters,
    QueueItem,
    QueueOrder,
    SearchResults,
    StatsRow,
    rated,
)
from spinscope.store.jobs import Job
from spinscope.version import __version__
from spinscope.web.responses import check_token
from spinscope.web.workbench import MAX_JOB_ARTICLES, Analysing, Workbench

router = APIRouter()

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {"application/json": {"example": example}}}
    for code, text, example in (
        (400, "Bad input", {"ok": False, "status": 400, "error": "url: ... refused"}),
        (401, "Token missing", {"ok": False, "status": 401, "error": "needs its API token"}),
        (404, "Not found", {"ok": False, "status": 404, "error": "no article 'x'"}),
        (413, "Too large", {"ok": False, "status": 413, "error": "over the limit"}),
        (422, "Invalid request", {"ok": False, "status": 422, "error": "text: required"}),
        (
            503,
            "Busy: try again after Retry-After seconds",
            {"ok": False, "status": 503, "error": "all 2 analysis threads are busy"},
        ),
    )
}
_ANALYSIS: dict[int | str, dict[str, Any]] = {
    200: {"model": Analysis, "description": "The `Analysis` JSON"}
}


def workbench(request: Request) -> Workbench:
    wb: Workbench = request.app.state.workbench
    return wb


def writer(request: Request) -> str:
    """The reviewer a write is made by (`spinscope.web.reviewers`); 401 without a token."""
    return check_token(request)


WB = Annotated[Workbench, Depends(workbench)]
Reviewer = Annotated[str, Depends(writer)]


class ArticleIn(BaseModel):
    """An article to analyse: its `text`, or a `url` to fetch it from (not both)."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    url: str | None = Field(default=None, description="an http(s) URL to fetch the article from")
    id: str | None = Field(default=None, max_length=200)
    title: str | None = None
    outlet: str | None = Field(default=None, max_length=300)
    published: str | None = Field(default=None, max_length=100)
    author: str | None = None
    language: str | None = Field(default=None, max_length=20)

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str | None) -> str | None:
        return None if value is None else check_id(value)

    @model_validator(mode="after")
    def _text_or_url(self) -> ArticleIn:
        if (self.text is None) == (self.url is None):
            raise ValueError("give the article's text or its url, not both and not neither")
        return self

    def meta(self) -> dict[str, str | None]:
        return {
            "title": self.title,
            "outlet": self.outlet,
            "published": self.published,
            "author": self.author,
            "language": self.language,
        }


class MetadataIn(BaseModel):
    """The metadata of a stored article to change: the fields given (null clears one)."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    url: str | None = None
    outlet: str | None = Field(default=None, max_length=300)
    published: str | None = Field(default=None, max_length=100)
    author: str | None = None
    language: str | None = Field(default=None, max_length=20)

    @field_validator("*")
    @classmethod
    def _check_text(cls, value: str | None) -> str | None:
        return None if value is None else check_text(value.strip()) or None


class JobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # The cap stops validation at its first item beyond it, whatever the body holds; the
    # server's own limit (`Settings.max_job_articles`, at most this) is checked after.
    articles: list[ArticleIn] = Field(min_length=1, max_length=MAX_JOB_ARTICLES)


class LoadOut(BaseModel):
    running: int = Field(description="analyses running now")
    waiting: int = Field(description="analyses waiting for an analysis thread")
    threads: int = Field(description="analyses that run at once")
    max_waiting: int = Field(description="analyses that may wait; beyond, 503")
    queued_articles: int = Field(description="articles of unfinished jobs not analysed yet")


class StatusOut(BaseModel):
    version: str
    load: LoadOut


class JobOut(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    total: int
    done: int
    articles: list[str] = Field(description="the ids of the articles stored so far")
    errors: list[dict[str, str]] = Field(description="the articles that failed, and why")
    error: str | None = Field(default=None, description="why the job failed, where it did")
    running: list[str] = Field(description="the ids of the articles being analysed now")
    cancelled: int = Field(description="the articles a cancel left out")
    created_at: datetime | None
    updated_at: datetime | None


class ArticleOut(BaseModel):
    """A stored article, and how many findings its current analysis has in each finding table,
    one integer named for each (`spinscope.tables.finding_tables`)."""

    model_config = ConfigDict(
        extra="allow", json_schema_extra={"additionalProperties": {"type": "integer"}}
    )

    id: str
    title: str
    outlet: str | None
    published: str | None
    url: str | None
    spinscope_version: str
    updated_at: datetime


class ArticleList(BaseModel):
    total: int
    limit: int
    offset: int
    articles: list[ArticleOut]


class ArticleHitOut(BaseModel):
    article: ArticleOut
    snippet: str


class FindingHitOut(BaseModel):
    """A finding a search found, with the columns its layer shows beside its words (a quote's
    `speaker` and `verb`)."""

    model_config = ConfigDict(extra="allow")

    article_id: str
    article_title: str
    outlet: str | None
    published: str | None
    text: str
    start: int | None
    end: int | None


class SearchOut(BaseModel):
    """The articles a search found, and then, named for each layer whose findings it looks in
    (its field), the findings it found there (`FindingHitOut`)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "additionalProperties": {"type": "array", "items": FindingHitOut.model_json_schema()}
        },
    )

    query: str
    words: list[str]
    articles: list[ArticleHitOut]


class StatsRowOut(BaseModel):
    key: str = Field(description="the outlet, or the Monday of the week (YYYY-MM-DD)")
    articles: int
    counts: dict[str, int] = Field(description="articles that carry each label at least once")
    rates: dict[str, float] = Field(
        description="the share of the articles that carry each label (spinscope.rates)"
    )


class StatsOut(BaseModel):
    by: Literal["outlet", "week"]
    of: str
    rows: list[StatsRowOut]


class UploadOut(BaseModel):
    analyses: list[Analysis]


def filters(
    outlet: str | None = None,
    since: date | None = None,
    until: date | None = None,
    q: str | None = None,
    labels: Mapping[str, str | None] | None = None,
    uncertain: bool = False,
) -> Filters:
    """The corpus filters (`q`: the articles a search for these words finds; `labels`, by
    facet name, `spinscope.layers.Facet`; `uncertain`: whether uncertain findings count)."""
    return Filters(
        outlet,
        since,
        until,
        {name: value for name, value in (labels or {}).items() if value},
        (q or "").strip()[:500] or None,
        uncertain,
    )


def _filters_dependency() -> Callable[..., Filters]:
    """The filters from a request's query parameters: `outlet`, `since`, `until`, `q`, and one
    parameter per facet of the registered layers (`?technique=Doubt`). The facets are read from
    the registry at each request (a layer registered after this module was imported is a
    filter too); those registered by then are also declared to FastAPI, which documents them."""
    known = facets()

    def dependency(request: Request, **params: Any) -> Filters:
        labels = {name: request.query_params.get(name) for name in facets()}
        given = {key: value for key, value in params.items() if key not in known}
        return filters(labels=labels, **given)

    fixed = [
        ("outlet", str | None, "the articles of this outlet"),
        ("since", date | None, "the articles published on or after this day (YYYY-MM-DD)"),
        ("until", date | None, "the articles published on or before this day (YYYY-MM-DD)"),
        ("q", str | None, "the articles a search for these words finds"),
        (
            "uncertain",
            bool,
            "count uncertain findings (suggestions: a calibrated score under 0.5) in the label "
            "filters and the rates, which leave them out by default",
        ),
    ]
    by_label = [
        (
            name,
            str | None,
            f"the articles with a finding labelled so ({facet.title.lower()})"
            if facet.choices
            else f"the articles with a finding whose label contains this ({facet.title.lower()})",
        )
        for name, (_, facet) in known.items()
    ]
    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request
            ),
            *(
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=False if kind is bool else None,
                    annotation=Annotated[kind, Query(description=description)],
                )
                for name, kind, description in (*fixed, *by_label)
            ),
        ],
        return_annotation=Filters,
    )
    return dependency


FiltersDep = Annotated[Filters, Depends(_filters_dependency())]


def analysis_response(analysis: Analysis, status: int = 200) -> Response:
    return Response(analysis.to_json(indent=None), status, media_type="application/json")


def input_error(exc: InputError) -> HTTPException:
    """The HTTP error for an input that cannot be read: 413 when too large, else 400."""
    return HTTPException(413 if isinstance(exc, TooLarge) else 400, str(exc))


def articles_in(wb: Workbench, item: ArticleIn) -> list[Loaded]:
    """The article(s) a request describes; 400/413 if they cannot be read."""
    try:
        if item.text is not None:
            return [wb.article_from_text(item.text, item.id, **item.meta())]
        assert item.url is not None
        found = wb.articles_from_url(item.url)
        return [a.updated(**{k: v for k, v in item.meta().items() if v}) for a in found]
    except BlockedURLError as exc:
        raise HTTPException(
            400, f"{exc} (this server was not started with --allow-private)"
        ) from exc
    except InputError as exc:
        raise input_error(exc) from exc


#: How often a waiting request checks that its client is still there, in seconds.
_DISCONNECT_CHECK_S = 0.5


async def finished(request: Request, analysing: Analysing) -> Analysis | None:
    """The analysis once done; None when the client left first, and the analysis was then
    cancelled (it stops at its next window or layer: nobody is left to read it)."""
    waiting = asyncio.wrap_future(analysing.future)
    while True:
        done, _ = await asyncio.wait({waiting}, timeout=_DISCONNECT_CHECK_S)
        if done:
            return waiting.result()
        if await request.is_disconnected():
            analysing.cancel()
            return None


def gone() -> Response:
    """The answer to a client that left: nobody reads it (499, nginx's "client closed")."""
    return Response(status_code=499)


@router.post(
    "/analyze",
    summary="Analyse one article and store it",
    responses={**_ANALYSIS, **_ERRORS},
    dependencies=[Depends(writer)],
)
async def analyze(item: ArticleIn, request: Request, wb: WB, store: bool = True) -> Response:
    """Analyse one article, given as text or as a URL to fetch (URLs that resolve to private,
    loopback or link-local addresses are refused unless the server allows them), and store it
    unless `store=false`. Re-analysing an article (same id, or same text) updates it.

    Analyses run on the server's analysis threads: when all are busy and as many analyses
    wait as the server allows, the answer is 503 with `Retry-After`. A client that leaves
    before the answer cancels its analysis."""
    article = (await run_in_threadpool(articles_in, wb, item))[0]
    analysis = await finished(request, wb.begin(article, store=store))
    return gone() if analysis is None else analysis_response(analysis)


@router.post(
    "/analyze/upload",
    summary="Analyse the articles in an uploaded file and store them",
    responses=_ERRORS,
    dependencies=[Depends(writer)],
)
async def analyze_upload(
    request: Request,
    wb: WB,
    file: Annotated[UploadFile, File(description=".txt, .html, .jsonl or .csv")],
    outlet: Annotated[str | None, Form()] = None,
    published: Annotated[str | None, Form()] = None,
) -> Response:
    """The articles are analysed one after the other (for many, a job is better); a client
    that leaves cancels the one being analysed and the rest."""
    data = await file.read(wb.settings.max_bytes + 1)
    try:
        articles = await run_in_threadpool(
            wb.articles_from_upload, file.filename or "upload.txt", data
        )
    except InputError as exc:
        raise input_error(exc) from exc
    meta = {k: v for k, v in {"outlet": outlet, "published": published}.items() if v}
    analyses = []
    for article in articles:
        analysis = await finished(request, wb.begin(article.updated(**meta)))
        if analysis is None:
            return gone()
        analyses.append(analysis)
    body = UploadOut(analyses=analyses).model_dump_json()
    return Response(body, media_type="application/json")


@router.post(
    "/jobs",
    status_code=202,
    summary="Start a job that analyses and stores many articles",
    responses=_ERRORS,
    dependencies=[Depends(writer)],
)
async def create_job(body: JobIn, wb: WB) -> JobOut:
    """Articles given as text are checked before the job starts (a bad one fails the request);
    URLs are fetched now as well. The job then waits in the store (503 with `Retry-After` when
    the queue of job articles is full), runs in the background and survives a restart of the
    server: poll `GET /api/v1/jobs/{id}`."""
    if len(body.articles) > wb.settings.max_job_articles:
        raise HTTPException(
            413,
            f"a job holds at most {wb.settings.max_job_articles} articles, not "
            f"{len(body.articles)}",
        )
    articles = await run_in_threadpool(
        lambda: [a for item in body.articles for a in articles_in(wb, item)]
    )
    try:
        return _job_out(await run_in_threadpool(wb.submit, articles))
    except TooLarge as exc:  # URLs that held more articles than a job may
        raise input_error(exc) from exc


@router.get("/jobs/{job_id}", summary="A job's progress", responses=_ERRORS)
def get_job(job_id: str, wb: WB) -> JobOut:
    job = wb.job(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id!r}")
    return _job_out(job)


@router.post(
    "/jobs/{job_id}/cancel",
    summary="Cancel a job",
    responses=_ERRORS,
    dependencies=[Depends(writer)],
)
def cancel_job(job_id: str, wb: WB) -> JobOut:
    """The job's articles not analysed yet are left out, and the one being analysed stops at
    its next window or layer; the articles stored so far stay. A finished job stays as it
    ended."""
    job = wb.cancel(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id!r}")
    return _job_out(job)


@router.get("/status", summary="The server's version and load")
def status(wb: WB) -> StatusOut:
    """How many analyses run and wait now, and how many job articles are queued: a client can
    see how busy the server is before it sends work."""
    return StatusOut(version=__version__, load=LoadOut(**dataclasses.asdict(wb.load())))


@router.get("/articles", summary="Stored articles, filtered")
def list_articles(
    wb: WB,
    where: FiltersDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ArticleList:
    return ArticleList(
        total=wb.store.count(where),
        limit=limit,
        offset=offset,
        articles=[article_out(s) for s in wb.store.articles(where, limit, offset)],
    )


@router.get(
    "/corrections",
    summary="Reviewers' corrections, filtered",
    responses=_ERRORS,
)
def list_corrections(
    wb: WB,
    reviewer: str | None = None,
    kind: Annotated[str | None, Query(description="quote, claim, technique, …, article")] = None,
    since: Annotated[datetime | None, Query(description="made at or after (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[Corrected]:
    """The corrections kept, oldest first (the newest `limit` of them)."""
    if kind is not None and kind not in kinds():
        raise HTTPException(422, f"kind: no kind {kind!r}; the kinds are: {', '.join(kinds())}")
    return wb.store.corrections(reviewer=reviewer, kind=kind, since=since, limit=limit)


@router.get("/review", summary="The findings most worth a reviewer's look", responses=_ERRORS)
def review_queue(
    wb: WB,
    where: FiltersDep,
    order: Annotated[
        QueueOrder,
        Query(description="; ".join(f"{k}: {v}" for k, v in QUEUE_ORDERS.items())),
    ] = "uncertain",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[QueueItem]:
    """The findings of the stored articles (those the filters select) that no reviewer has
    decided on, the least sure or the most worth checking first; or those where a newer
    model disagrees with a reviewer."""
    return wb.store.queue(order, where, limit, offset)


@router.get(
    "/export/corrections",
    summary="The reviewed articles as training data (a zip)",
    responses={200: {"content": {"application/zip": {}}}, **_ERRORS},
)
def export_corrections(
    wb: WB,
    format: Annotated[
        TrainingFormat,
        Query(description="; ".join(f"{name}: {holds}" for name, holds in FORMATS.items())),
    ] = "semeval2023",
) -> Response:
    """What `spinscope export corrections` writes, as one zip: only what reviewers confirmed,
    edited or added is gold."""
    with tempfile.TemporaryDirectory() as folder:
        write_training_data(wb.store.reviewed(KINDS[format]), Path(folder), format)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(folder).rglob("*")):
                if path.is_file():
                    archive.write(path, f"corrections-{format}/{path.relative_to(folder)}")
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="corrections-{format}.zip"'},
    )


@router.post(
    "/articles/{article_id:path}/corrections",
    status_code=201,
    summary="Correct a finding of an article, or note something on it",
    responses=_ERRORS,
)
def add_correction(article_id: str, body: Correction, wb: WB, reviewer: Reviewer) -> Corrected:
    """Confirm, reject or edit a finding of the article's current analysis (`finding` as the
    Analysis JSON gives it; an edit's `replacement` holds the fields that change), add one the
    model missed (`replacement`, the whole finding), or note something on the article (kind
    `article`, action `note`). The correction is kept under the reviewer's name and survives
    re-analysis: the analysis then shows it in each finding's `review`. 422 names the field of
    a correction that cannot be made (a finding the analysis does not hold, a label outside
    the taxonomy, a span that is not the article's text)."""
    try:
        kept = wb.store.correct(article_id, body, reviewer)
    except CorrectionError as exc:
        raise HTTPException(422, str(exc)) from exc
    if kept is None:
        raise HTTPException(404, f"no article {article_id!r}")
    return kept


@router.get(
    "/articles/{article_id:path}/corrections",
    summary="The corrections of an article, oldest first",
    responses=_ERRORS,
)
def get_corrections(article_id: str, wb: WB) -> list[Corrected]:
    found = wb.store.corrections(article_id=article_id)
    # only an article without corrections needs reading to tell it from no article
    if not found and wb.store.get(article_id) is None:
        raise HTTPException(404, f"no article {article_id!r}")
    return found


@router.delete(
    "/articles/{article_id:path}/analyses/{version}",
    status_code=204,
    summary="Delete the analysis of an article by one spinscope version",
    responses=_ERRORS,
    dependencies=[Depends(writer)],
)
def delete_analysis(article_id: str, version: str, wb: WB) -> Response:
    """The newest version left becomes current; an article left with no analysis is deleted."""
    if not wb.store.delete_version(article_id, version):
        raise HTTPException(404, f"no analysis of article {article_id!r} by version {version}")
    return Response(status_code=204)


@router.get(
    "/articles/{article_id:path}/analyses",
    summary="Every stored analysis of an article, newest version first",
    responses=_ERRORS,
)
def get_analyses(article_id: str, wb: WB) -> list[Analysis]:
    found = wb.store.versions(article_id)
    if not found:
        raise HTTPException(404, f"no article {article_id!r}")
    return found


@router.get(
    "/articles/{article_id:path}",
    summary="The current analysis of an article",
    responses={**_ANALYSIS, **_ERRORS},
)
def get_article(article_id: str, wb: WB, version: str | None = None) -> Response:
    """The article's analysis by the newest spinscope version, or by `version`."""
    found = wb.store.get(article_id, version)
    if found is None:
        what = f"no article {article_id!r}" + (f" analysed by version {version}" if version else "")
        raise HTTPException(404, what)
    return analysis_response(found)


@router.patch(
    "/articles/{article_id:path}",
    summary="Change the metadata of a stored article",
    responses={**_ANALYSIS, **_ERRORS},
    dependencies=[Depends(writer)],
)
def update_article(article_id: str, body: MetadataIn, wb: WB) -> Response:
    """Change the title, URL, outlet, date, author or language of a stored article (the fields
    given; null clears one) in it and in each of its analyses; the answer is its current
    analysis."""
    found = wb.store.update(article_id, **body.model_dump(exclude_unset=True))
    if found is None:
        raise HTTPException(404, f"no article {article_id!r}")
    return analysis_response(found)


@router.delete(
    "/articles/{article_id:path}",
    status_code=204,
    summary="Delete an article and its analyses",
    responses=_ERRORS,
    dependencies=[Depends(writer)],
)
def delete_article(article_id: str, wb: WB) -> Response:
    if not wb.store.delete(article_id):
        raise HTTPException(404, f"no article {article_id!r}")
    return Response(status_code=204)


@router.get("/search", summary="Full-text search over articles and findings", responses=_ERRORS)
def search(
    wb: WB,
    where: FiltersDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> SearchOut:
    """Articles (title and text), and the findings of each layer that declares a search (a
    quote's speaker and words), holding every word of `q` but common ones: "what did Peskov say
    about NATO?" looks for Peskov and NATO."""
    return search_out(wb.store.search(q, where, limit))


@router.get("/stats", summary="Rates of a facet's labels by outlet or by week", responses=_ERRORS)
def stats(
    wb: WB,
    where: FiltersDep,
    by: Literal["outlet", "week"] = "outlet",
    of: Annotated[
        str, Query(description="a facet with choices: " + ", ".join(rated()))
    ] = "technique",
) -> StatsOut:
    """For each outlet or week, how many articles carry each label of the facet `of`."""
    if of not in rated():
        raise HTTPException(422, f"of: no rates of {of!r}; there are rates of {', '.join(rated())}")
    return StatsOut(by=by, of=of, rows=[stats_row_out(r) for r in wb.store.stats(by, of, where)])


def article_out(summary: ArticleSummary) -> ArticleOut:
    """A summary as the API gives it: its counts beside its other fields."""
    fields = {k: v for k, v in dataclasses.asdict(summary).items() if k != "counts"}
    return ArticleOut(**fields, **summary.counts)


def search_out(found: SearchResults) -> SearchOut:
    hits = {
        table: [
            FindingHitOut(**{name: getattr(h, name) for name in HIT_FIELDS}, **h.shown)
            for h in found_hits
        ]
        for table, found_hits in found.findings.items()
    }
    return SearchOut(
        query=found.query,
        words=list(found.words),
        articles=[
            ArticleHitOut(article=article_out(hit.article), snippet=hit.snippet.text)
            for hit in found.articles
        ],
        **hits,
    )


def stats_row_out(row: StatsRow) -> StatsRowOut:
    return StatsRowOut(
        key=row.key,
        articles=row.articles,
        counts=row.counts,
        rates={label: round(row.rate(label), 4) for label in row.counts},
    )


def _job_out(job: Job) -> JobOut:
    return JobOut(**dataclasses.asdict(job))
