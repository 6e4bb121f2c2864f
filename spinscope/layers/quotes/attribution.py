"""Attribution, learned: a word tagger for PolNeAR's three roles (source, cue, content) over its
own fine-tuned copy of the encoder's last layers (`spinscope.ml.tagger`), the decoding that turns
its word probabilities into attributions, and how the quotes layer combines them with its
rules.

The rules of `spinscope.layers.quotes` are precise where the syntax is plain (quote marks, a
reporting verb of their lexicon with a subject) but miss what their lexicon and parse do not
cover: beliefs and findings ("is convinced that", "a poll showing"), nominal cues, sentences the
parser gets wrong. The tagger reads each word's vectors with what the parse and the rules say
about it, and finds many of those. The rules stay in charge of what they find (direct quotes,
their speakers): `combine` adds a learned attribution only where the rules' quotes have no
content; it can give a rule quote with no speaker, or one whose speaker the tagger doubts,
the tagger's, and run content the rules cut short on to the end of a tagged run.

A word's label is the set of roles whose gold spans it overlaps. Decoding is the run-finding of
the technique spans (`spinscope.layers.techniques.decode`): a run of likely content words is one
content; its cue and source are the tagged runs nearest to it in the sentences it touches; the
speaker is the subject of the cue's verb where the parse gives one, else the tagged source with
any name it cuts completed (`whole_names`), and is resolved to an entity as the rules resolve
theirs. The trainer (`spinscope.train.quotes`)
chooses the thresholds and `Settings` on held-out articles and stores them in the head, with the
calibration of a learned attribution's score (its content words' mean probability) into the
probability that it matches a gold attribution (`spinscope.ml.calibration`); one under
`CONFIDENT` is uncertain. The rules' quotes have no score and are never uncertain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt
from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from spinscope.arrays import Matrix
from spinscope.document import Quote, Span
from spinscope.layers.quotes.cues import NOUNS, VERBS
from spinscope.layers.quotes.reporting import char_range, subject, trim
from spinscope.layers.quotes.speakers import SpeakerResolver
from spinscope.ml.calibration import CONFIDENT, Calibration
from spinscope.ml.features import WordFeatures, Words
from spinscope.ml.tagger import Tagger, load_tagger
from spinscope.parse import Parsed

LAYER = "quotes"
HEAD = "attribution"
#: File of the tagger's fine-tuned encoder layers, beside its head.
LAYERS_FILE = "attribution-layers.npz"
VERSION = "1"
TAGGER_SOURCE = f"quotes/minilm-tagger@{VERSION}"
#: The tagger's outputs, in order.
LABELS = ("Source", "Cue", "Content")
SOURCE, CUE, CONTENT = range(3)
#: Words a run of likely words may skip and still be one span.
GAP = 2
#: Content shorter than this many words is too little to be a report.
MIN_CONTENT_WORDS = 3
#: Probability at or above which a word is in a content run; the head's Content threshold is
#: the mean probability a whole run needs to count as an attribution.
RUN_THRESHOLD = 0.5
#: Source probability below which, on every word of a rule quote's speaker, the tagger doubts
#: that speaker (`Settings.replace_speakers`). On the threshold fold, with a tagger fitted
#: before this setting existed, replacing doubted speakers by the nearest tagged source fixed
#: 19 more speakers than it broke at 0.1, 15 at 0.05, 19 at 0.2.
DOUBTED_SOURCE = 0.1


@dataclass(frozen=True)
class Settings:
    """How the tagger's output is decoded and combined with the rules, chosen on held-out
    articles by the trainer and stored in the head's `meta`.

    across -- content runs may continue over a sentence break;
    require_cue -- an attribution the rules missed is added only with a tagged cue;
    fill_speakers -- a rule quote with no speaker takes the tagger's (cue and source nearest
                     to its content), e.g. a quote the rules could not attach to a clause;
    replace_speakers -- a rule quote's speaker on which the tagger puts next to no source
                        probability (all words below `DOUBTED_SOURCE`) gives way to the source
                        it tags nearest the content, e.g. where the parse hung the cue on the
                        wrong clause ("The fracas erupted after the tycoon entered the race,
                        calling them rapists");
    extend -- a rule quote of reported speech whose content stops inside a run of likely
              content words runs on to the run's end (the rules stop where the parse cuts a
              clause short).
    """

    across: bool = False
    require_cue: bool = False
    fill_speakers: bool = False
    replace_speakers: bool = False
    extend: bool = False

    @property
    def adds(self) -> bool:
        """Whether these settings change a rule quote whatever the thresholds."""
        return self.fill_speakers or self.replace_speakers or self.extend

    @classmethod
    def of(cls, meta: dict[str, Any]) -> Settings:
        return cls(**{f.name: bool(meta[f.name]) for f in fields(cls) if f.name in meta})

    def to_meta(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Candidate:
    """One attribution the tagger proposes, in character offsets (end exclusive)."""

    content: tuple[int, int]
    cue: tuple[int, int] | None
    source: tuple[int, int] | None
    score: float


def tagger() -> Tagger:
    """The shipped tagger (labels: `LABELS`; one threshold each), loaded once per process."""
    return load_tagger(LAYER, HEAD, LAYERS_FILE)


def features(doc: Doc, words: WordFeatures, rules: Sequence[Quote]) -> Matrix:
    """The tagger's input, one row per word: the word's and its sentence's vectors (`words`),
    then its `linguistic` features."""
    return np.hstack([words.X, linguistic(doc, words, rules)]).astype(np.float32)


def linguistic(doc: Doc, words: Words, rules: Sequence[Quote]) -> Matrix:
    """Per word: what the parse says of it (part of speech, dependency, its relation to the
    nearest reporting verb above it) and what the rules found there (content, cue, speaker,
    quote marks), so the tagger learns where the rules are right and where they stop short."""
    tokens = {t.idx: t for t in doc}
    sentences = {t.i: sent for sent in doc.sents for t in sent}
    first_cue = {
        sent.start: min((t.i for t in sent if _is_cue_verb(t)), default=len(doc))
        for sent in doc.sents
    }
    rows = []
    for start in words.starts:
        token = tokens[int(start)]
        rows.append(_parse_row(token, sentences[token.i], first_cue[sentences[token.i].start]))
    parse_rows = np.asarray(rows, dtype=np.float32).reshape(len(words.starts), len(_PARSE_NAMES))
    return np.hstack([parse_rows, _rule_roles(words, rules)]).astype(np.float32)


_POS = ("ADJ ADP ADV AUX CCONJ DET INTJ NOUN NUM PART PRON PROPN PUNCT SCONJ SYM VERB X").split()
_DEPS = (
    "ROOT acl acomp advcl advmod agent amod appos attr aux auxpass case cc ccomp compound conj "
    "csubj csubjpass dative dep det dobj expl intj mark meta neg nmod npadvmod nsubj nsubjpass "
    "nummod oprd parataxis pcomp pobj poss preconj predet prep prt punct quantmod relcl xcomp"
).split()
#: How a word hangs on the nearest reporting verb above it: the dependency of the verb's child
#: on the path (its subject is the source, its clause the content).
_PATHS = ("nsubj nsubjpass csubj ccomp xcomp dobj prep advcl conj agent other").split()
_PARSE_NAMES = (
    [f"pos={p}" for p in _POS]
    + [f"dep={d}" for d in _DEPS]
    + [f"path={p}" for p in _PATHS]
    + ["cue_verb", "cue_noun", "under_cue", "sentence_start", "after_cue_in_sentence"]
)


def _parse_row(token: Token, sent: SpacySpan, first_cue: int) -> list[float]:
    """The parse features of one word (`first_cue`: the index of its sentence's first
    reporting verb)."""
    row = [0.0] * len(_PARSE_NAMES)
    row[_POS.index(token.pos_) if token.pos_ in _POS else _POS.index("X")] = 1.0
    offset = len(_POS)
    if token.dep_ in _DEPS:
        row[offset + _DEPS.index(token.dep_)] = 1.0
    offset += len(_DEPS)
    child, path = token, None
    for ancestor in token.ancestors:
        if _is_cue_verb(ancestor):
            path = child.dep_ if child.dep_ in _PATHS else "other"
            break
        child = ancestor
    if path is not None:
        row[offset + _PATHS.index(path)] = 1.0
    offset += len(_PATHS)
    row[offset] = float(_is_cue_verb(token))
    row[offset + 1] = float(token.lemma_.lower() in NOUNS)
    row[offset + 2] = float(path is not None)
    row[offset + 3] = float(token.i == sent.start)
    row[offset + 4] = float(first_cue < token.i)
    return row


def _is_cue_verb(token: Token) -> bool:
    return token.pos_ in ("VERB", "AUX") and token.lemma_.lower() in VERBS


def _rule_roles(words: Words, rules: Sequence[Quote]) -> Matrix:
    """Per word: inside the rules' content (by kind), cue, speaker, quote marks."""
    kinds = ("direct", "indirect", "mixed", "partial")
    roles = np.zeros((len(words.starts), len(kinds) + 3), dtype=np.float32)

    def mark(column: int, span: Span) -> None:
        roles[(words.starts < span.end) & (words.ends > span.start), column] = 1.0

    for quote in rules:
        for span in quote.content:
            mark(kinds.index(quote.kind), span)
        if quote.cue is not None:
            mark(len(kinds), quote.cue)
        if quote.speaker is not None:
            mark(len(kinds) + 1, quote.speaker)
        for span in quote.quoted:
            mark(len(kinds) + 2, span)
    return roles


