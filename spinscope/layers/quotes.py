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
from spinscope.layers.cues import NOUNS, VERBS
from spinscope.layers.speakers import SpeakerResolver, proper_run
from spinscope.parse import Parsed

VERSION = "1"
SOURCE = f"quotes/rules@{VERSION}"

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
    if ch == "“":  # closes „ (German style), or a mistyped “…,“ said X; otherwise it opens
        return stack[-1][1] == "„" or (
            stack[-1][1] == "“" and not before.isspace() and (after.isspace() or after in ",.;:")
        )
    if ch == "‘":
        return stack[-1][1] == "‚"
    if ch == '"':  # also closes a curly opener when it ends a word: “I disagree," he said
        return stack[-1][1] == '"' or (stack[-1][1] == "“" and not before.isspace())
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
    verb: Token | None = None  # the reporting verb, where there is one

    def referent(self) -> list[Token]:
        """The tokens naming the speaker: for a relative pronoun ("Sanders, who said …"),
        the noun its clause hangs on; otherwise the speaker mention itself."""
        if len(self.speaker) == 1 and self.speaker[0].tag_ in ("WP", "WDT"):
            clause = self.speaker[0].head
            while clause.dep_ != "relcl" and clause.head.i != clause.i:
                clause = clause.head
            if clause.dep_ == "relcl":
                return _noun_phrase(clause.head)
        return self.speaker


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
    agents = [t for c in verb.children if c.dep_ == "agent" for t in c.children if t.dep_ == "pobj"]
    if agents:  # "was asked by Fox moderator Gerard Baker", "Asked by Stephanopoulos, …"
        return _noun_phrase(agents[0])
    for child in verb.children:
        if child.dep_ == "nsubjpass":
            return []  # "Trump was asked …": the subject is addressed, not speaking
        if child.dep_ in _SUBJECTS:
            return _noun_phrase(child)
    if verb.dep_ == "acl" and verb.tag_ == "VBG":
        # "issued a statement saying …": whoever issued it; "the Super PAC backing Jeb Bush",
        # "emails showing that …": the noun itself
        noun = verb.head
        if noun.dep_ in ("dobj", "pobj") and depth < 3:
            governor = noun.head if noun.dep_ == "dobj" else noun.head.head
            agent = _subject(governor, depth + 1) if governor.pos_ in ("VERB", "AUX") else []
            if agent:
                return agent
        return _noun_phrase(noun)
    # "..., noting that", "…, calling it", "suggested … but claimed that", "dismissed the
    # charges by pointing out that", "were more likely to say that": the subject is shared
    if depth < 3 and verb.dep_ in _SHARES_SUBJECT and verb.head.i != verb.i:
        if verb.dep_ == "ccomp" and verb.head.lemma_.lower() not in VERBS:
            return []
        return _subject(verb.head, depth + 1)
    return []


_SHARES_SUBJECT = frozenset(
    {"advcl", "xcomp", "conj", "ccomp", "aux", "pcomp", "prep", "acomp", "dep"}
)


def _left_subject(verb: Token) -> list[Token]:
    """ "In a statement, her adviser, Jake Sullivan, said: …" — when the parser hangs the
    subject elsewhere, the noun phrase right before a speech verb is its speaker."""
    if VERBS[verb.lemma_.lower()].cue_class not in ("neutral", "doubt", "assertive"):
        return []
    i = verb.i - 1
    doc = verb.doc
    while i >= verb.sent.start and (doc[i].text == "," or doc[i].dep_ in ("aux", "neg", "advmod")):
        i -= 1
    if i < verb.sent.start or doc[i].pos_ not in ("PROPN", "NOUN", "PRON"):
        return []
    head = doc[i]
    while head.dep_ in ("appos", "compound", "flat") and head.head.i < head.i:
        head = head.head
    return _noun_phrase(head)


