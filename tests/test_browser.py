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
    background = "el => getComputedStyle(el).backgroundColor"
    # the default view: quote content is not shaded (a news report is mostly reported speech)
    assert content.evaluate(background) == "rgba(0, 0, 0, 0)"
    page.screenshot(path=str(artifacts / "article.png"), full_page=True)
    page.check("input[data-layer=content]")
    shown = content.evaluate(background)
    assert shown != "rgba(0, 0, 0, 0)"
    page.uncheck("input[data-group-toggle=quotes]")
    assert "hide-content" in page.evaluate("document.body.className")
    assert content.evaluate(background) == "rgba(0, 0, 0, 0)"
    page.screenshot(path=str(artifacts / "article-quotes-off.png"), full_page=True)
    page.check("input[data-group-toggle=quotes]")
    assert content.evaluate(background) == shown


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


# -- the review loop (issue 18) -----------------------------------------------------------------

REVIEWER_TOKEN = "ana-token-0123456789"
PIPELINE = "sample-valdoria-pipeline"


@pytest.fixture(scope="module")
def reviewing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A workbench with a named reviewer and the layers a review touches, on the sample corpus."""
    folder = tmp_path_factory.mktemp("review")
    (folder / "reviewers").write_text(f"ana {REVIEWER_TOKEN}\n", "utf-8")
    running = Server(
        str(folder / "corpus.db"),
        "--layers",
        "quotes,claims,techniques,entities,narratives,genre,frames",
        "--reviewers",
        str(folder / "reviewers"),
        log=folder / "serve.log",
    )
    yield running
    running.stop()


def _select(page: Any, words: str) -> None:
    """Select `words` in the article's text as a reader would, and let go of the mouse."""
    page.evaluate(
        """words => {
          const root = document.getElementById("article");
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          let node;
          while ((node = walker.nextNode())) {
            const at = node.data.indexOf(words);
            if (at >= 0) {
              const range = document.createRange();
              range.setStart(node, at);
              range.setEnd(node, at + words.length);
              const selection = window.getSelection();
              selection.removeAllRanges();
              selection.addRange(range);
              root.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
              return;
            }
          }
          throw new Error("not in one text node: " + words);
        }""",
        words,
    )


def _reviewed(page: Any, item: Any, click: str) -> None:
    """Click a review control of a panel item and wait for the page to show the result."""
    with page.expect_navigation():
        item.locator(f"button.review-button:has-text('{click}')").click()