def runs(
    words: WordFeatures, on: npt.NDArray[np.bool_], gap: int = GAP, *, across: bool = False
) -> list[tuple[int, int]]:
    """`(first, last)` word indices of the runs of `on` words, bridging up to `gap` words that
    are off; within one sentence unless `across` (a quote of several sentences is one)."""
    found: list[tuple[int, int]] = []
    for k in np.flatnonzero(on).tolist():
        if (
            found
            and k - found[-1][1] <= gap + 1
            and (across or words.sentence[k] == words.sentence[found[-1][1]])
        ):
            found[-1] = (found[-1][0], k)
        else:
            found.append((k, k))
    return found


def candidates(
    text: str,
    words: WordFeatures,
    probabilities: Matrix,
    thresholds: Sequence[float],
    settings: Settings = Settings(),
) -> list[Candidate]:
    """Attributions from word probabilities: each run of likely content words (at or above
    `RUN_THRESHOLD`) is one content, kept when its mean probability reaches the Content
    threshold; its cue and source are the tagged runs nearest to it (`RoleRuns.nearest`)."""
    on = probabilities[:, CONTENT] >= RUN_THRESHOLD
    tagged = RoleRuns.of(words, probabilities, thresholds)
    found = []
    for first, last in runs(words, on, across=settings.across):
        score = float(probabilities[first : last + 1, CONTENT].mean())
        if last - first + 1 < MIN_CONTENT_WORDS or score < thresholds[CONTENT]:
            continue
        start, end = trim(text, int(words.starts[first]), int(words.ends[last]))
        if end <= start:
            continue
        cue, source = tagged.nearest(first, last)
        if cue is None and settings.require_cue:
            continue
        found.append(Candidate((start, end), cue, source, score))
    return found


