"""Quotes layer: who said what.

Rules over spaCy's dependency parse, each a named function:

- `find_quote_marks` pairs quote marks of every style into regions;
- `verb_cues` finds reporting verbs ("said", "claimed", "pointed out") with their subject as the
  speaker and their clausal complement (or, for verbs such as "decried", their object) as content;
- `according_to_cues` finds "according to X, ..." attributions;
- `noun_cues` finds nominal attributions ("Trump's claim that ...");
- `attach_quote_marks` widens content to the quote marks it overlaps, joins a quote split by its
  attribution ("…,” Peskov said, “…”), and turns the remaining quotes into direct quotes of the
  sentence's speaker, continuations of the previous quote, or speakerless partial (scare) quotes.

Speakers are resolved to entities by `spinscope.layers.speakers`. What counts as "who said
what" is documented in docs/quotes.md: speech and stance verbs with a propositional content
count; plans, wishes and endorsements ("wants to", "backed") do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from spinscope.document import CueClass, Quote, QuoteKind, Span
from spinscope.layers import Findings, register
from spinscope.layers.speakers import SpeakerResolver
from spinscope.parse import Parsed

VERSION = "1"
SOURCE = f"quotes/rules@{VERSION}"

#: Reporting verbs (lemmas) and how each colours what it reports.
CUE_CLASSES: dict[str, CueClass] = {}
for _class, _lemmas in {
    "neutral": "say tell state report add explain describe announce write comment mention remark "
    "reply respond answer testify tweet post recall continue note observe inform disclose reveal "
    "confirm acknowledge conclude find show indicate recount estimate ask quote",
    "doubt": "claim allege purport contend",
    "assertive": "insist stress emphasize emphasise assert declare maintain argue point warn "
    "affirm vow pledge promise reiterate repeat assure underline underscore proclaim swear "
    "predict",
    "emotive": "decry slam blast denounce condemn criticize criticise attack accuse complain "
    "lament boast brag praise hail mock deride blame charge threaten scoff rail bemoan",
    "tentative": "suggest believe think hope fear expect speculate guess hint imply feel worry "
    "wonder suspect",
    "other": "deny admit concede agree disagree dispute reject cite call",
}.items():
    for _lemma in _lemmas.split():
        CUE_CLASSES[_lemma] = _class  # type: ignore[assignment]

#: Verbs whose direct object is what they report ("decried NATO's expansion").
OBJECT_CUES = frozenset(
    [
        "decry",
        "denounce",
        "condemn",
        "criticize",
        "criticise",
        "deny",
        "dispute",
        "reject",
        "cite",
        "praise",
        "slam",
        "blast",
        "blame",
        "bemoan",
        "lament",
    ]
)
#: Verbs whose to-infinitive is what they report ("vowed to take our fight").
XCOMP_CUES = frozenset(["claim", "promise", "vow", "pledge", "threaten", "urge", "ask", "warn"])
#: Nouns that introduce a reported proposition ("the claim that ...").
NOUN_CUES = frozenset(
    [
        "claim",
        "statement",
        "assertion",
        "allegation",
        "belief",
        "warning",
        "argument",
        "suggestion",
        "insistence",
        "contention",
        "view",
        "promise",
        "pledge",
        "prediction",
    ]
)

_SUBJECTS = ("nsubj", "nsubjpass", "csubj")
_OPENERS = {
    "“": "double",
    "„": "double",
    "«": "double",
    '"': "double",
    "‘": "single",
    "‚": "single",
}
_CLOSERS = {
    "”": "double",
    "“": "double",
    "»": "double",
    '"': "double",
    "’": "single",
    "‘": "single",
}
_EDGE_PUNCT = " \t\n,;:—–-"


@dataclass(frozen=True)
class QuoteMarks:
    """A quoted stretch: `start`/`end` include the marks, `inner_*` exclude them."""

    start: int
    end: int
    inner_start: int
    inner_end: int


def find_quote_marks(text: str, paragraphs: list[Span]) -> tuple[list[QuoteMarks], list[str]]:
    """Pair quote marks within each paragraph. Returns the regions and warnings about marks
    that could not be paired. A quote opened at a paragraph's start and never closed runs to
    the paragraph's end (the news convention for quotes spanning paragraphs)."""
    regions: list[QuoteMarks] = []
    warnings: list[str] = []
    for paragraph in paragraphs:
        stack: list[tuple[str, str, int]] = []  # (style, opener, offset)
        for i in range(paragraph.start, paragraph.end):
            ch = text[i]
            before = text[i - 1] if i > 0 else " "
            after = text[i + 1] if i + 1 < len(text) else " "
            open_style = stack[-1][0] if stack else None
            if ch in _CLOSERS and _can_close(ch, before, after, stack):
                style = _CLOSERS[ch]
                while stack and stack[-1][0] != style:
                    stack.pop()
                _, _, start = stack.pop()
                regions.append(QuoteMarks(start, i + 1, start + 1, i))
            elif ch in _OPENERS and _can_open(ch, before, after, open_style):
                stack.append((_OPENERS[ch], ch, i))
            elif ch in "”»" and not stack:
                warnings.append(f"unpaired closing quote mark {ch!r} at offset {i}")
        for style, opener, start in stack:
            if style == "double" and start == paragraph.start:
                regions.append(QuoteMarks(start, paragraph.end, start + 1, paragraph.end))
            elif style == "double":
                warnings.append(
                    f"unpaired opening quote mark {opener!r} at offset {start}; left unquoted"
                )
    regions.sort(key=lambda r: r.start)
    return regions, warnings


