"""Ingest from files and stdin: text, HTML, JSONL and CSV, decoding, and bad inputs."""

from __future__ import annotations

import io
import json
import random
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spinscope.ingest
from spinscope.document import Article
from spinscope.errors import InputError
from spinscope.ingest import IngestOptions, Loaded, read

LATIN1_TEXT = "Le café de Zürich\nUn touriste naïve a commandé un crème brûlée.\n"


def read_all(source: Path | str, options: IngestOptions | None = None) -> list[Loaded | InputError]:
    return list(read(str(source), options or IngestOptions()))


def one(source: Path | str, options: IngestOptions | None = None) -> Loaded:
    items = read_all(source, options)
    assert len(items) == 1, items
    item = items[0]
    assert isinstance(item, Loaded), item
    return item


def error(source: Path | str, options: IngestOptions | None = None) -> InputError:
    items = read_all(source, options)
    assert len(items) == 1, items
    item = items[0]
    assert isinstance(item, InputError), item
    return item


def test_public_surface() -> None:
    assert {"read", "IngestOptions", "Loaded"} <= set(spinscope.ingest.__all__)


# --- .txt ---------------------------------------------------------------------------------


def test_txt_keeps_the_whole_text_exactly(tmp_path: Path) -> None:
    content = "Minister defends plan\r\n\r\nThe minister said it \u201cwill work\u201d.\r\n"
    path = tmp_path / "article111.txt"
    path.write_bytes(content.encode("utf-8"))
    loaded = one(path)
    assert loaded.article == Article(id="article111", title="Minister defends plan", text=content)
    assert loaded.notes == ()


