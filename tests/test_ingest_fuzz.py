"""Every reader fed random bytes and damaged copies of valid files (hypothesis).

Each reader must turn whatever it is given into articles and InputErrors by itself: nothing
escapes `read`, and no error is its last resort (`reading stopped on an unexpected ...`). A
record the damage does not touch is still read, exactly: before the damage for every format,
and after it too for the line-based ones (JSONL, CSV) and where the file can be read past
it (a WARC's next record, a Parquet file's next row group). A record is never read with
another's id.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from spinscope.document import Article
from spinscope.errors import InputError
from spinscope.ingest import Loaded, read

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Texts with non-ASCII letters (the files are UTF-8) and no quote marks or commas (so that a
#: damaged CSV byte cannot open a quoted field that runs on to the end of the file).
TEXTS = [f"Story {i}: le café naïve de Zürich a voté le plan {i} lundi." for i in range(8)]
IDS = [f"good-{i}" for i in range(len(TEXTS))]
STORY = re.compile(r"Story (\d+)")  # what names the story a text is from

#: (start, end) byte ranges of each good record in a file, in the order of IDS.
Ranges = list[tuple[int, int]]


def read_bytes(name: str, data: bytes) -> list[Loaded | InputError]:
    """Everything `read` yields for a file `name` holding `data`; checks that the readers
    handled every failure themselves."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        items = list(read(str(path)))
    for item in items:
        assert isinstance(item, Loaded | InputError), item
        if isinstance(item, InputError):
            assert not item.reason.startswith("reading stopped on an unexpected"), item
    return items


def check(name: str, items: list[Loaded | InputError], touched: Callable[[int, int], bool]) -> None:
    """Every record of the valid file `name` whose range is not `touched` is read exactly as
    from the valid file, and what a WARC record at an offset gives is that record's text (a
    record whose bytes do not match their digest is read, with a note: it may say anything)."""
    expected = articles(name)
    ranges = FILES[name][1]
    loaded = [i for i in items if isinstance(i, Loaded)]
    starts = {start: str(k) for k, (start, _) in enumerate(ranges)}
    for item in loaded:  # a WARC record's text is its own (unless noted as damaged)
        if ".warc" in name and item.where and not any("Digest" in n for n in item.notes):
            record = starts.get(int(item.where.rpartition("@")[2]))
            if record is not None:
                assert set(STORY.findall(item.article.text)) <= {record}, item
    found = {i.article.id: i.article for i in loaded}
    for record_id, (start, end) in zip(IDS, ranges, strict=False):
        if not touched(start, end):
            assert found.get(record_id) == expected[record_id], (record_id, items)


@cache
def articles(name: str) -> dict[str, Article]:
    """The articles of the valid file `name`, by id: all of them, nothing else."""
    items = read_bytes(name, FILES[name][0])
    assert all(isinstance(i, Loaded) for i in items), items
    found = {i.article.id: i.article for i in items if isinstance(i, Loaded)}
    assert sorted(found) == IDS[: len(found)] and len(found) == len(FILES[name][1])
    return found


# --- the valid files, and the byte ranges of their records ----------------------------------


def lines_file(lines: list[bytes], first: int = 0) -> tuple[bytes, Ranges]:
    """The lines joined by newlines; the range of each line from `first` on, with the newlines
    on both sides (damage to either can join it to its neighbour)."""
    data = b"\n".join(lines) + b"\n"
    ranges, start = [], 0
    for i, line in enumerate(lines):
        if i >= first:
            ranges.append((max(start - 1, 0), start + len(line) + 1))
        start += len(line) + 1
    return data, ranges


def jsonl_file() -> tuple[bytes, Ranges]:
    records = [{"id": i, "text": t} for i, t in zip(IDS, TEXTS, strict=True)]
    return lines_file([json.dumps(r, ensure_ascii=False).encode() for r in records])


def csv_file() -> tuple[bytes, Ranges]:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["id", "text"], *zip(IDS, TEXTS, strict=True)])
    return lines_file(out.getvalue().encode().rstrip(b"\n").split(b"\n"), first=1)


def page(i: int) -> bytes:
    return (
        f"<html><head><title>Story {i}</title></head><body><article><h1>Story {i}</h1>"
        f"<p>{TEXTS[i]} The council said the plan would cut costs by {i + 10} percent.</p>"
        f"</article></body></html>"
    ).encode()


