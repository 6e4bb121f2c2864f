"""Parquet and WARC inputs (the `batch` extra): real files written with pyarrow and warcio."""

from __future__ import annotations

import datetime
import gzip
import io
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
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


# --- damaged files: what is whole is read, what is not is an error, never mixed ---------------


def story(i: int, paragraphs: int = 2) -> bytes:
    """The page of story `i`: its own title and words, so that its text names it."""
    body = "".join(
        f"<p>Story {i}, paragraph {p}: the council of town {i} voted on plan {i} on Monday, "
        f"and the mayor said the plan would cut costs by {i + 10} percent this year.</p>"
        for p in range(paragraphs)
    )
    return (
        f"<html><head><title>Story {i} headline</title></head><body><article>"
        f"<h1>Story {i} headline</h1>{body}</article></body></html>"
    ).encode()


def write_stories(path: Path, stories: list[int], paragraphs: int = 2) -> list[Loaded]:
    """A WARC of the stories' pages; the articles read from it, whole."""
    write_warc(path, [("200 OK", "text/html", story(i, paragraphs)) for i in stories])
    items = read_all(path)
    assert all(isinstance(i, Loaded) for i in items), items
    return [i for i in items if isinstance(i, Loaded)]


def offset(item: Loaded | InputError) -> int:
    where = item.where if isinstance(item, Loaded) else item.source
    assert where is not None
    return int(where.rpartition("@")[2])


def test_malformed_warc_record_after_good_ones(tmp_path: Path) -> None:
    path = tmp_path / "g.warc"
    write_stories(path, [0, 1])
    good = path.read_bytes()
    bad = b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 99999999\r\n\r\nshort"
    path.write_bytes(good + bad)
    first, second, err = read_all(path)
    assert isinstance(first, Loaded) and isinstance(second, Loaded)
    assert "Story 0" in first.article.text and "Story 1" in second.article.text
    assert isinstance(err, InputError) and err.source == f"{path}@{len(good)}"
    assert "not a readable WARC file here" in err.reason and "rest of the file" in err.reason
    (tmp_path / "only.warc").write_bytes(bad)
    (alone,) = read_all(tmp_path / "only.warc")
    assert isinstance(alone, InputError) and alone.source == f"{tmp_path / 'only.warc'}@0"


def test_warc_gz_cut_in_the_middle_of_a_record(tmp_path: Path) -> None:
    whole = tmp_path / "crawl.warc.gz"
    articles = write_stories(whole, [0, 1, 2])
    third = offset(articles[2])
    data = whole.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: third + (len(data) - third) // 2])
    first, second, err = read_all(cut)
    assert isinstance(first, Loaded) and isinstance(second, Loaded)
    assert (first.article, second.article) == (articles[0].article, articles[1].article)
    assert isinstance(err, InputError) and err.source == f"{cut}@{third}"
    assert "cut short" in err.reason and "the rest of the file was not read" in err.reason


def test_plain_warc_whose_third_record_is_cut_short(tmp_path: Path) -> None:
    whole = tmp_path / "crawl.warc"
    articles = write_stories(whole, [0, 1, 2])
    cut = tmp_path / "cut.warc"
    cut.write_bytes(whole.read_bytes()[:-200])
    first, second, err = read_all(cut)
    assert isinstance(first, Loaded) and isinstance(second, Loaded)
    assert (first.article, second.article) == (articles[0].article, articles[1].article)
    assert isinstance(err, InputError) and err.source == f"{cut}@{offset(articles[2])}"
    assert err.reason.startswith("this record is cut short: its Content-Length is")


@pytest.mark.parametrize("kept", [450, -300])
def test_a_cut_record_never_lends_its_id_to_the_next(tmp_path: Path, kept: int) -> None:
    """Record 1 cut (after its first 450 bytes, or less its last 300) and record 2 written
    after it: record 1's Content-Length then reaches into record 2, or past its end."""
    one, two = tmp_path / "one.warc", tmp_path / "two.warc"
    (first,) = write_stories(one, [1], paragraphs=40)
    (second,) = write_stories(two, [2])
    cut = one.read_bytes()[:kept]
    path = tmp_path / "joined.warc"
    path.write_bytes(cut + two.read_bytes())
    items = read_all(path)
    assert all(i.article.id != first.article.id for i in items if isinstance(i, Loaded))
    err, loaded = items
    assert isinstance(err, InputError) and err.source == f"{path}@0"
    assert f"reading goes on at the next record, @{len(cut)}" in err.reason
    assert isinstance(loaded, Loaded) and loaded.where == f"{path}@{len(cut)}"
    assert loaded.article == second.article