def _inverted_subject(verb: Token) -> list[Token]:
    """ "“…,” said Skelly": a name right after a reporting verb that follows a quotation,
    which the parser often takes for an adverb or object."""
    doc = verb.doc
    before = doc.text[: verb.idx].rstrip()
    if verb.i + 1 >= len(doc) or not before.endswith(("”", '"', "’", "'")):
        return []
    following = doc[verb.i + 1]
    capitalised = following.is_alpha and following.text[:1].isupper()  # tagged ADV at times
    if following.pos_ not in ("PROPN", "DET", "NOUN", "PRON") and not capitalised:
        return []
    head = following
    while head.head.i != head.i and head.head.i > verb.i and head.head.i <= verb.i + 8:
        head = head.head
    return _noun_phrase(head)


def _noun_phrase(head: Token) -> list[Token]:
    """The head's phrase with its appositions ("The mayor, Ana Ruiz,"), up to the first other
    comma, bracket or dash after the head (this drops relative and participial clauses),
    without edge punctuation."""
    appositions = {t.i for c in head.children if c.dep_ == "appos" for t in c.subtree}
    tokens = [t for t in head.subtree if not _inside(t, head, ("relcl", "acl"))]
    for i, token in enumerate(tokens):
        following = tokens[i + 1].i if i + 1 < len(tokens) else -1
        ends_apposition = token.text == "," and token.i - 1 in appositions
        breaks = token.text in ",(—–" and following not in appositions and not ends_apposition
        if token.i > head.i and breaks:
            tokens = tokens[:i]
            break
    while tokens and tokens[-1].is_punct:
        tokens.pop()
    while tokens and tokens[0].is_punct:
        tokens = tokens[1:]
    return tokens


def _inside(token: Token, head: Token, deps: tuple[str, ...]) -> bool:
    """Whether `token` lies in a clause of kind `deps` below `head`."""
    while token.i != head.i and token.head.i != token.i:
        if token.dep_ in deps:
            return True
        token = token.head
    return False


def _cue_range(verb: Token) -> tuple[int, int]:
    """The verb with its particle and the auxiliaries right before it ("has also said")."""
    start, end = verb.idx, verb.idx + len(verb)
    doc = verb.doc
    i = verb.i - 1
    while i >= 0 and doc[i].head.i == verb.i and doc[i].dep_ in ("aux", "auxpass", "neg", "advmod"):
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
    for i in [*sorted(indices), -2]:
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
            and inner.lemma_.lower() in VERBS
            and inner.left_edge.i > 0
            and inner.doc[inner.left_edge.i - 1].text in (",", "—", "–")
        ):
            indices -= {t.i for t in inner.subtree}
    return indices


def _content(token: Token, verb: Token, lemma: str, sent: SpacySpan) -> set[int]:
    """The tokens a reporting verb reports, by the first rule that applies."""
    cue = VERBS[lemma]
    children = list(verb.children)
    for child in children:
        if child.dep_ == "ccomp" or (child.dep_ == "xcomp" and cue.takes_infinitive):
            return _clause(child)
    objects = [c for c in children if c.dep_ in ("dobj", "attr")]
    if lemma == "call":  # "calling it a direct threat"
        complements = [c for c in children if c.dep_ in ("oprd", "ccomp", "xcomp")]
        if objects and complements:
            return {t.i for t in objects[0].subtree} | {t.i for t in complements[-1].subtree}
    if cue.takes_object and objects:
        return {t.i for t in objects[0].subtree}
    for child in children:
        if child.dep_ == "prep" and child.lower_ in cue.prepositions:
            return {t.i for t in child.subtree if t.i != child.i}
    if token.dep_ == "parataxis":
        # "The economy, the minister said, is growing." / "…, the minister said on Monday."
        return {t.i for t in sent} - {t.i for t in token.subtree}
    return set()


