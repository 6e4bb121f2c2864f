"""Check-worthiness of sentences, CLEF CheckThat! 2024 Task 1 (English): gold, predictions, scores.

Gold (`../shared/data/checkthat2024-en/{train,dev}.tsv`) is TSV with a header, no quoting (a
quote mark is text), one sentence a line:

    Sentence_id<TAB>Text<TAB>class_label        class_label is Yes or No

Line ends may be LF or CRLF (dev.tsv uses CRLF) and the last line may lack one.

Predictions use the task's submission format, TSV with a header:

    id<TAB>class_label<TAB>run_id               class_label is Yes or No; run_id a name ([\\w-]+)

as the task's format checker (`format_checker/task_1.py`) and baselines write it; its scorer
(`scorer/task_1.py`) reports precision, recall and F1 of the positive class, Yes, with
sklearn's binary metrics. The scorer needs a prediction for every gold sentence and no other,
which `score_checkworthiness` enforces too. A ratio with nothing to divide is 0.0 (sklearn's
default). Every reader raises `DataError` naming the file and line of a malformed record.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from spinscope.errors import DataError
from spinscope.evaluate.benchmark import Benchmark, Result
from spinscope.evaluate.semeval import tsv_records

GOLD_HEADER = ("Sentence_id", "Text", "class_label")
PREDICTIONS_HEADER = ("id", "class_label", "run_id")
LABELS = {"Yes": True, "No": False}

_RUN_ID = re.compile(r"[\w-]+")


@dataclass(frozen=True)
class CheckworthySentence:
    """One gold sentence; `label` is True for check-worthy (Yes)."""

    id: str
    text: str
    label: bool


@dataclass(frozen=True)
class CheckworthinessScores:
    """Scores of the positive class (Yes), plus accuracy."""

    sentences: int
    gold_positive: int
    predicted_positive: int
    true_positive: int
    precision: float
    recall: float
    f1: float
    accuracy: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_checkworthy(path: Path) -> list[CheckworthySentence]:
    """The sentences of a gold file, in file order. Raises `DataError` on a wrong header, a line
    without exactly three fields, a label other than Yes/No, or an id given twice."""
    records = tsv_records(path)
    _check_header(path, next(records, None), GOLD_HEADER)
    sentences: list[CheckworthySentence] = []
    seen: set[str] = set()
    for line_no, fields in records:
        where = f"{path}:{line_no}"
        if len(fields) != 3:
            raise DataError(
                f"{where}: expected 3 TAB-separated fields `Sentence_id Text class_label`, "
                f"found {len(fields)}"
            )
        sentence_id, text, label = fields[0].strip(), fields[1], fields[2].strip()
        _check_id(where, sentence_id, seen)
        seen.add(sentence_id)
        sentences.append(CheckworthySentence(sentence_id, text, _label(where, label)))
    return sentences


def read_checkworthy_predictions(path: Path) -> dict[str, bool]:
    """Predicted labels by sentence id from a submission file (`id class_label run_id`)."""
    records = tsv_records(path)
    _check_header(path, next(records, None), PREDICTIONS_HEADER)
    predictions: dict[str, bool] = {}
    for line_no, fields in records:
        where = f"{path}:{line_no}"
        if len(fields) != 3:
            raise DataError(
                f"{where}: expected 3 TAB-separated fields `id class_label run_id`, "
                f"found {len(fields)}: {chr(9).join(fields)!r}"
            )
        sentence_id, label, run_id = (field.strip() for field in fields)
        _check_id(where, sentence_id, predictions)
        if not _RUN_ID.fullmatch(run_id):
            raise DataError(f"{where}: run_id must be letters, digits, _ or -: {run_id!r}")
        predictions[sentence_id] = _label(where, label)
    return predictions


def format_checkworthy_predictions(
    predictions: Mapping[str, bool] | Iterable[tuple[str, bool]], run_id: str = "spinscope"
) -> str:
    """A submission file's text: the header, then one `id class_label run_id` line each, in the
    order given."""
    if not _RUN_ID.fullmatch(run_id):
        raise ValueError(f"run_id must be letters, digits, _ or -: {run_id!r}")
    pairs = predictions.items() if isinstance(predictions, Mapping) else predictions
    lines = ["\t".join(PREDICTIONS_HEADER)]
    for sentence_id, label in pairs:
        if not sentence_id or any(c in sentence_id for c in "\t\r\n"):
            raise ValueError(f"sentence id {sentence_id!r} cannot be written to a TSV field")
        lines.append(f"{sentence_id}\t{'Yes' if label else 'No'}\t{run_id}")
    return "".join(line + "\n" for line in lines)


def write_checkworthy_predictions(
    path: Path,
    predictions: Mapping[str, bool] | Iterable[tuple[str, bool]],
    run_id: str = "spinscope",
) -> None:
    """Write predictions as a CheckThat! 2024 Task 1 submission file."""
    path.write_bytes(format_checkworthy_predictions(predictions, run_id).encode("utf-8"))


def score_checkworthiness(
    gold: Sequence[CheckworthySentence] | Mapping[str, bool],
    predictions: Mapping[str, bool],
) -> CheckworthinessScores:
    """Precision, recall and F1 of the positive class (Yes) over the gold sentences.

    Raises `DataError` when the predictions miss a gold sentence or name one not in the gold.
    """
    truth = gold if isinstance(gold, Mapping) else {s.id: s.label for s in gold}
    missing = [sentence_id for sentence_id in truth if sentence_id not in predictions]
    extra = [sentence_id for sentence_id in predictions if sentence_id not in truth]
    if missing or extra:
        raise DataError(
            f"the predictions must cover exactly the gold sentences: {len(missing)} missing "
            f"(first: {missing[:1]}), {len(extra)} not in the gold (first: {extra[:1]})"
        )
    tp = sum(label and predictions[i] for i, label in truth.items())
    gold_positive = sum(truth.values())
    predicted_positive = sum(predictions[i] for i in truth)
    correct = sum(label == predictions[i] for i, label in truth.items())
    precision = tp / predicted_positive if predicted_positive else 0.0
    recall = tp / gold_positive if gold_positive else 0.0
    total = precision + recall
    return CheckworthinessScores(
        sentences=len(truth),
        gold_positive=gold_positive,
        predicted_positive=predicted_positive,
        true_positive=tp,
        precision=precision,
        recall=recall,
        f1=2 * precision * recall / total if total else 0.0,
        accuracy=correct / len(truth) if truth else 0.0,
    )


def score_checkworthiness_file(gold: Path, predictions: Path) -> CheckworthinessScores:
    """Score a submission file against a gold TSV."""
    return score_checkworthiness(read_checkworthy(gold), read_checkworthy_predictions(predictions))


def checkworthiness_table(
    scores: CheckworthinessScores, title: str = "Check-worthiness (positive class: Yes)"
) -> Table:
    """A Rich table of the scores, for the CLI."""
    table = Table(title=title)
    for name in ("precision", "recall", "F1", "accuracy"):
        table.add_column(name, justify="right")
    table.add_row(
        f"{scores.precision:.3f}",
        f"{scores.recall:.3f}",
        f"{scores.f1:.3f}",
        f"{scores.accuracy:.3f}",
    )
    table.caption = (
        f"{scores.sentences} sentences · {scores.gold_positive} check-worthy · "
        f"{scores.predicted_positive} predicted · {scores.true_positive} right"
    )
    return table


def _check_header(
    path: Path, record: tuple[int, list[str]] | None, expected: tuple[str, ...]
) -> None:
    if record is None:
        raise DataError(f"{path}: empty file; expected the header {' '.join(expected)!r}")
    line_no, fields = record
    if tuple(field.strip() for field in fields) != expected:
        raise DataError(
            f"{path}:{line_no}: expected the header {'<TAB>'.join(expected)}, found "
            f"{chr(9).join(fields)!r}"
        )


def _check_id(where: str, sentence_id: str, seen: Collection[str]) -> None:
    if not sentence_id:
        raise DataError(f"{where}: empty sentence id")
    if sentence_id in seen:
        raise DataError(f"{where}: sentence id {sentence_id} appears twice")


def _label(where: str, label: str) -> bool:
    if label not in LABELS:
        raise DataError(f"{where}: class_label must be Yes or No, not {label!r}")
    return LABELS[label]


def predict_checkworthiness(sentences: Sequence[CheckworthySentence]) -> dict[str, bool]:
    """spinscope's decision (score at or above the calibrated threshold) for each sentence."""
    from spinscope.layers.claims.checkworthiness import score_sentences, threshold

    cut = threshold()
    scores = score_sentences([s.text for s in sentences])
    return {s.id: score >= cut for s, score in zip(sentences, scores, strict=True)}


def _score(gold: list[CheckworthySentence], found: dict[str, bool]) -> Result:
    scores = score_checkworthiness(gold, found)
    return Result(scores.to_dict(), checkworthiness_table(scores))


BENCHMARK = Benchmark(
    name="checkworthiness",
    data="CheckThat! TSV: Sentence_id, Text, class_label (Yes|No)",
    read=read_checkworthy,
    predict=lambda gold, run: predict_checkworthiness(gold),
    score=_score,
    read_predictions=lambda path, gold: read_checkworthy_predictions(path),
    write_predictions=lambda path, found, gold: write_checkworthy_predictions(path, found),
)