def warc_file(gzipped: bool) -> tuple[bytes, Ranges]:
    """A WARC of four pages; their article ids are their IDS (the WARC-Record-IDs)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzipped)
    starts = []
    for i in range(4):
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], "HTTP/1.1")
        record = writer.create_warc_record(
            f"https://news.example/{i}",
            "response",
            payload=io.BytesIO(page(i)),
            length=len(page(i)),
            http_headers=headers,
            warc_headers_dict={"WARC-Record-ID": f"<urn:uuid:{IDS[i]}>"},
        )
        starts.append(out.tell())
        writer.write_record(record)
    data = out.getvalue()
    return data, list(zip(starts, [*starts[1:], len(data)], strict=True))


def parquet_file() -> tuple[bytes, Ranges]:
    """Eight rows in four row groups; a row's range is its row group's bytes."""
    out = io.BytesIO()
    table = pa.table({"id": IDS, "text": TEXTS})
    pq.write_table(table, out, row_group_size=2, write_page_checksum=True)
    data = out.getvalue()
    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    ranges = []
    for g in range(meta.num_row_groups):
        chunks = [meta.row_group(g).column(c) for c in range(meta.num_columns)]
        starts = [
            c.dictionary_page_offset if c.has_dictionary_page else c.data_page_offset
            for c in chunks
        ]
        start = min(starts)
        end = max(s + c.total_compressed_size for s, c in zip(starts, chunks, strict=True))
        ranges += [(start, end)] * meta.row_group(g).num_rows
    return data, ranges


#: The valid files, by name, with their records' ranges.
FILES = {
    "a.jsonl": jsonl_file(),
    "a.csv": csv_file(),
    "a.warc": warc_file(gzipped=False),
    "a.warc.gz": warc_file(gzipped=True),
    "a.parquet": parquet_file(),
}
HTML = page(0)
TEXT = "\n".join(TEXTS).encode()


def test_the_valid_files_read_whole() -> None:
    for name in FILES:
        assert len(articles(name)) in (4, len(IDS))


# --- damage ---------------------------------------------------------------------------------


def overwrite(data: bytes, changes: list[tuple[int, int]], avoid: bytes = b"") -> bytes:
    damaged = bytearray(data)
    for at, value in changes:
        damaged[at % len(data)] = value if bytes([value]) not in avoid else 0
    return bytes(damaged)


changes = st.lists(st.tuples(st.integers(0, 1 << 30), st.integers(0, 255)), min_size=1, max_size=2)


def hit(changes_made: list[tuple[int, int]], size: int) -> Callable[[int, int], bool]:
    spots = {at % size for at, _ in changes_made}
    return lambda start, end: any(start <= at < end for at in spots)


@FUZZ
@given(
    noise=st.binary(max_size=2000),
    name=st.sampled_from(
        ["a.jsonl", "a.csv", "a.warc", "a.warc.gz", "a.parquet", "a.html", "a.txt"]
    ),
)
def test_random_bytes(noise: bytes, name: str) -> None:
    read_bytes(name, noise)
    if ".warc" in name:  # a record's first line, then anything: warcio's header parser
        read_bytes(name, b"WARC/1.0\r\n" + noise)
        read_bytes(name, b"WARC/1.0\r\nWARC-Type: response\r\n" + noise)
    if name.endswith(".gz"):
        read_bytes(name, b"\x1f\x8b\x08\x00" + noise)  # a gzip header, then anything
    if name.endswith(".parquet"):
        read_bytes(name, b"PAR1" + noise + b"PAR1")


@FUZZ
@given(data=st.data(), name=st.sampled_from(["a.jsonl", "a.csv", "a.warc", "a.warc.gz"]))
def test_truncated_files(data: st.DataObject, name: str) -> None:
    valid = FILES[name][0]
    cut = data.draw(st.integers(0, len(valid)))
    check(name, read_bytes(name, valid[:cut]), lambda start, end: end > cut)


@FUZZ
@given(made=changes, name=st.sampled_from(["a.jsonl", "a.csv", "a.warc", "a.warc.gz"]))
def test_damaged_bytes(made: list[tuple[int, int]], name: str) -> None:
    valid = FILES[name][0]
    if name == "a.csv":  # not the header; no quote mark (it would open a field to the end)
        header = valid.index(b"\n") + 1
        made = [(header + at % (len(valid) - header), value) for at, value in made]
    damaged = overwrite(valid, made, avoid=b'"' if name == "a.csv" else b"")
    check(name, read_bytes(name, damaged), hit(made, len(valid)))


@FUZZ
@given(junk=st.binary(max_size=300), where=st.integers(0, len(TEXTS)), csv_file=st.booleans())
def test_a_junk_line_between_records(junk: bytes, where: int, csv_file: bool) -> None:
    name = "a.csv" if csv_file else "a.jsonl"
    valid = FILES[name][0]
    junk = junk.replace(b"\n", b" ").replace(b'"', b" ")
    lines = valid.rstrip(b"\n").split(b"\n")
    at = where + (1 if csv_file else 0)  # after the CSV header
    damaged = b"\n".join([*lines[:at], junk, *lines[at:]]) + b"\n"
    check(name, read_bytes(name, damaged), lambda start, end: False)


@FUZZ
@given(data=st.data())
def test_damaged_parquet(data: st.DataObject) -> None:
    """Damage inside one row group leaves the others; a cut or damaged footer is one error."""
    valid, ranges = FILES["a.parquet"]
    start, end = data.draw(st.sampled_from(sorted(set(ranges))))
    made = data.draw(
        st.lists(
            st.tuples(st.integers(start, end - 1), st.integers(0, 255)), min_size=1, max_size=3
        )
    )
    check("a.parquet", read_bytes("a.parquet", overwrite(valid, made)), hit(made, len(valid)))
    cut = data.draw(st.integers(0, len(valid) - 1))
    read_bytes("a.parquet", valid[:cut])
    footer = data.draw(st.tuples(st.integers(ranges[-1][1], len(valid) - 1), st.integers(0, 255)))
    read_bytes("a.parquet", overwrite(valid, [footer]))


@FUZZ
@given(made=changes, cut=st.integers(0, len(HTML)), text=st.booleans())
def test_damaged_html_and_text(made: list[tuple[int, int]], cut: int, text: bool) -> None:
    valid, name = (TEXT, "a.txt") if text else (HTML, "a.html")
    read_bytes(name, overwrite(valid, made)[:cut])


def test_html_nested_very_deeply() -> None:
    for tag in ("div", "b", "table><tr><td", "ul><li"):
        deep = f"<{tag}>".encode() * 60_000
        (item,) = read_bytes("deep.html", b"<html><body>" + deep + b"<p>" + TEXTS[0].encode())
        assert isinstance(item, Loaded) or "no article text" in item.reason