def test_review_an_article_and_keep_it_through_a_reanalysis(
    page: Any, reviewing: Server, artifacts: Path
) -> None:
    import httpx

    page.goto(f"{reviewing.base}/articles/{PIPELINE}")
    page.fill("#token", REVIEWER_TOKEN)

    # reject a role the model casts
    marr = page.locator("aside li.cast-item").filter(
        has=page.locator(".tech-name", has_text="Ilse Marr")
    )
    _reviewed(page, marr, "Reject")
    assert "rejected" in (marr.get_attribute("class") or "")
    assert "rejected by ana" in marr.locator(".review-badge").first.inner_text()

    # cast an entity in another role
    merkulov = page.locator("aside li.cast-item").filter(
        has=page.locator(".tech-name", has_text="Anton Merkulov")
    )
    merkulov.locator("button.review-button:has-text('Edit')").click()
    merkulov.locator("select[name=role]").select_option("Deceiver")
    with page.expect_navigation():
        merkulov.locator("button:has-text('Save role')").click()
    assert "Deceiver" in merkulov.inner_text() and "edited by ana" in merkulov.inner_text()

    # correct the genre, and a claim's source
    genre = page.locator("aside li.frame-item[data-target=g0]")
    genre.locator("button.review-button:has-text('Edit')").click()
    genre.locator("select[name=genre]").select_option("reporting")
    with page.expect_navigation():
        genre.locator("button:has-text('Save genre')").click()
    assert "reporting" in genre.inner_text() and "edited by ana" in genre.inner_text()
    claim = page.locator("aside li.claim-item[data-target=c0]")
    claim.locator("button.review-button:has-text('Edit')").click()
    claim.locator("select[name=source-kind]").select_option("named")
    claim.locator("input[name=source]").fill("Valdoria's energy ministry")
    with page.expect_navigation():
        claim.locator("button:has-text('Save source')").click()
    assert "Valdoria's energy ministry" in claim.inner_text()

    # a note on a finding, and the article's details
    claim = page.locator("aside li.claim-item[data-target=c1]")
    claim.locator("button.review-button:has-text('Note')").click()
    claim.locator("input[name=finding-note]").fill("checked against the ministry's release")
    with page.expect_navigation():
        claim.locator("button:has-text('Save note')").click()
    page.locator("#review-metadata summary").click()
    page.fill("#review-metadata input[name=meta-outlet]", "Valdoria Wire")
    with page.expect_navigation():
        page.locator("#review-metadata button:has-text('Save details')").click()
    assert "Valdoria Wire" in page.locator("header.top .meta").inner_text()

    # edit a quote's speaker
    quote = page.locator("aside li.quote-item[data-target=q0]")
    quote.locator("button.review-button:has-text('Edit')").click()
    quote.locator("input[name=speaker]").fill("Valdorian press office")
    with page.expect_navigation():
        quote.locator("button:has-text('Save speaker')").click()
    assert "edited by ana" in quote.inner_text()
    speakers = page.locator("#quotes h3").all_inner_texts()
    assert any(h.startswith("Valdorian press office") for h in speakers)

    # select words of the article and add them as a technique
    text = page.evaluate("document.getElementById('article').textContent")
    words = next(w for w in ("reckless", "blackmail", "energy", "pipeline") if w in text)
    _select(page, words)
    page.locator("#review-add select[name=add-technique]").select_option("Loaded_Language")
    with page.expect_navigation():
        page.locator("#review-add button:has-text('Add technique')").click()
    added = page.locator("aside li.tech-item", has_text="added by ana")
    assert added.count() == 1 and words in added.inner_text()
    page.screenshot(path=str(artifacts / "review-article.png"), full_page=True)

    # a re-analysis keeps every correction
    stored = httpx.get(f"{reviewing.base}/api/v1/articles/{PIPELINE}").json()["article"]
    again = httpx.post(
        f"{reviewing.base}/api/v1/analyze",
        json={"text": stored["text"]},
        headers={"Authorization": f"Bearer {REVIEWER_TOKEN}"},
        timeout=120,
    )
    assert again.status_code == 200, again.text
    page.reload()
    badges = page.locator("aside .review-badge:not(.disagrees)").all_inner_texts()
    assert sorted(badges) == ["added by ana", *["edited by ana"] * 4, "rejected by ana"]
    page.locator("#review-history li").nth(6).wait_for()
    history = page.locator("#review-history li").all_inner_texts()
    assert len(history) == 7 and all("ana" in line for line in history)
    assert any("note claim: checked against the ministry's release" in line for line in history)
    # a re-analysis without metadata keeps the details changed
    assert "Valdoria Wire" in page.locator("header.top .meta").inner_text()


def test_work_through_the_review_queue_with_the_keyboard(
    page: Any, reviewing: Server, artifacts: Path
) -> None:
    import httpx

    page.goto(f"{reviewing.base}/review")
    items = page.locator(".queue-item")
    assert items.count() >= 3
    first = items.nth(0)
    key = [first.get_attribute(f"data-{name}") for name in ("article", "field", "index")]
    page.fill("#token", REVIEWER_TOKEN)
    page.locator("body").click(position={"x": 5, "y": 5})  # leave the token field
    page.keyboard.press("c")
    page.locator(".queue-item.done").first.wait_for()
    assert "confirmed by ana" in items.nth(0).inner_text()
    page.keyboard.press("j")  # skip one
    page.keyboard.press("x")
    page.locator(".queue-item.done").nth(1).wait_for()
    assert "rejected by ana" in items.nth(2).inner_text()
    assert "current" in (items.nth(3).get_attribute("class") or "")
    page.screenshot(path=str(artifacts / "review-queue.png"))
    kept = httpx.get(f"{reviewing.base}/api/v1/corrections", params={"reviewer": "ana"}).json()
    decided = [c for c in kept if c["action"] in ("confirm", "reject")]
    assert [c["action"] for c in decided[-2:]] == ["confirm", "reject"]
    assert decided[-2]["finding"] is not None
    # the confirmed finding has left the queue
    page.reload()
    left = page.locator(
        f".queue-item[data-article='{key[0]}'][data-field='{key[1]}'][data-index='{key[2]}']"
    )
    assert left.count() == 0


