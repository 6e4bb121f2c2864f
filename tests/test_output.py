"""Output renderers: HTML report, terminal summary, format registry."""

from __future__ import annotations

import html
import json
import re
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

import spinscope
from spinscope.document import (
    Analysis,
    Article,
    Claim,
    ClaimSource,
    CueClass,
    Entity,
    Frame,
    Genre,
    Narrative,
    Quote,
    Role,
    Span,
)
from spinscope.layers.quotes.views import CUE_LEGEND
from spinscope.output import (
    FORMAT_NAMES,
    FORMAT_SUFFIXES,
    FORMATS,
    render,
    render_terminal,
    render_text,
)
from spinscope.output.html import JSON_SCRIPT_ID, Annotation, render_html, segment
from spinscope.output.terminal import CUE_STYLES

TEXT = (
    "Halden port to close by 2027, minister says\n"
    "The government plans to close the port of Halden by 2027, "
    "Transport Minister Kari Lunde said on Monday.\n"
    '"We cannot keep losing 40 million kroner a year," she told reporters.\n'
    "\n"
    "Union leaders claimed the closure would probably cost about 1,200 jobs, "
    "according to a statement."
)


def at(needle: str, after: str = "", text: str = TEXT) -> Span:
    """The span of the first `needle` in `text` that comes after `after`."""
    start = text.index(needle, text.index(after) + len(after) if after else 0)
    return Span.of(text, start, start + len(needle))


def sentence(first_words: str, text: str = TEXT) -> Span:
    start = text.index(first_words)
    end = text.find("\n", start)
    return Span.of(text, start, len(text) if end == -1 else end)


def make_analysis(text: str = TEXT, title: str = "Halden port to close by 2027") -> Analysis:
    article = Article(
        id="halden-1",
        title=title,
        text=text,
        outlet="Nordic Wire",
        url="https://example.org/halden",
        published="2024-03-04",
    )
    quotes = [
        Quote(
            kind="indirect",
            content=[at("The government plans to close the port of Halden by 2027", text=text)],
            speaker=at("Transport Minister Kari Lunde", text=text),
            speaker_entity="Kari Lunde",
            cue=at("said", text=text),
            cue_class="neutral",
            score=0.9,
            source="quotes/rules@test",
        ),
        Quote(
            kind="direct",
            content=[at("We cannot keep losing 40 million kroner a year,", text=text)],
            quoted=[at("We cannot keep losing 40 million kroner a year,", text=text)],
            speaker=at("she", after="year,", text=text),
            speaker_entity="Kari Lunde",
            cue=at("told", text=text),
            cue_class="neutral",
            source="quotes/rules@test",
        ),
        Quote(
            kind="indirect",
            content=[at("the closure would probably cost about 1,200 jobs", text=text)],
            speaker=at("Union leaders", text=text),
            cue=at("claimed", text=text),
            cue_class="doubt",
            source="quotes/rules@test",
        ),
    ]
    claims = [
        Claim(
            span=sentence("The government plans", text),
            numbers=[at("2027", after="Halden by", text=text)],
            source=ClaimSource(
                kind="named",
                span=at("Transport Minister Kari Lunde", text=text),
                entity="Kari Lunde",
            ),
            quote=0,
            score=0.8,
            origin="claims/rules@test",
        ),
        Claim(
            span=sentence('"We cannot', text),
            numbers=[at("40 million kroner", text=text)],
            source=ClaimSource(kind="named", span=at("she", after="year,", text=text)),
            quote=1,
            origin="claims/rules@test",
        ),
        Claim(
            span=sentence("Union leaders", text),
            numbers=[at("1,200", text=text)],
            hedges=[at("probably", text=text), at("about", after="probably", text=text)],
            source=ClaimSource(kind="vague", span=at("a statement", text=text)),
            quote=2,
            origin="claims/rules@test",
        ),
    ]
    return Analysis(
        article=article,
        sentences=[sentence(w, text) for w in ("Halden port", "The government", '"We', "Union")],
        quotes=quotes,
        claims=claims,
    )


ARTICLE_RE = re.compile(r'<article class="article" id="article"[^>]*>(.*?)</article>', re.DOTALL)
JSON_RE = re.compile(rf'<script type="application/json" id="{JSON_SCRIPT_ID}">(.*?)</script>', re.S)


