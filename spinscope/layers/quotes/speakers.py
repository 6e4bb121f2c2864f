"""Speaker resolution: from a mention in one sentence ("he", "Peskov", "the NATO secretary
general", "Moscow") to the entity the article means ("Dmitry Peskov", "Jens Stoltenberg", ...).

spaCy's small English NER mislabels names in news ("Stoltenberg" as GPE, "Kiev" as PERSON), so
names are read off the parse as runs of proper nouns, and NER labels only break ties. A
capital or seat of government speaks for its country where the article names the country
("Moscow has also insisted" → Russia: `spinscope.places`), as in the entity mentions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from spinscope.places import METONYMS, countries, is_place, place_key

PERSON_PRONOUNS = frozenset({"he", "she", "him", "her"})
GROUP_PRONOUNS = frozenset({"they", "them", "it"})
_PREFIX_TITLES = frozenset(
    {
        "mr",
        "mr.",
        "mrs",
        "mrs.",
        "ms",
        "ms.",
        "dr",
        "dr.",
        "sen",
        "sen.",
        "rep",
        "rep.",
        "gov",
        "gov.",
        "gen",
        "gen.",
        "prof",
        "prof.",
    }
)
# Words that look like proper nouns at a sentence start but never name a speaker.
_NOT_NAMES = frozenset({"mr", "mrs", "ms", "dr", "the"})


def proper_run(tokens: list[Token]) -> list[Token]:
    """The longest run of proper nouns (with inner possessives: "Russia’s Defense Ministry")."""
    best: list[Token] = []
    run: list[Token] = []
    for token in tokens:
        joins = (
            token.tag_ == "POS"
            and bool(run)
            and token.i + 1 < len(token.doc)
            and (token.doc[token.i + 1].pos_ == "PROPN")
        )
        if token.pos_ == "PROPN" or joins:
            run.append(token)
        else:
            run = []
        if len(run) > len(best):
            best = list(run)
    while best and best[-1].tag_ == "POS":
        best.pop()
    return best


def name_tokens(tokens: list[Token]) -> list[Token]:
    """The tokens of a name without a word the NER took into it at the start of a sentence: a
    verb's -ing form, capitalised there ("Injecting Clinton’s marital troubles into the
    campaign is …" names Clinton, not "Injecting Clinton")."""
    while (
        len(tokens) > 1
        and tokens[0].is_sent_start
        and len(tokens[0]) >= 6
        and tokens[0].lower_.endswith("ing")
    ):
        tokens = tokens[1:]
    return tokens


def _name_text(tokens: list[Token]) -> str:
    return "".join(t.text_with_ws for t in tokens).strip()


@dataclass
class Entity:
    name: str
    person: bool
    first: int  # character offset of the first mention
    roles: list[set[str]] = field(default_factory=list)  # lower-cased words of each role


@dataclass
class EntityIndex:
    """Names and roles the article introduces, in order of first mention."""

    entities: dict[str, Entity] = field(default_factory=dict)
    surnames: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, doc: Doc) -> EntityIndex:
        index = cls()
        for ent in doc.ents:
            if ent.label_ == "PERSON":
                index._add_person(ent)
        return index

    def _add_person(self, ent: SpacySpan) -> None:
        tokens = name_tokens([t for t in ent if t.tag_ != "POS" and t.lower_ not in _PREFIX_TITLES])
        if len(tokens) < 2:
            return  # a lone name is resolved against full names, not added as one
        name = _name_text(tokens)
        entity = self.entities.get(name)
        if entity is None:
            entity = self.entities[name] = Entity(name, True, ent.start_char)
        self.surnames[tokens[-1].lower_] = name
        role = _role_words(ent)
        if role:
            entity.roles.append(role)

    def resolve_name(self, tokens: list[Token]) -> tuple[str, bool]:
        """The entity a run of proper nouns names, and whether it is a person."""
        clean = name_tokens([t for t in tokens if t.lower_ not in _PREFIX_TITLES])
        if not clean:
            clean = name_tokens(tokens)
        name = _name_text(clean)
        if name in self.entities:
            return name, True
        if clean[-1].lower_ in self.surnames and clean[-1].tag_ != "POS":
            full = self.surnames[clean[-1].lower_]
            # "Clinton" → "Hillary Clinton", but not "Bill Clinton" → "Hillary Clinton".
            if len(clean) == 1 or full.lower().startswith(clean[0].lower_):
                return full, True
        person = any(t.ent_type_ == "PERSON" for t in clean)
        if name.lower().startswith("the "):
            name = name[4:]
        return name, person

    def resolve_role(self, head: Token, before: int) -> str | None:
        """The person most recently given a role whose words cover the mention's head noun."""
        best: Entity | None = None
        for entity in self.entities.values():
            if entity.first >= before or not entity.person:
                continue
            for role in entity.roles:
                matches = head.lower_ in role or head.lemma_.lower() in role
                if matches and (best is None or entity.first > best.first):
                    best = entity
        return best.name if best else None


