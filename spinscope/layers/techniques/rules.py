"""Persuasion techniques found by named rules, for what a learned token tagger cannot see or
never saw: fixed formulas (slogans, stock phrases that end a debate) and the four techniques
with no example in the English training data (Appeal_to_Time, Consequential_Oversimplification,
Appeal_to_Values, Questioning_the_Reputation).

Every rule is a unit with an id, one technique, a one-line description and a `score`: its
precision on the training split of SemEval-2023 Task 3 (a hit is right when it overlaps a gold
span of the same technique), measured by `benchmarks/technique_rules_precision.py`. A rule whose
technique has no gold example cannot be measured; its score is the stated prior `PRIOR` and
`measured` is False. `RULES` holds the rules kept; `CANDIDATES` holds rules that were built,
measured and dropped for low precision, so that the benchmark can show why (`find` never runs
them). The Loaded_Language lexicon is derived from training gold by
`spinscope.train.technique_lexicons.build_loaded_lexicon` and shipped as
`spinscope/models/techniques/loaded-lexicon.txt`; the affect adjectives (strongly negative words
of the AFINN lexicon, for the loaded words training never shows) are chosen by
`spinscope.train.technique_lexicons.build_affect_lexicon` and shipped as
`affect-adjectives.txt` beside it. This module only reads them: building them is training.

    hits = find(text)              # -> list[RuleHit], sorted by offset
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc

from spinscope.errors import ModelError
from spinscope.taxonomy import TECHNIQUES

#: The score of a rule whose technique has no gold example to measure it on: a guess, stated as
#: one ("as likely right as wrong"), so that a combiner does not trust it like a measured rule.
PRIOR = 0.5

#: Where the shipped Loaded_Language lexicon lives (one word a line; see `write_loaded_lexicon`).
LEXICON_PATH = Path(__file__).resolve().parents[2] / "models" / "techniques" / "loaded-lexicon.txt"


@dataclass(frozen=True)
class RuleHit:
    """One span a rule found: `text[start:end]` (end exclusive) shows `technique`."""

    technique: str
    start: int
    end: int
    rule: str
    score: float


#: A rule's matcher: the text and its parse (None when the caller has none) to `(start, end)`s.
Matcher = Callable[[str, Doc | None], Iterator[tuple[int, int]]]


@dataclass(frozen=True)
class Rule:
    """A named rule: what it finds, how well it did, and the function that finds it."""

    id: str
    technique: str
    description: str
    #: Training precision when `measured`, else `PRIOR`.
    score: float
    measured: bool
    match: Matcher

    def hits(self, text: str, doc: Doc | None = None) -> list[RuleHit]:
        return [
            RuleHit(self.technique, start, end, self.id, self.score)
            for start, end in self.match(text, doc)
        ]


def _at_words(pattern: str) -> str:
    """`pattern`, tried only where a word starts: every alternative of the phrase rules starts
    with a word, and skipping other positions halves the time Python's regex engine takes over
    a long alternation."""
    return rf"(?=\w)\b(?:{pattern})"


def _regex(pattern: str, flags: int = 0) -> Matcher:
    """A matcher for one regex; the span is the named group `span` when the pattern has one
    (so a pattern can require context, such as quote marks, without reporting it)."""
    compiled = re.compile(pattern, flags)
    group = "span" if "span" in compiled.groupindex else 0

    def match(text: str, doc: Doc | None) -> Iterator[tuple[int, int]]:
        for found in compiled.finditer(text):
            if found.group(group):
                yield found.start(group), found.end(group)

    return match


# --- Words ------------------------------------------------------------------------------------

#: A word: letters, with inner apostrophes, hyphens and the asterisks of censored swearing.
WORD = re.compile(r"[A-Za-z](?:[A-Za-z*'’-]*[A-Za-z])?")
_A = "['’]"  # an apostrophe, straight or curly


def normalise(word: str) -> str:
    return word.lower().replace("’", "'")


def is_content(word: str) -> bool:
    """A word that can carry meaning on its own: not a stopword, at least three letters."""
    return len(word) >= 3 and word not in STOP_WORDS


# --- Loaded_Language lexicon ------------------------------------------------------------------


def read_loaded_lexicon(path: Path) -> frozenset[str]:
    """The words of a lexicon file (`spinscope.train.technique_lexicons` writes them): the
    first field of each line that is not a comment."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ModelError(f"cannot read the word list {path}: {error}") from error
    return frozenset(
        line.split("\t", 1)[0].strip()
        for line in lines
        if line.strip() and not line.startswith("#")
    )


