"""Attributions in brat standoff (`.ann`), as PolNeAR stores them: read gold, write predictions.

Offsets are character offsets (end exclusive) into the article file decoded as UTF-8 with no
newline translation, which `read_text` does. Checked on every span of PolNeAR train and dev:
the offsets count characters, not bytes, and the files use `\\n` line ends. A discontinuous span
is written `start end;start end`, its text the fragments joined by one space, fragments in the
order given (PolNeAR has some out of order).

    T5<TAB>Source 545 553<TAB>The Post
    T6<TAB>Cue 554 565<TAB>has learned
    T7<TAB>Content 292 543<TAB>Hillary Clinton was headed ...
    T8<TAB>Attribution 554 565<TAB>has learned
    E2<TAB>Attribution:T8 Content:T7 Cue:T6 Source:T5

The text of a `T` line is written as it is in the article, newlines included, so a record may
run over several lines: a line that does not start with a record id continues the one before.
Only `Attribution` and `Attribution-no-source` events are read; their `Content*` roles
(PolNeAR has `Content` and `Content2`) make the content, `Source*` the source, `Cue*` the cue.
`T` lines of other labels (`Discard`, `Discuss`) and notes (`#`) are checked and otherwise
ignored. An event with no content (a few dozen in PolNeAR train, one in dev) is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from spinscope.document import Quote, Span
from spinscope.errors import DataError

#: Event types that are attributions.
EVENT_TYPES = ("Attribution", "Attribution-no-source")

_RECORD = re.compile(r"(?:[TERAMN]\d+|#\d*|\*)\t")
_OFFSETS = re.compile(r"\d+ \d+(?:;\d+ \d+)*")
_ROLE = re.compile(r"(Content|Source|Cue)\d*")


@dataclass(frozen=True)
class Attribution:
    """One attribution: its content (one span or several), source and cue (zero or more spans).

    `id` is the brat event id (`E2`) for gold, or the quote's index for a prediction.
    """

    id: str
    content: tuple[Span, ...]
    source: tuple[Span, ...] = ()
    cue: tuple[Span, ...] = ()

    @classmethod
    def from_quote(cls, quote: Quote, id: str = "") -> Attribution:
        """The attribution a predicted `Quote` makes: its content, speaker and cue spans."""
        return cls(
            id=id,
            content=tuple(quote.content),
            source=(quote.speaker,) if quote.speaker else (),
            cue=(quote.cue,) if quote.cue else (),
        )


def read_text(path: Path) -> str:
    """An article file exactly as brat offsets count it: UTF-8, no newline translation."""
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as error:
        raise DataError(f"{path}: cannot read the article: {error}") from error
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: the article is not UTF-8: {error}") from error


def read_ann(path: Path, text: str) -> list[Attribution]:
    """The attributions in the brat file `path`, whose spans point into `text`.

    Raises `DataError` naming the file and line for a malformed record, a span outside the
    text, a span whose stored text differs from the article text at its offsets, or an event
    that refers to a missing span.
    """
    try:
        content = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot read the annotations: {error}") from error
    spans: dict[str, tuple[Span, ...]] = {}
    events: list[tuple[int, str]] = []
    for line_no, record in _records(path, content):
        if record.startswith("T"):
            tid, fragments = _read_span(path, line_no, record, text)
            spans[tid] = fragments
        elif record.startswith("E"):
            events.append((line_no, record))
    attributions = []
    for line_no, record in events:
        attribution = _read_event(f"{path}:{line_no}", record, spans)
        if attribution is not None:
            attributions.append(attribution)
    return attributions


def format_ann(items: Iterable[Attribution | Quote]) -> str:
    """Brat standoff for predicted attributions (or quotes), in the shape PolNeAR uses.

    Each one gets `Source`, `Cue` and `Content` spans where it has them, an `Attribution`
    trigger (its cue, or its first content span when it has no cue) and an event tying them;
    the event type is `Attribution-no-source` when it has no source, as in PolNeAR.
    """
    lines: list[str] = []
    t = 0
    for e, item in enumerate(items, start=1):
        attribution = Attribution.from_quote(item) if isinstance(item, Quote) else item
        args: list[str] = []
        for label, fragments in (
            ("Source", attribution.source),
            ("Cue", attribution.cue),
            ("Content", attribution.content),
        ):
            if fragments:
                t += 1
                lines.append(_span_line(f"T{t}", label, fragments))
                args.append(f"{label}:T{t}")
        trigger = attribution.cue or attribution.content[:1]
        t += 1
        lines.append(_span_line(f"T{t}", "Attribution", trigger))
        event = "Attribution" if attribution.source else "Attribution-no-source"
        lines.append(f"E{e}\t{event}:T{t} {' '.join(args)}")
    return "".join(line + "\n" for line in lines)


def write_ann(path: Path, items: Iterable[Attribution | Quote]) -> None:
    """Write predicted attributions (or quotes) to `path` as brat standoff (see `format_ann`)."""
    path.write_bytes(format_ann(items).encode("utf-8"))


def _records(path: Path, content: str) -> Iterable[tuple[int, str]]:
    """(first line number, record) for each record; continuation lines are joined back on."""
    record: str | None = None
    start = 0
    for line_no, line in enumerate(content.split("\n"), start=1):
        if _RECORD.match(line):
            if record is not None:
                yield start, record
            record, start = line, line_no
        elif record is not None:
            record += "\n" + line
        elif line:
            raise DataError(f"{path}:{line_no}: expected a brat record (`T1<TAB>...`): {line!r}")
    if record is not None:
        yield start, record


def _read_span(path: Path, line_no: int, record: str, text: str) -> tuple[str, tuple[Span, ...]]:
    where = f"{path}:{line_no}"
    parts = record.split("\t", 2)
    if len(parts) != 3 or " " not in parts[1]:
        raise DataError(f"{where}: expected `T<n><TAB>Label start end<TAB>text`: {record!r}")
    tid, (label, offsets), stored = parts[0], parts[1].split(" ", 1), parts[2]
    if not _OFFSETS.fullmatch(offsets):
        raise DataError(f"{where}: bad offsets {offsets!r} for {tid} {label}")
    fragments = []
    for fragment in offsets.split(";"):
        start, end = (int(n) for n in fragment.split(" "))
        if not start <= end <= len(text):
            raise DataError(
                f"{where}: {tid} {label} span {start}:{end} is outside the article "
                f"({len(text)} characters)"
            )
        fragments.append(Span.of(text, start, end))
    expected = " ".join(span.text for span in fragments)
    # A blank line after a record reads back as a trailing newline of its text.
    if stored.rstrip("\n") != expected.rstrip("\n"):
        raise DataError(
            f"{where}: {tid} {label} {offsets}: the file says {stored!r} but the article has "
            f"{expected!r} there (offsets must count characters of the UTF-8 text, end exclusive)"
        )
    return tid, tuple(fragments)


def _read_event(where: str, record: str, spans: dict[str, tuple[Span, ...]]) -> Attribution | None:
    parts = record.split("\t")
    args = parts[1].split() if len(parts) > 1 else []
    if not args or any(arg.count(":") != 1 for arg in args):
        raise DataError(f"{where}: expected `E<n><TAB>Type:T<n> Role:T<n> ...`: {record!r}")
    pairs = [arg.split(":") for arg in args]
    for role, tid in pairs:
        if tid not in spans:
            raise DataError(f"{where}: {parts[0]} refers to {tid} ({role}), not in the file")
    if pairs[0][0] not in EVENT_TYPES:
        return None
    roles: dict[str, list[Span]] = {"Content": [], "Source": [], "Cue": []}
    for role, tid in pairs[1:]:
        match = _ROLE.fullmatch(role)
        if match:
            roles[match.group(1)].extend(spans[tid])
    if not roles["Content"]:
        return None
    return Attribution(
        id=parts[0],
        content=tuple(roles["Content"]),
        source=tuple(roles["Source"]),
        cue=tuple(roles["Cue"]),
    )


def _span_line(tid: str, label: str, fragments: Sequence[Span]) -> str:
    offsets = ";".join(f"{span.start} {span.end}" for span in fragments)
    return f"{tid}\t{label} {offsets}\t{' '.join(span.text for span in fragments)}"
