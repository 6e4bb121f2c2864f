"""Long articles, window by window: where the text is cut, that the windows' findings are the
article's own, and the time budget that turns a runaway into an error for that article."""

from __future__ import annotations

import itertools
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinscope.document import Analysis, Article
from spinscope.errors import AnalysisStopped, InputError
from spinscope.pipeline import Pipeline, analyze_many
from spinscope.web.workbench import sample_corpus
from spinscope.windows import windows

LAYERS = ("quotes", "claims", "techniques", "entities")
WHOLE = ("narratives", "genre", "frames")


@given(
    st.text(alphabet=st.sampled_from("ab .!?\n“”"), max_size=400),
    st.integers(min_value=1, max_value=60),
)
def test_windows_cover_the_text_in_order_within_the_size(text: str, size: int) -> None:
    pieces = windows(text, size)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    assert all(end == start for (_, end), (start, _) in itertools.pairwise(pieces))
    assert all(0 < end - start <= size for start, end in pieces[:-1])
    for start, end in pieces[:-1]:  # a piece with a line break in reach ends at one
        if "\n" in text[start : start + size]:
            assert text[end - 1] == "\n"


def test_a_line_longer_than_the_window_is_cut_after_a_sentence_else_a_space() -> None:
    text = "One two three. Four five six seven eight"
    assert windows(text, 20) == [(0, 15), (15, 35), (35, 40)]
    assert windows("x" * 25, 10) == [(0, 10), (10, 20), (20, 25)]
    assert windows("short\n", 10) == [(0, 6)]
    with pytest.raises(ValueError, match="positive"):
        windows("text", 0)


def joined() -> tuple[Article, Article, Article]:
    """Two sample articles, and the two as one text."""
    first, second = sample_corpus()[:2]
    text = first.text + "\n" + second.text
    return first, second, Article(id="joined", text=text)


def test_the_windows_findings_are_each_windows_own_in_the_articles_offsets() -> None:
    first, second, both = joined()
    cut = len(first.text) + 1
    assert windows(both.text, cut) == [(0, cut), (cut, len(both.text))]
    windowed = Pipeline(LAYERS, window=cut).analyze(both)
    alone = [Pipeline(LAYERS).analyze(a) for a in (first, second)]

    def quotes(analysis: Analysis) -> list[tuple[str, list[str], str | None]]:
        return [(q.kind, [s.text for s in q.content], q.speaker_entity) for q in analysis.quotes]

    assert quotes(windowed) == quotes(alone[0]) + quotes(alone[1])
    assert windowed.quotes[len(alone[0].quotes)].content[0].start >= cut

    # a claim's quote is found by its index in the article's quotes, across the cut
    def sourced(analysis: Analysis) -> list[tuple[str, str | None]]:
        return [
            (c.span.text, None if c.quote is None else analysis.quotes[c.quote].content[0].text)
            for c in analysis.claims
        ]

    assert sourced(windowed) == sourced(alone[0]) + sourced(alone[1])
    assert any(c.quote is not None and c.span.start >= cut for c in windowed.claims)
    assert [t.text for t in windowed.techniques] == [t.text for a in alone for t in a.techniques]
    names = [e.name for e in windowed.entities]
    assert len(names) == len(set(names))
    assert set(names) == {e.name for a in alone for e in a.entities}
    assert len(windowed.sentences) == len(alone[0].sentences) + len(alone[1].sentences)


def test_layers_over_the_whole_article_read_every_windows_sentences() -> None:
    """Narratives, genre and frames read only the sentences' vectors: windowed or not, they
    see the same sentences and give the same findings."""
    _, _, both = joined()
    windowed = Pipeline(WHOLE, window=400).analyze(both)
    whole = Pipeline(WHOLE).analyze(both)
    assert len(windows(both.text, 400)) > 3
    assert windowed.sentences == whole.sentences
    assert windowed.narratives == whole.narratives
    assert windowed.genre == whole.genre
    assert windowed.frames == whole.frames


def test_an_article_on_one_line_is_cut_and_still_analysed() -> None:
    """No line break at all (a scraped page flattened to one line): windows end after a
    sentence, and every finding is still a span of the article."""
    text = " ".join(a.text.replace("\n", " ") for a in sample_corpus())
    analysis = Pipeline(("quotes", "claims", "techniques"), window=600).analyze(text)
    assert len(windows(text, 600)) >= 5
    assert analysis.quotes and analysis.claims
    for _, span in analysis.spans():  # checked when built; here against the text once more
        assert text[span.start : span.end] == span.text


def test_a_warning_names_the_offset_in_the_article_not_in_its_window() -> None:
    first = sample_corpus()[0].text
    text = first + "\nShe said “it was over and nobody cared.\n"
    broken = text.rindex("“")
    analysis = Pipeline(("quotes",), window=len(first) + 1).analyze(text)
    assert f"unpaired opening quote mark '“' at offset {broken}; left unquoted" in (
        analysis.warnings
    )


def test_an_analysis_over_its_time_budget_stops_with_an_error_for_that_article() -> None:
    article = sample_corpus()[0]
    with pytest.raises(AnalysisStopped, match=r"longer than its budget of 1e-09 s") as stopped:
        Pipeline(LAYERS, max_seconds=1e-9).analyze(article)
    assert stopped.value.source == article.id
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(AnalysisStopped, match="cancelled"):
        Pipeline(LAYERS).analyze(article, cancel=cancel)
    with pytest.raises(ValueError, match="positive"):
        Pipeline(LAYERS, max_seconds=0)


def test_in_a_stream_only_the_article_over_budget_fails() -> None:
    """The budget is per article: the long one (parsing it alone takes several times the
    budget) fails, and the short ones after it are analysed."""
    articles = sample_corpus()
    long = Article(id="long", text="\n".join(a.text for a in articles * 40))
    items = [(a, a.id) for a in [long, articles[0], articles[1]]]
    results = list(analyze_many(items, layers=("quotes",), max_seconds=3))
    assert [context for _, context in results] == ["long", articles[0].id, articles[1].id]
    failed = results[0][0]
    assert isinstance(failed, InputError) and "budget of 3 s" in failed.reason
    assert isinstance(results[1][0], Analysis) and isinstance(results[2][0], Analysis)
