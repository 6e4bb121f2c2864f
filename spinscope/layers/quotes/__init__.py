"""Quotes layer: who said what.

The rules for one sentence are in `spinscope.layers.quotes.reporting`, quote marks are paired by
`spinscope.layers.quotes.quote_marks`, and speakers resolved by
`spinscope.layers.quotes.speakers`. This module joins them over the article:

- `attach_quote_marks` widens content to the quote marks it overlaps and joins a quote split by
  its attribution ("…,” Peskov said, “…”);
- `_attach_across_sentences` gives a quote of several sentences to the attribution where it ends,
  or after a colon to the one before it;
- `_continuations` lets a quote that opens a sentence continue the previous speaker;
- `_fragment_owner` gives a quoted fragment to the subject of its clause;
- whatever quote marks remain are partial quotes with no speaker (titles, terms, scare quotes).

Last, the learned step (the end of this module): a word tagger over its own fine-tuned copy
of the encoder's last layers (`spinscope.layers.quotes.attribution`) adds the attributions the rules
missed.

What counts as "who said what" is documented in docs/quotes.md.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from spinscope.document import CueClass, Quote, QuoteKind, Span
from spinscope.layers import (
    CorpusView,
    Correctable,
    Facet,
    Findings,
    Row,
    Search,
    Table,
    Views,
    register,
)
from spinscope.layers.quotes import attribution as learned
from spinscope.layers.quotes import corpus
from spinscope.layers.quotes.cues import VERBS
from spinscope.layers.quotes.quote_marks import QuoteMarks, find_quote_marks, inside_any
from spinscope.layers.quotes.reporting import (
    EDGE_PUNCT,
    Attribution,
    according_to_cues,
    char_range,
    colon_cues,
    cue_range,
    dash_cues,
    headline_cues,
    noun_cues,
    post_quote_cues,
    quoting_verb_cues,
    speaker_outside_quotes,
    subject,
    trim,
    verb_cues,
)
from spinscope.layers.quotes.speakers import SpeakerResolver
from spinscope.layers.quotes.views import html, terminal
from spinscope.parse import Parsed

VERSION = "1"
SOURCE = f"quotes/rules@{VERSION}"


def attach_quote_marks(
    text: str,
    sent: SpacySpan,
    attributions: list[Attribution],
    regions: list[QuoteMarks],
) -> list[Attribution]:
    """Widen content to the quote marks it overlaps, and give the sentence's other quote marks
    to the attribution whose clause they hang on or that they sit right beside (“…,” Peskov
    said, “…”)."""
    in_sentence = [r for r in regions if r.start < sent.end_char and r.end > sent.start_char]
    used: set[QuoteMarks] = set()
    for attribution in attributions:
        widened = []
        for start, end in attribution.content:
            start, end = trim(text, start, end)
            for region in in_sentence:
                if region.start < end and region.end > start:
                    start, end = min(start, region.start), max(end, region.end)
                    used.add(region)
            widened.append((start, end))
        attribution.content = [(s, e) for s, e in widened if e > s]
    speakers = [a for a in attributions if a.speaker and a.cue_lemma != "according to"]
    for region in in_sentence:
        if region in used or region.start < sent.start_char:
            continue
        # "He described the field as “all very good”": marks inside the reporting clause
        governing = [
            a
            for a in speakers
            if a.verb is not None and _governs(a.verb, region, {t.i for t in a.speaker})
        ]
        if governing:
            target = governing[-1]
            between = (target.content[-1][1], region.start) if target.content else (0, 0)
            if (
                target.content
                and between[0] <= region.start
                and not _attribution_in(target, *between)
            ):
                target.content[-1] = (target.content[-1][0], region.end)
            else:
                target.content.append((region.start, region.end))
            used.add(region)
            continue
        # “…,” Peskov said, “…” — or a cue without a clause: Peskov said: “…”
        near = [a for a in speakers if _adjacent(text, a, region)]
        if near:
            target = min(near, key=lambda a: _distance(a, region))
            target.content.append((region.start, region.end))
            used.add(region)
    for attribution in attributions:
        attribution.content.sort()
        attribution.quoted = [
            (r.inner_start, r.inner_end)
            for r in regions
            if any(r.start >= s and r.end <= e for s, e in attribution.content)
        ]
        attribution.kind = _kind(text, attribution)
    return attributions


def _attribution_in(attribution: Attribution, start: int, end: int) -> bool:
    """Whether the attribution's cue or speaker lies between start and end."""
    points = [t.idx for t in attribution.speaker] + (
        [attribution.cue[0]] if attribution.cue else []
    )
    return any(start <= p < end for p in points)


