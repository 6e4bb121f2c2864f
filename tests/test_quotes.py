"""The quotes layer on real text: quote marks, reporting cues, speakers and their entities."""

from __future__ import annotations

from pathlib import Path

import pytest

import spinscope
from spinscope import Analysis, Quote
from spinscope.document import Article, Span
from spinscope.layers.quotes import rule_quotes, without_repeats
from spinscope.layers.quotes.quote_marks import find_quote_marks
from spinscope.parse import paragraph_spans, parse


def quotes_of(text: str) -> list[Quote]:
    return spinscope.analyze(text, layers=("quotes",)).quotes


def find(quotes: list[Quote], words: str) -> Quote:
    """The quote whose content contains `words`."""
    matches = [q for q in quotes if any(words in c.text for c in q.content)]
    assert matches, f"no quote contains {words!r}: {[[c.text for c in q.content] for q in quotes]}"
    return matches[0]


@pytest.mark.parametrize(
    ("text", "inner"),
    [
        ("He said: “We will win.”", "We will win."),
        ('He said: "We will win."', "We will win."),
        ("Il a dit : « Nous gagnerons. »", " Nous gagnerons. "),
        ("Er sagte: „Wir gewinnen.“", "Wir gewinnen."),
        ("She called it ‘a disgrace’ on Monday.", "a disgrace"),
        ("They say the ‘people’s’ choice won’t change.", "people’s"),
        ("He said: ''We will win.''", "We will win."),
        ("He said: ``We will win.''", "We will win."),
        ("She called Ms. Li's plan ''a disgrace'' on Monday.", "a disgrace"),
        ("''They told me, 'Wait,''' she recalled.", "They told me, 'Wait,'"),
    ],
)
def test_quote_mark_styles_are_paired(text: str, inner: str) -> None:
    regions, warnings = find_quote_marks(text, paragraph_spans(text))
    assert [text[r.inner_start : r.inner_end] for r in regions] == [inner]
    assert warnings == []


def test_apostrophes_do_not_close_single_quotes() -> None:
    text = "The ‘don’t tread on me’ flag and Ukraine’s army."
    regions, _ = find_quote_marks(text, paragraph_spans(text))
    assert [text[r.inner_start : r.inner_end] for r in regions] == ["don’t tread on me"]


def test_unbalanced_quote_marks_warn_instead_of_failing() -> None:
    text = "Officials said the “plan would fail, according to the minister.\nA second line."
    analysis = spinscope.analyze(text)
    assert any("unpaired opening quote mark" in w for w in analysis.warnings)
    quote = find(analysis.quotes, "plan would fail")
    assert quote.kind == "indirect"


#: Curly quote marks, and the typewriter ones of New York Times archives (PolNeAR): one reading.
MARKS = pytest.mark.parametrize(("opening", "closing"), [("“", "”"), ("''", "''")])


@MARKS
def test_quote_split_by_its_attribution_is_one_quote(opening: str, closing: str) -> None:
    text = (
        "Mayor Anna Kowalski spoke on Monday.\n"
        f"{opening}We are not closing the bridge,{closing} Kowalski said, "
        f"{opening}but we will repair it.{closing}\n"
    )
    quote = find(quotes_of(text), "We are not closing")
    assert [c.text for c in quote.content] == [
        f"{opening}We are not closing the bridge,{closing}",
        f"{opening}but we will repair it.{closing}",
    ]
    assert [q.text for q in quote.quoted] == [
        "We are not closing the bridge,",
        "but we will repair it.",
    ]
    assert quote.kind == "direct"
    assert quote.speaker_entity == "Anna Kowalski"
    assert quote.cue is not None and quote.cue.text == "said"


@MARKS
def test_continuing_quote_joins_its_speaker(opening: str, closing: str) -> None:
    text = f"Ms. Smith left. {opening}It is over,{closing} Smith said. {opening}We lost.{closing}\n"
    quote = find(quotes_of(text), "It is over")
    assert [c.text for c in quote.content] == [
        f"{opening}It is over,{closing}",
        f"{opening}We lost.{closing}",
    ]
    assert quote.speaker is not None and quote.speaker.text == "Smith"