@functools.cache
def shipped_lexicon() -> frozenset[str]:
    """The lexicon that ships with spinscope, read once per process."""
    return read_loaded_lexicon(LEXICON_PATH)


def lexicon_matcher(words: Collection[str]) -> Matcher:
    """A matcher for whole words of `words` (lower-cased, curly apostrophes straightened)."""

    def match(text: str, doc: Doc | None) -> Iterator[tuple[int, int]]:
        for found in WORD.finditer(text):
            if normalise(found.group()) in words:
                yield found.start(), found.end()

    return match


def _shipped_lexicon_match(text: str, doc: Doc | None) -> Iterator[tuple[int, int]]:
    return lexicon_matcher(shipped_lexicon())(text, doc)


# --- Affect adjectives -----------------------------------------------------------------------

#: Where the shipped affect-adjective list lives (see `write_affect_lexicon`).
AFFECT_PATH = LEXICON_PATH.with_name("affect-adjectives.txt")


def attributive_words(text: str, doc: Doc) -> Iterator[tuple[str, int, int]]:
    """The adjectives of `text` placed before the noun they modify ("the ill-fated offensive",
    not "forces unable to"), as `(normalised word, start, end)`, by `doc`, the parse of `text`.
    A hyphenated compound is one word, and counts whatever its part of speech: the parser calls
    "fated" a participle, as it rightly calls "lost" in "lost territories"."""
    for found in WORD.finditer(text):
        span = doc.char_span(found.start(), found.end(), alignment_mode="expand")
        if span is None:
            continue
        head = span[-1]
        if (
            head.dep_ == "amod"
            and head.head.i > head.i
            and (head.pos_ == "ADJ" or "-" in found.group())
        ):
            yield normalise(found.group()), found.start(), found.end()


@functools.cache
def shipped_affect_lexicon() -> frozenset[str]:
    """The affect-adjective list that ships with spinscope, read once per process."""
    return read_loaded_lexicon(AFFECT_PATH)


def affect_matcher(words: Collection[str]) -> Matcher:
    """A matcher for words of `words` used attributively ("the ill-fated offensive"); it needs
    the parse, and finds nothing without one. A hyphenated compound matches by its whole, or by
    its last part where an adverb of degree leads it ("its much-touted counteroffensive":
    "touted"; not "anti-war protests", "war-torn", "the now-defunct commission")."""

    def match(text: str, doc: Doc | None) -> Iterator[tuple[int, int]]:
        if doc is None:
            return
        for word, start, end in attributive_words(text, doc):
            if word in words or _evaluative_head(word, end, doc) in words:
                yield start, end

    return match


def _evaluative_head(word: str, end: int, doc: Doc) -> str | None:
    """The last part of a hyphenated compound ending at `end` whose first part the parser reads
    as an adverb, not one of time ("much-touted": "touted"); None otherwise."""
    modifier, _, head = word.rpartition("-")
    if not modifier or modifier in _TIME_ADVERBS:
        return None
    first = doc.char_span(end - len(word), end - len(word) + len(modifier))
    return head if first is not None and first.root.pos_ == "ADV" else None


#: Adverbs of time, which make a compound descriptive: "now-defunct", "once-powerful".
_TIME_ADVERBS = frozenset("now then once still already soon ever formerly recently newly".split())


def _shipped_affect_match(text: str, doc: Doc | None) -> Iterator[tuple[int, int]]:
    return affect_matcher(shipped_affect_lexicon())(text, doc)


# --- Slogans ----------------------------------------------------------------------------------

#: Well-known political slogans. Prose that mentions one in passing ("promised to drain the
#: swamp") is not the slogan, so a match must also be written as one: see `_written_as_slogan`.
_KNOWN_SLOGANS = (
    "make america great again|maga|keep america great|america first|drain the swamp|"
    "build the wall|lock (?:her|him|them) up|send (?:her|him|them) back|stop the steal|"
    "black lives matter|all lives matter|blue lives matter|yes we can|stronger together|"
    "take back control|get brexit done|not my president|no justice,? no peace|"
    f"hands up,? don{_A}?t shoot|never again|never surrender|enough is enough|no collusion|"
    "believe (?:all )?women|refugees welcome|abolish ice|love trumps hate|defund the police|"
    "my body,? my choice|workers of the world,? unite|from the river to the sea|"
    f"glory to ukraine|slava ukraini|let{_A}s go brandon|build back better|not in my name|"
    "vote blue no matter who|no blood for oil"
)
_SLOGAN_KNOWN = re.compile(_at_words(_KNOWN_SLOGANS) + r"\b", re.IGNORECASE)


