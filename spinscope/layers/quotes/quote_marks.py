"""Quote marks: pairing them into quoted stretches, in every style news uses.

“ ” and " " (English), ‘ ’ (single, told apart from apostrophes), « » (French), „ “ (German),
the typewriter pairs of two characters that news archives keep (''…'' and ``…'', as in the New
York Times articles of PolNeAR), and the mixes that real pages contain (“…," or “…,“). Marks
pair within a paragraph; a quote opened at a paragraph's start and never closed runs to the
paragraph's end (the convention for quotes spanning paragraphs); any other unpaired mark is
reported as a warning and left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from spinscope.document import Span

_OPENERS = {
    "''": "double",
    "``": "double",
    "“": "double",
    "„": "double",
    "«": "double",
    '"': "double",
    "‘": "single",
    "‚": "single",
}
_CLOSERS = {
    "''": "double",
    "”": "double",
    "“": "double",
    "»": "double",
    '"': "double",
    "’": "single",
    "‘": "single",
}
#: Double quote marks written with two characters: ''…'' and ``…''.
_TYPEWRITER = ("''", "``")


@dataclass(frozen=True)
class QuoteMarks:
    """A quoted stretch: `start`/`end` include the marks, `inner_*` exclude them."""

    start: int
    end: int
    inner_start: int
    inner_end: int


def find_quote_marks(
    text: str, paragraphs: list[Span], offset: int = 0
) -> tuple[list[QuoteMarks], list[str]]:
    """Pair quote marks within each paragraph. Returns the regions and warnings about marks
    that could not be paired (naming their offsets plus `offset`: a window's place in its
    article). A quote opened at a paragraph's start and never closed runs to the paragraph's
    end (the news convention for quotes spanning paragraphs)."""
    regions: list[QuoteMarks] = []
    warnings: list[str] = []
    for paragraph in paragraphs:
        stack: list[tuple[str, str, int]] = []  # (style, opener, offset)
        i = paragraph.start
        while i < paragraph.end:
            ch = _mark_at(text, i, paragraph.end)
            before = text[i - 1] if i > 0 else " "
            after = text[i + len(ch)] if i + len(ch) < len(text) else " "
            if ch == "''" and text[i + 2 : i + 3] == "'" and _can_close(ch, before, "'", stack):
                i += 1  # ,''' he recalled: a single quote closes first, the last two close
                continue
            if ch in _CLOSERS and _can_close(ch, before, after, stack):
                style = _CLOSERS[ch]
                while stack and stack[-1][0] != style:
                    stack.pop()
                _, opener, start = stack.pop()
                regions.append(QuoteMarks(start, i + len(ch), start + len(opener), i))
            elif ch in _OPENERS and _can_open(ch, before, after):
                stack.append((_OPENERS[ch], ch, i))
            elif ch in ("”", "»", "''") and not stack:
                warnings.append(f"unpaired closing quote mark {ch!r} at offset {offset + i}")
            i += len(ch)
        for style, opener, start in stack:
            if style == "double" and start == paragraph.start:
                regions.append(QuoteMarks(start, paragraph.end, start + len(opener), paragraph.end))
            elif style == "double":
                warnings.append(
                    f"unpaired opening quote mark {opener!r} at offset {offset + start}; "
                    f"left unquoted"
                )
    regions.sort(key=lambda r: r.start)
    return regions, warnings


def _mark_at(text: str, i: int, end: int) -> str:
    """The quote mark that may begin at offset `i` of a paragraph ending at `end`: a typewriter
    pair of two characters, else the one character there."""
    pair = text[i : i + 2]
    return pair if pair in _TYPEWRITER and i + 2 <= end else text[i]


def _can_open(ch: str, before: str, after: str) -> bool:
    if ch in _TYPEWRITER:  # not inside a word, and followed by what is quoted
        return not before.isalnum() and not after.isspace()
    if ch == "‘":
        return not before.isalnum()
    if ch in "\"'":
        return not before.isalnum() and not after.isspace()
    return True


def _can_close(ch: str, before: str, after: str, stack: list[tuple[str, str, int]]) -> bool:
    style = _CLOSERS[ch]
    if not any(s == style for s, _, _ in stack):
        return False
    if ch == "''":  # closes a typewriter opener only, right after what is quoted
        return stack[-1][1] in _TYPEWRITER and not before.isspace()
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


def inside_any(span: tuple[int, int], regions: list[QuoteMarks]) -> bool:
    """Whether the span lies within the marks of one of the regions."""
    return any(r.inner_start <= span[0] and span[1] <= r.inner_end for r in regions)