@dataclass(frozen=True)
class RoleRuns:
    """An article's runs of likely cue words and of likely source words."""

    words: WordFeatures
    cues: list[tuple[int, int]]
    sources: list[tuple[int, int]]

    @classmethod
    def of(
        cls, words: WordFeatures, probabilities: Matrix, thresholds: Sequence[float]
    ) -> RoleRuns:
        return cls(
            words,
            runs(words, probabilities[:, CUE] >= thresholds[CUE], gap=1),
            runs(words, probabilities[:, SOURCE] >= thresholds[SOURCE], gap=1),
        )

    def nearest(
        self, first: int, last: int
    ) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
        """`(cue, source)` in characters for the content of words `first`..`last`: the cue
        run nearest to it in the sentences it touches, and the source run nearest to that cue
        (or to the content, with no cue)."""
        words = self.words
        sentences = (int(words.sentence[first]), int(words.sentence[last]))
        outside = [r for r in self.cues if _outside(r, first, last)]
        cue = _nearest(outside, first, last, words, sentences)
        anchor = cue or (first, last)
        source = _nearest(
            [r for r in self.sources if _outside(r, first, last) and _outside(r, *anchor)],
            *anchor,
            words,
            sentences,
        )
        return _chars(words, cue), _chars(words, source)


def _outside(run: tuple[int, int], first: int, last: int) -> bool:
    return run[1] < first or run[0] > last