def verb_cues(sent: SpacySpan) -> list[Attribution]:
    """Reporting verbs with a subject and a content clause or object."""
    found = []
    doc = sent.doc
    for token in sent:
        lemma = token.lemma_.lower()
        if lemma not in VERBS:
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
        speaker = _subject(verb) or _inverted_subject(verb) or _left_subject(verb)
        if not content and not speaker:
            continue
        found.append(
            Attribution(cue=cue, cue_lemma=lemma, speaker=speaker, content=content, verb=verb)
        )
    return found


def quoting_verb_cues(sent: SpacySpan, regions: list[QuoteMarks]) -> list[Attribution]:
    """Any verb that introduces a quotation is a reporting verb there: "“…,” Trump shot
    back", "Trump boomed: “…”", "“…?” she asked."""
    found = []
    text = sent.doc.text
    for token in sent:
        if (
            token.pos_ != "VERB"
            or token.lemma_.lower() in VERBS
            or _inside_any((token.idx, token.idx + len(token)), regions)
        ):
            continue
        quoted_clause = any(
            child.dep_ in ("ccomp", "parataxis")
            and _inside_any((child.idx, child.idx + 1), regions)
            for child in token.children
        )
        colon = next(
            (t for t in sent.doc[token.i + 1 : min(token.i + 5, sent.end)] if t.text == ":"), None
        )
        colon_quote = colon is not None and any(
            text[colon.idx + 1 : r.start].strip() == "" for r in regions if r.start > colon.idx
        )
        speaker = _subject(token)
        if speaker and (quoted_clause or colon_quote):
            found.append(
                Attribution(
                    cue=_cue_range(token),
                    cue_lemma=token.lemma_.lower(),
                    speaker=speaker,
                    content=[],
                    verb=token,
                )
            )
    return found


#: Reporting verbs as headlines capitalise them ("…, Howard Dean Tells Convention").
_HEADLINE_VERBS = frozenset(
    """Says Said Tells Told Claims Claimed Warns Warned Insists Admits Slams Blasts Calls
    Urges Denies Accuses Vows Predicts Suggests Argues Finds Reveals Announces""".split()
)


def headline_cues(sent: SpacySpan) -> list[Attribution]:
    """Headline style with a capitalised verb: "‘Quote,’ Howard Dean Tells Convention" and
    "Hillary Clinton Says EgyptAir Crash Seems Like Terrorism"."""
    found = []
    for token in sent:
        if token.text not in _HEADLINE_VERBS or token.i == sent.start:
            continue
        run: list[Token] = []
        i = token.i - 1
        while i >= sent.start and sent.doc[i].pos_ == "PROPN" and sent.doc[i].text[:1].isupper():
            run.insert(0, sent.doc[i])
            i -= 1
        if not run:
            continue
        text = sent.doc.text
        before = text[sent.start_char : run[0].idx].rstrip()
        if before.endswith((",", ":", "”", "’", '"')) and len(before) > 3:
            content = (
                sent.start_char,
                len(before) + sent.start_char - (len(before) - len(before.rstrip(",:"))),
            )
        elif i < sent.start:
            content = (token.idx + len(token), sent.end_char)
        else:
            continue
        lemma = token.text.lower().rstrip("s")
        lemma = {
            "said": "say",
            "told": "tell",
            "tell": "tell",
            "claimed": "claim",
            "warned": "warn",
        }.get(token.lower_, lemma)
        found.append(
            Attribution(
                cue=(token.idx, token.idx + len(token)),
                cue_lemma=lemma if lemma in VERBS else token.lower_,
                speaker=run,
                content=[content],
            )
        )
    return found


