"""SemEval-2023 Task 3 subtask 3 (persuasion techniques) files: gold, and predictions to score.

A techniques directory, as the task released it (`../shared/data/semeval2023-en/techniques`):

    articles/article<ID>.txt                    title on line 1, a blank line, then the body
    spans/article<ID>-labels-subtask-3.txt      `ID<TAB>technique<TAB>start<TAB>end` per span
    paragraph-labels.txt                        `ID<TAB>line<TAB>technique,technique,...` per line

Offsets count characters of the article decoded as UTF-8 with no newline translation, end
exclusive, a byte-order mark included: two articles start with one, and their spans only land
on word edges when it is counted (6,132 of the 6,136 training spans start and end on a
non-space character; the other four have a space or newline at an edge in the gold itself).
The paragraph unit is a line of the article file (1-based); the gold lists exactly the lines
that are not blank, with an empty third field where no technique is present. A directory
without `spans/` has no span gold: only paragraph level can be scored there, and
`TechniquesGold.require_spans` says so. A directory without `paragraph-labels.txt` gets its
paragraph gold from the spans by `paragraph_lines`, which reproduces all 7,895 lines of the
released `paragraph-labels.txt` exactly.

Prediction files use the official formats, one record a line, no header:

    span level       `article_id<TAB>technique<TAB>start<TAB>end`     (SemEval-2020 Task 11 FLC)
    paragraph level  `article_id<TAB>line_number<TAB>t1,t2,...`       (SemEval-2023 subtask 3)

The paragraph format takes an empty (or missing) third field for a line with no technique, as
the official scorer does. An article id may be written `article<ID>`; it is read as `<ID>`.
Every reader raises `DataError` naming the file and line of a malformed record.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from spinscope.errors import DataError
from spinscope.evaluate.brat import read_text

#: The 23 techniques of SemEval-2023 Task 3 subtask 3, in the task's `techniques.txt` order.
TECHNIQUES: tuple[str, ...] = tuple(
    """
    Appeal_to_Authority Appeal_to_Popularity Appeal_to_Values Appeal_to_Fear-Prejudice
    Flag_Waving Causal_Oversimplification False_Dilemma-No_Choice
    Consequential_Oversimplification Straw_Man Red_Herring Whataboutism Slogans Appeal_to_Time
    Conversation_Killer Loaded_Language Repetition Exaggeration-Minimisation
    Obfuscation-Vagueness-Confusion Name_Calling-Labeling Doubt Guilt_by_Association
    Appeal_to_Hypocrisy Questioning_the_Reputation
    """.split()
)

#: A paragraph: (article id, 1-based line number of the article file).
ParagraphKey = tuple[str, int]

#: Techniques per paragraph.
ParagraphLabels = dict[ParagraphKey, frozenset[str]]

SPANS_SUFFIX = "-labels-subtask-3.txt"

_ARTICLE = re.compile(r"article(\d+)(?=$|[.-])")


@dataclass(frozen=True, order=True)
class TechniqueSpan:
    """A technique on the characters `start:end` (end exclusive) of an article."""

    start: int
    end: int
    technique: str

    def __len__(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class TechniquesGold:
    """A techniques directory: article texts, span gold (None without `spans/`), paragraph gold."""

    path: Path
    texts: dict[str, str]
    spans: dict[str, tuple[TechniqueSpan, ...]] | None
    paragraphs: ParagraphLabels

    @property
    def has_spans(self) -> bool:
        return self.spans is not None

    def subset(self, ids: Iterable[str]) -> TechniquesGold:
        """The same gold restricted to the articles `ids` (a validation split, say)."""
        keep = set(ids)
        return TechniquesGold(
            self.path,
            {aid: text for aid, text in self.texts.items() if aid in keep},
            None
            if self.spans is None
            else {aid: spans for aid, spans in self.spans.items() if aid in keep},
            {key: labels for key, labels in self.paragraphs.items() if key[0] in keep},
        )

    def require_spans(self) -> dict[str, tuple[TechniqueSpan, ...]]:
        """The span gold, or a `DataError` that says only paragraph level can be scored."""
        if self.spans is None:
            raise DataError(
                f"{self.path}: no spans/ folder, so there is no span-level gold here; only "
                f"paragraph-level scores (from paragraph-labels.txt) can be computed"
            )
        return self.spans


def article_id(name: str) -> str:
    """The id in `article<ID>.txt`, `article<ID>` or `article<ID>-labels-subtask-3.txt`; for any
    other name, its stem (the name without its last suffix)."""
    match = _ARTICLE.match(name)
    if match:
        return match.group(1)
    return Path(name).stem


def _record_id(field: str) -> str:
    """An article id as a record gives it: `article<ID>` is read as `<ID>`, anything else as is
    (a dot in an id is not a file suffix)."""
    match = _ARTICLE.match(field)
    return match.group(1) if match else field


def read_techniques_dir(path: Path) -> TechniquesGold:
    """Every article of a techniques directory with its gold (see the module docstring).

    Needs `articles/` and at least one of `spans/` and `paragraph-labels.txt`. With `spans/`,
    every article needs its spans file (empty when it has no span) and every span must lie
    inside its article. Raises `DataError` otherwise.
    """
    articles_dir = path / "articles"
    if not articles_dir.is_dir():
        raise DataError(f"{path}: expected a folder articles/ (SemEval-2023 Task 3 layout)")
    files = sorted(articles_dir.glob("article*.txt"))
    if not files:
        raise DataError(f"{articles_dir}: no article<ID>.txt files")
    texts = {article_id(file.name): read_text(file) for file in files}
    spans_dir, labels_path = path / "spans", path / "paragraph-labels.txt"
    spans = _read_spans_dir(spans_dir, texts) if spans_dir.is_dir() else None
    if labels_path.is_file():
        paragraphs = read_paragraph_labels(labels_path)
        _check_paragraphs(labels_path, paragraphs, texts)
    elif spans is not None:
        paragraphs = {
            key: frozenset(techniques)
            for aid, text in texts.items()
            for key, techniques in paragraph_lines(aid, text, spans[aid]).items()
        }
    else:
        raise DataError(f"{path}: expected spans/ or paragraph-labels.txt next to articles/")
    return TechniquesGold(path=path, texts=texts, spans=spans, paragraphs=paragraphs)


def paragraph_lines(
    article: str, text: str, spans: Iterable[TechniqueSpan]
) -> dict[ParagraphKey, set[str]]:
    """The techniques on each non-blank line of `text` (the paragraph unit), given its spans.

    A span is on every line from the one holding its start offset to the one holding its end
    offset. That counts a span whose last character is a newline on the next line too, as the
    released gold does: on the training set this rule reproduces all 7,895 lines of
    `paragraph-labels.txt`, while counting only the lines a span has characters on misses one.
    Blank lines are not paragraphs and get nothing.
    """
    starts = line_starts(text)
    lines: dict[ParagraphKey, set[str]] = {
        (article, number): set()
        for number, line in enumerate(text.split("\n"), start=1)
        if line.strip()
    }
    for span in spans:
        first, last = line_of(starts, span.start), line_of(starts, span.end)
        for number in range(first, last + 1):
            techniques = lines.get((article, number))
            if techniques is not None:
                techniques.add(span.technique)
    return lines


def line_starts(text: str) -> list[int]:
    """The offset where each line of `text` starts (the first is 0)."""
    return [0, *(m.end() for m in re.finditer("\n", text))]


def line_of(starts: Sequence[int], offset: int) -> int:
    """The 1-based line holding `offset`, given `line_starts` (a newline ends its own line)."""
    low, high = 0, len(starts)
    while high - low > 1:
        middle = (low + high) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle
    return low + 1


# --- span files -----------------------------------------------------------------------------


def read_spans(path: Path) -> dict[str, list[TechniqueSpan]]:
    """The spans of a span file (`article_id<TAB>technique<TAB>start<TAB>end` lines), by article.

    Gold span files and span-level prediction files share this format. Blank lines are skipped.
    """
    spans: dict[str, list[TechniqueSpan]] = {}
    for line_no, fields in tsv_records(path):
        where = f"{path}:{line_no}"
        if len(fields) != 4:
            raise DataError(
                f"{where}: expected 4 TAB-separated fields `article_id technique start end`, "
                f"found {len(fields)}: {_TAB.join(fields)!r}"
            )
        aid, technique, start, end = (field.strip() for field in fields)
        if not aid:
            raise DataError(f"{where}: empty article id")
        _check_technique(where, technique)
        if not (start.isdigit() and end.isdigit()):
            raise DataError(
                f"{where}: start and end must be non-negative integers: {start!r} {end!r}"
            )
        if int(start) >= int(end):
            raise DataError(f"{where}: the span {start}:{end} is empty (end must exceed start)")
        spans.setdefault(_record_id(aid), []).append(TechniqueSpan(int(start), int(end), technique))
    return spans


def format_spans(spans: Mapping[str, Iterable[TechniqueSpan]]) -> str:
    """Span-level predictions in the official format, by article id, then offsets."""
    lines = [
        f"{aid}\t{span.technique}\t{span.start}\t{span.end}\n"
        for aid in sorted(spans)
        for span in sorted(spans[aid])
    ]
    return "".join(lines)


def write_spans(path: Path, spans: Mapping[str, Iterable[TechniqueSpan]]) -> None:
    """Write span-level predictions to one file (see `format_spans`); ids are written bare."""
    for aid, article_spans in spans.items():
        for span in article_spans:
            _check_technique(f"article {aid}", span.technique)
            if not 0 <= span.start < span.end:
                raise ValueError(
                    f"article {aid}: span {span.start}:{span.end} is empty or negative"
                )
    path.write_bytes(format_spans({_record_id(aid): s for aid, s in spans.items()}).encode("utf-8"))


# --- paragraph files ------------------------------------------------------------------------


def read_paragraph_labels(path: Path) -> ParagraphLabels:
    """The techniques per paragraph of a paragraph-level file: gold `paragraph-labels.txt` or
    predictions, both `article_id<TAB>line_number<TAB>t1,t2,...` (third field may be empty).

    Raises `DataError` on a malformed line, an unknown technique, or a paragraph listed twice.
    """
    labels: ParagraphLabels = {}
    for line_no, fields in tsv_records(path):
        where = f"{path}:{line_no}"
        if len(fields) not in (2, 3):
            raise DataError(
                f"{where}: expected 3 TAB-separated fields `article_id line_number techniques` "
                f"(the last may be empty), found {len(fields)}: {_TAB.join(fields)!r}"
            )
        aid, number = fields[0].strip(), fields[1].strip()
        if not aid:
            raise DataError(f"{where}: empty article id")
        if not number.isdigit() or int(number) < 1:
            raise DataError(f"{where}: the line number must be a positive integer: {number!r}")
        techniques = fields[2].strip() if len(fields) == 3 else ""
        names = [name.strip() for name in techniques.split(",")] if techniques else []
        for name in names:
            _check_technique(where, name)
        key = (_record_id(aid), int(number))
        if key in labels:
            raise DataError(f"{where}: article {key[0]} line {key[1]} is listed twice")
        labels[key] = frozenset(names)
    return labels


def format_paragraph_labels(labels: Mapping[ParagraphKey, Iterable[str]]) -> str:
    """Paragraph-level predictions in the official format, by article id and line number;
    each line's techniques sorted by name."""
    return "".join(
        f"{aid}\t{number}\t{','.join(sorted(set(labels[(aid, number)])))}\n"
        for aid, number in sorted(labels)
    )