def test_export_the_corrections_from_the_review_page(page: Any, reviewing: Server) -> None:
    import zipfile

    import httpx

    api = f"{reviewing.base}/api/v1/articles/{PIPELINE}"
    text = httpx.get(api).json()["article"]["text"]
    start = text.index("pure fantasy")
    added = {
        "kind": "technique",
        "action": "add",
        "replacement": {
            "technique": "Loaded_Language",
            "group": "Manipulative wording",
            "start": start,
            "end": start + len("pure fantasy"),
            "text": "pure fantasy",
        },
    }
    headers = {"Authorization": f"Bearer {REVIEWER_TOKEN}"}
    assert httpx.post(f"{api}/corrections", json=added, headers=headers).status_code == 201
    page.goto(f"{reviewing.base}/review")
    with page.expect_download() as info:
        page.click("#export-semeval2023")
    archive = zipfile.ZipFile(info.value.path())
    ids = archive.read("corrections-semeval2023/ids.tsv").decode().splitlines()
    number = next(line.split("\t")[0] for line in ids if line.endswith("\t" + PIPELINE))
    spans = archive.read(f"corrections-semeval2023/spans/{number}-labels-subtask-3.txt").decode()
    assert f"Loaded_Language\t{start}\t{start + len('pure fantasy')}" in spans


def test_narrative_evidence_shows_inside_quotes_whatever_the_quote_shading(
    page: Any, reviewing: Server, shared_data: Path
) -> None:
    """Issue 18: with quote shading off and narrative evidence on, a narrative's sentence
    inside a quote kept no highlight. The NATO example's evidence is partly quoted."""
    import httpx

    text = (shared_data.parent / "examples" / "nato-peskov-rt.txt").read_text("utf-8")
    analysed = httpx.post(
        f"{reviewing.base}/api/v1/analyze",
        json={"text": text, "id": "nato"},
        headers={"Authorization": f"Bearer {REVIEWER_TOKEN}"},
        timeout=120,
    )
    assert analysed.status_code == 200, analysed.text
    page.goto(f"{reviewing.base}/articles/nato")
    both = page.locator("#article .q-content.n").first
    both.wait_for(state="attached")
    page.check("input[data-show=narratives]")
    shown = both.evaluate("el => getComputedStyle(el).backgroundColor")
    page.uncheck("input[data-layer=content]")
    assert both.evaluate("el => getComputedStyle(el).backgroundColor") == shown
    page.uncheck("input[data-show=narratives]")
    assert both.evaluate("el => getComputedStyle(el).backgroundColor") == "rgba(0, 0, 0, 0)"


def test_the_default_view_shows_techniques_and_unsourced_claims_with_hover_cards(
    page: Any, reviewing: Server
) -> None:
    """Issue 18: with every layer on, every sentence was shaded as a claim over quote shading,
    and techniques had no hover card."""
    page.goto(f"{reviewing.base}/articles/sample-brackenridge-water")
    image = "el => getComputedStyle(el).backgroundImage"
    unsourced = page.locator("#article .c-unsourced")
    sourced = page.locator("#article .c-claim:not(.c-unsourced)")
    assert unsourced.count() > 0 and sourced.count() > 0
    assert unsourced.first.evaluate(image) != "none"  # on by default
    assert sourced.first.evaluate(image) == "none"  # "every claim" is off by default
    page.check("input[data-layer=claims]")
    assert sourced.first.evaluate(image) != "none"
    assert page.locator("input[data-layer=techniques]").is_checked()
    assert not page.locator("input[data-layer=entities]").is_checked()
    # a technique's hover card: its name, score and definition, and whether it is a suggestion
    technique = page.locator("#article .t").first
    technique.hover()
    card = page.locator("#card")
    card.wait_for()
    text = card.inner_text()
    assert page.locator("#card .definition").count() >= 1 and len(text) > 40
    names = page.locator("aside li.tech-item .tech-name").all_inner_texts()
    assert any(name in text for name in names)
    page.mouse.move(5, 5)
    assert card.is_hidden()