def colon_cues(sent: SpacySpan, regions: list[QuoteMarks]) -> list[Attribution]:
    """Headline style: "Bill Clinton: Hillary ‘Better Qualified to Be President’", and a
    name before a colon and a quotation: "… surprise pollster Daron Shaw: “…”"."""
    colon = next((t for t in sent if t.text == ":"), None)
    if colon is None or colon.i == sent.start:
        return []
    if colon.i - sent.start > 6:
        text = sent.doc.text
        quoted = any(
            text[colon.idx + 1 : r.start].strip() == "" for r in regions if r.start > colon.idx
        )
        name = proper_run(list(sent.doc[max(sent.start, colon.i - 4) : colon.i]))
        if not quoted or not name or name[-1].i != colon.i - 1:
            return []
        start = name[0]
        while start.i > sent.start and sent.doc[start.i - 1].dep_ == "compound":
            start = sent.doc[start.i - 1]  # "Republican pollster Daron Shaw"
        speaker = list(sent.doc[start.i : colon.i])
        return [
            Attribution(cue=(colon.idx, colon.idx + 1), cue_lemma=":", speaker=speaker, content=[])
        ]
    before = sent.doc[sent.start : colon.i]
    if any(t.pos_ in ("VERB", "AUX") for t in before) or not all(
        t.pos_ == "PROPN" or t.is_title or t.is_upper or t.lower_ in ("of", "the", "and", "&")
        for t in before
    ):
        return []  # "Issa: …" — in a title-cased headline the tagger misses names
    content = (colon.idx + 1, sent.end_char)
    return [
        Attribution(
            cue=(colon.idx, colon.idx + 1), cue_lemma=":", speaker=list(before), content=[content]
        )
    ]


def post_quote_cues(sent: SpacySpan, regions: list[QuoteMarks]) -> list[Attribution]:
    """ "“Go back to Univision,” Trump barked": after a quotation that ends in a comma, a
    question or exclamation mark, a subject and its verb attribute it, whatever the verb."""
    found = []
    doc = sent.doc
    for region in regions:
        if not sent.start_char <= region.end < sent.end_char:
            continue
        if doc.text[region.inner_end - 1 : region.inner_end] not in (",", "?", "!"):
            continue
        after = [t for t in sent if t.idx >= region.end][:7]
        verb = next((t for t in after if t.pos_ == "VERB"), None)
        if verb is None or verb.lemma_.lower() in VERBS:
            continue
        subject = [c for c in verb.children if c.dep_ == "nsubj" and c.idx >= region.end]
        if subject and all(t.i < verb.i for t in subject[0].subtree):
            found.append(
                Attribution(
                    cue=_cue_range(verb),
                    cue_lemma=verb.lemma_.lower(),
                    speaker=_noun_phrase(subject[0]),
                    content=[],
                    verb=verb,
                )
            )
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
        if token.pos_ != "NOUN" or token.lemma_.lower() not in NOUNS:
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
    return len(words) <= 4 and not any(ch in gap for ch in '“”"«».')


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
            for a in verb_cues(sent)
            + quoting_verb_cues(sent, regions)
            + post_quote_cues(sent, regions)
            + according_to_cues(sent)
            + colon_cues(sent, regions)
            + headline_cues(sent)
            + noun_cues(sent)
            if a.cue is None or not _inside_any(a.cue, regions)
        ]
        found_here = list({a.cue: a for a in reversed(found_here)}.values())[::-1]
        found_here = attach_quote_marks(text, sent, found_here, regions)
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
        if (
            end >= paragraph.start
            and not between
            and _sentences_between(sentences, end, region.start) <= 1
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


def _inside_any(span: tuple[int, int], regions: list[QuoteMarks]) -> bool:
    return any(r.inner_start <= span[0] and span[1] <= r.inner_end for r in regions)


def _to_quote(text: str, attribution: Attribution, resolver: SpeakerResolver) -> Quote:
    speaker = None
    entity = None
    if attribution.speaker:
        start, end = _char_range(attribution.speaker)
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
    inside = [t for t in doc if region.inner_start <= t.idx < region.inner_end]
    if not inside:
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
    speaker = _subject(verb)
    if not speaker or any(region.start <= t.idx < region.end for t in speaker):
        return None
    head = speaker[-1] if speaker[-1].pos_ in ("PROPN", "PRON") else None
    if head is None or head.lower_ in ("it", "this", "that", "which", "what"):
        return None
    return Attribution(
        cue=_cue_range(verb),
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