@pytest.mark.parametrize(
    ("text", "content"),
    [
        ("The senator accused Clinton of lying about it.", "Clinton of lying about it"),
        ("She described the plan as a disaster on Monday.", "the plan as a disaster"),
        ("The mayor praised the firefighters on Monday.", "the firefighters"),
    ],
)
def test_a_reported_object_keeps_what_it_is_reported_as(text: str, content: str) -> None:
    """PolNeAR's content runs through the complement of a reported object ("accused X of Y",
    "described X as Y"), not through a date."""
    (quote,) = rule_quotes(parse(Article(id="t", text=text)))
    assert [c.text for c in quote.content] == [content]


def test_indirect_speech_keeps_that_and_drops_the_final_period() -> None:
    quote = find(quotes_of("The minister claimed that the economy is growing."), "economy")
    assert quote.content[0].text == "that the economy is growing"
    assert quote.kind == "indirect"
    assert quote.cue_class == "doubt"


def test_parenthetical_attribution_reports_both_sides() -> None:
    text = "The economy, the minister said, is growing fast."
    quote = find(quotes_of(text), "economy")
    assert [c.text for c in quote.content] == ["The economy", "is growing fast"]


def test_according_to_names_the_source() -> None:
    text = "The plant will close in May, according to the company’s chief executive, Ruth Diaz."
    quote = find(quotes_of(text), "plant will close")
    assert quote.cue is not None and quote.cue.text == "according to"
    assert quote.speaker_entity == "Ruth Diaz"


def test_inverted_attribution_after_a_quote() -> None:
    quote = find(quotes_of("“It is too early to tell,” said Cuban.\n"), "too early")
    assert quote.speaker is not None and quote.speaker.text == "Cuban"


@pytest.mark.parametrize(
    ("quotation", "after", "speaker", "cue"),
    [
        ("“We will find the emails that are missing.”", "Trump said.", "Trump", "said"),
        (
            "“You know, it happens, right?”",
            "Trump went on, as if he had not heard.",
            "Trump",
            "went on",
        ),
        ("“What is this about unity?”", "Trump added on Fox and Friends.", "Trump", "added"),
    ],
)
def test_attribution_split_from_its_quote_by_the_parser(
    quotation: str, after: str, speaker: str, cue: str
) -> None:
    """A quotation ending in a period, question or exclamation mark ends the parser's sentence;
    the subject and verb right after it still attribute it, and a quote that follows continues."""
    text = f"He spoke on Monday.\n\n{quotation} {after} “It is over.”\n"
    quote = find(quotes_of(text), quotation.strip("“”")[:12])
    assert quote.speaker is not None and quote.speaker.text == speaker
    assert quote.cue is not None and quote.cue.text == cue
    assert quote.kind == "direct"
    assert [c.text for c in quote.content] == [quotation, "“It is over.”"]


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("''That, unfortunately,'' he said, ''is part of the reality of life.''", "he"),
        (
            "''If Reagan had gone with Kemp, I would have been sitting in Siberia,'' "
            "Mr. Daniloff, now 81, said by telephone this week.",
            "Mr. Daniloff, now 81",
        ),
    ],
)
def test_a_speaker_is_never_inside_the_quotation(text: str, speaker: str) -> None:
    """The parser may take a word of the quotation for the subject of "said"."""
    quote = find(quotes_of(f"He spoke.\n\n{text}\n"), "''")
    assert quote.speaker is not None and quote.speaker.text == speaker


def test_a_quotation_ending_a_paragraph_is_not_attributed_to_the_next() -> None:
    text = "He spoke on Monday.\n\n“It is over.”\n\nSmith left the room.\n"
    quote = find(quotes_of(text), "It is over")
    assert quote.speaker is None


def test_headline_colon_attributes_the_quote() -> None:
    quote = find(quotes_of("Issa: Clinton’s ‘Honesty Is In Question’\nBody text.\n"), "Honesty")
    assert quote.speaker is not None and quote.speaker.text == "Issa"
    assert quote.cue is not None and quote.cue.text == ":"


@pytest.mark.parametrize(
    ("title", "content", "speaker"),
    [
        ("US weaponizing the dollar – Lavrov", "US weaponizing the dollar", "Lavrov"),
        (
            "Kiev has lost 100,000 troops - Russian Defense Ministry",
            "Kiev has lost 100,000 troops",
            "Russian Defense Ministry",
        ),
    ],
)
def test_headline_dash_names_the_speaker(title: str, content: str, speaker: str) -> None:
    quote = find(quotes_of(f"{title}\n\nThe talks went on for a second day.\n"), content)
    assert quote.content[0].text == content
    assert quote.speaker is not None and quote.speaker.text == speaker