def test_a_cut_record_whose_length_ends_on_a_blank_line_is_still_caught(tmp_path: Path) -> None:
    """Record 1 cut so that its Content-Length ends just before the blank line that closes
    record 2's WARC headers: a blank line follows it, as after a whole record."""
    one, two = tmp_path / "one.warc", tmp_path / "two.warc"
    (first,) = write_stories(one, [1], paragraphs=40)
    (second,) = write_stories(two, [2])
    data1, data2 = one.read_bytes(), two.read_bytes()
    head1, head2 = data1.index(b"\r\n\r\n") + 4, data2.index(b"\r\n\r\n") + 4
    length1 = int(re.search(rb"Content-Length: (\d+)", data1)[1])  # type: ignore[index]
    kept = head1 + length1 - head2 + 2
    path = tmp_path / "joined.warc"
    path.write_bytes(data1[:kept] + data2)
    assert path.read_bytes()[head1 + length1 : head1 + length1 + 2] == b"\r\n"
    items = read_all(path)
    assert all(i.article.id != first.article.id for i in items if isinstance(i, Loaded))
    err, loaded = items
    assert isinstance(err, InputError) and err.source == f"{path}@0"
    assert err.reason.startswith("this record was cut short and another record written after")
    assert isinstance(loaded, Loaded) and loaded.article == second.article


def test_a_gzip_member_that_goes_on_after_its_record(tmp_path: Path) -> None:
    """Member 1's record says it ends with its HTTP headers; its page follows in the member."""
    one, two = tmp_path / "one.warc", tmp_path / "two.warc"
    write_stories(one, [1], paragraphs=40)
    (second,) = write_stories(two, [2])
    data1 = one.read_bytes()
    block = data1[data1.index(b"\r\n\r\n") + 4 :]
    short = block.index(b"\r\n\r\n") + 2  # the HTTP status and header lines, no blank line
    data1 = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % short, data1, count=1)
    member1 = gzip.compress(data1)
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(member1 + gzip.compress(two.read_bytes()))
    err, loaded = read_all(path)
    assert isinstance(err, InputError) and err.source == f"{path}@0"
    assert err.reason.startswith("this record does not end where its Content-Length says")
    assert isinstance(loaded, Loaded) and loaded.where == f"{path}@{len(member1)}"
    assert loaded.article == second.article


def test_a_record_that_does_not_match_its_digest_is_read_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc"
    articles = write_stories(path, [0, 1])
    data = path.read_bytes()
    at = data.index(b"paragraph 1")
    path.write_bytes(data[:at] + b"P" + data[at + 1 :])  # same length: only the digest tells
    first, second = read_all(path)
    assert isinstance(first, Loaded) and "Paragraph 1" in first.article.text
    assert first.notes == (
        "this record's bytes do not match its WARC-Block-Digest: it may be damaged",
    )
    assert isinstance(second, Loaded) and second.article == articles[1].article
    assert second.notes == ()


def test_parquet_damaged_row_group_and_row_leave_the_others(tmp_path: Path) -> None:
    path = tmp_path / "feed.parquet"
    texts = [f"Story {i}: the council voted on the plan on Monday." for i in range(12)]
    table = pa.table({"id": [f"r{i}" for i in range(12)], "text": texts})
    # Stored plainly (no compression, dictionary or statistics) so that bytes can be damaged.
    plain = {"compression": "none", "use_dictionary": False, "write_statistics": False}
    pq.write_table(table, path, row_group_size=3, **plain)
    data = bytearray(path.read_bytes())
    meta = pq.ParquetFile(path).metadata
    page = meta.row_group(1).column(1).data_page_offset  # rows 4-6: their text's page header
    data[page : page + 16] = b"\xff" * 16
    at = data.index(b"Story 10")  # row 11's text: make it invalid UTF-8
    data[at + 2] = 0xFF
    path.write_bytes(bytes(data))
    items = read_all(path)
    loaded = {i.article.id: i.article.text for i in items if isinstance(i, Loaded)}
    assert loaded == {f"r{i}": texts[i] for i in (0, 1, 2, 6, 7, 8, 9, 11)}
    errors = [(i.source, i.reason) for i in items if isinstance(i, InputError)]
    assert [source for source, _ in errors] == [f"{path}#4", f"{path}#11"]
    assert errors[0][1].startswith("row group 2 of 4 cannot be read from here (")
    assert errors[0][1].endswith("its rows 4-6 were skipped")
    assert errors[1][1] == "this row cannot be read (a value in it is damaged)"
    truncated = tmp_path / "cut.parquet"
    truncated.write_bytes(bytes(data[: len(data) // 2]))
    (err,) = read_all(truncated)
    assert isinstance(err, InputError) and "not a readable Parquet file" in err.reason


def test_parquet_row_id_with_a_control_character(tmp_path: Path) -> None:
    path = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"id": ["ok", "line\nbreak"], "text": ["One.", "Two."]}), path)
    first, bad = read_all(path)
    assert isinstance(first, Loaded) and first.article.id == "ok"
    assert isinstance(bad, InputError) and bad.source == f"{path}#2"
    assert "has a control character (U+000A)" in bad.reason