def test_txt_utf8_bom_is_removed_without_a_note(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfTitle\nBody.\n")
    loaded = one(path)
    assert loaded.article.text == "Title\nBody.\n"
    assert loaded.article.title == "Title"
    assert loaded.notes == ()


def test_txt_latin1_is_detected_and_noted(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes(LATIN1_TEXT.encode("latin-1"))
    loaded = one(path)
    assert loaded.article.text == LATIN1_TEXT
    assert loaded.article.title == "Le café de Zürich"
    assert loaded.notes == ("decoded as cp1252 (detected), not UTF-8",)


def test_txt_short_latin1_words(tmp_path: Path) -> None:
    for word in ("café", "naïve", "Zürich"):
        path = tmp_path / "word.txt"
        path.write_bytes(word.encode("latin-1"))
        assert one(path).article.text == word


def test_txt_cyrillic_cp1251_is_detected(tmp_path: Path) -> None:
    content = "Министр защищает план\nМинистр заявил, что план сработает, сообщили чиновники.\n"
    path = tmp_path / "ru.txt"
    path.write_bytes(content.encode("cp1251"))
    loaded = one(path)
    assert loaded.article.text == content
    assert "detected" in loaded.notes[0]


def test_txt_utf16_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "utf16.txt"
    path.write_bytes("Title\nBody é.\n".encode("utf-16"))
    loaded = one(path)
    assert loaded.article.text == "Title\nBody é.\n"
    assert loaded.notes == ("decoded as utf-16 (BOM)",)


def test_title_is_first_non_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("\n  Headline  \nBody.", "utf-8")
    loaded = one(path)
    assert loaded.article.title == "Headline"
    assert loaded.article.text == "\n  Headline  \nBody."


def test_unknown_extension_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# Heading\nSome text.\n", "utf-8")
    loaded = one(path)
    assert loaded.article.id == "notes"
    assert loaded.article.text == "# Heading\nSome text.\n"


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1).filter(lambda s: s.strip() and "\0" not in s and s[0] != "\ufeff"))
def test_any_utf8_text_comes_back_exactly(content: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "prop.txt"
        path.write_bytes(content.encode("utf-8"))
        loaded = one(path)
    assert loaded.article.text == content
    assert loaded.article.title == next(ln.strip() for ln in content.splitlines() if ln.strip())


# --- bad inputs ---------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    err = error(tmp_path / "nope.txt")
    assert err.source == str(tmp_path / "nope.txt")
    assert "no such file" in str(err)


def test_directory(tmp_path: Path) -> None:
    assert "is a directory" in error(tmp_path).reason


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    err = error(path)
    assert str(err) == f"{path}: is empty"


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_bytes(b" \n\t\r\n  ")
    assert str(error(path)) == f"{path}: contains only whitespace"


def test_nul_bytes_are_binary(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    err = error(path)
    assert err.source == str(path)
    assert "looks binary" in err.reason


def test_random_bytes_without_nul_are_binary(tmp_path: Path) -> None:
    rng = random.Random(0)
    path = tmp_path / "noise.dat"
    path.write_bytes(bytes(rng.randrange(1, 256) for _ in range(4000)))
    assert "looks binary" in error(path).reason


def test_50_mb_file_fails_fast_on_its_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: all NUL bytes, so only a size check can name it
    err = error(path)
    assert err.reason == (
        "is 52,428,800 bytes, over the 2,000,000-byte cap; "
        "raise it with --max-bytes (IngestOptions.max_bytes)"
    )


def test_cap_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Title\n" + "word " * 100, "utf-8")
    assert "over the 100-byte cap" in error(path, IngestOptions(max_bytes=100)).reason
    assert one(path, IngestOptions(max_bytes=1000)).article.title == "Title"


def test_read_yields_errors_and_never_raises(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "bin.jsonl").write_bytes(b"\x00\x01\x02")
    sources = [
        "missing.html",
        str(tmp_path),
        str(tmp_path / "empty.csv"),
        str(tmp_path / "bin.jsonl"),
        "missing.ndjson",
    ]
    for source in sources:
        items = read_all(source)
        assert [type(i) for i in items] == [InputError], (source, items)


# --- options ------------------------------------------------------------------------------


def test_options_reject_unknown_fields_and_bad_values() -> None:
    with pytest.raises(ValueError, match="unknown record field"):
        IngestOptions(columns={"body": "text"})
    with pytest.raises(ValueError, match="max_bytes"):
        IngestOptions(max_bytes=0)


def test_options_are_frozen() -> None:
    options = IngestOptions(columns={"text": "body"})
    with pytest.raises(AttributeError):
        options.max_bytes = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        options.columns["text"] = "other"  # type: ignore[index]


# --- HTML ---------------------------------------------------------------------------------

TITLE = "Minister defends plan despite criticism"
PARAGRAPHS = [
    "The minister said on Tuesday that the plan \u201cwill work\u201d, according to officials.",
    "Critics claimed the cost was far higher than admitted, citing internal documents.",
    "\u201cWe are confident,\u201d a spokesperson told reporters outside the ministry.",
    "Opposition leaders called for an inquiry into the spending before the vote.",
]


def page(title: str, paragraphs: list[str], head: str = "", h1: bool = True) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    heading = f"<h1>{title}</h1>" if h1 else ""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>{head}'
        f"</head><body><nav><a href='/'>Home</a></nav><article>{heading}\n{body}</article>"
        f"<footer>Copyright Daily Example</footer></body></html>"
    )


def test_html_metadata(tmp_path: Path) -> None:
    head = (
        '<meta property="og:site_name" content="Daily Example">'
        '<meta name="author" content="Jane Doe">'
        '<meta property="article:published_time" content="2024-03-05T10:00:00Z">'
        '<link rel="canonical" href="https://example.com/news/minister">'
    )
    path = tmp_path / "minister.html"
    path.write_text(page(TITLE, PARAGRAPHS, head), "utf-8")
    article = one(path).article
    assert article.id == "minister"
    assert article.title == TITLE
    assert article.text == "\n".join([TITLE, *PARAGRAPHS])
    assert article.outlet == "Daily Example"
    assert article.author == "Jane Doe"
    assert article.published == "2024-03-05"
    assert article.url == "https://example.com/news/minister"


@pytest.mark.parametrize("h1", [True, False])
def test_html_and_txt_of_the_same_article_match(tmp_path: Path, h1: bool) -> None:
    txt = tmp_path / "same.txt"
    txt.write_text("\n".join([TITLE, *PARAGRAPHS]), "utf-8")
    html = tmp_path / "same.htm"
    html.write_text(page(TITLE, PARAGRAPHS, h1=h1), "utf-8")
    from_txt, from_html = one(txt).article, one(html).article
    assert from_html.title == from_txt.title == TITLE
    assert from_html.text == from_txt.text
    assert from_html.id == from_txt.id == "same"


def test_html_declared_charset(tmp_path: Path) -> None:
    html = page("Le café de Zürich", ["Un touriste naïve a commandé un crème brûlée au café."])
    path = tmp_path / "fr.html"
    path.write_bytes(html.replace('charset="utf-8"', 'charset="windows-1252"').encode("cp1252"))
    loaded = one(path)
    assert loaded.article.title == "Le café de Zürich"
    assert "naïve" in loaded.article.text
    assert loaded.notes == ("decoded as windows-1252 (declared), not UTF-8",)


def test_html_without_text(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    path.write_text("<html><head><title>x</title></head><body></body></html>", "utf-8")
    assert "no article text" in error(path).reason


# --- stdin --------------------------------------------------------------------------------


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def test_stdin_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(b"Headline\nBody text.\n"))
    article = one("-").article
    assert article.title == "Headline"
    assert article.text == "Headline\nBody text.\n"
    assert article.id == Article.make_id(article.text)


def test_stdin_html(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(page(TITLE, PARAGRAPHS).encode("utf-8")))
    article = one("-").article
    assert article.title == TITLE
    assert article.text == "\n".join([TITLE, *PARAGRAPHS])


def test_stdin_empty_and_oversized(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(b""))
    assert str(error("-")) == "-: standard input is empty"
    monkeypatch.setattr(sys, "stdin", _Stdin(b"x" * 101))
    assert "over the 100-byte cap" in error("-", IngestOptions(max_bytes=100)).reason


# --- JSONL --------------------------------------------------------------------------------


def test_jsonl_records_and_broken_lines(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "a1", "title": "First", "text": "One.", "url": "https://x.org/1"}),
        '{"text": "broken',
        json.dumps({"title": "No text"}),
        "",
        json.dumps({"text": "Two.", "outlet": "X", "published": "2024-01-01"}),
        "[1, 2]",
        json.dumps({"text": "   "}),
        json.dumps({"id": 7, "text": "Three."}),
    ]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    items = read_all(path)
    summary = [
        (i.article.id, i.article.text) if isinstance(i, Loaded) else (i.source, i.reason)
        for i in items
    ]
    assert summary == [
        ("a1", "One."),
        (f"{path}:2", "is not valid JSON: Unterminated string starting at (column 10)"),
        (f"{path}:3", "has no text: field 'text' is missing or empty"),
        ("feed:5", "Two."),
        (f"{path}:6", "is not a JSON object but a list"),
        (f"{path}:7", "has no text: field 'text' is missing or empty"),
        ("7", "Three."),
    ]
    first = items[0]
    assert isinstance(first, Loaded)
    assert first.article.title == "First"
    assert first.article.url == "https://x.org/1"


