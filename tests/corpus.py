"""Hand-made analyses for the store and API tests: real `Analysis` objects whose findings are
placed by phrase, so a test can say exactly what a corpus holds."""

from __future__ import annotations

from spinscope.document import Analysis, Article, Narrative, Quote, Span, Technique
from spinscope.taxonomy import TECHNIQUES

URW_BLAME = "URW: Blaming the war on others rather than the invader"


def made(
    id: str,
    text: str,
    *,
    title: str = "",
    outlet: str | None = None,
    published: str | None = None,
    quotes: list[tuple[str, str]] = (),  # type: ignore[assignment]
    techniques: list[tuple[str, str]] = (),  # type: ignore[assignment]
    narratives: list[str] = (),  # type: ignore[assignment]
    version: str | None = None,
) -> Analysis:
    """An analysis of one article: `quotes` are (speaker, phrase), `techniques` (technique,
    phrase), each phrase found in `text`."""

    def span(phrase: str) -> Span:
        start = text.index(phrase)
        return Span.of(text, start, start + len(phrase))

    fields = {} if version is None else {"spinscope_version": version}
    return Analysis(
        article=Article(id=id, title=title, text=text, outlet=outlet, published=published),
        quotes=[
            Quote(kind="direct", content=[span(p)], speaker_entity=who, source="test")
            for who, p in quotes
        ],
        techniques=[
            Technique(
                technique=name,
                group=TECHNIQUES[name].group,
                start=span(p).start,
                end=span(p).end,
                text=p,
                source="test",
            )
            for name, p in techniques
        ],
        narratives=[Narrative(narrative=n, source="test") for n in narratives],
        **fields,
    )


def corpus() -> list[Analysis]:
    """Three articles from two outlets in two weeks."""
    one = (
        "Kremlin rejects NATO expansion\n"
        "Dmitry Peskov said that NATO enlargement was a threat. "
        "The alliance is a cancer on Europe, one commentator wrote."
    )
    two = (
        "Council approves budget\n"
        "Mayor Elena Voss said the water budget would rise. Critics called it a disaster."
    )
    three = (
        "Peskov on sanctions\n"
        "Peskov said sanctions would fail. Only a fool believes the West, he added."
    )
    return [
        made(
            "one",
            one,
            title="Kremlin rejects NATO expansion",
            outlet="Daily Wire Service",
            published="2026-03-02",
            quotes=[("Dmitry Peskov", "NATO enlargement was a threat")],
            techniques=[("Loaded_Language", "a cancer on Europe")],
            narratives=[URW_BLAME],
        ),
        made(
            "two",
            two,
            title="Council approves budget",
            outlet="City Herald",
            published="2026-03-04",
            quotes=[("Elena Voss", "the water budget would rise")],
            techniques=[("Loaded_Language", "a disaster")],
        ),
        made(
            "three",
            three,
            title="Peskov on sanctions",
            outlet="Daily Wire Service",
            published="2026-03-11T08:00:00Z",
            quotes=[("Dmitry Peskov", "sanctions would fail")],
            techniques=[("Name_Calling-Labeling", "Only a fool")],
        ),
    ]