def _can_open(ch: str, before: str, after: str, open_style: str | None) -> bool:
    if ch == "‘":
        return not before.isalnum()
    if ch in "\"'":
        return not before.isalnum() and not after.isspace()
    return True


def _can_close(ch: str, before: str, after: str, stack: list[tuple[str, str, int]]) -> bool:
    style = _CLOSERS[ch]
    if not any(s == style for s, _, _ in stack):
        return False
    if ch == "“":  # closes only „ (German style); otherwise it opens
        return stack[-1][1] == "„"
    if ch == "‘":
        return stack[-1][1] == "‚"
    if ch == '"':
        return stack[-1][1] == '"'
    if ch == "’":  # an apostrophe inside a word ("don’t", "Ukraine’s") does not close
        return not (before.isalpha() and after.isalpha()) and stack[-1][1] in "‘‚"
    return True


@dataclass
class Attribution:
    """A quote under construction, in character offsets."""

    cue: tuple[int, int] | None
    cue_lemma: str
    speaker: list[Token]
    content: list[tuple[int, int]]
    quoted: list[tuple[int, int]] = field(default_factory=list)
    kind: QuoteKind = "indirect"
    inherited: Quote | None = None  # a continuation: speaker taken from this earlier quote


def _char_range(tokens: list[Token]) -> tuple[int, int]:
    return min(t.idx for t in tokens), max(t.idx + len(t) for t in tokens)


def _subtree_range(token: Token) -> tuple[int, int]:
    return token.left_edge.idx, token.right_edge.idx + len(token.right_edge)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _EDGE_PUNCT:
        start += 1
    while end > start and text[end - 1] in _EDGE_PUNCT:
        end -= 1
    if end > start and text[end - 1] == "." and text[end - 2 : end - 1] not in ("”", '"'):
        # a sentence's final period stays outside the content, as in PolNeAR
        end -= 1
        while end > start and text[end - 1] in _EDGE_PUNCT:
            end -= 1
    return start, end