def test_a_record_that_is_not_valid_unicode_is_reported_and_skipped(tmp_path: Path) -> None:
    """JSON can spell a lone surrogate ("\\ud800"), which no UTF-8 output can hold: that record
    is reported with where the code point is, and the next one is read."""
    path = tmp_path / "feed.jsonl"
    path.write_text('{"text": "Half \\ud800 a pair."}\n{"id": "ok", "text": "Fine."}\n', "utf-8")
    bad, good = read_all(path)
    assert not isinstance(bad, Loaded) and bad.source == f"{path}:1"
    assert "lone surrogate (U+D800, half of a UTF-16 pair, not a character) at position 5" in (
        bad.reason
    )
    assert isinstance(good, Loaded) and good.article.id == "ok"


def test_jsonl_column_mapping(tmp_path: Path) -> None:
    path = tmp_path / "feed.ndjson"
    record = {
        "guid": "g1",
        "headline": "H",
        "body": " Body kept exactly \n",
        "date": "2024-05-01",
        "site": "Example",
    }
    path.write_text(json.dumps(record) + "\n", "utf-8")
    options = IngestOptions(
        columns={
            "id": "guid",
            "title": "headline",
            "text": "body",
            "published": "date",
            "outlet": "site",
        }
    )
    assert one(path, options).article == Article(
        id="g1", title="H", text=" Body kept exactly \n", published="2024-05-01", outlet="Example"
    )
    err = error(path)  # without the mapping there is no text
    assert err.source == f"{path}:1"