@pytest.mark.parametrize(
    "title",
    [
        "Rally in Paris – Photos",  # no statement before the dash
        "They Lost the Billions From Russia–Ukraine War",  # a dash inside a name
        "They Laughed After the Booker Mix-Up",
        "Trump Picked His VP – It Might Surprise You",  # not a name after the dash
    ],
)
def test_a_headline_dash_before_no_name_is_no_attribution(title: str) -> None:
    quotes = quotes_of(f"{title}\n\nThe talks went on for a second day.\n")
    assert [q for q in quotes if q.cue and q.cue.text in "–-"] == []


@pytest.mark.parametrize("body", ["\n", "\n\n"])
def test_a_dash_in_the_body_is_no_attribution(body: str) -> None:
    assert quotes_of(f"Talks{body}The US is weaponizing the dollar – Lavrov\n") == []


def test_scare_quotes_have_no_speaker() -> None:
    quote = find(quotes_of("The “plan” was published in March."), "plan")
    assert quote.kind == "partial"
    assert quote.speaker is None and quote.cue is None


def test_speakers_resolve_surnames_roles_and_pronouns() -> None:
    text = (
        "Health commissioner Maria Lopez warned that the outbreak is spreading.\n"
        "“We need more nurses,” the health commissioner said.\n"
        "Lopez added that schools would stay open.\n"
        "She insisted that the vaccine is safe.\n"
        "Moscow has also insisted that the sanctions failed.\n"
    )
    quotes = quotes_of(text)
    assert find(quotes, "outbreak").speaker_entity == "Maria Lopez"
    titled = find(quotes, "more nurses")
    assert titled.speaker is not None and titled.speaker.text == "the health commissioner"
    assert titled.speaker_entity == "Maria Lopez"
    assert find(quotes, "schools").speaker_entity == "Maria Lopez"
    pronoun = find(quotes, "vaccine")
    assert pronoun.speaker is not None and pronoun.speaker.text == "She"
    assert pronoun.speaker_entity == "Maria Lopez"
    assert pronoun.cue_class == "assertive"
    # no country named: the capital speaks as itself
    assert find(quotes, "sanctions").speaker_entity == "Moscow"


def test_a_capital_speaks_for_its_country_where_the_article_names_it() -> None:
    """Issue 17: quotes named "Moscow" and "the Kremlin" as speakers beside "Russia"; they are
    one speaker where the article names Russia, as they are one entity (`spinscope.places`)."""
    quotes = quotes_of(
        "Russia rejected the plan on Monday.\n"
        "Moscow has also insisted that the sanctions failed.\n"
        "The Kremlin said that the talks in Moscow were pointless.\n"
    )
    assert find(quotes, "sanctions").speaker_entity == "Russia"
    assert find(quotes, "pointless").speaker_entity == "Russia"


def test_positions_inside_someone_elses_report_are_not_quotes() -> None:
    text = "Zelensky suggested that the war could be stopped if Kiev conceded Donbass."
    quotes = quotes_of(text)
    assert [q.cue.text for q in quotes if q.cue] == ["suggested"]


NESTED = (
    "He noted that the failure of the army has shown that the bloc must never give up. "
    "She said that officials claimed the plan had failed."
)


def _quote(cue: str, speaker: str, content: str, after: str = "") -> Quote:
    """A quote of `NESTED`, each part the first occurrence of its words (after `after`)."""

    def at(words: str) -> Span:
        start = NESTED.index(words, NESTED.index(after) if after else 0)
        return Span.of(NESTED, start, start + len(words))

    return Quote(
        kind="indirect",
        content=[at(content)],
        speaker=at(speaker),
        cue=at(cue),
        source="quotes/test@1",
    )