def article_text(page: str) -> str:
    """The article text as the page shows it: the article element, tags stripped, unescaped."""
    match = ARTICLE_RE.search(page)
    assert match
    return html.unescape(re.sub(r"<[^>]*>", "", match.group(1)))


def span_tags(page: str) -> dict[str, tuple[str, str]]:
    """Each highlighted segment of the article: its text -> (classes, data-ann)."""
    match = ARTICLE_RE.search(page)
    assert match
    found = re.findall(r'<span class="([^"]*)" data-ann="([^"]*)"[^>]*>([^<]*)</span>', match[1])
    return {html.unescape(text): (classes, anns) for classes, anns, text in found}


# --- segmentation ------------------------------------------------------------------------------


def test_segments_join_to_the_article_text() -> None:
    page = render_html(make_analysis())
    assert article_text(page) == TEXT


def test_overlapping_spans_get_every_covering_class() -> None:
    tags = span_tags(render_html(make_analysis()))
    # the cue "claimed" sits in quote 2's sentence, which is claim 2
    assert tags["claimed"] == ("q q-cue cue-doubt c c-claim", "q2 c2")
    # "2027" is in quote 0's content and is a number of claim 0
    assert tags["2027"] == ("q q-content c c-claim c-number", "q0 c0")
    # a hedge inside a quote inside a claim
    assert tags["probably"] == ("q q-content c c-claim c-hedge", "q2 c2")
    # the quoted words of a direct quote carry both content and quoted
    classes, anns = tags["We cannot keep losing "]
    assert classes.split() == ["q", "q-content", "q-quoted", "c", "c-claim"]
    assert anns == "q1 c1"
    # the speaker is also the claim's named source
    assert tags["Transport Minister Kari Lunde"] == (
        "q q-speaker c c-claim c-source source-named",
        "q0 c0",
    )


def test_crossing_spans_are_cut_at_every_boundary() -> None:
    text = "abcdefghijklmno"
    found = [
        Annotation(0, 10, "q0", ("q", "q-content"), "A"),
        Annotation(5, 15, "c0", ("c", "c-claim"), "B"),
        Annotation(7, 7, "c0", ("c", "c-number"), "empty"),
    ]
    segments = segment(text, found)
    assert [(s.text, s.anns, s.title) for s in segments] == [
        ("abcde", ("q0",), "A"),
        ("fg", ("q0", "c0"), "A\nB"),
        ("hij", ("q0", "c0"), "A\nB"),
        ("klmno", ("c0",), "B"),
    ]


def test_no_annotations_is_one_plain_segment() -> None:
    [only] = segment("plain text\n", [])
    assert only.text == "plain text\n"
    assert only.anns == ()
    assert segment("", []) == []


@given(
    text=st.text(alphabet="ab <&>\"'\n", max_size=40),
    bounds=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=8),
)
def test_segments_cover_exactly_what_each_annotation_covers(
    text: str, bounds: list[tuple[int, int]]
) -> None:
    found = [
        Annotation(min(a, b, len(text)), min(max(a, b), len(text)), f"q{i}", ("q",), f"Q{i}")
        for i, (a, b) in enumerate(bounds)
    ]
    segments = segment(text, found)
    assert "".join(s.text for s in segments) == text
    assert all(s.text for s in segments)
    position = 0
    for s in segments:
        for offset in range(position, position + len(s.text)):
            expected = tuple(dict.fromkeys(a.ann for a in found if a.start <= offset < a.end))
            assert s.anns == expected
        position += len(s.text)


# --- the HTML page -----------------------------------------------------------------------------


def test_page_carries_its_json_twin() -> None:
    analysis = make_analysis()
    match = JSON_RE.search(render_html(analysis))
    assert match
    assert Analysis.model_validate(json.loads(match.group(1))) == analysis


def test_page_is_self_contained() -> None:
    page = render_html(make_analysis())
    assert "<link" not in page
    assert " src=" not in page
    assert "@import" not in page
    assert "url(" not in page
    # the only external address is the article's own, as a link
    assert set(re.findall(r"https?://[^\s\"'<]+", page)) == {"https://example.org/halden"}
    assert "white-space: pre-wrap" in page


