"""How findings read in every view (the terminal summary, the HTML report): a speaker's
name, a quote's words, a technique's label, claims ranked by check-worthiness, techniques in
order, the entities an article casts."""

from __future__ import annotations

from spinscope.document import Analysis, Claim, Entity, Quote, Role, Technique
from spinscope.taxonomy import ROLES


def shorten(text: str, width: int = 120) -> str:
    """`text` on one line, cut at a word boundary to at most `width` characters (with `…`)."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    cut = flat[: width - 1]
    space = cut.rfind(" ")
    if space > width // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"


def speaker_name(quote: Quote) -> str:
    """Who a quote is attributed to (`Quote.attributed_to`), else `unattributed`."""
    return quote.attributed_to or "unattributed"


def speaker_mention(quote: Quote) -> str | None:
    """The speaker's mention in the text ("he", "the NATO chief") where it tells more than the
    name it is shown under: not where one holds all the words of the other ("Peskov")."""
    if quote.speaker is None:
        return None
    mention = " ".join(quote.speaker.text.split())
    mention_words = set(mention.casefold().split())
    name_words = set(speaker_name(quote).casefold().split())
    if mention_words <= name_words or name_words <= mention_words:
        return None
    return mention


def quote_text(quote: Quote) -> str:
    """The reported content of a quote, its pieces joined with ` … `."""
    return " … ".join(span.text for span in quote.content)


def technique_label(name: str) -> str:
    """A technique's name for readers: `Name_Calling-Labeling` -> `Name Calling/Labeling`."""
    return name.replace("_", " ").replace("-", "/")


def ranked_claims(analysis: Analysis) -> list[tuple[int, Claim]]:
    """The claims with their indexes, the most check-worthy first: by `score` descending,
    claims without a score after those with one, ties in text order."""

    def key(item: tuple[int, Claim]) -> tuple[bool, float, int, int]:
        i, claim = item
        score = claim.score
        return (score is None, -(score or 0.0), claim.span.start, i)

    return sorted(enumerate(analysis.claims), key=key)


def techniques_in_order(analysis: Analysis) -> list[tuple[int, Technique]]:
    """The technique spans with their indexes, in text order (start, then end, then name)."""
    return sorted(
        enumerate(analysis.techniques),
        key=lambda item: (item[1].start, item[1].end, item[1].technique, item[0]),
    )


def techniques_present(analysis: Analysis) -> list[str]:
    """The names of the techniques found, each once, in order of first appearance."""
    return list(dict.fromkeys(found.technique for _, found in techniques_in_order(analysis)))


def cast(analysis: Analysis) -> list[tuple[int, Entity, Role]]:
    """The entities the article casts in a role, with their indices and roles: by main role
    (Protagonist, Antagonist, Innocent), then the surest first."""
    order = {main: k for k, main in enumerate(ROLES)}
    roled = [(i, e, e.role) for i, e in enumerate(analysis.entities) if e.role is not None]
    return sorted(roled, key=lambda item: (order[item[2].main], -(item[2].score or 0), item[0]))
