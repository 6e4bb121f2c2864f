"""Claims layer (first version, rules): claim sentences with their numbers, hedges and source.

A sentence is a claim when it asserts something checkable: it is declarative, has a verb, and
carries a number or quantity, a hedge, or an attribution. Its source is the speaker of the
quote that covers it: `named` when the speaker resolves to a named entity, `vague` when it does
not ("a growing number of Western officials", "sources"), `none` when nobody is cited.
Every claim is scored for check-worthiness (`spinscope.layers.claims.checkworthiness`, a head
over the shared encoder), and a declarative sentence whose score reaches the calibrated
threshold is a claim even without a number, hedge or attribution: an unsourced check-worthy
assertion is exactly what a reader should see.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Mapping, Sequence

from spacy.tokens import Span as SpacySpan

from spinscope.document import Claim, ClaimSource, Quote, Span
from spinscope.layers import CorpusView, Correctable, Findings, Row, Table, Views, register
from spinscope.layers.claims import checkworthiness, corpus
from spinscope.layers.claims.views import html, terminal
from spinscope.ml.calibration import CONFIDENT
from spinscope.parse import Parsed, doc_text

VERSION = "2"
ORIGIN = f"claims/rules@{VERSION}; score: {checkworthiness.SOURCE}"

_NUMBER_ENTS = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
_SCALE_WORDS = frozenset(
    [
        "hundred",
        "hundreds",
        "thousand",
        "thousands",
        "million",
        "millions",
        "billion",
        "billions",
        "trillion",
        "dozens",
    ]
)

#: Words before a number that make it approximate ("as many as 103,000").
_APPROXIMATORS = (
    r"as many as|as much as|as few as|up to|about|around|approximately|roughly|nearly|almost|"
    r"some|an estimated|estimated|close to|upwards of|perhaps|possibly"
)
_NUMBER_AHEAD = r"(?=\s+(?:[$£€]\s?)?(?:\d|one|two|three|four|five|six|seven|eight|nine|ten|"
_NUMBER_AHEAD += r"dozens|hundreds|thousands|millions|a dozen|a hundred|a thousand|a million))"

#: Named hedge rules: each is one pattern, tested on its own.
HEDGE_RULES: dict[str, re.Pattern[str]] = {
    "approximate-number": re.compile(rf"\b(?:{_APPROXIMATORS}){_NUMBER_AHEAD}", re.IGNORECASE),
    "passive-belief": re.compile(
        r"\b(?:is|are|was|were|been|be|being)\s+(?:widely\s+|still\s+|now\s+)?"
        r"(?:believed|thought|said|reported|estimated|alleged|rumou?red|understood|suspected|"
        r"presumed|claimed|feared)\b",
        re.IGNORECASE,
    ),
    "hedging-adverb": re.compile(
        r"\b(?:reportedly|allegedly|seemingly|apparently|purportedly|supposedly|possibly|"
        r"probably|presumably|arguably|perhaps|maybe|likely|unconfirmed)\b",
        re.IGNORECASE,
    ),
    "appearance": re.compile(r"\b(?:appears?|appeared|seems?|seemed)\s+to\b", re.IGNORECASE),
    "modal": re.compile(
        r"\b(?:may|might|could)\b(?!\s+(?:not\s+)?(?:be\s+)?(?:able)\b)", re.IGNORECASE
    ),
}


def hedges(text: str, start: int, end: int) -> list[Span]:
    """Every hedge between `start` and `end`, in order, without overlaps."""
    found: list[tuple[int, int]] = []
    for pattern in HEDGE_RULES.values():
        for match in pattern.finditer(text[start:end]):
            found.append((start + match.start(), start + match.end()))
    found.sort()
    kept: list[tuple[int, int]] = []
    for s, e in found:
        if kept and s < kept[-1][1]:
            continue
        kept.append((s, e))
    return [Span.of(text, s, e) for s, e in kept]


def numbers(sent: SpacySpan, ents: list[SpacySpan]) -> list[Span]:
    """Numbers and quantities among the sentence's entities, without their approximators
    ("103,000", not "as many as 103,000"). Dates, times and bare small counts ("two main
    goals") are not check-worthy numbers."""
    text = doc_text(sent.doc)
    found = []
    for ent in ents:
        if ent.label_ not in _NUMBER_ENTS:
            continue
        tokens = list(ent)
        first = next(
            (i for i, t in enumerate(tokens) if t.like_num or t.text in "$£€" or t.is_currency),
            None,
        )
        if first is None:
            continue
        tokens = tokens[first:]
        has_digit = any(any(c.isdigit() for c in t.text) for t in tokens)
        if not has_digit and not any(t.lower_ in _SCALE_WORDS for t in tokens):
            continue
        found.append(Span.of(text, tokens[0].idx, tokens[-1].idx + len(tokens[-1])))
    return found


def _is_declarative(sent: SpacySpan) -> bool:
    stripped = sent.text.rstrip("”\"’' \n")
    return (
        not stripped.endswith("?")
        and len(sent) >= 5
        and any(t.pos_ in ("VERB", "AUX") for t in sent)
    )


def source_of(quote: Quote | None) -> ClaimSource:
    if quote is None or quote.speaker is None:
        return ClaimSource(kind="none")
    if quote.speaker_entity:
        return ClaimSource(kind="named", span=quote.speaker, entity=quote.speaker_entity)
    return ClaimSource(kind="vague", span=quote.speaker)


def _covering_quote(sent: Span, quotes: list[Quote], candidates: list[int]) -> int | None:
    """The quote that attributes most of the sentence (its speaker or cue in the sentence)."""
    best, best_overlap = None, 0
    for i in candidates:
        quote = quotes[i]
        if quote.speaker is None:
            continue
        overlap = sum(
            max(0, min(c.end, sent.end) - max(c.start, sent.start)) for c in quote.content
        )
        anchored = any(
            s is not None and sent.start <= s.start < sent.end for s in (quote.speaker, quote.cue)
        )
        if overlap > best_overlap and (anchored or overlap >= 0.8 * (sent.end - sent.start)):
            best, best_overlap = i, overlap
    return best


def _quotes_by_sentence(sentences: list[Span], quotes: list[Quote]) -> list[list[int]]:
    """For each sentence, the quotes with a span in it (so long articles stay linear)."""
    starts = [s.start for s in sentences]
    found: list[list[int]] = [[] for _ in sentences]
    for i, quote in enumerate(quotes):
        spans = [*quote.content, *(s for s in (quote.speaker, quote.cue) if s is not None)]
        first = max(0, bisect.bisect_right(starts, min(s.start for s in spans)) - 1)
        last = bisect.bisect_left(starts, max(s.end for s in spans))
        for j in range(first, last):
            found[j].append(i)
    return found


def claim_rows(claims: Sequence[Claim]) -> Iterator[Row]:
    """The claims table: `source` names the claim's source as the views do (its entity, else
    its words), `source_kind` says whether it is named, vague or missing."""
    for c in claims:
        span = c.source.span
        yield {
            "start": c.span.start,
            "end": c.span.end,
            "text": c.span.text,
            "numbers": [s.text for s in c.numbers],
            "hedges": [s.text for s in c.hedges],
            "source_kind": c.source.kind,
            "source": c.source.entity or (span.text if span else None),
            "source_start": span.start if span else None,
            "source_end": span.end if span else None,
            "source_text": span.text if span else None,
            "source_entity": c.source.entity,
            "quote": c.quote,
            "score": c.score,
            "uncertain": c.uncertain,
            "origin": c.origin,
        }


TABLE = Table(
    columns={
        "start": "int",
        "end": "int",
        "text": "str",
        "numbers": "list",
        "hedges": "list",
        "source_kind": "str",
        "source": "str",
        "source_start": "int",
        "source_end": "int",
        "source_text": "str",
        "source_entity": "str",
        "quote": "int",
        "score": "float",
        "uncertain": "bool",
        "origin": "str",
    },
    rows=claim_rows,
    label="source_kind",
    text="text",
)


def join_claims(parts: Sequence[tuple[list[Claim], Mapping[str, int]]]) -> list[Claim]:
    """The claims of a long article's windows (`spinscope.windows`), each claim's index into the
    quotes moved past the quotes of the windows before its own."""
    return [
        claim
        if claim.quote is None
        else claim.model_copy(update={"quote": claim.quote + before.get("quotes", 0)})
        for claims, before in parts
        for claim in claims
    ]


@register(
    "claims",
    requires=("quotes",),
    table=TABLE,
    views=Views(terminal=terminal, html=html, corpus=CorpusView(corpus.COLUMNS, corpus.sections)),
    trainer="spinscope.train.checkworthiness",
    benchmark="spinscope.evaluate.checkworthiness",
    join=join_claims,
    correct=Correctable(
        "claim",
        lambda c: (c.span.start, c.span.end, c.source.kind, c.source.entity or c.source.span),
    ),
)
def claims(parsed: Parsed, found: Findings) -> list[Claim]:
    quotes: list[Quote] = found["quotes"]
    text = parsed.text
    ents = list(parsed.doc.ents)
    by_start = {s.start: i for i, s in enumerate(parsed.sentences)}
    candidates = _quotes_by_sentence(parsed.sentences, quotes)
    scores = checkworthiness.score_units(parsed.units)
    threshold = checkworthiness.threshold()
    results = []
    for sent in parsed.doc.sents:
        i = next(
            (by_start[c] for c in range(sent.start_char, sent.end_char) if c in by_start), None
        )
        if i is None or not _is_declarative(sent):
            continue
        span = parsed.sentences[i]
        nums = numbers(sent, [e for e in ents if sent.start <= e.start < sent.end])
        hedged = hedges(text, span.start, span.end)
        index = _covering_quote(span, quotes, candidates[i])
        by_score_only = not nums and not hedged and index is None
        if by_score_only and scores[i] < threshold:
            continue
        results.append(
            Claim(
                span=span,
                numbers=nums,
                hedges=hedged,
                source=source_of(quotes[index] if index is not None else None),
                quote=index,
                score=round(scores[i], 4),
                # a claim only its score makes is a suggestion where that score is low
                uncertain=by_score_only and scores[i] < CONFIDENT,
                origin=ORIGIN,
            )
        )
    return results