def _written_as_slogan(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` is set off as a slogan: in capitals, capitalised at both ends
    ("Drain the Swamp"), right inside quote marks or after "#", or followed by "!"."""
    phrase = text[start:end]
    words = phrase.split()
    if phrase.isupper() or (words[0][0].isupper() and words[-1][0].isupper()):
        return True
    before, after = text[max(0, start - 1) : start], text[end : end + 2]
    return before in ("“", '"', "‘", "'", "#") or after[:1] == "!" or after[:2] in ("!”", '!"')


def _known_slogan_match(text: str, doc: Doc | None) -> Iterator[tuple[int, int]]:
    for found in _SLOGAN_KNOWN.finditer(text):
        if _written_as_slogan(text, found.start(), found.end()):
            yield found.start(), found.end()


_CAP = r"[A-Z][\w’'-]*"
_NAME = rf"{_CAP}(?:\s+{_CAP}){{0,3}}"
#: Chant forms: "Death to X", "Down with X", "Long live X", quoted "X First", "Stop X".
_SLOGAN_PATTERN = (
    rf"\b(?:Death|DEATH|Down|DOWN)\s+(?:to|TO|with|WITH)\s+(?:the\s+|THE\s+)?{_NAME}"
    rf"|\b(?:Long|LONG)\s+(?:live|LIVE)\s+(?:the\s+|THE\s+)?{_NAME}"
    rf"|(?<=[“\"‘'])(?:{_CAP}\s+)?{_CAP}\s+(?:First|FIRST)(?=[!.]?[”\"’'])"
    rf"|(?<=[“\"‘'])(?:Stop|STOP)\s+(?:the\s+|The\s+|THE\s+)?{_NAME}(?=[!.]?[”\"’'])"
    r"|(?<![\w/])#Stop[A-Z]\w+"
)


# --- Conversation_Killer ----------------------------------------------------------------------

#: Stock phrases that close a discussion instead of answering it (thought-terminating clichés).
_CONVERSATION_KILLER = (
    r"\bend of (?:story|discussion|debate)\b"
    r"|(?<=[.!?,;]\s)[Pp]eriod(?=[.!])"
    rf"|\bit(?:\s+is|{_A}s)\s+what\s+it\s+is\b"
    rf"|\b(?:enough|{_A}?nuff)\s+said\b"
    rf"|\bthere(?:\s+is|{_A}s)\s+nothing\s+(?:more\s+|else\s+)?to\s+"
    r"(?:discuss|debate|talk\s+about|see\s+here)\b"
    r"|\bcase\s+closed\b"
    r"|\bso\s+be\s+it\b"
    rf"|\bthere(?:\s+is|{_A}s)\s+no\s+going\s+back\b"
    r"|\bquestion\s+answers\s+itself\b"
    r"|\bthat\s+(?:says\s+it\s+all|tells\s+you\s+(?:everything|all\s+you\s+need\s+to\s+know))\b"
    r"|\bneed\s+I\s+say\s+more\b"
    r"|\bthe\s+(?:debate|discussion)\s+is\s+over\b"
    rf"|\bwhat{_A}s\s+done\s+is\s+done\b|\bwhat\s+is\s+done\s+is\s+done\b"
    r"|\brules\s+are\s+rules\b"
    rf"|\bthat{_A}s\s+(?:just\s+)?the\s+way\s+it\s+is\b"
    r"|\bbecause\s+I\s+said\s+so\b"
)


# --- The four techniques absent from the training data -----------------------------------------

#: Appeal_to_Time, urgency formulas: the argument is that the moment is now.
_TIME_URGENCY = (
    r"\bnow\s+or\s+never\b"
    r"|\btime\s+is\s+running\s+out\b"
    r"|\b(?:the\s+)?clock\s+is\s+ticking\b"
    rf"|\bbefore\s+it(?:\s+is|{_A}s)\s+too\s+late\b"
    r"|\b(?:there\s+is\s+)?no\s+time\s+to\s+(?:lose|waste)\b"
    r"|\bthe\s+window\s+(?:of\s+opportunity\s+)?is\s+closing\b"
    rf"|\bwe\s+(?:cannot|can{_A}?t)\s+afford\s+to\s+wait\b"
    r"|\b(?:we\s+)?(?:must|need\s+to|have\s+to)\s+act\s+now\b"
    r"|\bthis\s+is\s+no\s+time\s+(?:for|to)\b"
)
#: Appeal_to_Time, "the time has come": the timeliness itself is offered as the reason.
_TIME_HAS_COME = (
    r"\bthe\s+time\s+has\s+come\s+(?:to|for)\b"
    rf"|\bit(?:\s+is|{_A}s)\s+(?:high\s+)?time\s+(?:to|for|that)\b"
    r"|\bnow\s+is\s+the\s+time\s+(?:to|for)\b"
)
#: Consequential_Oversimplification (slippery slope): a first step said to lead, surely, to
#: a chain of worse ones.
_SLIPPERY_SLOPE = (
    r"\bslippery\s+slope\b"
    r"|\b(?:the\s+)?next\s+thing\s+you\s+know\b"
    r"|\b(?:will|would|must)\s+inevitably\s+(?:lead|result|end)\b"
    r"|\binevitably\s+leads?\s+to\b"
    r"|\bthin\s+end\s+of\s+the\s+wedge\b"
    r"|\bdomino\s+effect\b"
    r"|\bopen(?:s|ed|ing)?\s+the\s+floodgates\b"
    r"|\bopen(?:s|ed|ing)?\s+the\s+door\s+to\b[^.!?\n]{1,80}?,?\s+and\s+(?:then|soon|eventually|"
    r"before\s+long)\b"
    r"|\bif\s+(?:we|you|they)\s+(?:allow|let|accept|permit|tolerate)\b[^.!?\n]{1,80}?"
    r"\b(?:next|soon|eventually|before\s+long)\b[^.!?\n]{0,40}?\bwill\b"
    r"|\bwhere\s+(?:will|does)\s+it\s+(?:end|stop)\s*\?"
)
#: Appeal_to_Values, only its explicit form: defending, betraying or running against "our"
#: values by name. Freer forms ("in the name of freedom") are too often plain description.
_VALUE_NOUN = (
    r"(?:(?:shared|core|fundamental|basic|democratic|moral|Christian|Western|European|American|"
    r"traditional|family|common|founding|liberal)\s+)?(?:values|principles|ideals|way\s+of\s+life)"
)
_VALUES_APPEAL = (
    r"\b(?:defend|defends|defending|defended|uphold|upholds|upholding|upheld|protect|protects|"
    r"protecting|protected|preserve|preserves|preserving|preserved|betray|betrays|betraying|"
    r"betrayed|abandon|abandons|abandoning|abandoned|stand\s+up\s+for|stands\s+up\s+for|"
    r"standing\s+up\s+for|stood\s+up\s+for|true\s+to|faithful\s+to|"
    r"(?:run|runs|running|ran|go|goes|going|went)\s+(?:counter|contrary)\s+to|"
    r"(?:is|are|was|were)\s+(?:incompatible|at\s+odds)\s+with|an\s+affront\s+to|"
    rf"(?:is|are|was|were)\s+against)\s+our\s+(?:own\s+)?{_VALUE_NOUN}\b"
    rf"|\b(?:this|that|it)\s+is\s+(?:simply\s+|just\s+)?the\s+right\s+thing\s+to\s+do\b"
    rf"|\b(?:this|that|it){_A}s\s+(?:simply\s+|just\s+)?the\s+right\s+thing\s+to\s+do\b"
)
#: Questioning_the_Reputation: a bad record or character stated as a standing trait.
_BAD_RECORD = (
    r"lying|lies|racism|racist|bigotry|bigoted|antisemitism|anti-semitism|antisemitic|"
    r"anti-semitic|hate|hatred|hateful|hostility|corruption|corrupt|violence|violent|abuse|"
    r"abusive|fraud|fraudulent|deception|dishonesty|dishonest|misconduct|harassment|extremism|"
    r"extremist|scandals?|crimes?|criminal|criminality|cover-ups?|incompetence|failures?|"
    r"sexism|sexist|misogyny|intimidation|bullying"
)
_REPUTATION_ATTACK = (
    # A record that is bad by its adjective: "a sordid past of".
    r"\b(?:has|had|have|with)\s+(?:a|an)\s+(?:sordid|troubled|troubling|checkered|chequered|"
    r"shameful|disgraceful|dubious|shady|notorious)\s+(?:history|record|track\s+record|past)\s+"
    r"of\b"
    # A record that is bad by what it is of: "a (long) history of lying".
    r"|\b(?:has|had|have|with)\s+(?:a|an)\s+(?:(?:long|lengthy|documented|well-documented)\s+)?"
    rf"(?:history|record|track\s+record)\s+of\s+(?:{_BAD_RECORD})\b"
    r"|\b(?:serial|pathological|habitual|proven|known|notorious|compulsive)\s+liars?\b"
    r"|\b(?:has|have|had)\s+no\s+(?:moral\s+)?(?:credibility|integrity|shame|decency|"
    r"scruples|moral\s+compass|morals)\b"
    r"|\blost\s+(?:all|any)\s+(?:credibility|moral\s+authority)\b"
)


# --- Candidates: measured, dropped ------------------------------------------------------------


def _repeated_phrases(text: str, doc: Doc | None) -> Iterator[tuple[int, int]]:
    """Repetition as a surface rule: a lower-case phrase of 2-4 words, starting and ending with
    a content word, that the article already used; every occurrence after the first (gold marks
    the first only one time in ten). Longest phrases win."""
    words = [(m.start(), m.end(), normalise(m.group())) for m in WORD.finditer(text)]
    seen: dict[tuple[str, ...], int] = {}
    found: list[tuple[int, int]] = []
    for n in (4, 3, 2):
        for i in range(len(words) - n + 1):
            gram = words[i : i + n]
            if not (is_content(gram[0][2]) and is_content(gram[-1][2])):
                continue
            start, end = gram[0][0], gram[-1][1]
            if "\n" in text[start:end]:
                continue
            key = tuple(w for _, _, w in gram)
            if (
                key in seen
                and text[start].islower()
                and not any(s <= start and end <= e for s, e in found)
            ):
                found.append((start, end))
            seen.setdefault(key, start)
    yield from sorted(found)


_EPIZEUXIS = re.compile(r"\b([A-Za-z]{3,})(?:,\s+|\s+and\s+|,\s+and\s+)\1\b", re.IGNORECASE)


def _epizeuxis(text: str, doc: Doc | None) -> Iterator[tuple[int, int]]:
    """Repetition in a row: "waiting and waiting", "crazy, crazy"."""
    for found in _EPIZEUXIS.finditer(text):
        yield found.start(), found.end()


_DETERMINER = r"(?:the|a|an|their|his|her|its|our|this|these|those)"
_SHORT_QUOTED = r"(?:“[^“”\n,.!?]{1,30}”|\"[^\"\n,.!?]{1,30}\"|‘[^‘’\n,.!?]{1,30}’(?![a-z]))"

# --- The rules --------------------------------------------------------------------------------


def _rule(
    rule_id: str, technique: str, description: str, score: float | None, match: Matcher
) -> Rule:
    if technique not in TECHNIQUES:
        raise ValueError(f"rule {rule_id!r}: unknown technique {technique!r}")
    measured = score is not None
    return Rule(
        rule_id, technique, description, score if score is not None else PRIOR, measured, match
    )


_I = re.IGNORECASE

#: The rules `find` runs, by id. Scores are the benchmark's training precision (or `PRIOR`).
RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in [
        _rule(
            "loaded_lexicon",
            "Loaded_Language",
            "a word gold marks as loaded most times it occurs (learned lexicon)",
            0.54,
            _shipped_lexicon_match,
        ),
        _rule(
            "affect_adjective",
            "Loaded_Language",
            "an adjective before a noun that a general affect lexicon (AFINN-165) rates strongly "
            "negative, unless training shows it mostly plain (learned exclusions)",
            0.47,
            _shipped_affect_match,
        ),
        _rule(
            "slogan_known",
            "Slogans",
            "a well-known political slogan (Make America Great Again, Drain the Swamp, ...)",
            0.55,
            _known_slogan_match,
        ),
        _rule(
            "slogan_pattern",
            "Slogans",
            'a chant form: Death to X, Long live X, quoted "X First" or "Stop X", #StopX',
            0.81,
            _regex(_SLOGAN_PATTERN),
        ),
        _rule(
            "conversation_killer",
            "Conversation_Killer",
            "a stock phrase that closes debate (end of story, so be it, it is what it is, ...)",
            0.80,
            _regex(_at_words(_CONVERSATION_KILLER), _I),
        ),
        _rule(
            "time_urgency",
            "Appeal_to_Time",
            "an urgency formula (now or never, time is running out, before it is too late)",
            None,
            _regex(_at_words(_TIME_URGENCY), _I),
        ),
        _rule(
            "time_has_come",
            "Appeal_to_Time",
            "the moment offered as the reason (it is time to, the time has come to/for)",
            None,
            _regex(_at_words(_TIME_HAS_COME), _I),
        ),
        _rule(
            "slippery_slope",
            "Consequential_Oversimplification",
            "a slippery-slope cue (slippery slope, the next thing you know, inevitably lead)",
            None,
            _regex(_at_words(_SLIPPERY_SLOPE), _I),
        ),
        _rule(
            "values_appeal",
            "Appeal_to_Values",
            "defending or betraying 'our values/principles/way of life'; 'the right thing to do'",
            None,
            _regex(_at_words(_VALUES_APPEAL), _I),
        ),
        _rule(
            "reputation_attack",
            "Questioning_the_Reputation",
            "a bad record or character as a trait (a long history of, serial liar, no integrity)",
            None,
            _regex(_at_words(_REPUTATION_ATTACK), _I),
        ),
    ]
}

#: Rules built and measured, then dropped for low training precision; `find` never runs them.
CANDIDATES: dict[str, Rule] = {
    rule.id: rule
    for rule in [
        _rule(
            "repetition_phrase",
            "Repetition",
            "a lower-case content phrase of 2-4 words the article already used (later uses)",
            0.05,
            _repeated_phrases,
        ),
        _rule(
            "repetition_epizeuxis",
            "Repetition",
            "a word repeated in a row: 'waiting and waiting', 'crazy, crazy'",
            0.06,
            _epizeuxis,
        ),
        _rule(
            "so_called",
            "Name_Calling-Labeling",
            "'so-called' and the phrase it qualifies",
            0.20,
            _regex(
                r"\bso[- ]called\s+(?:" + _SHORT_QUOTED + r"|[\w’'-]+(?:\s+[\w’'-]+){0,2})",
                _I,
            ),
        ),
        _rule(
            "scare_quotes",
            "Name_Calling-Labeling",
            "a 1-3 word phrase in quote marks after a determiner: the 'experts'",
            0.16,
            _regex(rf"\b{_DETERMINER}\s+(?P<span>{_SHORT_QUOTED})", _I),
        ),
        _rule(
            "whataboutism_cue",
            "Whataboutism",
            "'what about X?', 'nobody asks'",
            0.25,
            _regex(
                r"\bwhat\s+about\b[^.?!\n]{1,100}\?"
                rf"|\b(?:nobody|no\s+one|don{_A}?t\s+nobody)\s+(?:ever\s+)?"
                r"(?:asks?|talks?\s+about|mentions?)\b",
                _I,
            ),
        ),
        _rule(
            "slogan_hashtag",
            "Slogans",
            "a hashtag",
            0.06,
            _regex(r"(?<![\w/])#[A-Za-z]\w+"),
        ),
        _rule(
            "slogan_caps",
            "Slogans",
            "two or more words in capitals ending in '!'",
            0.2,
            _regex(r"\b[A-Z][A-Z’']+(?:[ ,]+[A-Z][A-Z’']+){1,6}!+"),
        ),
    ]
}


def find(text: str, doc: Doc | None = None, rules: Mapping[str, Rule] = RULES) -> list[RuleHit]:
    """Every span the kept rules find in an article, sorted by offset. `doc` (the spaCy parse of
    `text`) is what rules of syntax read (`affect_adjective`); without it they find nothing. Two
    rules finding the very same span for one technique give one hit, the higher-scored."""
    best: dict[tuple[str, int, int], RuleHit] = {}
    for rule in rules.values():
        for hit in rule.hits(text, doc):
            key = (hit.technique, hit.start, hit.end)
            if key not in best or hit.score > best[key].score:
                best[key] = hit
    return sorted(best.values(), key=lambda h: (h.start, h.end, h.technique, h.rule))