def test_page_has_panels_legend_and_toggles() -> None:
    page = render_html(make_analysis())
    # quotes grouped by speaker: Kari Lunde (2 quotes) before the union leaders (1)
    assert page.index("<h3>Kari Lunde") < page.index("<h3>Union leaders")
    assert 'data-target="q2"' in page
    assert 'data-target="c2"' in page
    assert "as “she”" in page  # the mention, where it tells more than the name
    assert "as “Transport Minister Kari Lunde”" not in page  # not where it holds the name
    for layer in ("content", "speakers", "cues", "claims", "numbers", "hedges", "sources"):
        assert f'data-layer="{layer}"' in page
    for cue_class in ("neutral", "doubt", "assertive", "emotive"):
        assert f'class="cue-{cue_class}"' in page
    # hover text of a quote segment names the quote, speaker, cue and kind
    assert 'title="Quote 3 — Union leaders, “claimed” (doubt) · indirect' in page
    assert (
        "Claim 3 — source: vague (a statement) · numbers: 1,200 · hedges: probably, about" in page
    )


def test_every_cue_class_has_a_style_and_a_legend() -> None:
    page = render_html(make_analysis())
    for cue_class in get_args(CueClass):
        assert f".cue-{cue_class} {{ --cue:" in page
        assert cue_class in CUE_STYLES
        if cue_class != "none":
            assert cue_class in CUE_LEGEND


INJECTIONS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")


def injected_analysis() -> Analysis:
    text = (
        f"Headline {INJECTIONS[0]}\n"
        f'"Trust me {INJECTIONS[1]} </script><!-- now," said Mallory {INJECTIONS[0]}.\n'
    )
    content = at(f"Trust me {INJECTIONS[1]} </script><!-- now,", text=text)
    return Analysis(
        article=Article(
            id='x"><script>alert(1)</script>',
            title=f"Title {INJECTIONS[0]} {INJECTIONS[1]}",
            text=text,
            outlet=INJECTIONS[1],
            url="javascript:alert(1)",
            author='"><img src=x onerror=alert(1)>',
        ),
        quotes=[
            Quote(
                kind="direct",
                content=[content],
                quoted=[content],
                speaker=at(f"Mallory {INJECTIONS[0]}", text=text),
                speaker_entity=f"Mallory {INJECTIONS[1]}",
                cue=at("said", text=text),
                cue_class="other",
                source=f"quotes/{INJECTIONS[0]}",
            )
        ],
        claims=[
            Claim(
                span=sentence('"Trust', text),
                source=ClaimSource(kind="named", entity=INJECTIONS[0]),
                quote=0,
                origin=INJECTIONS[1],
            )
        ],
        entities=[
            Entity(
                name=f"Mallory {INJECTIONS[1]}",
                mentions=[at(f"Mallory {INJECTIONS[0]}", text=text)],
                role=Role(main="Antagonist", fine=["Deceiver"], score=0.7),
                evidence=[sentence('"Trust', text)],
                source=INJECTIONS[0],
            )
        ],
        narratives=[
            Narrative(
                narrative="URW: Discrediting the West, Diplomacy",
                evidence=[sentence('"Trust', text)],
                source=INJECTIONS[1],
            )
        ],
        warnings=[f"warning {INJECTIONS[0]}"],
    )


def test_html_escapes_every_user_string() -> None:
    analysis = injected_analysis()
    page = render_html(analysis)
    assert "<script>alert" not in page.lower()
    assert "<img" not in page.lower()
    assert 'href="javascript' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    # only our own two script elements open and close
    assert page.count("<script") == 2
    assert page.count("</script>") == 2
    # the article text survives, exactly
    assert article_text(page) == analysis.article.text
    match = JSON_RE.search(page)
    assert match
    assert Analysis.model_validate(json.loads(match.group(1))) == analysis


