"""The web app in headless Chromium (Debian's, driven by Playwright; nothing is downloaded):
paste the sample article, see the highlights, toggle a layer, search the corpus, download CSV.
Screenshots are saved under the session's temporary folder (printed), or
`$SPINSCOPE_ARTIFACTS` when set."""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from corpus import corpus
from serving import Server

from spinscope.ingest import sample_article
from spinscope.store import Store

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("SPINSCOPE_REQUIRE_CHROMIUM") == "1":
        pytest.fail(f"{reason}, and SPINSCOPE_REQUIRE_CHROMIUM=1 requires it")
    pytest.skip(
        f"{reason} (apt-get install chromium; SPINSCOPE_REQUIRE_CHROMIUM=1 makes this a failure)"
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is absent")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The workbench on a fresh SQLite file, which it fills with the sample corpus at start."""
    folder = tmp_path_factory.mktemp("serve")
    running = Server(
        str(folder / "corpus.db"), "--layers", "quotes,claims", log=folder / "serve.log"
    )
    running.db = folder / "corpus.db"  # type: ignore[attr-defined]
    yield running
    running.stop()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("SPINSCOPE_ARTIFACTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    print(f"screenshots in {path}")
    return path


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    # CSP violations and script errors; a failed load is checked below by its resource type
    # (the document itself may be a 4xx page on purpose).
    opened.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    opened.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    yield opened
    context.close()
    assert errors == [], f"errors in the page (CSP or script): {errors}"


def test_first_start_shows_the_sample_corpus(page: Any, server: Server, artifacts: Path) -> None:
    page.goto(server.base + "/corpus")
    rows = page.locator("#articles tbody tr")
    assert rows.count() == 4
    assert page.locator("#charts figure").count() == 4
    page.screenshot(path=str(artifacts / "corpus.png"), full_page=True)


def test_paste_see_highlights_toggle_a_layer(page: Any, server: Server, artifacts: Path) -> None:
    article = sample_article()
    page.goto(server.base + "/")
    page.fill("#paste-form textarea[name=text]", article.text)
    page.fill("#paste-form input[name=outlet]", "Pasted Times")
    page.click("#paste-form button[type=submit]")
    page.wait_for_url("**/articles/**")
    assert page.locator("header.top h1").inner_text() == article.title
    content = page.locator("#article .q-content").first
    content.wait_for()
    assert page.locator("#article .q-content").count() > 3
    assert page.locator("#article .c-claim").count() > 3
    shown = content.evaluate("el => getComputedStyle(el).backgroundColor")
    assert shown != "rgba(0, 0, 0, 0)"
    page.screenshot(path=str(artifacts / "article.png"), full_page=True)
    page.uncheck("input[data-group-toggle=quotes]")
    assert "hide-content" in page.evaluate("document.body.className")
    hidden = content.evaluate("el => getComputedStyle(el).backgroundColor")
    assert hidden == "rgba(0, 0, 0, 0)"
    page.screenshot(path=str(artifacts / "article-quotes-off.png"), full_page=True)
    page.check("input[data-group-toggle=quotes]")
    assert content.evaluate("el => getComputedStyle(el).backgroundColor") == shown


def test_upload_a_file(page: Any, server: Server, tmp_path: Path, artifacts: Path) -> None:
    story = tmp_path / "harbour-story.txt"
    story.write_text(
        "Harbour reopens after storm\n"
        'Port director Lena Faulk said the harbour would reopen on Friday. "We are ready," '
        "she said.\n",
        encoding="utf-8",
    )
    page.goto(server.base + "/")
    page.set_input_files("#upload-form input[name=file]", str(story))
    page.fill("#upload-form input[name=outlet]", "Harbour Gazette")
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/articles/harbour-story")
    assert page.locator("header.top h1").inner_text() == "Harbour reopens after storm"
    assert "Harbour Gazette" in page.locator("header.top .meta").inner_text()
    assert "Lena Faulk" in page.locator("#quotes").inner_text()
    page.screenshot(path=str(artifacts / "upload.png"))
    # Its own delete button removes it from the corpus.
    page.goto(server.base + "/corpus?outlet=Harbour+Gazette")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#articles form.delete button")
    page.wait_for_url("**/corpus")
    assert "Harbour reopens" not in page.locator("#articles").inner_text()


def test_search_the_corpus_and_download_csv(page: Any, server: Server, artifacts: Path) -> None:
    page.goto(server.base + "/corpus")
    page.fill("#search-form input[name=q]", "what did Merkulov say about the summit?")
    page.click("#search-form button[type=submit]")
    page.wait_for_url("**/corpus?**")
    quotes = page.locator("ul.quotes li")
    assert quotes.count() >= 1
    assert "Anton Merkulov" in quotes.first.inner_text()
    assert page.locator("ul.quotes mark").first.inner_text().lower() in ("merkulov", "summit")
    page.screenshot(path=str(artifacts / "search.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#export-csv")
    download = info.value
    saved = artifacts / "search.csv"
    download.save_as(str(saved))
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert rows and {row["hit"] for row in rows} <= {"article", "quote"}
    assert any(row["speaker"] == "Anton Merkulov" for row in rows if row["hit"] == "quote")


def test_a_search_hit_opens_the_article_at_the_quote(page: Any, server: Server) -> None:
    page.goto(server.base + "/corpus?q=Merkulov+summit")
    first = page.locator("ul.quotes li").first
    quoted = first.locator("mark").first.inner_text()
    first.locator("a").click()
    page.wait_for_url("**/articles/**#at=*")
    start, end = map(int, page.url.rsplit("#at=", 1)[1].split("-"))
    marked = page.evaluate("[...CSS.highlights.get('hit')].map(r => r.toString()).join('')")
    text = page.evaluate("document.getElementById('article').textContent")
    assert marked == text[start:end] and quoted.lower() in marked.lower()
    assert page.locator("aside li.active[data-target^='q']").count() == 1  # the quote's card
    box = page.locator("#article .focus").first.bounding_box()
    assert box is not None and 0 <= box["y"] <= 900  # in view


def test_filter_by_outlet(page: Any, server: Server) -> None:
    page.goto(server.base + "/corpus")
    page.select_option("#search-form select[name=outlet]", "Northern Ledger")
    page.click("#search-form button[type=submit]")
    page.wait_for_url("**outlet=Northern+Ledger**")
    titles = page.locator("#articles tbody tr td:first-child").all_inner_texts()
    assert len(titles) == 2 and all("Merkulov" in t or "Valdoria" in t for t in titles)


def test_analysis_error_is_shown(page: Any, server: Server) -> None:
    page.goto(server.base + "/")
    page.fill("#url-form input[name=url]", "http://127.0.0.1:9/private")
    page.click("#url-form button[type=submit]")
    error = page.locator("#error")
    error.wait_for()
    assert "loopback" in error.inner_text()


def test_the_api_docs_are_interactive_and_offline(page: Any, server: Server) -> None:
    page.goto(server.base + "/")
    page.click("nav.site a:has-text('API docs')")
    page.wait_for_url("**/api/v1/docs")
    operations = page.locator("#swagger-ui .opblock-summary-path")
    operations.first.wait_for()  # drawn by Swagger UI from the app's schema, under its CSP
    assert "/api/v1/analyze" in operations.all_inner_texts()
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.reload()
    operations.first.wait_for()
    assert requested and all(url.startswith(server.base) for url in requested), requested


def test_chromium_is_debians() -> None:
    assert shutil.which("chromium") in (None, str(CHROMIUM))


def test_charts(page: Any, server: Server, artifacts: Path) -> None:
    # Hand-made analyses with techniques and narratives, saved by a second writer while the
    # server runs (the quotes and claims layers it runs find neither).
    with Store(server.db) as store:  # type: ignore[attr-defined]
        for analysis in corpus():
            store.save(analysis)
    page.goto(server.base + "/corpus")
    charts = page.locator("#charts .chart svg.marks")
    charts.nth(3).wait_for()  # drawn by Vega in the page, under the workbench's CSP (no eval)
    assert charts.count() == 4
    heatmap = charts.first.inner_html()
    assert "Loaded Language" in heatmap and "Daily Wire Service" in heatmap
    assert "50% (1/2)" in heatmap  # every rate with its counts
    weeks = charts.nth(2).inner_html()
    assert "2026-03-02" in weeks and "2026-03-09" in weeks  # a time axis with its years
    page.locator("#charts").screenshot(path=str(artifacts / "charts.png"))
    page.select_option("#search-form select[name=technique]", "Name_Calling-Labeling")
    page.click("#search-form button[type=submit]")
    page.wait_for_url("**technique=Name_Calling-Labeling**")
    titles = page.locator("#articles tbody tr td:first-child").all_inner_texts()
    assert titles == ["Peskov on sanctions"]
    # The charts follow the search: only the articles that name Peskov are counted.
    page.goto(server.base + "/corpus?q=Peskov")
    charts.nth(3).wait_for()
    assert "the search and the filters apply: 2 articles" in page.locator("#charts").inner_text()
    assert "City Herald" not in charts.first.inner_html()
