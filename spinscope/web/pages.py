"""The web pages: paste, upload or fetch an article (`/`), its report (`/articles/ID`, the
HTML report of `spinscope analyze --format html` with a navigation bar), and the corpus
(`/corpus`: search, filters, charts), each exportable as CSV and JSON.

Pages are rendered on the server by Jinja2 with autoescaping; the scripts are `static/app.js`,
and on the article view the report's own inline script and `static/review.js` (the review
controls, which the review queue, `/review`, runs too).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Annotated, Any, get_args
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from spinscope.charts import EMBED_OPTIONS, rate_heatmap, rate_weeks, script
from spinscope.document import CueClass
from spinscope.errors import Busy, InputError
from spinscope.ingest.base import Loaded
from spinscope.layers import Search, correctable, facets, searched
from spinscope.output.html import JSON_SCRIPT_ID, render_html, report_script, script_json
from spinscope.output.spreadsheet import safe_cell
from spinscope.output.training import FORMATS
from spinscope.rates import rate_row
from spinscope.store import QUEUE_ORDERS, ArticleSummary, Filters, StatsRow, rated
from spinscope.store.jobs import Job
from spinscope.tables import flat_rows, flat_value
from spinscope.taxonomy import FINE_ROLES, FRAMES, GENRES, NARRATIVES, TECHNIQUES
from spinscope.web.api import article_out, input_error, search_out, stats_row_out
from spinscope.web.api import filters as filters_from_query
from spinscope.web.responses import check_token, html_page, render
from spinscope.web.workbench import Workbench

STATIC = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)


def _wb(request: Request) -> Workbench:
    wb: Workbench = request.app.state.workbench
    return wb


def article_href(article_id: str) -> str:
    return "/articles/" + quote(article_id, safe="")


@router.get("/")
def index(request: Request) -> Response:
    return _index(request)


def _index(
    request: Request, error: str | None = None, status: int = 200, job: Job | None = None
) -> Response:
    wb = _wb(request)
    return html_page(
        render(
            "index.html.j2",
            recent=wb.store.articles(limit=12),
            total=wb.store.count(),
            token_needed=wb.settings.writes_need_token,
            max_bytes=wb.settings.max_bytes,
            error=error,
            job=job,
            article_href=article_href,
        ),
        status,
    )


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(status_code=204)


@router.post("/analyze")
def analyze_form(
    request: Request,
    text: Annotated[str | None, Form()] = None,
    url: Annotated[str | None, Form()] = None,
    title: Annotated[str | None, Form()] = None,
    outlet: Annotated[str | None, Form()] = None,
    published: Annotated[str | None, Form()] = None,
    author: Annotated[str | None, Form()] = None,
    link: Annotated[str | None, Form()] = None,
    token: Annotated[str | None, Form()] = None,
    file: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """The three forms of the home page: pasted text, uploaded files (several at once; a file
    that cannot be read is named, and the others are analysed), or a URL; each with the
    article's metadata (`link` is the article's URL beside pasted text or a file)."""
    wb = _wb(request)
    try:
        check_token(request, token)
    except HTTPException as exc:
        return _index(request, str(exc.detail), exc.status_code)
    meta = {
        "title": title,
        "outlet": outlet,
        "published": published,
        "author": author,
        "url": link,
    }
    update = {k: v.strip() for k, v in meta.items() if v and v.strip()}
    uploads = [f for f in file or [] if f.filename]
    problems: list[str] = []
    try:
        articles: list[Loaded] = []
        if uploads:
            for upload in uploads:
                data = upload.file.read(wb.settings.max_bytes + 1)
                try:
                    articles += wb.articles_from_upload(upload.filename or "upload.txt", data)
                except InputError as exc:
                    problems.append(str(input_error(exc).detail))
        elif url and url.strip():
            articles = wb.articles_from_url(url.strip())
        elif text and text.strip():
            articles = [wb.article_from_text(text.replace("\r\n", "\n"))]
        else:
            return _index(request, "Paste a text, choose a file or give a URL.", 400)
        if len(articles) > 1:
            update.pop("title", None)  # one title cannot name several articles
        job = wb.submit([a.updated(**update) for a in articles]) if articles else None
    except InputError as exc:
        error = input_error(exc)
        return _index(request, str(error.detail), error.status_code)
    except Busy as exc:
        return _index(request, str(exc), 503)
    if problems:
        return _index(request, "Not analysed: " + "; ".join(problems), 400, job)
    assert job is not None
    return RedirectResponse(f"/jobs/{job.id}", 303)


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: str) -> Response:
    """A job's progress, live (`static/app.js` follows it), with a Cancel button; a job of one
    article opens it when it is stored."""
    wb = _wb(request)
    job = wb.job(job_id)
    if job is None:
        raise HTTPException(404, f"There is no job {job_id!r}.")
    return html_page(
        render(
            "job.html.j2",
            job=job,
            article_href=article_href,
            token_needed=wb.settings.writes_need_token,
        )
    )


@router.post("/jobs/{job_id}/cancel")
def cancel_form(
    request: Request, job_id: str, token: Annotated[str | None, Form()] = None
) -> Response:
    check_token(request, token)
    if _wb(request).cancel(job_id) is None:
        raise HTTPException(404, f"There is no job {job_id!r}.")
    return RedirectResponse(f"/jobs/{job_id}", 303)


@router.get("/articles/{article_id:path}/findings.csv")
def article_csv(request: Request, article_id: str) -> Response:
    analysis = _wb(request).store.get(article_id)
    if analysis is None:
        raise HTTPException(404, f"There is no article {article_id!r}.")
    return csv_response(flat_rows(analysis), f"{article_id}-findings.csv")


@router.post("/articles/{article_id:path}/delete")
def delete_form(
    request: Request, article_id: str, token: Annotated[str | None, Form()] = None
) -> Response:
    check_token(request, token)
    if not _wb(request).store.delete(article_id):
        raise HTTPException(404, f"There is no article {article_id!r}.")
    return RedirectResponse("/corpus", 303)


@router.get("/articles/{article_id:path}")
def article_page(request: Request, article_id: str, version: str | None = None) -> Response:
    wb = _wb(request)
    analysis = wb.store.get(article_id, version)
    if analysis is None:
        raise HTTPException(404, f"There is no article {article_id!r}.")
    api = "/api/v1/articles/" + quote(article_id, safe="")
    links = [
        ("spinscope workbench", "/"),
        ("Corpus", "/corpus"),
        ("JSON", api + (f"?{urlencode({'version': version})}" if version else "")),
        ("Findings CSV", article_href(article_id) + "/findings.csv"),
        ("All versions (JSON)", api + "/analyses"),
    ]
    links.insert(2, ("Review queue", "/review"))
    review = ("/static/review.js", _review_config(wb, article_id))
    return html_page(render_html(analysis, links, [review]), scripts=(report_script(),))


def _review_config(wb: Workbench, article_id: str) -> dict[str, Any]:
    """What the article page's review controls (`static/review.js`) need: where to send
    corrections, whether writes need a token, the kind of each panel item (by the letter its
    `data-target` starts with, `q3`: the quote of index 3) and the labels an edit may choose."""
    return {
        "api": "/api/v1/articles/" + quote(article_id, safe=""),
        "analysis": JSON_SCRIPT_ID,
        "token": wb.settings.writes_need_token,
        "kinds": {
            kind[0]: {"kind": kind, "field": layer.field} for kind, layer in correctable().items()
        },
        "groups": {name: info.group for name, info in TECHNIQUES.items()},
        "roles": dict(FINE_ROLES),
        "narratives": {name: list(subs) for name, subs in NARRATIVES.items()},
        "genres": list(GENRES),
        "cues": list(get_args(CueClass)),
        "frames": list(FRAMES),
    }


@router.get("/review")
def review_page(request: Request, order: str = "uncertain") -> Response:
    """The review queue: the findings most worth a look, one keystroke each."""
    wb = _wb(request)
    if order not in QUEUE_ORDERS:
        raise HTTPException(400, f"no order {order!r}; the orders are: {', '.join(QUEUE_ORDERS)}")
    where, _ = _filters(request)
    items = wb.store.queue(order, where, 100)  # type: ignore[arg-type]
    return html_page(
        render(
            "review.html.j2",
            order=order,
            orders=QUEUE_ORDERS,
            items=items,
            article_href=article_href,
            token_needed=wb.settings.writes_need_token,
            formats=FORMATS,
        )
    )


def _filters(request: Request) -> tuple[Filters, str]:
    """The corpus filters of a request, its search among them (lists, counts and charts follow
    it), and the search words; 400 for a malformed date."""
    params = request.query_params
    try:
        since = date.fromisoformat(params["since"]) if params.get("since") else None
        until = date.fromisoformat(params["until"]) if params.get("until") else None
    except ValueError as exc:
        raise HTTPException(400, f"dates are YYYY-MM-DD: {exc}") from exc
    where = filters_from_query(
        outlet=params.get("outlet") or None,
        since=since,
        until=until,
        q=params.get("q"),
        labels={name: params.get(name) for name in facets()},
        uncertain=params.get("uncertain") in ("true", "1", "on"),
    )
    return where, where.search or ""


@router.get("/corpus")
def corpus(request: Request) -> Response:
    wb = _wb(request)
    where, q = _filters(request)
    rates = [(name, layer.field, facet.title) for name, (layer, facet) in facets().items()]
    charts = [
        (f"{field}-by-outlet", f"{title} by outlet", name, "outlet")
        for name, field, title in rates
        if name in rated()
    ] + [
        (f"{field}-by-week", f"{title} over time (share of each week's articles)", name, "week")
        for name, field, title in rates
        if name in rated()
    ]
    specs = {
        key: _chart(wb.store.stats(by, of, where), of, by)  # type: ignore[arg-type]
        for key, _, of, by in charts
    }
    return html_page(
        render(
            "corpus.html.j2",
            q=q,
            where=where,
            results=wb.store.search(q, where, 50) if q else None,
            labelled={} if q else wb.store.labelled(where),
            articles=None if q else wb.store.articles(where, 200),
            total=wb.store.count(where),
            outlets=wb.store.outlets(),
            facets=[
                (name, facet.title, facet.choices() if facet.choices else None)
                for name, (_, facet) in facets().items()
            ],
            searched=_searches(),
            rated=rated(),
            rate_exports=[(of, by) for of in rated() for by in ("outlet", "week")],
            charts=[(key, caption, specs[key]) for key, caption, _, _ in charts],
            embed_options=script_json(EMBED_OPTIONS),
            query=urlencode(where.query_params()),
            token_needed=wb.settings.writes_need_token,
            article_href=article_href,
        )
    )


#: How many labels a chart draws: those the most articles carry.
TOP_LABELS = {"outlet": 8, "week": 6}


def _chart(rows: list[StatsRow], of: str, by: str) -> Markup | None:
    """The Vega-Lite spec (as the JSON of a page's data script) of the rates of `rows`, for the
    labels the most articles carry; None when there is nothing to draw."""
    total: Counter[str] = Counter()
    for row in rows:
        total.update(row.counts)
    top = [label for label, _ in total.most_common(TOP_LABELS[by])]
    if not top:
        return None
    rates = [
        rate_row(by, row.key or "(no outlet)", of, label, row.rate_of(label))
        for row in rows
        for label in top
    ]
    spec = rate_heatmap(rates, of) if by == "outlet" else rate_weeks(rates, of)
    return script_json(spec)


@router.get("/vega.js")
def vega_script() -> Response:
    """The script that draws the charts (`spinscope.charts`), served from the package."""
    return Response(
        script(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/corpus.json")
def corpus_json(request: Request) -> Response:
    wb = _wb(request)
    where, q = _filters(request)
    if q:
        body: Any = search_out(wb.store.search(q, where, 1000)).model_dump(mode="json")
    else:
        body = {"articles": [_summary_dict(s) for s in wb.store.articles(where, 100_000)]}
    body["filters"] = where.query_params()
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="spinscope-corpus.json"'},
    )


@router.get("/corpus.csv")
def corpus_csv(request: Request) -> Response:
    wb = _wb(request)
    where, q = _filters(request)
    if q:
        found = wb.store.search(q, where, 1000)
        rows = [
            {"hit": "article", **_summary_dict(h.article), "text": h.snippet.text}
            for h in found.articles
        ]
        rows += [
            {
                "hit": search.noun,
                "id": h.article_id,
                "title": h.article_title,
                "outlet": h.outlet,
                "published": h.published,
                **{name: flat_value(value) for name, value in h.shown.items()},
                "text": h.text,
            }
            for table, search in _searches().items()
            for h in found.findings.get(table, [])
        ]
    else:
        rows = [_summary_dict(s) for s in wb.store.articles(where, 100_000)]
    return csv_response(rows, "spinscope-corpus.csv")


@router.get("/corpus/stats.csv")
def stats_csv(request: Request, by: str = "outlet", of: str = "technique") -> Response:
    if by not in ("outlet", "week") or of not in rated():
        raise HTTPException(400, f"by is outlet or week; of is one of {', '.join(rated())}")
    where, _ = _filters(request)
    rows = []
    for row in _wb(request).store.stats(by, of, where):  # type: ignore[arg-type]
        out = stats_row_out(row)
        for label, count in sorted(out.counts.items()):
            rows.append(
                {
                    by: row.key,
                    "articles": row.articles,
                    of: label,
                    "count": count,
                    "rate": out.rates[label],
                }
            )
    return csv_response(rows, f"spinscope-{of}-by-{by}.csv")


def csv_response(rows: list[dict[str, Any]], filename: str) -> Response:
    columns = list(dict.fromkeys(key for row in rows for key in row)) or ["id"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": attachment(filename)},
    )


def attachment(filename: str) -> str:
    """A Content-Disposition header that saves the response as `filename`, which may hold any
    character (it is made of an article id): an ASCII `filename` for old clients, and the
    name itself as UTF-8 in `filename*` (RFC 6266, RFC 5987), which clients prefer. A header
    must be Latin-1, so the name itself cannot be sent as `filename`."""
    name = "".join("-" if ch in '/\\"' or not ch.isprintable() else ch for ch in filename)
    fallback = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "-" for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _searches() -> dict[str, Search]:
    """The searches the layers declare, by their tables."""
    return {
        layer.field: layer.table.search
        for layer in searched()
        if layer.table and layer.table.search
    }


def _summary_dict(summary: ArticleSummary) -> dict[str, Any]:
    """A summary as the API gives it (`api.article_out`), its counts beside its fields."""
    row: dict[str, Any] = article_out(summary).model_dump(mode="json")
    return row
