"""Parquet and WARC inputs (the `batch` extra): real files written with pyarrow and warcio."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from spinscope.errors import InputError
from spinscope.ingest import IngestOptions, Loaded, read

STORY = (
    "Council backs plan\nThe council said on Monday that the plan would cut costs by 20 percent."
)
PAGE = (
    "<html><head><title>Council backs plan</title><meta charset='iso-8859-1'></head><body>"
    "<article><h1>Council backs plan</h1>"
    "<p>The council said on Monday that the plan would cut costs by 20 percent, according to "
    "the mayor of Zürich.</p>"
    "<p>Critics said the plan was reckless and would hurt the poorest residents of the city "
    "for years to come.</p></article></body></html>"
)


def read_all(path: Path, options: IngestOptions | None = None) -> list[Loaded | InputError]:
    return list(read(str(path), options or IngestOptions()))


# --- Parquet ----------------------------------------------------------------------------------


def test_parquet_rows_with_a_column_mapping(tmp_path: Path) -> None:
    path = tmp_path / "feed.parquet"
    table = pa.table(
        {
            "body": [STORY, None, "x" * 50],
            "date": [datetime.date(2024, 1, 2)] * 3,
            "site": ["Daily Planet", "Daily Planet", "Bugle"],
            "extra": [1, 2, 3],
        }
    )
    pq.write_table(table, path)
    options = IngestOptions(columns={"text": "body", "published": "date", "outlet": "site"})
    first, second, third = read_all(path, options)
    assert isinstance(first, Loaded) and first.where == f"{path}#1"
    assert first.article.text == STORY and first.article.id == "feed:1"
    assert (first.article.published, first.article.outlet) == ("2024-01-02", "Daily Planet")
    assert isinstance(second, InputError) and second.source == f"{path}#2"
    assert "has no text" in second.reason
    assert isinstance(third, Loaded)
    capped = read_all(path, IngestOptions(columns={"text": "body"}, max_bytes=40))[2]
    assert isinstance(capped, InputError) and "over the 40-byte cap" in capped.reason


def test_parquet_without_a_text_column_or_not_parquet(tmp_path: Path) -> None:
    path = tmp_path / "feed.parquet"
    pq.write_table(pa.table({"body": [STORY]}), path)
    (missing,) = read_all(path)
    assert isinstance(missing, InputError) and "has no 'text' column" in missing.reason
    assert "--column text=NAME" in missing.reason
    (tmp_path / "fake.parquet").write_bytes(b"PAR1 but not really")
    (broken,) = read_all(tmp_path / "fake.parquet")
    assert isinstance(broken, InputError) and "not a readable Parquet file" in broken.reason


# --- WARC -------------------------------------------------------------------------------------


def write_warc(path: Path, responses: list[tuple[str, str, bytes]]) -> None:
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=path.suffix == ".gz")
        for i, (status, content_type, body) in enumerate(responses):
            headers = StatusAndHeaders(status, [("Content-Type", content_type)], "HTTP/1.1")
            record = writer.create_warc_record(
                f"https://news.example/story/{i}",
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=headers,
            )
            writer.write_record(record)


def test_warc_reads_html_responses_and_passes_over_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    write_warc(
        path,
        [
            ("200 OK", "text/html; charset=iso-8859-1", PAGE.encode("latin-1")),
            ("200 OK", "image/png", b"\x89PNG\r\n\x1a\n\x00\x00"),
            ("404 Not Found", "text/html", b"<html><body><p>Not here</p></body></html>"),
            ("200 OK", "text/html", b""),
            ("200 OK", "text/html", PAGE.encode("utf-8") * 3),
        ],
    )
    items = read_all(path, IngestOptions(max_bytes=len(PAGE) + 100))
    assert len(items) == 3, items
    page, empty, big = items
    assert isinstance(page, Loaded), page
    assert page.where is not None and page.where.startswith(f"{path}@")
    assert page.article.url == "https://news.example/story/0"
    assert page.article.title == "Council backs plan"
    assert "the mayor of Zürich" in page.article.text  # the header's charset decodes it
    assert len(page.article.id) == 36  # the record's uuid
    assert isinstance(empty, InputError) and empty.reason == "this record's page is empty"
    assert isinstance(big, InputError) and "cap" in big.reason
    offsets = [int(item.where.rpartition("@")[2]) for item in (page,) if item.where]
    assert offsets == [0]
    assert int(empty.source.rpartition("@")[2]) > int(page.where.rpartition("@")[2])


def test_a_file_that_is_not_warc(tmp_path: Path) -> None:
    (tmp_path / "notes.warc").write_text("these are my notes\n\nand more\n", "utf-8")
    (error,) = read_all(tmp_path / "notes.warc")
    assert isinstance(error, InputError) and "not a readable WARC file" in error.reason
    (tmp_path / "empty.warc").write_bytes(b"")
    (error,) = read_all(tmp_path / "empty.warc")
    assert isinstance(error, InputError) and error.reason == "is empty"


def test_batch_reads_parquet_and_warc_inputs(tmp_path: Path) -> None:
    from spinscope.batch import BatchOptions, committed_parts, run_batch
    from spinscope.document import Analysis

    pq.write_table(pa.table({"id": ["p1"], "body": [STORY]}), tmp_path / "feed.parquet")
    write_warc(tmp_path / "crawl.warc", [("200 OK", "text/html", PAGE.encode("utf-8"))])
    options = BatchOptions(layers=("claims",), ingest=IngestOptions(columns={"text": "body"}))
    out = tmp_path / "run.jsonl"
    summary = run_batch(
        [str(tmp_path / "feed.parquet"), str(tmp_path / "crawl.warc")], str(out), options
    )
    assert (summary.read, summary.analysed, summary.failed) == (2, 2, 0)
    lines = committed_parts(out, "analyses")[0].read_text("utf-8").splitlines()
    first, second = map(Analysis.from_json, lines)
    assert first.article.id == "p1" and first.claims
    assert second.article.url == "https://news.example/story/0" and second.claims