def write_paragraph_labels(path: Path, labels: Mapping[ParagraphKey, Iterable[str]]) -> None:
    """Write paragraph-level predictions to one file (see `format_paragraph_labels`)."""
    checked: dict[ParagraphKey, frozenset[str]] = {}
    for (aid, number), techniques in labels.items():
        names = frozenset(techniques)
        for name in names:
            _check_technique(f"article {aid} line {number}", name)
        if number < 1:
            raise ValueError(f"article {aid}: line numbers start at 1, not {number}")
        checked[(_record_id(aid), number)] = names
    path.write_bytes(format_paragraph_labels(checked).encode("utf-8"))


# --- helpers --------------------------------------------------------------------------------

_TAB = "\t"


def check_cover(gold: Collection[str], predictions: Collection[str], what: str) -> None:
    """Raise `DataError` unless the predictions are for exactly the gold's `what` (ids)."""
    missing = [key for key in gold if key not in predictions]
    extra = [key for key in predictions if key not in gold]
    if missing or extra:
        raise DataError(
            f"the predictions must cover exactly the gold {what}: {len(missing)} missing "
            f"(first: {missing[:1]}), {len(extra)} not in the gold (first: {extra[:1]})"
        )


def tsv_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, TAB-separated fields) of each non-blank line; CRLF line ends are accepted."""
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot read: {error}") from error
    for line_no, line in enumerate(content.split("\n"), start=1):
        line = line.rstrip("\r")
        if line.strip():
            yield line_no, line.split("\t")


def _check_technique(where: str, name: str) -> None:
    if name not in TECHNIQUES:
        raise DataError(
            f"{where}: unknown technique {name!r} (expected one of the 23 SemEval-2023 names, "
            f"e.g. Loaded_Language)"
        )


def _read_spans_dir(
    spans_dir: Path, texts: Mapping[str, str]
) -> dict[str, tuple[TechniqueSpan, ...]]:
    """Each article's gold spans from `spans_dir/article<ID>-labels-subtask-3.txt`."""
    files = {article_id(p.name): p for p in sorted(spans_dir.glob(f"article*{SPANS_SUFFIX}"))}
    extra = sorted(set(files) - set(texts))
    if extra:
        raise DataError(f"{files[extra[0]]}: no article{extra[0]}.txt in articles/")
    spans: dict[str, tuple[TechniqueSpan, ...]] = {}
    for aid, text in texts.items():
        path = files.get(aid)
        if path is None:
            raise DataError(
                f"{spans_dir}: no article{aid}{SPANS_SUFFIX} for articles/article{aid}.txt "
                f"(an article without spans needs an empty file)"
            )
        found = read_spans(path)
        others = sorted(set(found) - {aid})
        if others:
            raise DataError(f"{path}: holds spans of article {others[0]}, not only of {aid}")
        for span in found.get(aid, []):
            if span.end > len(text):
                raise DataError(
                    f"{path}: {span.technique} span {span.start}:{span.end} is outside the "
                    f"article ({len(text)} characters)"
                )
        spans[aid] = tuple(sorted(found.get(aid, [])))
    return spans


def _check_paragraphs(path: Path, labels: ParagraphLabels, texts: Mapping[str, str]) -> None:
    """Paragraph gold must name known articles and lines that exist in them."""
    lines = {aid: text.count("\n") + 1 for aid, text in texts.items()}
    for aid, number in sorted(labels):
        if aid not in lines:
            raise DataError(f"{path}: article {aid} is not in articles/")
        if number > lines[aid]:
            raise DataError(
                f"{path}: article {aid} line {number} does not exist ({lines[aid]} lines)"
            )
