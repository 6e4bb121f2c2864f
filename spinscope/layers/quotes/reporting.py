"""Reporting clauses in one sentence: each rule finds a cue, its speaker and its content.

- `verb_cues`: reporting verbs ("said", "claimed", "pointed out") with their subject as the
  speaker and their clause, infinitive, object or prepositional object as content, as the cue
  lexicon (`spinscope.layers.quotes.cues`) allows;
- `quoting_verb_cues`, `post_quote_cues`: any verb that introduces a quotation;
- `according_to_cues`: "according to X, …";
- `colon_cues`, `headline_cues`, `dash_cues`: "Issa: …", "…, Howard Dean Tells Convention",
  "US weaponizing the dollar – Lavrov";
- `noun_cues`: "Trump’s claim that …".

Rules return `Attribution`s in character offsets; `spinscope.layers.quotes` joins them with the
quote marks and across sentences.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from spinscope.document import QuoteKind
from spinscope.layers.quotes.cues import NOUNS, VERBS
from spinscope.layers.quotes.quote_marks import QuoteMarks, inside_any
from spinscope.layers.quotes.speakers import proper_run
from spinscope.parse import doc_text, opens_article

_SUBJECTS = ("nsubj", "nsubjpass", "csubj")
EDGE_PUNCT = " \t\n,;:—–-"


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


def char_range(tokens: list[Token]) -> tuple[int, int]:
    return min(t.idx for t in tokens), max(t.idx + len(t) for t in tokens)


def _subtree_range(token: Token) -> tuple[int, int]:
    return token.left_edge.idx, token.right_edge.idx + len(token.right_edge)


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in EDGE_PUNCT:
        start += 1
    while end > start and text[end - 1] in EDGE_PUNCT:
        end -= 1
    if end > start and text[end - 1] == "." and text[end - 2 : end - 1] not in ("”", '"'):
        # a sentence's final period stays outside the content, as in PolNeAR
        end -= 1
        while end > start and text[end - 1] in EDGE_PUNCT:
            end -= 1
    return start, end


def subject(verb: Token, depth: int = 0) -> list[Token]:
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
            agent = subject(governor, depth + 1) if governor.pos_ in ("VERB", "AUX") else []
            if agent:
                return agent
        return _noun_phrase(noun)
    if verb.tag_ == "VBG" and verb.dep_ in ("advcl", "conj") and depth == 0:
        main = _main_clause_subject(verb)
        if main:
            return main
    # "..., noting that", "…, calling it", "suggested … but claimed that", "dismissed the
    # charges by pointing out that", "were more likely to say that": the subject is shared
    if depth < 3 and verb.dep_ in _SHARES_SUBJECT and verb.head.i != verb.i:
        if verb.dep_ == "ccomp" and verb.head.lemma_.lower() not in VERBS:
            return []
        return subject(verb.head, depth + 1)
    return []


def _main_clause_subject(participle: Token) -> list[Token]:
    """ "Lewandowski rejected the idea that the developer would be a drag, saying …": a
    participle after a comma shares the subject of the nearest main clause before it (not
    of a clause inside it), whatever the parser hung the participle on."""
    doc = participle.doc
    if participle.i == 0 or doc[participle.i - 1].text != ",":
        return []
    for token in reversed(doc[participle.sent.start : participle.i]):
        if token.dep_ != "nsubj" or token.head.pos_ not in ("VERB", "AUX"):
            continue
        clause = token.head
        while clause.dep_ == "conj":
            clause = clause.head
        if clause.dep_ == "ROOT":
            return _noun_phrase(token)
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
    before = doc_text(doc)[: verb.idx].rstrip()
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


def cue_range(verb: Token) -> tuple[int, int]:
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
            start, end = trim(doc_text(doc), doc[run[0]].idx, doc[run[-1]].idx + len(doc[run[-1]]))
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
        return {t.i for t in objects[0].subtree} | _object_complements(verb, objects[0])
    for child in children:
        if child.dep_ == "prep" and child.lower_ in cue.prepositions:
            return {t.i for t in child.subtree if t.i != child.i}
    if token.dep_ == "parataxis":
        # "The economy, the minister said, is growing." / "…, the minister said on Monday."
        return {t.i for t in sent} - {t.i for t in token.subtree}
    return set()


#: Prepositions whose phrase after a reported object says what the object is reported as, or
#: accused or praised of ("described Obama as elitist", "accused Clinton of lying", "blamed the
#: shootings on “sickos”"): PolNeAR's content runs through them.
_COMPLEMENT_PREPOSITIONS = frozenset({"as", "of", "for", "on"})


def _object_complements(verb: Token, obj: Token) -> set[int]:
    """The verb's complements after its reported object: a secondary predicate ("called it
    “meritless”", "urged him to resign") or a preposition of `_COMPLEMENT_PREPOSITIONS`, unless
    it is a date ("praised him on Monday")."""
    found: set[int] = set()
    for child in verb.rights:
        if child.i < obj.i:
            continue
        complement = child.dep_ in ("oprd", "xcomp") or (
            child.dep_ == "prep"
            and child.lower_ in _COMPLEMENT_PREPOSITIONS
            and not any(t.ent_type_ in ("DATE", "TIME") for t in child.subtree)
        )
        if complement:
            found |= {t.i for t in child.subtree}
    return found


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
            cue = cue_range(token)
        else:
            continue
        speaker = subject(verb) or _inverted_subject(verb) or _left_subject(verb)
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
    text = doc_text(sent.doc)
    for token in sent:
        if (
            token.pos_ != "VERB"
            or token.lemma_.lower() in VERBS
            or inside_any((token.idx, token.idx + len(token)), regions)
        ):
            continue
        quoted_clause = any(
            child.dep_ in ("ccomp", "parataxis") and inside_any((child.idx, child.idx + 1), regions)
            for child in token.children
        )
        colon = next(
            (t for t in sent.doc[token.i + 1 : min(token.i + 5, sent.end)] if t.text == ":"), None
        )
        colon_quote = colon is not None and any(
            text[colon.idx + 1 : r.start].strip() == "" for r in regions if r.start > colon.idx
        )
        speaker = subject(token)
        if speaker and (quoted_clause or colon_quote):
            found.append(
                Attribution(
                    cue=cue_range(token),
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
        text = doc_text(sent.doc)
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
        text = doc_text(sent.doc)
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


_DASHES = frozenset("–—-")


def dash_cues(sent: SpacySpan) -> list[Attribution]:
    """Agency headline style, a name after a closing dash: "US weaponizing the dollar –
    Lavrov", "NATO ‘slaughtering’ Ukrainians to fight Russia – Kremlin".

    Only on the title line, for a dash with a space on each side ("Mix-Up" and
    "Russia–Ukraine War" are words), when the name is one to four proper nouns and what comes
    before is a statement (it has a verb or a quotation) that names no speaker of its own:
    "Rally in Paris – Photos" and "… Says Campaign Staff … – PVA" are not quotes."""
    text = doc_text(sent.doc)
    title = next((t for t in sent.doc if not t.is_space), None)
    if (
        title is None
        or not opens_article(sent.doc)
        or text.find("\n", title.idx, sent.start_char) != -1
    ):
        return []  # not on the title line
    words = [t for t in sent if not t.is_space]
    dash = next((t for t in reversed(words[-5:]) if t.text in _DASHES), None)
    if dash is None or dash.i == sent.start or not dash.whitespace_:
        return []
    if not text[dash.idx - 1].isspace():
        return []
    name = [t for t in words if t.i > dash.i]
    head = [t for t in words if t.i < dash.i]
    if not name or not all(t.pos_ == "PROPN" and t.text[:1].isupper() for t in name):
        return []
    statement = any(t.pos_ in ("VERB", "AUX") or t.is_quote for t in head)
    if not statement or any(t.text in _HEADLINE_VERBS for t in head):
        return []
    return [
        Attribution(
            cue=(dash.idx, dash.idx + len(dash)),
            cue_lemma=dash.text,
            speaker=name,
            content=[(sent.start_char, head[-1].idx + len(head[-1]))],
        )
    ]


def post_quote_cues(sent: SpacySpan, regions: list[QuoteMarks]) -> list[Attribution]:
    """ "“Go back to Univision,” Trump barked": after a quotation that ends in a comma, a
    question or exclamation mark, a subject and its verb attribute it, whatever the verb.

    When the parser ended the sentence at the closing mark (“… right?” Trump went on. /
    “… missing.” Trump said.), the quotation stands alone in the sentence before, and this
    sentence opens with its subject and verb: the attribution takes the quotation with it."""
    found = []
    doc = sent.doc
    text = doc_text(doc)
    for region in regions:
        inside = sent.start_char <= region.end < sent.end_char
        if not (inside or _stands_before(text, sent, region)):
            continue
        ending = text[region.inner_end - 1 : region.inner_end]
        if ending not in (",", "?", "!") and (inside or ending != "."):
            continue
        after = [t for t in sent if t.idx >= region.end][:7]
        verb = next((t for t in after if t.pos_ == "VERB"), None)
        if verb is None or (inside and verb.lemma_.lower() in VERBS):
            continue
        subject = [c for c in verb.children if c.dep_ == "nsubj" and c.idx >= region.end]
        if not subject or not all(t.i < verb.i for t in subject[0].subtree):
            continue
        if not inside and (
            subject[0].left_edge.i != sent.start or subject[0].lower_ in _NOT_SPEAKERS
        ):
            continue
        found.append(
            Attribution(
                cue=cue_range(verb),
                cue_lemma=verb.lemma_.lower(),
                speaker=_noun_phrase(subject[0]),
                content=[] if inside else [(region.start, region.end)],
                verb=verb,
            )
        )
    return found


#: Subjects that do not speak: "“…” It’s a problem."
_NOT_SPEAKERS = frozenset({"it", "this", "that", "there", "what", "which"})


def _stands_before(text: str, sent: SpacySpan, region: QuoteMarks) -> bool:
    """Whether the quotation ends right before the sentence (a space between at most) and is
    all of the sentence it sits in, in the same paragraph: a quotation the parser split from
    its attribution."""
    if sent.start_char < region.end or text[region.end : sent.start_char] not in ("", " "):
        return False
    previous = sent.doc[sent.start - 1].sent if sent.start > 0 else None
    return previous is not None and not text[previous.start_char : region.start].strip()


def speaker_outside_quotes(attribution: Attribution, regions: list[QuoteMarks]) -> None:
    """A speaker the parse found inside quote marks ("''That, unfortunately,'' he said": the
    parser takes "That" for the subject) gives way to the noun phrase right after the quotation
    the verb follows ("he", "Mr. Daniloff, now 81, … said"), or to none."""
    speaker, verb = attribution.speaker, attribution.verb
    if not speaker or verb is None or not inside_any(char_range(speaker), regions):
        return
    before = [r for r in regions if r.end <= verb.idx and r.end > verb.sent.start_char]
    after = [t for t in verb.sent if before and before[-1].end <= t.idx < verb.idx]
    first = next((t for t in after if not t.is_punct and not t.is_space), None)
    if first is None or first.pos_ not in ("PROPN", "PRON", "DET", "NOUN"):
        attribution.speaker = []
        return
    head = first
    while head.head.i != head.i and first.idx <= head.head.idx < verb.idx:
        head = head.head
    attribution.speaker = _noun_phrase(head)


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
        trimmed = [trim(doc_text(sent.doc), s, e) for s, e in pieces]
        content = [(s, e) for s, e in trimmed if e > s]
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
