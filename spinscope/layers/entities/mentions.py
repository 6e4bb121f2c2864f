"""Entity mentions: every name, group, title and pronoun in an article that refers to one
entity, gathered into one cluster per entity.

Sources, in document order:
- spaCy's named entities of the kinds a story casts (people, organisations, countries and
  cities, nationalities). Names are resolved as the quotes layer resolves speakers
  (`spinscope.layers.quotes.speakers.EntityIndex`): "Stoltenberg" joins "Jens Stoltenberg"
  even where spaCy calls it an organisation;
- nationalities as groups: "Ukrainians", "the Ukrainian people", "Ukrainian lives" are one
  group; an adjective before any other noun ("Ukrainian President …") is not a mention of it;
- the quotes layer's resolved speakers: "he", "the NATO secretary general" join the entity
  they were resolved to;
- descriptions of an organisation ("the alliance", "the US-led bloc", "the organization")
  join the organisation mentioned most often before them.

Spelling variants of one country are one entity ("US", "U.S.", "the United States"). A
country's capital or seat of government stands for the country where the article names the
country too ("Moscow has also insisted …", "Kremlin spokesman …", "Kiev may have to seek a
peace deal"): those mentions join the country's entity, except where the capital is a place
("talks in Moscow": the rule is `spinscope.places`). An organisation named with a country's
possessive is that country's ("Russia’s Defense Ministry", not "Defense Ministry").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from spinscope.document import Quote
from spinscope.layers.quotes.speakers import EntityIndex, name_tokens
from spinscope.places import METONYMS, is_place, place_key

Kind = Literal["person", "group", "organisation", "place"]

_KINDS: dict[str, Kind] = {
    "PERSON": "person",
    "NORP": "group",
    "ORG": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
}
#: Nouns that make a nationality a group of people: "the Ukrainian people".
GROUP_NOUNS = frozenset("people peoples citizens civilians population public nation lives".split())
#: Nouns that, after "the", stand for an organisation named before: "the alliance" for NATO.
ORGANISATION_NOUNS = frozenset("alliance bloc organization organisation".split())


@dataclass
class Cluster:
    """One entity: its name, kind and the `(start, end)` offsets of every mention, in order."""

    name: str
    kind: Kind
    mentions: list[tuple[int, int]] = field(default_factory=list)

    def add(self, start: int, end: int) -> None:
        if not any(s < end and start < e for s, e in self.mentions):
            self.mentions.append((start, end))
            self.mentions.sort()


def find_clusters(doc: Doc, quotes: Sequence[Quote] = ()) -> list[Cluster]:
    """The entities of a parsed article with all their mentions, in order of first mention."""
    index = EntityIndex.build(doc)
    clusters: dict[str, Cluster] = {}
    for ent in doc.ents:
        found = _mention(ent, index)
        if found is None:
            continue
        key, name, kind, start, end = found
        cluster = clusters.get(key)
        if cluster is None:
            cluster = clusters[key] = Cluster(name, kind)
        elif kind == "group" and " " not in name:
            cluster.name = name  # "Ukrainians" names the group better than "Ukrainian people"
        cluster.add(start, end)
    _merge_misread_places(clusters)
    _add_descriptions(doc, [c for c in clusters.values() if c.kind == "organisation"])
    by_name = {c.name: c for c in clusters.values()}
    for quote in quotes:
        if quote.speaker is None or quote.speaker_entity is None:
            continue
        target = clusters.get(place_key(quote.speaker_entity)) or by_name.get(quote.speaker_entity)
        if target is not None:
            target.add(quote.speaker.start, quote.speaker.end)
    _merge_metonyms(doc, clusters)  # speakers first: "Moscow has insisted" is Russia too
    return sorted(clusters.values(), key=lambda c: c.mentions[0])


def _merge_misread_places(clusters: dict[str, Cluster]) -> None:
    """A one-word "person" that is also a place or organisation ("Kiev", read as PERSON in some
    sentences), or a capital (`METONYMS`), is that place: its mentions move there."""
    for key in [k for k in clusters if k.startswith("person:") and " " not in k]:
        place = place_key(key.removeprefix("person:"))
        other = clusters.get(place)
        if other is None and place in METONYMS:
            other = clusters[place] = Cluster(clusters[key].name, "place")
        if other is not None:
            for start, end in clusters.pop(key).mentions:
                other.add(start, end)


def _merge_metonyms(doc: Doc, clusters: dict[str, Cluster]) -> None:
    """A capital or seat of government (`METONYMS`) stands for its country where the article
    names the country too: its mentions join the country's, but those that are places (the
    object of "in", "at", …: `spinscope.places.is_place`), which stay the capital's."""
    for key, country in METONYMS.items():
        capital, nation = clusters.get(key), clusters.get(country)
        if capital is None or nation is None or capital.kind == "person":
            continue
        places = []
        for start, end in capital.mentions:
            span = doc.char_span(start, end, alignment_mode="expand")
            root = span.root if span is not None and len(span) else None
            if root is not None and is_place(root):
                places.append((start, end))
            else:
                nation.add(start, end)
        if places:
            capital.mentions = places
        else:
            del clusters[key]