def framed_analysis() -> Analysis:
    """The Halden analysis with the framing layers' findings added."""
    analysis = make_analysis()
    lunde = Entity(
        name="Kari Lunde",
        mentions=[at("Kari Lunde"), at("she")],
        role=Role(main="Antagonist", fine=["Incompetent"], score=0.81),
        evidence=[sentence("The government plans")],
        source="entities/test@1",
    )
    workers = Entity(
        name="port workers",
        mentions=[at("1,200 jobs")],
        role=Role(main="Innocent", fine=["Victim"], score=0.66),
        source="entities/test@1",
    )
    halden = Entity(name="Halden", mentions=[at("Halden", "port of ")], source="entities/test@1")
    narrative = Narrative(
        narrative="CC: Criticism of climate policies",
        subnarratives=[
            "CC: Criticism of climate policies: "
            "Climate policies have negative impact on the economy"
        ],
        score=0.58,
        evidence=[sentence("Union leaders")],
        source="narratives/test@1",
    )
    return analysis.model_copy(
        update={
            "entities": [halden, lunde, workers],
            "narratives": [narrative],
            "genre": Genre(genre="reporting", score=0.9, source="frames/test@1"),
            "frames": [Frame(frame="Economic", score=0.77, source="frames/test@1")],
        }
    )


def test_page_shows_cast_narratives_genre_and_frames() -> None:
    analysis = framed_analysis()
    page = render_html(analysis)
    assert 'id="cast"' in page and 'id="narratives"' in page
    cast = page[page.index('id="cast"') : page.index('id="narratives"')]
    # Antagonist before Innocent; an entity with no role is not in the cast list
    assert cast.index("Kari Lunde") < cast.index("port workers")
    assert 'data-target="e0"' not in cast
    assert 'class="role-badge">Antagonist' in cast and "Incompetent" in cast
    assert "2 mentions: Kari Lunde, she" in cast
    assert 'data-target="e1"' in cast and 'data-target="e2"' in cast
    panel = page[page.index('id="narratives"') :]
    assert "Climate policies have negative impact on the economy" in panel
    genre = (
        r'data-target="g0".*?<span class="tech-name">reporting</span>'
        r'<span class="score"[^>]*>0\.90<'
    )
    frame = (
        r'data-target="f0".*?<span class="tech-name">Economic</span><span class="score"[^>]*>0\.77<'
    )
    assert re.search(genre, panel) and re.search(frame, panel)
    # mentions and evidence are highlighted in the text, tied to their panel items
    mention = r'class="[^"]*\be role-{}" data-ann="[^"]*\b{}"[^>]*>{}<'
    assert re.search(mention.format("antagonist", "e1", "Kari Lunde"), page)
    assert re.search(mention.format("none", "e0", "Halden"), page)
    assert re.search(r'data-ann="[^"]*\bn0\b', page)
    assert 'data-layer="entities"' in page and 'data-show="narratives"' in page
    assert article_text(page) == analysis.article.text
    # without framing findings, none of it shows
    plain = render_html(make_analysis())
    assert 'id="cast"' not in plain and 'id="narratives"' not in plain
    assert 'data-layer="entities"' not in plain


# --- terminal ----------------------------------------------------------------------------------


def test_text_summary_lists_cast_narratives_genre_and_frames() -> None:
    out = render_text(framed_analysis(), width=220)
    cast = out[out.index("Cast:") : out.index("Narratives")]
    assert cast.index("Kari Lunde") < cast.index("port workers")
    assert "Antagonist" in cast and "Incompetent" in cast and "0.81" in cast
    assert "2× Kari Lunde, she" in cast
    assert "E2" in cast and "E3" in cast and "E1" not in cast  # Halden has no role
    assert "CC: Criticism of climate policies" in out
    assert "Climate policies have negative impact on the economy" in out
    assert "Genre reporting 0.90 · Frames Economic 0.77" in out
    plain = render_text(make_analysis(), width=220)
    assert "Cast:" not in plain and "Narratives" not in plain and "Genre" not in plain


def test_text_summary_names_speakers_cues_and_claims() -> None:
    assert "Union leaders" in render_text(make_analysis())  # at the default width too
    out = render_text(make_analysis(), width=200)
    for expected in (
        "Halden port to close by 2027",
        "halden-1",
        "Nordic Wire",
        "Kari Lunde",
        "“she”",
        "Union leaders",
        "claimed (doubt)",
        "told (neutral)",
        "40 million kroner",
        "probably, about",
        "vague: a statement",
        "3 quotes",
        "3 claims",
    ):
        assert expected in out, expected
    assert "\x1b[" not in out  # plain text, no colour codes