def _governs(verb: Token, region: QuoteMarks, speaker: set[int]) -> bool:
    """Whether the words in the quote marks hang on the verb (within its clause, not inside
    its subject: "said Cuban, host of “Shark Tank”" does not report “Shark Tank”)."""
    inside = [t for t in verb.sent if region.inner_start <= t.idx < region.inner_end]
    if not inside:
        return False
    ancestors = list(inside[0].ancestors)
    return (
        any(a.i == verb.i for a in ancestors)
        and not any(a.i in speaker for a in ancestors)
        and not _crosses_clause(inside[0], verb)
    )


def _crosses_clause(token: Token, verb: Token) -> bool:
    """Whether the path from token up to verb passes through another reporting verb."""
    for ancestor in token.ancestors:
        if ancestor.i == verb.i:
            return False
        if ancestor.lemma_.lower() in VERBS and ancestor.pos_ == "VERB":
            return True
    return False


def _adjacent(text: str, attribution: Attribution, region: QuoteMarks) -> bool:
    """Whether the quote marks sit right beside the attribution's speaker and cue, with at most
    a few words between ("“…,” Graham told CBS News", "Trump said on Tuesday: “…”")."""
    ends = [t.idx for t in attribution.speaker] + [t.idx + len(t) for t in attribution.speaker]
    if attribution.cue:
        ends += list(attribution.cue)
    start, end = min(ends), max(ends)
    if region.end <= start:
        gap = text[region.end : start]
    elif region.start >= end:
        gap = text[end : region.start]
    else:
        return False
    words = gap.replace(",", " ").replace(":", " ").split()
    return len(words) <= 4 and not any(mark in gap for mark in _GAP_STOPS)


#: What may not lie between an attribution and quote marks it takes: other quote marks, the end
#: of a sentence.
_GAP_STOPS = ("“", "”", '"', "«", "»", ".", "''", "``")


def _distance(attribution: Attribution, region: QuoteMarks) -> int:
    cue = attribution.cue or (region.start, region.start)
    return min(abs(region.start - cue[1]), abs(cue[0] - region.end))


def _kind(text: str, attribution: Attribution) -> QuoteKind:
    if not attribution.quoted:
        return "indirect"
    quoted = sum(e - s for s, e in attribution.quoted)
    content = sum(len(text[s:e].strip(EDGE_PUNCT + "“”\"‘’«»„.'`")) for s, e in attribution.content)
    if (
        content
        and quoted >= 0.8 * content
        and not text[attribution.content[0][0] :].lower().startswith("that ")
    ):
        return "direct"
    return "mixed"


def rule_quotes(parsed: Parsed) -> list[Quote]:
    """The rules' quotes in one article (what the layer gives before the learned step)."""
    text = parsed.text
    regions, warnings = find_quote_marks(text, parsed.paragraphs, parsed.offset)
    parsed.warnings.extend(warnings)
    sentences = list(parsed.doc.sents)
    attributions: list[Attribution] = []
    by_sentence: list[list[Attribution]] = []
    near = _regions_near(regions, parsed.paragraphs)
    for sent in sentences:
        local = near(sent.start_char)
        found_here = [
            a
            for a in verb_cues(sent)
            + quoting_verb_cues(sent, local)
            + post_quote_cues(sent, local)
            + according_to_cues(sent)
            + colon_cues(sent, local)
            + headline_cues(sent)
            + dash_cues(sent)
            + noun_cues(sent)
            if a.cue is None or not inside_any(a.cue, local)
        ]
        # one attribution per cue: the first found, unless a later one has content and it not
        by_cue: dict[tuple[int, int] | None, Attribution] = {}
        for a in found_here:
            if a.cue not in by_cue or (a.content and not by_cue[a.cue].content):
                by_cue[a.cue] = a
        found_here = list(by_cue.values())
        for attribution in found_here:
            speaker_outside_quotes(attribution, local)
        found_here = attach_quote_marks(text, sent, found_here, local)
        by_sentence.append(found_here)
        attributions.extend(found_here)
    _attach_across_sentences(text, sentences, by_sentence, regions)
    attributions = _without_nested_stances([a for a in attributions if a.content])
    attributions.extend(_continuations(text, sentences, attributions, regions, parsed.paragraphs))
    attributions.sort(key=lambda a: a.cue[0] if a.cue else a.content[0][0])
    resolver = SpeakerResolver(parsed.doc)
    attributions.extend(
        owned
        for region in regions
        if not _covered(region, attributions)
        and (owned := _fragment_owner(parsed.doc, region, regions)) is not None
    )
    attributions.sort(key=lambda a: a.cue[0] if a.cue else a.content[0][0])
    results = [_to_quote(text, a, resolver) for a in attributions]
    for region in regions:
        if not _covered(region, attributions):
            results.append(_partial(text, region))
    return sorted(results, key=lambda q: q.content[0].start)