def _add_descriptions(doc: Doc, organisations: list[Cluster]) -> None:
    """Add "the alliance", "the US-led bloc" to the organisation mentioned most often before them
    (ties: the one named first): the story's main organisation, not whichever came last
    ("Kremlin spokesman Dmitry Peskov … the bloc's Secretary General" is NATO's)."""
    for token in doc:
        if token.lower_ not in ORGANISATION_NOUNS or token.pos_ != "NOUN" or token.ent_type_:
            continue
        modifiers = [t for t in token.lefts if t.dep_ in ("det", "amod", "compound", "npadvmod")]
        first = min(modifiers, key=lambda t: t.i, default=token)
        if first.lower_ != "the":
            continue
        seen = [
            (sum(start < first.idx for start, _ in c.mentions), -c.mentions[0][0], c)
            for c in organisations
            if c.mentions[0][0] < first.idx
        ]
        if seen:
            max(seen, key=lambda found: found[:2])[2].add(first.idx, _end(token))


def _mention(ent: SpacySpan, index: EntityIndex) -> tuple[str, str, Kind, int, int] | None:
    """`(key, name, kind, start, end)` of a named entity, or None when it is not one a story
    casts. Leading "the" and a trailing possessive are left out of the mention."""
    kind = _KINDS.get(ent.label_)
    tokens = [t for t in ent if t.tag_ != "POS" and t.lower_ != "the"]
    if kind is None or not tokens:
        return None
    if kind == "group":
        return _group(tokens)
    tokens = name_tokens(tokens)
    name, person = index.resolve_name(tokens)
    if person or kind == "person":
        return f"person:{name}", name, "person", tokens[0].idx, _end(tokens[-1])
    owner = _owner(tokens[0]) if kind == "organisation" else None
    if owner is not None:
        name = f"{owner}{tokens[0].doc[tokens[0].i - 1].text_with_ws}{name}"
    return place_key(name), name, kind, tokens[0].idx, _end(tokens[-1])


def _owner(first: Token) -> str | None:
    """The country whose possessive comes right before an organisation's name ("Russia’s" in
    "Russia’s Defense Ministry"), or None."""
    doc = first.doc
    if first.i < 2 or doc[first.i - 1].tag_ != "POS":
        return None
    owner = doc[first.i - 2]
    if owner.ent_type_ != "GPE":
        return None
    ent = next((e for e in doc.ents if e.start <= owner.i < e.end), None)
    return ent.text if ent is not None else owner.text


def _group(tokens: list[Token]) -> tuple[str, str, Kind, int, int] | None:
    """A nationality as a group of people: "Ukrainians", or "the Ukrainian people"."""
    last = tokens[-1]
    key = "group:" + " ".join(t.lower_ for t in tokens).removesuffix("s")
    if last.tag_ in ("NNPS", "NNS") or last.dep_ not in ("amod", "compound"):
        return key, _text(tokens), "group", tokens[0].idx, _end(last)
    head = last.head
    if head.lower_ not in GROUP_NOUNS or head.i != last.i + 1:
        return None
    start = tokens[0].idx
    if tokens[0].i > 0 and tokens[0].doc[tokens[0].i - 1].lower_ == "the":
        start = tokens[0].doc[tokens[0].i - 1].idx
    return key, f"{_text(tokens)} {head.text}", "group", start, _end(head)


def _text(tokens: list[Token]) -> str:
    return "".join(t.text_with_ws for t in tokens).strip()


def _end(token: Token) -> int:
    return token.idx + len(token.text)