def _subject(verb: Token, depth: int = 0) -> list[Token]:
    """The verb's subject, cut before any comma (drops relative clauses and appositions)."""
    for child in verb.children:
        if child.dep_ in _SUBJECTS:
            tokens = list(child.subtree)
            for i, token in enumerate(tokens):
                if token.i > child.i and token.text in ",(—–":
                    tokens = tokens[:i]
                    break
            while tokens and tokens[-1].is_punct:
                tokens.pop()
            while tokens and tokens[0].is_punct:
                tokens = tokens[1:]
            return tokens
    # "..., noting that", "…, calling it", "suggested … but claimed that": the subject is shared
    if (
        depth < 2
        and verb.dep_ in ("advcl", "xcomp", "conj", "ccomp", "aux")
        and verb.head.i != verb.i
    ):
        if verb.dep_ == "ccomp" and verb.head.lemma_.lower() not in CUE_CLASSES:
            return []
        return _subject(verb.head, depth + 1)
    return []


def _cue_range(verb: Token) -> tuple[int, int]:
    """The verb with its particle and the auxiliaries right before it ("has also said")."""
    start, end = verb.idx, verb.idx + len(verb)
    doc = verb.doc
    i = verb.i - 1
    while i >= 0 and doc[i].head.i == verb.i and doc[i].dep_ in ("aux", "neg", "advmod"):
        if doc[i].dep_ != "advmod":
            start = doc[i].idx
        i -= 1
    for child in verb.rights:
        if child.dep_ == "prt":
            end = child.idx + len(child)
    return start, end


def _misparsed_perfect(token: Token) -> bool:
    head = token.head
    return (
        token.dep_ == "amod"
        and token.tag_ in ("VBD", "VBN")
        and head.dep_ == "dobj"
        and head.head.lemma_ == "have"
    )


def _pieces(doc: Doc, indices: set[int]) -> list[tuple[int, int]]:
    """Character ranges of the runs of consecutive tokens in `indices`, trimmed."""
    pieces: list[tuple[int, int]] = []
    run: list[int] = []
    for i in sorted(indices) + [-2]:
        if run and i != run[-1] + 1:
            start, end = _trim(doc.text, doc[run[0]].idx, doc[run[-1]].idx + len(doc[run[-1]]))
            if end > start and any(not t.is_punct for t in doc[run[0] : run[-1] + 1]):
                pieces.append((start, end))
            run = []
        if i >= 0:
            run.append(i)
    return pieces


def _clause(token: Token) -> set[int]:
    """The token's subtree, less reporting clauses hung on it after a comma
    ("… on Friday, calling it …", "…, adding that …"), which are attributions of their own."""
    indices = {t.i for t in token.subtree}
    for inner in token.subtree:
        if (
            inner.i != token.i
            and inner.dep_ in ("advcl", "conj")
            and inner.lemma_.lower() in CUE_CLASSES
            and inner.left_edge.i > 0
            and inner.doc[inner.left_edge.i - 1].text in (",", "—", "–")
        ):
            indices -= {t.i for t in inner.subtree}
    return indices


def _content(token: Token, verb: Token, lemma: str, sent: SpacySpan) -> set[int]:
    """The tokens a reporting verb reports, by the first rule that applies."""
    children = list(verb.children)
    for child in children:
        if child.dep_ == "ccomp" or (child.dep_ == "xcomp" and lemma in XCOMP_CUES):
            return _clause(child)
    objects = [c for c in children if c.dep_ == "dobj"]
    if lemma == "call":
        complements = [c for c in children if c.dep_ in ("oprd", "ccomp", "xcomp")]
        if objects and complements:
            return {t.i for t in objects[0].subtree} | {t.i for t in complements[-1].subtree}
        purposes = [c for c in children if c.dep_ == "prep" and c.lower_ == "for"]
        if purposes:
            return {t.i for p in purposes for t in p.subtree if t.i != p.i}
        return set()
    if lemma in OBJECT_CUES and objects:
        return {t.i for t in objects[0].subtree}
    if token.dep_ == "parataxis" and token.head.i < token.i:
        # "The economy, the minister said, is growing." / "…, the minister said on Monday."
        return {t.i for t in sent} - {t.i for t in token.subtree}
    return set()