def _regions_near(
    regions: list[QuoteMarks], paragraphs: list[Span]
) -> Callable[[int], list[QuoteMarks]]:
    """For an offset, the quote marks in its paragraph and the next one: all that the rules of
    one sentence look at (quote marks never cross a paragraph, and a colon at a paragraph's end
    may introduce a quotation on the next line). Handing each sentence these instead of the
    whole article's keeps the rules' cost linear in the article's length."""
    starts = [p.start for p in paragraphs]
    region_starts = [r.start for r in regions]

    def near(offset: int) -> list[QuoteMarks]:
        at = max(0, bisect.bisect_right(starts, offset) - 1)
        if not paragraphs:
            return regions
        low = paragraphs[at].start
        high = paragraphs[at + 1].end if at + 1 < len(paragraphs) else paragraphs[at].end
        return regions[
            bisect.bisect_left(region_starts, low) : bisect.bisect_left(region_starts, high)
        ]

    return near


def _without_nested_stances(attributions: list[Attribution]) -> list[Attribution]:
    """Drop positions taken inside someone else's report ("Zelensky suggested that the war
    could stop if Kiev conceded Donbass"): Kiev conceded nothing, Zelensky spoke."""
    speech = ("neutral", "doubt", "assertive", "emotive", "tentative")

    def nested(a: Attribution) -> bool:
        cue = VERBS.get(a.cue_lemma)
        if a.cue is None or cue is None or cue.cue_class in speech:
            return False
        return any(
            other is not a and s <= a.cue[0] and a.cue[1] <= e
            for other in attributions
            for s, e in other.content
        )

    return [a for a in attributions if not nested(a)]


def _covered(region: QuoteMarks, attributions: list[Attribution]) -> bool:
    return any(region.start >= s and region.end <= e for a in attributions for s, e in a.content)


def _continuations(
    text: str,
    sentences: list[SpacySpan],
    attributions: list[Attribution],
    regions: list[QuoteMarks],
    paragraphs: list[Span],
) -> list[Attribution]:
    """Quotes that open a sentence with no attribution of their own continue the previous
    direct quote: in the same paragraph they join its content (“…,” he said. “…”), at the
    start of the next paragraph they are a new quote of the same speaker."""
    starts = {s.start_char for s in sentences}
    added: list[Attribution] = []
    for region in regions:
        if _covered(region, attributions) or region.start not in starts:
            continue
        before = [a for a in attributions + added if a.speaker and a.content[-1][1] <= region.start]
        if not before:
            continue
        previous = max(before, key=lambda a: a.content[-1][1])
        paragraph = next(p for p in paragraphs if p.start <= region.start < p.end)
        end = previous.content[-1][1]
        gap = text[end : region.start]
        # a short title in quote marks between ("… said on ABC’s “This Week.” “…") is no break
        between = [
            r
            for r in regions
            if end <= r.start < region.start and len(text[r.start : r.end].split()) > 4
        ]
        said = max(end, previous.cue[1] if previous.cue else end)  # “…?” he asked. “…”
        if (
            end >= paragraph.start
            and not between
            and _sentences_between(sentences, said, region.start) <= 1
        ):
            previous.content.append((region.start, region.end))
            previous.quoted.append((region.inner_start, region.inner_end))
            previous.kind = _kind(text, previous)
        elif (
            region.start == paragraph.start
            and previous.kind != "indirect"
            and 0 < gap.count("\n") <= 2
            and not between
        ):
            added.append(
                Attribution(
                    cue=None,
                    cue_lemma="",
                    speaker=previous.speaker,
                    content=[(region.start, region.end)],
                    quoted=[(region.inner_start, region.inner_end)],
                    kind="direct",
                )
            )
    return added