def _nearest(
    options: list[tuple[int, int]],
    first: int,
    last: int,
    words: WordFeatures,
    sentences: tuple[int, int],
) -> tuple[int, int] | None:
    """The run nearest to words `first`..`last` among those in the sentences `sentences`
    (first and last, inclusive)."""
    here = [r for r in options if sentences[0] <= words.sentence[r[0]] <= sentences[1]]
    if not here:
        return None
    return min(here, key=lambda r: first - r[1] if r[1] < first else r[0] - last)


def _chars(words: WordFeatures, run: tuple[int, int] | None) -> tuple[int, int] | None:
    if run is None:
        return None
    return int(words.starts[run[0]]), int(words.ends[run[1]])


def with_learned(parsed: Parsed, rules: Sequence[Quote], tagger: Tagger) -> list[Quote]:
    """The rules' quotes combined with what the tagger finds in the article (`combine`); the
    rules' quotes alone, without running the tagger, when the head's settings add nothing."""
    head = tagger.head
    settings = Settings.of(head.meta)
    if head.thresholds[CONTENT] > 1 and not settings.adds:
        return list(rules)
    words = tagger.features(parsed)
    if len(words.starts) == 0:
        return list(rules)
    probabilities = head.predict_proba(features(parsed.doc, words, rules))
    return combine(
        parsed.text,
        parsed.doc,
        rules,
        words,
        probabilities,
        head.thresholds.tolist(),
        settings,
        head.calibration,
    )


def combine(
    text: str,
    doc: Doc,
    rules: Sequence[Quote],
    words: WordFeatures,
    probabilities: Matrix,
    thresholds: Sequence[float],
    settings: Settings,
    calibration: Calibration | None = None,
) -> list[Quote]:
    """The rules' quotes, plus each learned attribution whose content overlaps none of theirs:
    the rules are better at what they find (direct quotes and their speakers), the tagger
    finds what their lexicon and parse miss. With `settings.fill_speakers`, a rule quote with
    no speaker takes the tagger's, with `settings.replace_speakers` so does one whose speaker
    the tagger doubts (`_speaker_fills`); with `settings.extend`, content the rules cut short
    runs on (`_extended`). A learned attribution's score is its `calibration`'s probability
    (without one, the raw score: what the trainer calibrates).

    Speakers are resolved in document order over both, as the rules resolve theirs, so a
    pronoun refers to the speaker before it whichever part found that one; the rules' own
    speakers are kept as they are."""
    if settings.extend:
        rules = _extended(text, rules, words, probabilities)
    taken = [(span.start, span.end) for quote in rules for span in quote.content]
    added = [
        c
        for c in candidates(text, words, probabilities, thresholds, settings)
        if not any(c.content[0] < end and start < c.content[1] for start, end in taken)
    ]
    fills = _speaker_fills(doc, rules, words, probabilities, thresholds, settings)
    if not added and not fills:
        return list(rules)
    resolver = SpeakerResolver(doc)
    events: list[tuple[int, Quote | Candidate]] = [
        (q.cue.start if q.cue else q.content[0].start, q) for q in rules
    ]
    events += [(c.cue[0] if c.cue else c.content[0], c) for c in added]
    results: list[Quote] = []
    for _, item in sorted(events, key=lambda e: (e[0], isinstance(e[1], Candidate))):
        if isinstance(item, Candidate):
            results.append(_to_quote(text, doc, item, resolver, calibration or Calibration()))
        elif id(item) in fills:
            results.append(_filled(text, doc, item, fills[id(item)], resolver))
        else:
            if item.speaker is not None:
                resolver.resolve(_tokens(doc, item.speaker.start, item.speaker.end))
            results.append(item)
    return sorted(results, key=lambda q: q.content[0].start)


