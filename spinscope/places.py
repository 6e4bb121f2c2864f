"""Places as news names them: spellings of one country, and the capitals and seats of
government that stand for it ("Moscow has insisted …", "the Kremlin said …").

The rule, shared by speaker resolution and entity mentions so that the two always agree:
a capital or seat of government in `METONYMS` is its country where the article names that
country too, unless it is a place there (the object of "in", "at", … `PLACE_PREPOSITIONS`:
"talks in Moscow"). An article that never names the country keeps the capital as its own
entity ("the Kremlin").
"""

from __future__ import annotations

from spacy.tokens import Doc, Token

#: Spellings of one place or body, by their lower-cased, dot-less form → one key.
ALIASES = {
    "us": "united states",
    "usa": "united states",
    "america": "united states",
    "united states of america": "united states",
    "uk": "united kingdom",
    "britain": "united kingdom",
    "great britain": "united kingdom",
    "kiev": "kyiv",
    "eu": "european union",
    "un": "united nations",
}
#: Capitals and seats of government that stand for their country (by `place_key`), as news writes
#: "Moscow said" for Russia's government.
METONYMS = {
    "moscow": "russia",
    "kremlin": "russia",
    "kyiv": "ukraine",
    "washington": "united states",
    "white house": "united states",
    "beijing": "china",
    "london": "united kingdom",
    "downing street": "united kingdom",
    "whitehall": "united kingdom",
    "paris": "france",
    "elysee": "france",
    "élysée": "france",
    "berlin": "germany",
    "rome": "italy",
    "madrid": "spain",
    "warsaw": "poland",
    "budapest": "hungary",
    "minsk": "belarus",
    "chisinau": "moldova",
    "tbilisi": "georgia",
    "yerevan": "armenia",
    "baku": "azerbaijan",
    "ankara": "turkey",
    "tehran": "iran",
    "damascus": "syria",
    "baghdad": "iraq",
    "riyadh": "saudi arabia",
    "cairo": "egypt",
    "kabul": "afghanistan",
    "islamabad": "pakistan",
    "new delhi": "india",
    "tokyo": "japan",
    "seoul": "south korea",
    "pyongyang": "north korea",
    "taipei": "taiwan",
    "ottawa": "canada",
    "canberra": "australia",
    "caracas": "venezuela",
    "havana": "cuba",
    "brussels": "european union",
    "helsinki": "finland",
    "stockholm": "sweden",
    "belgrade": "serbia",
}
#: A capital that is the object of one of these prepositions is a place, not its country.
PLACE_PREPOSITIONS = frozenset(
    "in at near inside outside around across within into throughout".split()
)


def place_key(name: str) -> str:
    """One key for every spelling of a place or body: "U.S.", "US", "the United States"."""
    plain = name.lower().replace(".", "").removeprefix("the ").strip()
    return ALIASES.get(plain, plain)


def is_place(root: Token) -> bool:
    """Whether a mention (by its root token) is a place there, not a government: "in Moscow"."""
    return root.dep_ == "pobj" and root.head.lower_ in PLACE_PREPOSITIONS


def countries(doc: Doc) -> dict[str, str]:
    """The countries an article names, by `place_key`, each as it first writes it."""
    named: dict[str, str] = {}
    for ent in doc.ents:
        if ent.label_ == "GPE":
            text = "".join(t.text_with_ws for t in ent if t.tag_ != "POS" and t.lower_ != "the")
            named.setdefault(place_key(text), text.strip())
    return named