def _sentences_between(sentences: list[SpacySpan], start: int, end: int) -> int:
    """How many sentences begin in (start, end]."""
    return sum(1 for s in sentences if start < s.start_char <= end)


def _attach_across_sentences(
    text: str,
    sentences: list[SpacySpan],
    by_sentence: list[list[Attribution]],
    regions: list[QuoteMarks],
) -> None:
    """A quote of several sentences belongs to the attribution in the sentence where it ends
    (“… . …,” he said) or, after a colon, to the one in the sentence before it (X said: “…”)."""
    for i, sent in enumerate(sentences):
        for region in regions:
            if not sent.start_char <= region.start < sent.end_char:
                continue
            if any(
                region.start >= s and region.end <= e
                for group in by_sentence
                for a in group
                for s, e in a.content
            ):
                continue
            target = None
            for j in range(i + 1, len(sentences)):
                split_after = (  # “…!” one person tweeted — split after the closing mark
                    sentences[j].start_char <= region.end + 2 and sentences[j].text[:1].islower()
                )
                if sentences[j].start_char >= region.end and not split_after:
                    break
                speakers = [a for a in by_sentence[j] if a.speaker and a.cue]
                if speakers:
                    target = speakers[0]
            if target is None and i > 0 and sentences[i - 1].text.rstrip().endswith(":"):
                speakers = [a for a in by_sentence[i - 1] if a.speaker and a.cue]
                target = speakers[-1] if speakers else None
            if target is not None:
                target.content.append((region.start, region.end))
                target.content.sort()
                target.quoted = sorted({*target.quoted, (region.inner_start, region.inner_end)})
                target.kind = _kind(text, target)


def _to_quote(text: str, attribution: Attribution, resolver: SpeakerResolver) -> Quote:
    speaker = None
    entity = None
    if attribution.speaker:
        start, end = char_range(attribution.speaker)
        speaker = Span.of(text, start, end)
        entity = resolver.resolve(attribution.referent()).entity
    cue = VERBS.get(attribution.cue_lemma)
    cue_class: CueClass = cue.cue_class if cue else "other"
    if attribution.cue_lemma == "according to":
        cue_class = "neutral"
    return Quote(
        kind=attribution.kind,
        content=[Span.of(text, s, e) for s, e in attribution.content],
        quoted=[Span.of(text, s, e) for s, e in attribution.quoted],
        speaker=speaker,
        speaker_entity=entity,
        cue=Span.of(text, *attribution.cue) if attribution.cue else None,
        cue_class=cue_class if attribution.cue else "none",
        source=SOURCE,
    )


def _fragment_owner(doc: Doc, region: QuoteMarks, regions: list[QuoteMarks]) -> Attribution | None:
    """A quoted fragment inside a clause whose subject is a named person or a pronoun is most
    likely that subject's words ("Clinton touted his record — “the longest expansion” —"):
    a partial quote, attributed with the clause's verb as its cue."""
    inside = doc.char_span(region.inner_start, region.inner_end, alignment_mode="expand")
    if inside is None or len(inside) == 0:
        return None
    verb = next(
        (
            a
            for a in inside[0].ancestors
            if a.pos_ == "VERB" and not region.start <= a.idx < region.end
        ),
        None,
    )
    if verb is None:
        return None
    speaker = subject(verb)
    if not speaker or any(region.start <= t.idx < region.end for t in speaker):
        return None
    head = speaker[-1] if speaker[-1].pos_ in ("PROPN", "PRON") else None
    if head is None or head.lower_ in ("it", "this", "that", "which", "what"):
        return None
    return Attribution(
        cue=cue_range(verb),
        cue_lemma=verb.lemma_.lower(),
        speaker=speaker,
        content=[(region.start, region.end)],
        quoted=[(region.inner_start, region.inner_end)],
        kind="partial",
        verb=verb,
    )