def _extended(
    text: str, rules: Sequence[Quote], words: WordFeatures, probabilities: Matrix
) -> list[Quote]:
    """The rule quotes, those of reported speech (`indirect` or `mixed`, one content span)
    whose content stops inside a run of likely content words run on to the run's end, where
    that takes in no other quote's content and no cue or speaker."""
    content_runs = runs(words, probabilities[:, CONTENT] >= RUN_THRESHOLD)
    taken = [
        (span.start, span.end)
        for quote in rules
        for span in (*quote.content, quote.cue, quote.speaker)
        if span is not None
    ]
    result = []
    for quote in rules:
        span = quote.content[0]
        inside = np.flatnonzero((words.starts < span.end) & (words.ends > span.start))
        ends = [
            int(words.ends[last])
            for first, last in content_runs
            if len(inside) and first <= inside[-1] < last
        ]
        if quote.kind not in ("indirect", "mixed") or len(quote.content) != 1 or not ends:
            result.append(quote)
            continue
        start, end = trim(text, span.start, ends[0])
        if end <= span.end or any(s < end and span.end < e for s, e in taken):
            result.append(quote)
            continue
        result.append(
            quote.model_copy(
                update={
                    "content": [Span.of(text, start, end)],
                    "source": f"{quote.source}+{TAGGER_SOURCE}",
                }
            )
        )
    return result


def _speaker_fills(
    doc: Doc,
    rules: Sequence[Quote],
    words: WordFeatures,
    probabilities: Matrix,
    thresholds: Sequence[float],
    settings: Settings,
) -> dict[int, Candidate]:
    """The rule quotes (by `id`) that take the tagger's speaker, with its cue and source for
    their content: with `settings.fill_speakers` those with no speaker, where it tags a cue or
    a source; with `settings.replace_speakers` those whose speaker it doubts, where it tags
    a source (never the owner of a reporting noun: “the judges’ statement that …”)."""
    tagged = RoleRuns.of(words, probabilities, thresholds)
    fills = {}
    for quote in rules:
        if quote.speaker is None and not settings.fill_speakers:
            continue
        if quote.speaker is not None and not (
            settings.replace_speakers
            and _doubted(quote.speaker, words, probabilities)
            and not _owns_cue(doc, quote)
        ):
            continue
        start, end = quote.content[0].start, quote.content[-1].end
        inside = np.flatnonzero((words.starts < end) & (words.ends > start))
        if len(inside) == 0:
            continue
        cue, source = tagged.nearest(int(inside[0]), int(inside[-1]))
        if source is not None or (cue is not None and quote.speaker is None):
            fills[id(quote)] = Candidate((start, end), cue, source, 1.0)
    return fills


def _owns_cue(doc: Doc, quote: Quote) -> bool:
    """Whether the quote's speaker is the owner of its reporting noun."""
    if quote.cue is None or quote.speaker is None:
        return False
    owner = possessor(_tokens(doc, quote.cue.start, quote.cue.end))
    return any(quote.speaker.start <= t.idx < quote.speaker.end for t in owner)


def _doubted(speaker: Span, words: WordFeatures, probabilities: Matrix) -> bool:
    inside = (words.starts < speaker.end) & (words.ends > speaker.start)
    return bool(inside.any()) and bool((probabilities[inside, SOURCE] < DOUBTED_SOURCE).all())