def verb_cues(sent: SpacySpan) -> list[Attribution]:
    """Reporting verbs with a subject and a content clause or object."""
    found = []
    doc = sent.doc
    for token in sent:
        lemma = token.lemma_.lower()
        if lemma not in CUE_CLASSES:
            continue
        if _misparsed_perfect(token):
            # "Russia has for decades decried NATO’s expansion" comes out with "decried" as
            # an adjective of "expansion" and "has" as the verb: report the noun phrase.
            verb = token.head.head
            content = _pieces(doc, {t.i for t in token.head.subtree} - {token.i})
            cue = (token.idx, token.idx + len(token))
        elif token.pos_ in ("VERB", "AUX"):
            verb = token
            content = _pieces(doc, _content(token, verb, lemma, sent))
            cue = _cue_range(token)
        else:
            continue
        speaker = _subject(verb)
        if not content and not speaker:
            continue
        found.append(Attribution(cue=cue, cue_lemma=lemma, speaker=speaker, content=content))
    return found


def according_to_cues(sent: SpacySpan) -> list[Attribution]:
    """ "According to X, ..." and "..., according to X." """
    found = []
    for token in sent:
        if token.lower_ != "according" or token.i + 1 >= len(token.doc):
            continue
        to = token.doc[token.i + 1]
        if to.lower_ != "to":
            continue
        objects = [c for c in to.children if c.dep_ == "pobj"]
        if not objects:
            continue
        source = list(objects[0].subtree)
        phrase_start, phrase_end = token.idx, source[-1].idx + len(source[-1])
        pieces = [(sent.start_char, phrase_start), (phrase_end, sent.end_char)]
        content = [
            _trim(sent.doc.text, s, e)
            for s, e in pieces
            if _trim(sent.doc.text, s, e)[1] > _trim(sent.doc.text, s, e)[0]
        ]
        found.append(
            Attribution(
                cue=(token.idx, to.idx + len(to)),
                cue_lemma="according to",
                speaker=source,
                content=content,
            )
        )
    return found


def noun_cues(sent: SpacySpan) -> list[Attribution]:
    """ "Trump's claim that Mexico will pay" — a reporting noun with a that-clause."""
    found = []
    for token in sent:
        if token.pos_ != "NOUN" or token.lemma_.lower() not in NOUN_CUES:
            continue
        clauses = [
            c
            for c in token.children
            if c.dep_ in ("acl", "ccomp")
            and any(m.lower_ == "that" and m.dep_ == "mark" for m in c.children)
        ]
        owners = [c for c in token.children if c.dep_ == "poss"]
        if not clauses or not owners:
            continue
        found.append(
            Attribution(
                cue=(token.idx, token.idx + len(token)),
                cue_lemma=token.lemma_.lower(),
                speaker=list(owners[0].subtree),
                content=[_subtree_range(clauses[0])],
            )
        )
    return found


def attach_quote_marks(
    text: str,
    sent: SpacySpan,
    attributions: list[Attribution],
    regions: list[QuoteMarks],
) -> list[Attribution]:
    """Widen content to the quote marks it overlaps, pick up quotes split by their
    attribution, and make quotes of marks no attribution covered yet."""
    in_sentence = [r for r in regions if r.start < sent.end_char and r.end > sent.start_char]
    used: set[QuoteMarks] = set()
    for attribution in attributions:
        widened = []
        for start, end in attribution.content:
            start, end = _trim(text, start, end)
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
        if speakers:
            # “…,” Peskov said, “…” — or a cue without a clause: Peskov said: “…”
            target = min(speakers, key=lambda a: _distance(a, region))
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
    return [a for a in attributions if a.content]


def _distance(attribution: Attribution, region: QuoteMarks) -> int:
    cue = attribution.cue or (region.start, region.start)
    return min(abs(region.start - cue[1]), abs(cue[0] - region.end))


