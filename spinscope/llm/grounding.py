"""Grounding: the strings a model returns, found in the article text. Offsets always come
from the text; a string that is not there gives no span."""

from __future__ import annotations

from spinscope.document import Span

#: Characters a model writes in place of the article's: curly quotes, guillemets and primes as
#: ASCII quote marks, dashes and minus as a hyphen.
_FOLD = str.maketrans(
    dict.fromkeys("“”„‟«»″", '"') | dict.fromkeys("‘’‚‛′", "'") | dict.fromkeys("‐‑‒–—―−", "-")
)


def _normalised(text: str) -> tuple[str, list[int]]:
    """`text` with each run of whitespace as one space and `_FOLD` applied, and for each of
    its characters the offset in `text` it comes from."""
    chars: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        if char.isspace():
            if chars and chars[-1] == " ":
                continue
            char = " "
        chars.append(char.translate(_FOLD))
        origin.append(i)
    return "".join(chars), origin


class Grounder:
    """Finds the strings a model returns in the article text: exactly, else after `_normalised`
    on both sides. Every span it gives is `Span.of(text, …)`, so its offsets are the text's."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._normal, self._origin = _normalised(text)

    def first(self, quote: str) -> Span | None:
        """The first place `quote` stands in the text, or None."""
        found = self._find(quote, whole_words=False)
        return found[0] if found else None

    def every(self, mention: str) -> list[Span]:
        """Every place `mention` stands in the text as whole words ("US" not in "USA")."""
        return self._find(mention, whole_words=True)

    def _find(self, needle: str, whole_words: bool) -> list[Span]:
        needle = needle.strip()
        if not needle:
            return []
        ranges = _ranges(self.text, needle)
        if not ranges:
            origin = self._origin
            normal = _normalised(needle)[0]
            ranges = [(origin[s], origin[e - 1] + 1) for s, e in _ranges(self._normal, normal)]
        return [
            Span.of(self.text, start, end)
            for start, end in ranges
            if not whole_words or self._bounded(start, end)
        ]

    def _bounded(self, start: int, end: int) -> bool:
        text = self.text
        return (start == 0 or not text[start - 1].isalnum()) and (
            end == len(text) or not text[end].isalnum()
        )


def _ranges(haystack: str, needle: str) -> list[tuple[int, int]]:
    ranges = []
    start = haystack.find(needle)
    while start >= 0:
        ranges.append((start, start + len(needle)))
        start = haystack.find(needle, start + 1)
    return ranges
