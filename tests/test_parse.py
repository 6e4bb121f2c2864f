"""Parsing: sentences and paragraphs as offsets, the language check."""

from __future__ import annotations

import subprocess
import sys

import spinscope
from spinscope.parse import detect_language, paragraph_spans

GERMAN = (
    "Die Bundesregierung hat am Dienstag neue Hilfen für die Landwirtschaft beschlossen. "
    "Der Minister sagte, die Maßnahmen würden schnell wirken und den Betrieben helfen."
)


def test_sentences_never_cross_a_line_break() -> None:
    text = "A title without a period\nThe first sentence. The second one.\n\nA new paragraph."
    analysis = spinscope.analyze(text, layers=())
    assert [s.text for s in analysis.sentences] == [
        "A title without a period",
        "The first sentence.",
        "The second one.",
        "A new paragraph.",
    ]
    assert [p.text for p in analysis.paragraphs] == [
        "A title without a period",
        "The first sentence. The second one.",
        "A new paragraph.",
    ]


def test_typewriter_quote_marks_open_the_sentence_they_begin() -> None:
    """'' opens as well as closes in typewriter style; the parser alone would end the
    previous sentence after it."""
    text = "Ms. Ortiz left early. ''We are done here,'' she said. ''Really?'' he asked."
    analysis = spinscope.analyze(text, layers=())
    sentences = [s.text for s in analysis.sentences]
    assert sentences[:2] == ["Ms. Ortiz left early.", "''We are done here,'' she said."]
    assert sentences[2].startswith("''Really?''")


def test_a_dateline_is_not_part_of_the_first_sentence() -> None:
    text = "LONDON (Reuters) - Donald Trump said he would visit."
    analysis = spinscope.analyze(text)
    assert analysis.sentences[-1].text == "Donald Trump said he would visit."
    assert analysis.quotes[0].speaker_entity == "Donald Trump"


def test_paragraphs_are_trimmed_lines() -> None:
    text = "  Title  \r\n\r\n\tBody line.\r\n"
    assert [p.text for p in paragraph_spans(text)] == ["Title", "Body line."]


def test_non_english_text_is_analysed_with_a_clear_warning() -> None:
    analysis = spinscope.analyze(GERMAN)
    assert analysis.article.language == "de"
    assert len(analysis.warnings) == 1
    assert "looks like language 'de', not English" in analysis.warnings[0]


def test_english_text_has_no_language_warning() -> None:
    analysis = spinscope.analyze("The minister said the measures would work and help farms.")
    assert analysis.article.language == "en"
    assert analysis.warnings == []


DUTCH = (
    "De minister zei dinsdag dat het plan was mislukt en dat het kabinet een nieuw voorstel "
    "is gaan maken voor de boeren in het noorden van het land. Volgens de provincie zijn er "
    "al maanden gesprekken geweest, maar de boeren willen eerst weten wat het plan hen kost."
)


def test_dutch_words_spelled_as_english_ones_do_not_make_a_text_english() -> None:
    """Dutch has "was", "is" and "in" too: the English shortcut does not count them."""
    assert len(DUTCH.split()) >= 30
    assert detect_language(DUTCH) == "nl"


def test_english_news_is_told_without_loading_the_language_identifier() -> None:
    """The identifier's model costs a process about 80 MB: plain English never loads it."""
    script = (
        "import py3langid.langid as identifier, spinscope;"
        "from spinscope.ingest import sample_article;"
        "analysis = spinscope.analyze(sample_article().text, layers=());"
        "print(analysis.article.language, identifier.IDENTIFIER is None)"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.stdout.split() == ["en", "True"], run.stderr


def test_too_little_text_to_tell_the_language() -> None:
    assert detect_language("12 34 …") is None
    assert spinscope.analyze("OK.").warnings == []