def _kind(text: str, attribution: Attribution) -> QuoteKind:
    if not attribution.quoted:
        return "indirect"
    quoted = sum(e - s for s, e in attribution.quoted)
    content = sum(len(text[s:e].strip(_EDGE_PUNCT + '“”"‘’«»„.')) for s, e in attribution.content)
    if (
        content
        and quoted >= 0.8 * content
        and not text[attribution.content[0][0] :].lower().startswith("that ")
    ):
        return "direct"
    return "mixed"


@register("quotes")
def quotes(parsed: Parsed, found: Findings) -> list[Quote]:
    text = parsed.text
    regions, warnings = find_quote_marks(text, parsed.paragraphs)
    parsed.warnings.extend(warnings)
    sentences = list(parsed.doc.sents)
    attributions: list[Attribution] = []
    by_sentence: list[list[Attribution]] = []
    for sent in sentences:
        found_here = [
            a
            for a in verb_cues(sent) + according_to_cues(sent) + noun_cues(sent)
            if a.cue is None or not _inside_any(a.cue, regions)
        ]
        found_here = attach_quote_marks(text, sent, found_here, regions)
        by_sentence.append(found_here)
        attributions.extend(found_here)
    _attach_across_sentences(text, sentences, by_sentence, regions)
    attributions.extend(_continuations(text, sentences, attributions, regions, parsed.paragraphs))
    attributions.sort(key=lambda a: a.cue[0] if a.cue else a.content[0][0])
    resolver = SpeakerResolver(parsed.doc)
    results = [_to_quote(text, a, resolver) for a in attributions]
    for region in regions:
        if not _covered(region, attributions):
            results.append(_partial(text, region))
    return sorted(results, key=lambda q: q.content[0].start)


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
        before = [
            a
            for a in attributions + added
            if a.speaker and a.kind == "direct" and a.content[-1][1] <= region.start
        ]
        if not before:
            continue
        previous = max(before, key=lambda a: a.content[-1][1])
        paragraph = next(p for p in paragraphs if p.start <= region.start < p.end)
        gap = text[previous.content[-1][1] : region.start]
        if previous.content[-1][1] >= paragraph.start and gap.count(".") <= 1 and len(gap) < 120:
            previous.content.append((region.start, region.end))
            previous.quoted.append((region.inner_start, region.inner_end))
        elif (
            region.start == paragraph.start
            and "\n" in gap
            and gap.count("\n") <= 2
            and (text[previous.content[-1][1] : previous.content[-1][1] + 1] != "")
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
                if sentences[j].start_char >= region.end + 2:
                    break
                speakers = [a for a in by_sentence[j] if a.speaker and a.cue]
                if speakers and sentences[j].start_char <= region.end + 2:
                    target = speakers[0]
            if target is None and i > 0 and sentences[i - 1].text.rstrip().endswith(":"):
                speakers = [a for a in by_sentence[i - 1] if a.speaker and a.cue]
                target = speakers[-1] if speakers else None
            if target is not None:
                target.content.append((region.start, region.end))
                target.content.sort()
                target.quoted = sorted({*target.quoted, (region.inner_start, region.inner_end)})
                target.kind = _kind(text, target)


def _inside_any(span: tuple[int, int], regions: list[QuoteMarks]) -> bool:
    return any(r.inner_start <= span[0] and span[1] <= r.inner_end for r in regions)


def _to_quote(text: str, attribution: Attribution, resolver: SpeakerResolver) -> Quote:
    speaker = None
    entity = None
    if attribution.speaker:
        start, end = _char_range(attribution.speaker)
        speaker = Span.of(text, start, end)
        entity = resolver.resolve(attribution.speaker).entity
    cue_class: CueClass = CUE_CLASSES.get(attribution.cue_lemma, "neutral")
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


def _partial(text: str, region: QuoteMarks) -> Quote:
    """Quote marks nobody is reported as saying: a title, a term, scare quotes."""
    return Quote(
        kind="partial",
        content=[Span.of(text, region.start, region.end)],
        quoted=[Span.of(text, region.inner_start, region.inner_end)],
        source=SOURCE,
    )