def test_a_report_inside_a_report_given_to_a_speaker_outside_it_is_dropped() -> None:
    """The NATO example's "he also noted that the failure … has shown that …": the inner
    cue's speaker, taken from outside what he noted, only repeats his report. A nested report
    whose speaker is inside the outer one ("officials claimed") stays."""
    noted = _quote("noted", "He", "that the failure of the army has shown that the bloc must")
    shown = _quote("has shown", "He", "that the bloc must never give up")
    said = _quote("said", "She", "that officials claimed the plan had failed")
    claimed = _quote("claimed", "officials", "the plan had failed")
    assert without_repeats([noted, shown, said, claimed]) == [noted, said, claimed]
    # given its own subject, inside what he noted, the inner report is not a repeat
    own = _quote("has shown", "the failure of the army", "that the bloc must never give up")
    assert without_repeats([noted, own]) == [noted, own]


@pytest.fixture(scope="module")
def nato(shared_data: Path) -> Analysis:
    path = shared_data.parent / "examples" / "nato-peskov-rt.txt"
    return spinscope.analyze(path.read_text(encoding="utf-8"))


def said_by(analysis: Analysis, entity: str, words: str) -> Quote:
    quotes = [q for q in analysis.quotes if q.speaker_entity == entity]
    return find(quotes, words)


def test_nato_peskov(nato: Analysis) -> None:
    quote = said_by(nato, "Dmitry Peskov", "essentially make it an instrument of confrontation")
    assert "essentially make it an instrument" in " ".join(q.text for q in quote.quoted)
    assert said_by(nato, "Dmitry Peskov", "So far, the alliance has not abandoned").kind == "direct"
    indirect = said_by(nato, "Dmitry Peskov", "Moscow was planning its course of action")
    assert indirect.kind == "indirect"


def test_nato_stoltenberg(nato: Analysis) -> None:
    goals = said_by(nato, "Jens Stoltenberg", "the two main goals")
    assert goals.kind == "mixed"
    assert any(q.text.startswith("a full-fledged war") for q in goals.quoted)
    signal = said_by(nato, "Jens Stoltenberg", "clear signal")
    assert signal.cue is not None and signal.cue.text == "according to"
    titled = said_by(nato, "Jens Stoltenberg", "We are doing this not to provoke a conflict")
    assert titled.speaker is not None and titled.speaker.text == "the NATO secretary general"
    assert titled.cue_class == "doubt"
    pronoun = said_by(nato, "Jens Stoltenberg", "never underestimate Russia")
    assert pronoun.speaker is not None and pronoun.speaker.text == "he"
    assert pronoun.cue is not None and pronoun.cue.text == "noted"
    # "has shown" is inside what he noted: no second quote of those words (issue 17's Q11)
    assert [q.cue.text for q in nato.quotes if q.cue and q.cue.text == "has shown"] == []


def test_a_capitalised_verb_before_a_name_is_not_part_of_it(shared_data: Path) -> None:
    """Issue 17: "Injecting Clinton’s marital troubles into the 2016 campaign is …", at the
    start of a sentence, was read as the name "Injecting Clinton", which then took Clinton's
    quotes. That sentence, in its article (PolNeAR dev), names Clinton."""
    name = "breitbart_2016-09-30_the-latest-trump-urges-supporter.txt"
    text = (shared_data / "polnear" / "dev" / "text" / name).read_text(encoding="utf-8")
    analysis = spinscope.analyze(text, layers=["entities"])
    speakers = {q.speaker_entity for q in analysis.quotes}
    assert "Hillary Clinton" in speakers
    assert not any("Injecting" in (s or "") for s in speakers)
    assert not any("Injecting" in e.name for e in analysis.entities)


def test_nato_zelensky_putin_russia_moscow(nato: Analysis) -> None:
    zelensky = said_by(nato, "Vladimir Zelensky", "the conflict with Russia could be stopped")
    assert zelensky.kind == "indirect"
    not_ready = said_by(nato, "Vladimir Zelensky", "not ready")
    assert not_ready.cue is not None and not_ready.cue_class == "doubt"
    said_by(nato, "Vladimir Putin", "accession")
    decried = said_by(nato, "Russia", "NATO’s expansion")
    assert decried.cue is not None and decried.cue.text == "decried"
    said_by(nato, "Russia", "a direct national security threat")
    insisted = said_by(nato, "Russia", "Western weapons")  # "Moscow has also insisted"
    assert insisted.cue_class == "assertive"
    headline = said_by(nato, "Russia", "NATO ‘slaughtering’ Ukrainians to fight Russia")
    assert headline.kind == "mixed" and headline.cue is not None and headline.cue.text == "–"