def test_one_finding_is_counted_in_the_singular() -> None:
    full = make_analysis()
    one = full.model_copy(update={"quotes": full.quotes[:1], "claims": []})
    out = render_text(one, width=200)
    assert re.search(r"\b1 quote\b", out) and "1 quotes" not in out
    assert "3 quotes" in render_text(full, width=200)
    page = render_html(one)
    assert "<b>1</b> quote</span>" in page and "<b>1</b> speaker</span>" in page
    assert "<b>3</b> quotes</span>" in render_html(full)


def test_terminal_never_reads_article_text_as_markup() -> None:
    text = "[bold red]Alarm[/bold red] :smile: [link=https://evil.example]x[/link] said Eve."
    analysis = Analysis(
        article=Article(id="m", title="[blink]Title[/blink]", text=text),
        quotes=[
            Quote(
                kind="indirect",
                content=[at("[bold red]Alarm[/bold red] :smile:", text=text)],
                speaker=at("Eve", text=text),
                speaker_entity="[i]Eve[/i]",
                cue=at("said", text=text),
                cue_class="doubt",
                source="t",
            )
        ],
        warnings=["[red]not markup[/red]"],
    )
    console = Console(record=True, width=120, force_terminal=True, color_system="truecolor")
    render_terminal(analysis, console)
    out = console.export_text(clear=False)
    for literal in ("[blink]Title[/blink]", "[bold red]Alarm[/bold red] :smile:", "[i]Eve[/i]"):
        assert literal in out
    assert "[red]not markup[/red]" in out
    assert "😄" not in out
    # the doubt-casting cue is drawn in bold red
    assert "\x1b[1;31msaid" in console.export_text(styles=True)


def test_long_content_is_shortened() -> None:
    text = "Officials said " + " ".join(["the plan is going very well indeed"] * 12) + "."
    analysis = Analysis(
        article=Article(id="long", text=text),
        quotes=[
            Quote(
                kind="indirect",
                content=[Span.of(text, 15, len(text) - 1)],
                cue=at("said", text=text),
                source="t",
            )
        ],
    )
    out = render_text(analysis, width=400)
    assert "…" in out
    assert "unattributed" in out
    assert text[15:] not in out


# --- registry ----------------------------------------------------------------------------------


def test_formats_registry() -> None:
    analysis = make_analysis()
    assert set(FORMATS) == {"json", "html", "text", "semeval"}
    assert set(FORMAT_NAMES) == set(FORMATS) == set(FORMAT_SUFFIXES)
    assert FORMAT_SUFFIXES["semeval"] == ".tsv"
    assert Analysis.from_json(render(analysis, "json")) == analysis
    assert render(analysis, "html").startswith("<!DOCTYPE html>")
    assert "Kari Lunde" in render(analysis, "text")
    with pytest.raises(ValueError, match="unknown output format 'pdf'"):
        render(analysis, "pdf")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_renders_an_analysis_without_annotations(fmt: str) -> None:
    analysis = Analysis(article=Article(id="bare", text="Nothing to see.\nReally."))
    out = render(analysis, fmt)
    if fmt == "semeval":
        assert out == ""  # one line per technique span, and there are none
    else:
        assert out
    if fmt == "html":
        assert article_text(out) == analysis.article.text
        assert "No quotes found." in out
        assert "No persuasion techniques found." in out
    if fmt == "text":
        assert "No persuasion techniques found." in out


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_renders_what_the_pipeline_returns(fmt: str) -> None:
    analysis = spinscope.analyze(TEXT)
    out = render(analysis, fmt)
    if fmt == "html":
        assert article_text(out) == TEXT
        match = JSON_RE.search(out)
        assert match
        assert Analysis.model_validate(json.loads(match.group(1))) == analysis


def test_a_cast_of_nobody_is_said_once_with_the_entities_left_uncast() -> None:
    analysis = framed_analysis()
    uncast = analysis.with_findings(
        {"entities": [e.model_copy(update={"role": None}) for e in analysis.entities]}
    )
    cast = render_html(uncast)
    panel = cast[cast.index('id="cast"') : cast.index("</section>", cast.index('id="cast"'))]
    names = ", ".join(e.name for e in analysis.entities)
    assert f"The article casts none of its entities in a role: {names}." in panel
    assert "Cast in no role" not in panel
    assert "Cast in no role" in render_html(analysis)  # beside a cast, the others are listed