def _partial(text: str, region: QuoteMarks) -> Quote:
    """Quote marks nobody is reported as saying: a title, a term, scare quotes."""
    return Quote(
        kind="partial",
        content=[Span.of(text, region.start, region.end)],
        quoted=[Span.of(text, region.inner_start, region.inner_end)],
        source=SOURCE,
    )


# The learned step ---------------------------------------------------------------------------


def quote_rows(quotes: Sequence[Quote]) -> Iterator[Row]:
    """The quotes table: a quote spans its content's first to last character; `speaker` is the
    mention (at `speaker_start:speaker_end`), `attributed_to` who the views name."""
    for q in quotes:
        yield {
            "kind": q.kind,
            "start": min(s.start for s in q.content),
            "end": max(s.end for s in q.content),
            "content": " … ".join(s.text for s in q.content),
            "quoted": [s.text for s in q.quoted],
            "attributed_to": q.attributed_to,
            "speaker_start": q.speaker.start if q.speaker else None,
            "speaker_end": q.speaker.end if q.speaker else None,
            "speaker": q.speaker.text if q.speaker else None,
            "speaker_entity": q.speaker_entity,
            "cue_start": q.cue.start if q.cue else None,
            "cue_end": q.cue.end if q.cue else None,
            "cue": q.cue.text if q.cue else None,
            "cue_class": q.cue_class,
            "score": q.score,
            "uncertain": q.uncertain,
            "source": q.source,
        }


TABLE = Table(
    columns={
        "kind": "str",
        "start": "int",
        "end": "int",
        "content": "str",
        "quoted": "list",
        "attributed_to": "str",
        "speaker_start": "int",
        "speaker_end": "int",
        "speaker": "str",
        "speaker_entity": "str",
        "cue_start": "int",
        "cue_end": "int",
        "cue": "str",
        "cue_class": "str",
        "score": "float",
        "uncertain": "bool",
        "source": "str",
    },
    rows=quote_rows,
    label="attributed_to",
    text="content",
    facet=Facet("speaker", "Speakers"),
    search=Search("Quotes", "quote", shown={"speaker": "attributed_to", "verb": "cue"}),
)


@register(
    "quotes",
    table=TABLE,
    views=Views(terminal=terminal, html=html, corpus=CorpusView(corpus.COLUMNS, corpus.sections)),
    trainer="spinscope.train.quotes",
    benchmark="spinscope.evaluate.quotes",
    correct=Correctable(
        "quote", lambda q: (*((s.start, s.end) for s in q.content), q.attributed_to)
    ),
)
def quotes(parsed: Parsed, found: Findings) -> list[Quote]:
    """The rules' quotes, then the attributions the learned tagger finds where the rules found
    nothing (`learned.with_learned`): the rules keep their quotes, speakers included; then
    without the reports read twice (`without_repeats`)."""
    return without_repeats(learned.with_learned(parsed, rule_quotes(parsed), learned.tagger()))


def without_repeats(quotes: list[Quote]) -> list[Quote]:
    """Drop a quote whose cue is inside another quote's content while its speaker is outside
    it: words of someone's report given to a speaker outside that report. In "he also noted
    that the failure of Ukraine's army … has shown that the bloc must 'never underestimate
    Russia'", "has shown" is inside what he noted; its subject, the failure, cannot speak, and
    a speaker taken from outside (he) only repeats the report he is already given. A nested
    report with its own speaker inside the outer one ("he said that officials claimed …") or
    with no speaker stays."""

    def repeats(quote: Quote) -> bool:
        cue, speaker = quote.cue, quote.speaker
        if cue is None or speaker is None:
            return False
        return any(
            other is not quote
            and span.start <= cue.start
            and cue.end <= span.end
            and not (span.start <= speaker.start and speaker.end <= span.end)
            for other in quotes
            for span in other.content
        )

    return [quote for quote in quotes if not repeats(quote)]
