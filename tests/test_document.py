"""The data model's contract: spans are checked, analyses round-trip through JSON, and the
published JSON Schema is the model's own and accepts what spinscope writes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import spinscope
from spinscope.document import (
    SCHEMA_PATH,
    Analysis,
    Article,
    Claim,
    ClaimSource,
    Entity,
    Frame,
    Genre,
    Narrative,
    Role,
    Span,
    json_schema,
)
from spinscope.ingest import sample_article

# --- Span and Analysis validation -------------------------------------------------------


def test_span_of_takes_the_slice() -> None:
    span = Span.of("Hello world", 6, 11)
    assert (span.start, span.end, span.text) == (6, 11, "world")
    assert Span.of("", 0, 0).text == ""


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [(-1, 2, "outside a text of 5"), (3, 2, "outside a text of 5"), (2, 9, "outside a text of 5")],
)
def test_span_of_rejects_offsets_outside_the_text(start: int, end: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Span.of("Hello", start, end)


def test_span_rejects_bad_offsets_and_text_of_the_wrong_length() -> None:
    with pytest.raises(ValidationError, match="span end 2 is before its start 5"):
        Span(start=5, end=2, text="")
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        Span(start=-1, end=2, text="abc")
    with pytest.raises(ValidationError, match="span text has 2 characters but offsets 0:3 cover 3"):
        Span(start=0, end=3, text="ab")


def test_framing_annotations_check_their_labels() -> None:
    assert Role(main="Innocent", fine=["Victim"]).fine == ["Victim"]
    with pytest.raises(ValidationError, match="'Victim' is not a fine role of Antagonist"):
        Role(main="Antagonist", fine=["Victim"])
    blaming = "URW: Blaming the war on others rather than the invader"
    label = f"{blaming}: The West are the aggressors"
    assert Narrative(narrative=blaming, subnarratives=[label], source="t").subnarratives == [label]
    with pytest.raises(ValidationError, match="is not a sub-narrative of"):
        Narrative(narrative=blaming, subnarratives=["URW: Praise of Russia: Other"], source="t")
    with pytest.raises(ValidationError, match="unknown narrative 'URW: Aliens'"):
        Narrative(narrative="URW: Aliens", source="t")
    with pytest.raises(ValidationError, match="the narrative Other has no sub-narratives"):
        Narrative(narrative="Other", subnarratives=[label], source="t")
    with pytest.raises(ValidationError, match="unknown genre 'poetry'"):
        Genre(genre="poetry", source="t")
    with pytest.raises(ValidationError, match="unknown frame 'Vibes'"):
        Frame(frame="Vibes", source="t")


def test_analysis_checks_entity_and_narrative_spans() -> None:
    article = Article(id="a", text="NATO is to blame, said Peskov.")
    nato = Entity(
        name="NATO",
        mentions=[Span.of(article.text, 0, 4)],
        role=Role(main="Antagonist", fine=["Instigator"], score=0.9),
        evidence=[Span.of(article.text, 0, 30)],
        source="test",
    )
    narrative = Narrative(
        narrative="URW: Blaming the war on others rather than the invader",
        evidence=[Span.of(article.text, 0, 30)],
        score=0.7,
        source="test",
    )
    analysis = Analysis(
        article=article,
        entities=[nato],
        narratives=[narrative],
        genre=Genre(genre="reporting", score=0.8, source="test"),
        frames=[Frame(frame="Political", score=0.6, source="test")],
    )
    assert Analysis.from_json(analysis.to_json()) == analysis
    jsonschema.validate(analysis.to_dict(), json_schema())
    wrong = nato.model_copy(update={"mentions": [Span(start=0, end=4, text="Nato")]})
    with pytest.raises(ValidationError, match=r"entities\[0\]\.mentions\[0\] span 0:4 'Nato'"):
        Analysis(article=article, entities=[wrong])
    wrong_evidence = narrative.model_copy(update={"evidence": [Span(start=0, end=4, text="Nato")]})
    with pytest.raises(ValidationError, match=r"narratives\[0\]\.evidence\[0\]"):
        Analysis(article=article, narratives=[wrong_evidence])


def test_analysis_rejects_spans_that_do_not_match_the_article() -> None:
    article = Article(id="a", text="Hello world")
    with pytest.raises(ValidationError, match=r"sentences\[0\] span 0:5 'world' does not match"):
        Analysis(article=article, sentences=[Span(start=0, end=5, text="world")])
    with pytest.raises(ValidationError, match=r"paragraphs\[0\] span 6:16"):
        Analysis(article=article, paragraphs=[Span(start=6, end=16, text="world xxxx")])
    claim = Claim(
        span=Span.of(article.text, 0, 5),
        source=ClaimSource(kind="none"),
        quote=0,
        origin="test",
    )
    with pytest.raises(ValidationError, match="refers to quote 0, which does not exist"):
        Analysis(article=article, claims=[claim])


def test_loading_json_checks_the_spans_too() -> None:
    analysis = Analysis(article=Article(id="a", text="Hello world"), sentences=[])
    data = json.loads(analysis.to_json())
    data["sentences"] = [{"start": 0, "end": 5, "text": "world"}]
    with pytest.raises(ValidationError, match="does not match the article text"):
        Analysis.from_json(json.dumps(data))
    data["sentences"] = [{"start": 0, "end": 5, "text": "Hello", "extra": 1}]
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Analysis.from_json(json.dumps(data))


@pytest.mark.parametrize(
    "bad", ["a\rb", "a\nb", "tab\tid", "\x00", "x\x1f", "del\x7f", "c1\x85", "\x9f"]
)
def test_article_ids_with_control_characters_are_refused_by_model_and_schema(bad: str) -> None:
    with pytest.raises(ValidationError, match=r"has a control character \(U\+00[0-9A-F]{2}\)"):
        Article(id=bad, text="Body.")
    data = json.loads(Analysis(article=Article(id="ok", text="Body.")).to_json())
    data["article"]["id"] = bad
    with pytest.raises(ValidationError, match="control character"):
        Analysis.model_validate(data)
    assert not jsonschema.Draft202012Validator(json_schema()).is_valid(data)


def test_article_ids_may_hold_any_other_character() -> None:
    for good in ("café/été 2024", "中文-1", "a b", "\u00a0nbsp", "\u2028sep", "emoji 👍"):
        assert Article(id=good, text="Body.").id == good


# --- round trip and JSON Schema on real analyses -----------------------------------------


@pytest.fixture(scope="module")
def sample_analysis() -> Analysis:
    return spinscope.analyze(sample_article())


@pytest.fixture(scope="module")
def nato_analysis(shared_data: Path) -> Analysis:
    path = shared_data.parent / "examples" / "nato-peskov-rt.txt"
    text = path.read_text("utf-8")
    return spinscope.analyze(Article(id=path.stem, title=text.splitlines()[0], text=text))


def test_sample_analysis_round_trips(sample_analysis: Analysis) -> None:
    assert sample_analysis.quotes and sample_analysis.claims  # a real, non-trivial analysis
    assert Analysis.from_json(sample_analysis.to_json()) == sample_analysis
    assert Analysis.from_json(sample_analysis.to_json(indent=None)) == sample_analysis
    assert Analysis.model_validate(sample_analysis.to_dict()) == sample_analysis


def test_nato_analysis_round_trips(nato_analysis: Analysis) -> None:
    assert len(nato_analysis.quotes) >= 5
    assert Analysis.from_json(nato_analysis.to_json()) == nato_analysis


def test_committed_schema_is_the_models_schema() -> None:
    committed = json.loads(SCHEMA_PATH.read_text("utf-8"))
    assert committed == json_schema(), (
        "spinscope/schema/analysis.schema.json is out of date; regenerate it with "
        "python -c 'from spinscope.document import write_json_schema; write_json_schema()'"
    )


def test_schema_is_valid_and_accepts_real_outputs(
    sample_analysis: Analysis, nato_analysis: Analysis
) -> None:
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    for analysis in (sample_analysis, nato_analysis):
        validator.validate(json.loads(analysis.to_json()))


def test_schema_rejects_what_the_model_rejects(sample_analysis: Analysis) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text("utf-8")))
    data = sample_analysis.to_dict()
    data["quotes"][0]["kind"] = "shouted"
    assert not validator.is_valid(data)
    data = sample_analysis.to_dict()
    del data["article"]
    assert not validator.is_valid(data)


# --- properties on any text --------------------------------------------------------------

#: Pieces that make the rules fire, and characters that tend to break offset arithmetic.
PIECES = [
    *"\"'“”‘’„‚«»‹›「」『』",
    "\r\n",
    "\n",
    "\n\n",
    "\r",
    "\t",
    "\x00",
    "\x0b",
    "\x0c",
    "\x1f",
    "\x85",
    "\u2028",
    "\u200b",
    "\ufeff",
    "e\u0301",
    "\u0308",
    "👍🏽",
    "👨‍👩‍👧",
    "🇺🇦",
    "Мир",
    "مرحبا",
    "שלום",
    "中文",
    "हिन्दी",
    " ",
    ". ",
    ", ",
    "said",
    " he said",
    " she insisted",
    "“We will win,” Mayor Ann Lee said, “and soon.”",
    "The minister said that",
    "according to the health department",
    "as many as 1,200",
    " is believed",
    " reportedly",
    "Mr. Smith",
    "claimed",
    "US weaponizing the dollar – Lavrov\n",
]

#: Any text: any character, which a lone surrogate is not (refused, `test_a_lone_surrogate_...`).
characters = st.characters(exclude_categories=["Cs"])
texts = st.one_of(
    st.text(characters, max_size=200),
    st.lists(st.one_of(st.sampled_from(PIECES), characters), max_size=60).map("".join),
)


def check_spans(analysis: Analysis, text: str) -> None:
    assert analysis.article.text == text
    for where, span in analysis.spans():
        assert 0 <= span.start <= span.end <= len(text), where
        assert text[span.start : span.end] == span.text, where


def test_a_lone_surrogate_is_refused_with_where_it_is() -> None:
    with pytest.raises(ValidationError, match=r"lone surrogate \(U\+DC00.*at position 4"):
        spinscope.analyze("Half\udc00 a pair, he said.")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_any_text_gives_spans_within_it_that_round_trip(text: str) -> None:
    analysis = spinscope.analyze(text)
    check_spans(analysis, text)
    assert Analysis.from_json(analysis.to_json()) == analysis


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\r\n\r\n",
        "“",
        "”",
        "'''",
        "“Unclosed quote, he said.\n”Closed without opening,” she said.",
        "Title\r\n“We will win,” the mayor said.\r\nShe said that taxes would fall.",
        "\x00\x01\x02 said \x7f",
    ],
)
def test_edge_texts(text: str) -> None:
    analysis = spinscope.analyze(text)
    check_spans(analysis, text)
    assert Analysis.from_json(analysis.to_json()) == analysis


def test_long_text_keeps_offsets(sample_analysis: Analysis) -> None:
    # Kept to ~20 KB: analysis time grows faster than linearly with length (see docs).
    text = "\r\n".join([sample_analysis.article.text] * 12)
    analysis = spinscope.analyze(text)
    check_spans(analysis, text)
    assert len(analysis.quotes) == 12 * len(sample_analysis.quotes)


def test_spans_walks_every_field_that_holds_one() -> None:
    """`Analysis.spans` finds spans by walking the fields, nested ones included: one that does
    not match the text is refused wherever it is."""
    text = "Peskov said NATO is slaughtering Ukrainians."
    analysis = spinscope.analyze(text)
    paths = dict(analysis.spans())
    assert "sentences[0]" in paths and "quotes[0].speaker" in paths and "quotes[0].cue" in paths
    assert not [p for p in paths if p.startswith("article")]
    data = analysis.to_dict()
    data["quotes"][0]["cue"]["text"] = "told"
    with pytest.raises(ValueError, match=r"quotes\[0\]\.cue span"):
        Analysis.model_validate(data)