def _role_words(ent: SpacySpan) -> set[str]:
    """Words giving a person's role: the modifiers before the name in its noun phrase
    ("Kremlin spokesman Dmitry Peskov", "the bloc’s Secretary General Jens Stoltenberg") and
    appositions ("Dmitry Peskov, the Kremlin spokesman")."""
    root = ent.root
    words: set[str] = set()
    for token in root.lefts:
        if token.i >= ent.start:
            continue
        for t in token.subtree:
            if t.i < ent.start and t.is_alpha and t.pos_ in ("NOUN", "PROPN", "ADJ"):
                words.add(t.lower_)
    for token in root.rights:
        if token.dep_ == "appos":
            words |= {
                t.lower_ for t in token.subtree if t.is_alpha and t.pos_ in ("NOUN", "PROPN", "ADJ")
            }
    return words


@dataclass(frozen=True)
class Resolution:
    entity: str | None
    person: bool


class SpeakerResolver:
    """Resolves speaker mentions in document order, remembering the last speakers for pronouns."""

    def __init__(self, doc: Doc) -> None:
        self.index = EntityIndex.build(doc)
        self.countries = countries(doc)
        self.last_person: str | None = None
        self.last_group: str | None = None

    def resolve(self, mention: list[Token]) -> Resolution:
        result = self._country(self._resolve(mention), mention)
        if result.entity:
            if result.person:
                self.last_person = result.entity
            else:
                self.last_group = result.entity
        return result

    def _country(self, result: Resolution, mention: list[Token]) -> Resolution:
        """The country a capital speaks for ("the Kremlin": Russia) where the article names it."""
        if result.person or not result.entity or not mention:
            return result
        country = METONYMS.get(place_key(result.entity))
        if country not in self.countries or is_place(_head(mention)):
            return result
        return Resolution(self.countries[country], False)

    def _resolve(self, mention: list[Token]) -> Resolution:
        if not mention:
            return Resolution(None, False)
        head = _head(mention)
        if head.pos_ == "PRON":
            lower = head.lower_
            if lower in PERSON_PRONOUNS:
                return Resolution(self.last_person, True)
            if lower in GROUP_PRONOUNS:
                return Resolution(self.last_group, False)
            return Resolution(None, False)
        person = [t for t in mention if t.ent_type_ == "PERSON" and t.tag_ != "POS"]
        if len(person) >= 2 and person[-1].i - person[0].i == len(person) - 1:
            # "Kremlin spokesman Dmitry Peskov": the person's name, not the whole phrase
            name, _ = self.index.resolve_name(person)
            return Resolution(name, True)
        run = proper_run(mention)
        if run and len(run) == 1 and run[0].lower_ in _NOT_NAMES:
            run = []
        if run and (head in run or head.pos_ == "PROPN" or _head(run).dep_ == "appos"):
            # "Peskov", "Russia’s Defense Ministry", "the mayor, Ana Ruiz,"
            name, person_name = self.index.resolve_name(run)
            return Resolution(name, person_name)
        determiner = mention[0].lower_
        if determiner in ("the", "this", "that") or any(t.dep_ == "poss" for t in mention):
            # "the NATO secretary general": the person the article gave that role
            entity = self.index.resolve_role(head, mention[0].idx)
            if entity:
                return Resolution(entity, True)
        if run and _affiliation(run):
            # "a spokesman for the Kremlin", "estimates by Russia’s Defense Ministry": the
            # named organisation behind the speaker
            name, person_name = self.index.resolve_name(run)
            return Resolution(name, person_name)
        if mention[0].lower_ in ("the", "this") and head.lemma_.lower() in INSTITUTIONS:
            # "the county health department", "the Justice Department": a named institution
            return Resolution(_name_text(mention[1:]), False)
        return Resolution(None, False)


#: Heads of definite descriptions that name one institution ("the county health department").
INSTITUTIONS = frozenset(
    """department ministry office agency police court commission council government
    administration committee company authority service bureau board parliament senate
    congress army military embassy university hospital prosecutor""".split()
)

_AFFILIATION_PREPOSITIONS = frozenset({"by", "for", "from", "at", "with", "in"})


def _affiliation(run: list[Token]) -> bool:
    """Whether a name in a mention is the speaker's organisation ("a spokesman for the
    Kremlin") rather than a mere modifier ("the failure of Ukraine’s army")."""
    root = _head(run)
    return root.dep_ == "pobj" and root.head.lower_ in _AFFILIATION_PREPOSITIONS


def _head(tokens: list[Token]) -> Token:
    ids = {t.i for t in tokens}
    for token in tokens:
        if token.head.i not in ids or token.head.i == token.i:
            return token
    return tokens[-1]
