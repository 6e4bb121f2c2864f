"""Persuasion techniques and check-worthiness in every output: HTML, text, SemEval spans."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from markupsafe import escape

import spinscope
from spinscope.document import Analysis, Article, Claim, ClaimSource, Quote, Span, Technique
from spinscope.layers.claims.views import ranked_claims
from spinscope.layers.techniques.views import GROUP_COLOURS, group_slug, technique_class
from spinscope.output import FORMATS, render, render_semeval, semeval_article_id
from spinscope.output.html import JSON_SCRIPT_ID, render_html
from spinscope.output.terminal import GROUP_STYLES, render_text
from spinscope.taxonomy import GROUPS, TECHNIQUES, technique_label

SAMPLE = (Path(spinscope.__file__).parent / "data" / "sample.txt").read_text("utf-8")

ARTICLE_RE = re.compile(r'<article class="article" id="article"[^>]*>(.*?)</article>', re.S)
JSON_RE = re.compile(rf'<script type="application/json" id="{JSON_SCRIPT_ID}">(.*?)</script>', re.S)
SEGMENT_RE = re.compile(
    r'<span class="([^"]*)" data-ann="([^"]*)" title="([^"]*)"( style="[^"]*")?>([^<]*)</span>'
)


def at(needle: str, text: str = SAMPLE, after: str = "") -> Span:
    start = text.index(needle, text.index(after) + len(after) if after else 0)
    return Span.of(text, start, start + len(needle))


def technique(name: str, needle: str, score: float | None, text: str = SAMPLE) -> Technique:
    span = at(needle, text)
    return Technique(
        technique=name,
        group=TECHNIQUES[name].group,
        start=span.start,
        end=span.end,
        text=span.text,
        score=score,
        source="techniques/test@1",
    )


def line(first_words: str, text: str = SAMPLE) -> Span:
    """The line of `text` that starts with `first_words`, without its line break."""
    start = text.index(first_words)
    end = text.find("\n", start)
    return Span.of(text, start, len(text) if end == -1 else end)


SAT_ON_IT = "They had the report on their desks, and they sat on it"

TECHNIQUES_FOUND = [
    technique("Loaded_Language", "gamble with people’s health", 0.81),  # t0
    technique("Questioning_the_Reputation", SAT_ON_IT, 0.72),  # t1
    technique("Doubt", SAT_ON_IT, 0.41),  # t2: the same span as t1, the same group
    technique("Loaded_Language", "sat on it", 0.66),  # t3: inside t1 and t2, another group
    technique("Red_Herring", "The problem is what reached it.", None),  # t4
    technique("Appeal_to_Time", "until every sample comes back clean", 0.375),  # t5
]


def sample_analysis(
    claim_scores: tuple[float | None, ...] = (0.4, None, 0.9, None, 0.4),
) -> Analysis:
    """The bundled sample with a quote, five claims and the techniques above, by hand."""
    firsts = ("“We are not", "As many as", "The source of", "Voss rejected", "The notice")
    claims = [
        Claim(span=line(first), source=ClaimSource(kind="none"), score=score, origin="claims/t")
        for first, score in zip(firsts, claim_scores, strict=True)
    ]
    quote = Quote(
        kind="direct",
        content=[at("They had the report on their desks, and they sat on it,")],
        quoted=[at("They had the report on their desks, and they sat on it,")],
        speaker=at("she", after="sat on it,"),
        speaker_entity="Dana Whitfield",
        cue=at("insisted"),
        cue_class="assertive",
        source="quotes/t",
    )
    return Analysis(
        article=Article(
            id="article111111111", title=SAMPLE.split("\n", 1)[0], text=SAMPLE, outlet="Sample"
        ),
        quotes=[quote],
        claims=claims,
        techniques=TECHNIQUES_FOUND,
    )


def segments(page: str) -> list[tuple[str, str, str, str, str]]:
    """The highlighted segments of the article: (text, classes, anns, title, style)."""
    match = ARTICLE_RE.search(page)
    assert match
    return [
        (html.unescape(text), classes, anns, html.unescape(title), style)
        for classes, anns, title, style, text in SEGMENT_RE.findall(match.group(1))
    ]


def segment_of(page: str, text: str) -> tuple[str, str, str, str, str]:
    [found] = [s for s in segments(page) if s[0] == text]
    return found


def article_text(page: str) -> str:
    match = ARTICLE_RE.search(page)
    assert match
    return html.unescape(re.sub(r"<[^>]*>", "", match.group(1)))


def section(page: str, section_id: str) -> str:
    match = re.search(rf'<section class="panel[^"]*" id="{section_id}">(.*?)</section>', page, re.S)
    assert match, section_id
    return match.group(1)


def legend(page: str) -> str:
    match = re.search(r'<details class="panel legend" id="legend" open>(.*?)</details>', page, re.S)
    assert match
    return match.group(1)


# --- the article text ---------------------------------------------------------------------------


def test_technique_spans_are_highlighted_with_their_classes() -> None:
    page = render_html(sample_analysis())
    assert article_text(page) == SAMPLE
    _, classes, anns, title, style = segment_of(page, "gamble with people’s health")
    # claim 0 (attributed to nobody: unsourced) covers the whole line, t0 exactly these words
    assert classes.split() == [
        "c",
        "c-claim",
        "c-unsourced",
        "t",
        "tg-manipulative-wording",
        "tech-Loaded_Language",
    ]
    assert anns == "c0 t0"
    assert style == ""  # one group: its class draws the bar
    assert title.endswith(
        "Loaded Language (Manipulative wording) · score 0.81 — "
        + TECHNIQUES["Loaded_Language"].definition
    )
    # a technique with no score says none
    _, classes, anns, title, _ = segment_of(page, "The problem is what reached it.")
    assert "tg-distraction" in classes.split() and "tech-Red_Herring" in classes.split()
    assert anns == "t4"
    assert title == "Red Herring (Distraction) — " + TECHNIQUES["Red_Herring"].definition


def test_several_techniques_on_the_same_words() -> None:
    page = render_html(sample_analysis())
    # t1 and t2 share a span: one segment carries both, with one group class and no stack
    _, classes, anns, title, style = segment_of(
        page, "They had the report on their desks, and they "
    )
    assert anns == "q0 t1 t2"  # inside a quote too
    names = classes.split()
    assert names.count("tg-attack-on-reputation") == 1
    assert {"tech-Questioning_the_Reputation", "tech-Doubt"} <= set(names)
    assert style == ""
    assert title.splitlines()[-2:] == [
        "Questioning the Reputation (Attack on reputation) · score 0.72 — "
        + TECHNIQUES["Questioning_the_Reputation"].definition,
        "Doubt (Attack on reputation) · score 0.41 — " + TECHNIQUES["Doubt"].definition,
    ]
    # "sat on it" is under three techniques of two groups: two bars, stacked in GROUPS order
    _, classes, anns, title, style = segment_of(page, "sat on it")
    assert anns == "q0 t1 t2 t3"
    assert {"tg-attack-on-reputation", "tg-manipulative-wording", "tech-Loaded_Language"} <= set(
        classes.split()
    )
    assert style == (
        ' style="--stripes: 0 2px 0 var(--card), '
        "0 5px 0 var(--g-attack-on-reputation, #64748b), "
        '0 8px 0 var(--g-manipulative-wording, #64748b)"'
    )
    assert len(title.splitlines()) == 1 + 3  # the quote, then the three techniques


def test_the_page_carries_the_techniques_in_its_json_twin() -> None:
    analysis = sample_analysis()
    match = JSON_RE.search(render_html(analysis))
    assert match
    assert Analysis.model_validate(json.loads(match.group(1))) == analysis


# --- the side panel, the legend and the toggles ---------------------------------------------


def test_side_panel_lists_techniques_by_group_with_counts() -> None:
    panel = section(render_html(sample_analysis()), "techniques")
    assert "Persuasion techniques <small>6</small>" in panel
    headings = re.findall(
        r'<h3 class="tech-group tg-([a-z-]+)">.*?([^>]+) <small>· (\d+)</small>', panel
    )
    assert headings == [
        ("attack-on-reputation", "Attack on reputation", "2"),
        ("distraction", "Distraction", "1"),
        ("call", "Call", "1"),
        ("manipulative-wording", "Manipulative wording", "2"),
    ]
    # entries in group order, each group in text order
    assert re.findall(r'data-target="(t\d+)"', panel) == ["t2", "t1", "t4", "t5", "t0", "t3"]
    items = dict(re.findall(r'data-target="(t\d+)"(.*?)</li>', panel, re.S))
    assert 'class="tech-name">Loaded Language</span>' in items["t0"]
    assert '<span class="score" title="score">0.81</span>' in items["t0"]
    assert "“gamble with people’s health”" in items["t0"]
    assert '<span class="score" title="score">0.38</span>' in items["t5"]  # 0.375, two places
    assert 'class="score"' not in items["t4"]  # no score, none shown
    assert "“The problem is what reached it.”" in items["t4"]


def test_legend_defines_every_technique_present_once() -> None:
    page = render_html(sample_analysis())
    key = legend(page)
    present = {t.technique for t in TECHNIQUES_FOUND}
    for name, info in TECHNIQUES.items():
        definition = str(escape(info.definition))
        if name in present:
            assert key.count(definition) == 1, name
            assert f'<span class="t tg-{group_slug(info.group)} {technique_class(name)}">' in key
        else:
            assert definition not in page, name
    assert "Manipulative wording · 2×" in key  # Loaded_Language, twice
    assert "SemEval label Appeal_to_Time" in key


def test_layers_can_be_toggled() -> None:
    page = render_html(sample_analysis())
    for group in ("quotes", "claims"):
        assert f'<input type="checkbox" data-group-toggle="{group}" checked>' in page
    assert '<input type="checkbox" data-layer="techniques" checked>' in page
    assert "body.hide-techniques .article .t { box-shadow: none; }" in page
    # the script turns a checkbox into a hide-<layer> class on the body
    assert 'body.classList.toggle("hide-" + box.dataset.layer, !box.checked)' in page
    # every group has a colour, a key in the toolbar and a terminal style
    assert set(GROUP_COLOURS) == set(GROUPS) == set(GROUP_STYLES)
    for group in GROUPS:
        slug = group_slug(group)
        assert f"--g-{slug}: {GROUP_COLOURS[group]};" in page
        assert f".tg-{slug} {{ --tg: var(--g-{slug}); }}" in page
        assert f'<span class="t tg-{slug}">{group}</span>' in page
    assert len({group_slug(group) for group in GROUPS}) == len(GROUPS)


def test_technique_text_from_the_article_is_escaped() -> None:
    text = (
        "Bad news <b>today</b>\n"
        "The mayor is a <script>alert(1)</script> traitor, critics said.\n"
        'Residents "<img src=x onerror=alert(1)>" everywhere.\n'
    )
    analysis = Analysis(
        article=Article(id="x<script>", title="T", text=text),
        techniques=[
            technique("Name_Calling-Labeling", "a <script>alert(1)</script> traitor", 0.9, text),
            technique("Loaded_Language", "<script>alert(1)</script>", 0.5, text),
            technique("Exaggeration-Minimisation", '"<img src=x onerror=alert(1)>"', None, text),
        ],
    )
    page = render_html(analysis)
    assert "<script>alert" not in page.lower()
    assert "<img" not in page.lower()
    assert "<b>today" not in page
    assert "&lt;b&gt;today&lt;/b&gt;" in page
    assert page.count("<script") == 2  # the JSON twin and our own script
    assert page.count("</script>") == 2
    assert article_text(page) == text
    panel = section(page, "techniques")
    assert "“a &lt;script&gt;alert(1)&lt;/script&gt; traitor”" in panel
    # a span in its own quote marks is shown in them, not quoted again
    assert 'snippet">&#34;&lt;img src=x onerror=alert(1)&gt;&#34;</div>' in panel
    match = JSON_RE.search(page)
    assert match
    assert Analysis.model_validate(json.loads(match.group(1))) == analysis
    # and the SemEval lines carry offsets, never the text
    assert render_semeval(analysis) == (
        "x<script>\tName_Calling-Labeling\t35\t70\n"
        "x<script>\tLoaded_Language\t37\t62\n"
        "x<script>\tExaggeration-Minimisation\t96\t126\n"
    )


# --- claims by check-worthiness ----------------------------------------------------------------


def test_claims_are_ranked_by_score_then_text_order() -> None:
    analysis = sample_analysis(claim_scores=(0.4, None, 0.9, None, 0.4))
    assert [i for i, _ in ranked_claims(analysis)] == [2, 0, 4, 1, 3]
    page = render_html(analysis)
    panel = section(page, "claims")
    assert re.findall(r'<li class="item claim-item" data-target="(c\d+)"', panel) == [
        "c2",
        "c0",
        "c4",
        "c1",
        "c3",
    ]
    assert "most check-worthy first" in panel
    items = dict(re.findall(r'data-target="(c\d+)"(.*?)</li>', panel, re.S))
    assert '<span class="ref">C3</span><span class="score"' in items["c2"]
    assert ">check 0.90</span>" in items["c2"]
    assert "check " not in items["c1"]  # no score, none shown
    out = render_text(analysis, width=200)
    assert "Claims, most check-worthy first" in out
    rows = re.findall(r"^\s+(C\d)\s+(\S+)\s", out, re.M)
    assert rows == [("C3", "0.90"), ("C1", "0.40"), ("C5", "0.40"), ("C2", "—"), ("C4", "—")]


def test_claims_without_scores_stay_in_text_order() -> None:
    analysis = sample_analysis(claim_scores=(None,) * 5)
    assert [i for i, _ in ranked_claims(analysis)] == [0, 1, 2, 3, 4]
    page = render_html(analysis)
    assert "most check-worthy first" not in page
    out = render_text(analysis, width=200)
    assert "Claims, most check-worthy first" not in out
    assert "Score" not in out.split("Claims", 1)[1].split("Persuasion techniques")[0]
    assert re.findall(r"^\s+(C\d)\s", out, re.M) == ["C1", "C2", "C3", "C4", "C5"]


# --- terminal ----------------------------------------------------------------------------------


def test_text_summary_has_a_techniques_table_in_text_order() -> None:
    out = render_text(sample_analysis(), width=200)
    assert "6 techniques" in out
    table = out.split("Persuasion techniques", 1)[1].split("What they mean", 1)[0]
    rows = re.findall(r"^\s+(T\d)\s+(.+?)\s{2,}(.+?)\s{2,}(.+?)\s{2,}(\S+)\s*$", table, re.M)
    assert rows == [
        ("T1", "Loaded Language", "Manipulative wording", "gamble with people’s health", "0.81"),
        ("T6", "Appeal to Time", "Call", "until every sample comes back clean", "0.38"),
        ("T5", "Red Herring", "Distraction", "The problem is what reached it.", "—"),
        ("T3", "Doubt", "Attack on reputation", SAT_ON_IT, "0.41"),
        ("T2", "Questioning the Reputation", "Attack on reputation", SAT_ON_IT, "0.72"),
        ("T4", "Loaded Language", "Manipulative wording", "sat on it", "0.66"),
    ]


def test_text_summary_defines_each_technique_once() -> None:
    out = render_text(sample_analysis(), width=200)
    meanings = out.split("What they mean", 1)[1]
    in_order = sorted(TECHNIQUES_FOUND, key=lambda t: (t.start, t.end, t.technique))
    present = list(dict.fromkeys(t.technique for t in in_order))
    for name in present:
        info = TECHNIQUES[name]
        assert out.count(info.definition) == 1, name
        assert re.search(
            rf"^{re.escape(technique_label(name))}\s+{re.escape(info.definition)}", meanings, re.M
        )
    # in order of first appearance
    positions = [meanings.index(TECHNIQUES[name].definition) for name in present]
    assert positions == sorted(positions)
    assert TECHNIQUES["Slogans"].definition not in out


def test_technique_labels() -> None:
    assert technique_label("Name_Calling-Labeling") == "Name Calling/Labeling"
    assert technique_label("Obfuscation-Vagueness-Confusion") == "Obfuscation/Vagueness/Confusion"
    assert technique_label("Doubt") == "Doubt"


# --- SemEval spans ------------------------------------------------------------------------------


def test_semeval_lines_are_exact() -> None:
    analysis = sample_analysis()
    out = render(analysis, "semeval")
    assert out == (
        "111111111\tLoaded_Language\t240\t267\n"
        "111111111\tAppeal_to_Time\t337\t372\n"
        "111111111\tRed_Herring\t887\t918\n"
        "111111111\tDoubt\t1206\t1260\n"
        "111111111\tQuestioning_the_Reputation\t1206\t1260\n"
        "111111111\tLoaded_Language\t1251\t1260\n"
    )
    # each line points at its technique's words in the article
    for row in out.splitlines():
        _, name, start, end = row.split("\t")
        assert any(
            t.technique == name and SAMPLE[int(start) : int(end)] == t.text
            for t in analysis.techniques
        )


def test_semeval_repeated_span_is_one_line() -> None:
    twice = [*TECHNIQUES_FOUND[:1], TECHNIQUES_FOUND[0].model_copy(update={"score": 0.2})]
    analysis = sample_analysis().model_copy(update={"techniques": twice})
    assert render_semeval(analysis) == "111111111\tLoaded_Language\t240\t267\n"


@pytest.mark.parametrize(
    ("article_id", "expected"),
    [
        ("article111111111", "111111111"),
        ("article7", "7"),
        ("halden-1", "halden-1"),
        ("article12ab", "article12ab"),
        ("my article123", "my article123"),
        ("Article123", "Article123"),
        ("a\tb\nc", "a b c"),
    ],
)
def test_semeval_article_ids(article_id: str, expected: str) -> None:
    assert semeval_article_id(article_id) == expected


def test_semeval_is_registered() -> None:
    assert FORMATS["semeval"] is render_semeval
    empty = Analysis(article=Article(id="article5", text="Nothing here."))
    assert render(empty, "semeval") == ""


def test_a_span_in_quote_marks_is_not_quoted_twice() -> None:
    text = "Title\nHe called it “a betrayal of the workers” and left.\n"
    quoted, bare = (
        technique("Name_Calling-Labeling", "“a betrayal of the workers”", 0.8, text),
        technique("Loaded_Language", "betrayal", 0.7, text),
    )
    page = render_html(Analysis(article=Article(id="q", text=text), techniques=[quoted, bare]))
    assert "“a betrayal of the workers”</div>" in page and "““" not in page
    assert "“betrayal”</div>" in page