def test_jsonl_oversized_line_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    lines = [json.dumps({"text": "small"}), json.dumps({"text": "x" * 500}), '{"text": "after"}']
    path.write_text("\n".join(lines), "utf-8")
    items = read_all(path, IngestOptions(max_bytes=100))
    assert [i.article.text if isinstance(i, Loaded) else str(i) for i in items] == [
        "small",
        f"{path}:2: this line is over the 100-byte cap; "
        "raise it with --max-bytes (IngestOptions.max_bytes)",
        "after",
    ]


def test_jsonl_non_scalar_field(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"text": "T", "title": ["a", "b"]}), "utf-8")
    assert str(error(path)) == f"{path}:1: field 'title' is a list, expected text"


def test_jsonl_latin1_is_decoded_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "latin.jsonl"
    path.write_bytes(json.dumps({"text": LATIN1_TEXT}, ensure_ascii=False).encode("latin-1"))
    loaded = one(path)
    assert loaded.article.text == LATIN1_TEXT
    assert loaded.notes == ("decoded as cp1252 (detected), not UTF-8",)


def test_jsonl_without_records(tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_text("\n\n  \n", "utf-8")
    assert "has no records" in error(path).reason


# --- CSV ----------------------------------------------------------------------------------


def test_csv_rows_and_broken_rows(tmp_path: Path) -> None:
    path = tmp_path / "news.csv"
    path.write_bytes(
        b"\xef\xbb\xbfid,title,text,outlet\r\n"
        b'n1,First,"Line one\r\nline two",Daily\r\n'
        b",Second,Two.,\r\n"
        b"n3,Third\r\n"
        b"n4,Fourth,,X\r\n"
        b"\r\n"
        b",Fifth,Five.,Y\r\n"
    )
    items = read_all(path)
    summary = [
        (i.article.id, i.article.title, i.article.text, i.article.outlet)
        if isinstance(i, Loaded)
        else (i.source, i.reason)
        for i in items
    ]
    assert summary == [
        ("n1", "First", "Line one\r\nline two", "Daily"),
        ("news:4", "Second", "Two.", None),
        (f"{path}:5", "has 2 fields but the header has 4"),
        (f"{path}:6", "has no text: field 'text' is missing or empty"),
        ("news:8", "Fifth", "Five.", "Y"),
    ]


def test_csv_column_mapping_and_missing_text_column(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("headline,body,date\nH,The body.,2024-02-02\n", "utf-8")
    err = error(path)
    assert err.source == str(path)
    assert err.reason.startswith("has no 'text' column (its header: headline, body, date)")
    options = IngestOptions(columns={"title": "headline", "text": "body", "published": "date"})
    assert one(path, options).article == Article(
        id="m:2", title="H", text="The body.", published="2024-02-02"
    )


def test_csv_latin1(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(f'title,text\nZürich,"{LATIN1_TEXT}"\n'.encode("latin-1"))
    loaded = one(path)
    assert loaded.article.title == "Zürich"
    assert loaded.article.text == LATIN1_TEXT
    assert loaded.notes == ("decoded as cp1252 (detected), not UTF-8",)


def test_csv_long_field(tmp_path: Path) -> None:
    text = "word " * 60_000  # longer than the csv module's default field limit
    path = tmp_path / "long.csv"
    path.write_text(f"text\n{text}\n", "utf-8")
    assert one(path).article.text == text


def test_csv_header_only(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("id,text\n", "utf-8")
    assert error(path).reason == "has a header but no records"


# --- bad records fail one by one ----------------------------------------------------------


def summarise(items: list[Loaded | InputError]) -> list[tuple[str, str]]:
    """(id, text) of each article, (source, reason) of each error."""
    return [
        (i.article.id, i.article.text) if isinstance(i, Loaded) else (i.source, i.reason)
        for i in items
    ]


def test_jsonl_line_nested_too_deeply_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    lines = [
        json.dumps({"id": "a", "text": "Before."}),
        "[" * 200_000 + "]" * 200_000,
        json.dumps({"id": "b", "text": "After."}),
        '{"id": "c", "n": ' + "1" * 5000 + ', "text": "Big number."}',  # past int's digit cap
    ]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    summary = summarise(read_all(path))
    assert summary[:3] == [
        ("a", "Before."),
        (f"{path}:2", "is nested too deeply to read (arrays or objects in each other)"),
        ("b", "After."),
    ]
    assert summary[3][0] == f"{path}:4" and summary[3][1].startswith("is not valid JSON")


def test_jsonl_nul_byte_fails_only_its_line(tmp_path: Path) -> None:
    path = tmp_path / "nul.jsonl"
    good = [json.dumps({"id": f"g{i}", "text": f"Story {i} about the café."}) for i in range(6)]
    lines = [line.encode("utf-8") for line in good]
    lines.insert(3, b'{"id": "bad", "text": "binary \x00\x01\x02 junk"}')
    path.write_bytes(b"\n".join(lines) + b"\n")
    summary = summarise(read_all(path))
    assert summary == [
        *[(f"g{i}", f"Story {i} about the café.") for i in range(3)],
        (f"{path}:4", "holds a NUL byte: it is binary data, not a JSON record"),
        *[(f"g{i}", f"Story {i} about the café.") for i in range(3, 6)],
    ]


def test_a_record_file_binary_throughout_is_refused_whole(tmp_path: Path) -> None:
    rng = random.Random(1)
    for name in ("image.jsonl", "image.csv"):
        path = tmp_path / name
        lines = [bytes(rng.randrange(256) for _ in range(80)) + b"\x00" for _ in range(50)]
        path.write_bytes(b"\n".join([b'{"text": "one good line"}', *lines]))
        err = error(path)
        assert err.source == str(path) and "looks binary" in err.reason


def test_csv_nul_byte_fails_only_its_row(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"id,text\na,First.\nb,Bin\x00ary.\nc,Third.\n")
    assert summarise(read_all(path)) == [
        ("a", "First."),
        (f"{path}:3", "holds a NUL byte: it is binary data, not a CSV record"),
        ("c", "Third."),
    ]


def test_one_broken_line_does_not_change_how_the_others_decode(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = [
        json.dumps({"id": f"g{i}", "text": f"Café {i}, déjà vu."}, ensure_ascii=False)
        for i in range(3)
    ]
    path.write_bytes(
        b"\n".join([good[0].encode(), b'{"text": "\xff\xfe\x81"}', *(g.encode() for g in good[1:])])
    )
    assert summarise(read_all(path)) == [
        ("g0", "Café 0, déjà vu."),
        (f"{path}:2", "is not valid utf-8"),
        ("g1", "Café 1, déjà vu."),
        ("g2", "Café 2, déjà vu."),
    ]


def test_csv_rows_after_a_broken_row_are_still_read(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    lines = ["id,text", "a,Café one.", "b,bare\rreturn here", "c,not \0 utf-8", "d,Café four."]
    path.write_bytes("\n".join(lines).encode().replace(b"\0", b"\xff") + b"\n")
    summary = summarise(read_all(path))
    assert summary[0] == ("a", "Café one.")
    assert summary[1][0] == f"{path}:3" and summary[1][1].startswith("is not valid CSV")
    assert summary[2:] == [(f"{path}:4", "is not valid utf-8"), ("d", "Café four.")]


def test_txt_latin1_french_is_cp1252_not_baltic(tmp_path: Path) -> None:
    content = "Le café de la société\nUne idée naïve, déjà vue: le maître d'hôtel a payé.\n"
    path = tmp_path / "fr.txt"
    path.write_bytes(content.encode("latin-1"))
    loaded = one(path)
    assert loaded.article.text == content
    assert loaded.notes == ("decoded as cp1252 (detected), not UTF-8",)


@pytest.mark.parametrize("bad_id", ["a\rb", "a\nb", "tab\there", "bell\x07", "del\x7f", "c1\x85c1"])
def test_record_ids_with_control_characters_are_refused(tmp_path: Path, bad_id: str) -> None:
    jsonl = tmp_path / "ids.jsonl"
    records = [{"id": "ok1", "text": "One."}, {"id": bad_id, "text": "Two."}, {"text": "Three."}]
    jsonl.write_text("\n".join(json.dumps(r) for r in records) + "\n", "utf-8")
    first, bad, third = read_all(jsonl)
    assert isinstance(first, Loaded) and isinstance(third, Loaded)
    assert isinstance(bad, InputError) and bad.source == f"{jsonl}:2"
    assert f"article id {bad_id!r} has a control character" in bad.reason
    if "\r" not in bad_id and "\n" not in bad_id:  # a CSV field holding CR or LF is quoted
        csv_path = tmp_path / "ids.csv"
        csv_path.write_text(f"id,text\nok1,One.\n{bad_id},Two.\n,Three.\n", "utf-8")
        first, bad, third = read_all(csv_path)
        assert isinstance(first, Loaded) and isinstance(third, Loaded)
        assert isinstance(bad, InputError) and bad.source == f"{csv_path}:3"
        assert "has a control character" in bad.reason


def test_csv_quoted_id_with_a_line_break_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text('id,text\n"two\r\nlines",One.\nok,Two.\n', "utf-8")
    bad, good = read_all(path)
    assert isinstance(bad, InputError) and bad.source == f"{path}:2"
    assert "has a control character (U+000D)" in bad.reason
    assert isinstance(good, Loaded) and good.article.id == "ok"


def test_file_name_with_a_control_character_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad\x01name.txt"
    path.write_text("Title\nBody.\n", "utf-8")
    err = error(path)
    assert err.source == str(path) and "has a control character (U+0001)" in err.reason


def test_a_reader_bug_ends_only_its_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The last resort of `read`: an exception a reader did not expect becomes one InputError
    for its source, after the articles read before it. (The readers handle every failure
    known; a stand-in reader plays one with a bug, failing on the file's second line.)"""
    path = tmp_path / "feed.jsonl"
    path.write_text('{"text": "First."}\n{"text": "Second."}\n', "utf-8")

    def buggy(source: Path, options: IngestOptions) -> Iterator[Loaded | InputError]:
        for lineno, line in enumerate(source.read_text("utf-8").splitlines(), 1):
            if lineno == 2:
                raise KeyError("a bug")
            yield Loaded(Article(id=str(lineno), text=json.loads(line)["text"]))

    monkeypatch.setitem(spinscope.ingest._RECORD_READERS, ".jsonl", buggy)
    first, err = read_all(path)
    assert isinstance(first, Loaded) and first.article.text == "First."
    assert isinstance(err, InputError) and err.source == str(path)
    assert err.reason.startswith("reading stopped on an unexpected KeyError ('a bug')")
    assert "the rest of it was not read" in err.reason
    assert isinstance(err.__cause__, KeyError)