def _tokens(doc: Doc, start: int, end: int) -> list[Token]:
    span = doc.char_span(start, end, alignment_mode="expand")
    return [t for t in span if not t.is_space] if span is not None else []


def speaker_tokens(doc: Doc, candidate: Candidate) -> list[Token]:
    """Who the candidate's speaker is: the subject of its cue's verb where the parse gives one
    outside the content (the rules' reading of the clause), else the tagged source, its names
    completed."""
    if candidate.cue is not None:
        cue = _tokens(doc, *candidate.cue)
        verbs = [t for t in cue if t.pos_ in ("VERB", "AUX")]
        agent = subject(verbs[-1]) if verbs else possessor(cue)
        start, end = candidate.content
        if agent and not any(start <= t.idx < end for t in agent):
            return agent
    if candidate.source is None:
        return []
    start, end = candidate.source
    return whole_names(_tokens(doc, start, end), outside=candidate.content)


def possessor(cue: list[Token]) -> list[Token]:
    """The owner of a reporting noun in the cue ("Pence’s call for", "her apparent reversal
    of", "the judges’ statement"): the one whose words they are."""
    for token in cue:
        owners = [c for c in token.children if c.dep_ == "poss"] if token.pos_ == "NOUN" else []
        if owners:
            return list(owners[0].subtree)
    return []


def whole_names(tokens: list[Token], outside: tuple[int, int]) -> list[Token]:
    """A tagged source with the names it cuts completed: the tagger marks words one by one and
    may stop inside a name ("Senator Maria" of "Senator Maria Lopez"), so each word of a
    compound brings its head and the head's other compound words (none inside `outside`, the
    content)."""
    if not tokens:
        return tokens
    doc = tokens[0].doc
    ids = {t.i for t in tokens}
    for token in tokens:
        head = token
        while head.dep_ in _NAME_PARTS and head.head.i != head.i:
            head = head.head
        if head.i != token.i:
            ids.add(head.i)
            ids.update(c.i for c in head.children if c.dep_ in _NAME_PARTS)
    first, last = min(ids), max(ids)
    whole = [t for t in doc[first : last + 1] if not t.is_space]
    if any(outside[0] <= t.idx < outside[1] for t in whole):
        return tokens
    return whole


_NAME_PARTS = ("compound", "flat")


def _to_quote(
    text: str,
    doc: Doc,
    candidate: Candidate,
    resolver: SpeakerResolver,
    calibration: Calibration,
) -> Quote:
    score = round(calibration(min(max(candidate.score, 0.0), 1.0)), 4)
    speaker = entity = None
    mention = speaker_tokens(doc, candidate)
    if mention:
        speaker = Span.of(text, *char_range(mention))
        entity = resolver.resolve(mention).entity
    return Quote(
        kind="indirect",
        content=[Span.of(text, *candidate.content)],
        speaker=speaker,
        speaker_entity=entity,
        cue=Span.of(text, *candidate.cue) if candidate.cue else None,
        cue_class="other" if candidate.cue else "none",
        score=score,
        uncertain=score < CONFIDENT,
        source=TAGGER_SOURCE,
    )


def _filled(text: str, doc: Doc, quote: Quote, fill: Candidate, resolver: SpeakerResolver) -> Quote:
    """A rule quote with the tagger's speaker (and cue, where the rule had none). A speaker
    the tagger doubts gives way to its tagged source: the subject of the cue's verb is what
    the rules took."""
    if quote.speaker is not None and fill.source is not None:
        mention = whole_names(_tokens(doc, *fill.source), outside=fill.content)
    else:
        mention = speaker_tokens(doc, fill)
    if not mention:
        return quote
    update: dict[str, Any] = {
        "speaker": Span.of(text, *char_range(mention)),
        "speaker_entity": resolver.resolve(mention).entity,
        "source": f"{quote.source}+{TAGGER_SOURCE}",
    }
    if quote.cue is None and fill.cue is not None:
        update["cue"] = Span.of(text, *fill.cue)
        update["cue_class"] = "other"
    return quote.model_copy(update=update)
