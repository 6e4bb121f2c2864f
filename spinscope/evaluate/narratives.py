"""Narratives of news articles, SemEval-2025 Task 10 subtask 2: gold, predictions, scores.

A data directory (`../shared/data/semeval2025-en/`) holds `documents/<ID>.txt` and
`subtask-2-annotations.txt`. Gold and predictions share the task's format, TSV without a header,
one article a line:

    <ID>.txt<TAB>narrative;narrative;…<TAB>sub-narrative;sub-narrative;…

with full sub-narrative labels ("URW: Discrediting Ukraine: Discrediting Ukrainian military"),
"<narrative>: Other" for a narrative without one of its specific forms, and `Other` in both
columns for an article that carries none. A narrative may be repeated (one per sub-narrative):
labels are sets.

The official scorer (`subtask2_scorer.py`) computes, for each article, sklearn's binary F1 of
the one-hot vectors of its gold and predicted labels over the task's classes (labels outside
them are ignored; 0 when there is no true positive), and averages over articles: the
*samples-averaged F1*, over narratives (coarse) and over sub-narratives (fine). It pairs gold
and predicted lines by file order; here they are paired by id, and a prediction missing for a
gold article, or one for an article not in the gold, is an error.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from spinscope.document import Analysis, Narrative
from spinscope.errors import DataError
from spinscope.evaluate.benchmark import Benchmark, Result, only, require_dir
from spinscope.evaluate.semeval import check_cover, tsv_records
from spinscope.taxonomy import NARRATIVES, OTHER, subnarrative_label

ANNOTATIONS = "subtask-2-annotations.txt"
DOCUMENTS = "documents"

#: The scorer's classes: the narratives and `Other` (coarse); every full sub-narrative label,
#: the "<narrative>: Other" ones included, and `Other` (fine).
COARSE_CLASSES: frozenset[str] = frozenset([*NARRATIVES, OTHER])
FINE_CLASSES: frozenset[str] = frozenset(
    [subnarrative_label(n, s) for n, subs in NARRATIVES.items() for s in subs] + [OTHER]
)


@dataclass(frozen=True)
class NarrativeLabels:
    """An article's narratives and full sub-narrative labels."""

    narratives: frozenset[str]
    subnarratives: frozenset[str]

    @classmethod
    def of(cls, found: Iterable[Narrative]) -> NarrativeLabels:
        """The labels of a layer's findings, as the task writes them (`Other` when none)."""
        found = list(found)
        if all(n.narrative == OTHER for n in found):
            return cls(frozenset([OTHER]), frozenset([OTHER]))
        return cls(
            frozenset(n.narrative for n in found),
            frozenset(s for n in found for s in n.subnarratives),
        )


@dataclass(frozen=True)
class NarrativesGold:
    """Articles' texts and their gold labels, by id (the file name, `EN_UA_300009.txt`)."""

    texts: dict[str, str]
    labels: dict[str, NarrativeLabels]

    def subset(self, ids: Iterable[str]) -> NarrativesGold:
        keep = [i for i in ids if i in self.labels]
        return NarrativesGold({i: self.texts[i] for i in keep}, {i: self.labels[i] for i in keep})


@dataclass(frozen=True)
class NarrativeScores:
    """Samples-averaged F1, coarse and fine, with their standard deviations over articles (as
    the official scorer prints them) and 95% bootstrap intervals of the mean."""

    articles: int
    coarse_f1: float
    coarse_sd: float
    coarse_interval: tuple[float, float]
    fine_f1: float
    fine_sd: float
    fine_interval: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_narrative_labels(path: Path) -> dict[str, NarrativeLabels]:
    """Labels by article id from a gold or predictions file. Raises `DataError` on a line
    without three fields or an id given twice; unknown labels are kept (the scorer ignores
    them)."""
    labels: dict[str, NarrativeLabels] = {}
    for line_no, fields in tsv_records(path):
        if len(fields) != 3:
            raise DataError(
                f"{path}:{line_no}: expected 3 TAB-separated fields "
                f"`id narratives subnarratives`, found {len(fields)}"
            )
        doc = fields[0].strip()
        if not doc or doc in labels:
            raise DataError(f"{path}:{line_no}: empty or repeated article id {doc!r}")
        labels[doc] = NarrativeLabels(_labels(fields[1]), _labels(fields[2]))
    return labels


def read_narratives_dir(data: Path) -> NarrativesGold:
    """The gold labels of `data/subtask-2-annotations.txt` and the texts of their articles."""
    labels = read_narrative_labels(data / ANNOTATIONS)
    texts: dict[str, str] = {}
    for doc in labels:
        path = data / DOCUMENTS / doc
        try:
            texts[doc] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: cannot read the article of {doc}: {exc}") from exc
    return NarrativesGold(texts, labels)


def format_narrative_labels(predictions: Mapping[str, NarrativeLabels]) -> str:
    """The task's TSV, one line per article in the order given (labels sorted)."""
    return "".join(
        f"{doc}\t{';'.join(sorted(labels.narratives))}\t{';'.join(sorted(labels.subnarratives))}\n"
        for doc, labels in predictions.items()
    )


def write_narrative_labels(path: Path, predictions: Mapping[str, NarrativeLabels]) -> None:
    path.write_text(format_narrative_labels(predictions), encoding="utf-8")


def sample_f1(gold: Iterable[str], predicted: Iterable[str], classes: frozenset[str]) -> float:
    """One article's F1 of predicted against gold labels, both restricted to `classes`."""
    g, p = set(gold) & classes, set(predicted) & classes
    hits = len(g & p)
    return 2 * hits / (len(g) + len(p)) if hits else 0.0


def score_narratives(
    gold: Mapping[str, NarrativeLabels], predictions: Mapping[str, NarrativeLabels]
) -> NarrativeScores:
    """Samples-averaged F1 over the gold articles. Raises `DataError` unless the predictions
    cover exactly the gold articles."""
    check_cover(gold, predictions, "articles")
    coarse = [
        sample_f1(g.narratives, predictions[d].narratives, COARSE_CLASSES) for d, g in gold.items()
    ]
    fine = [
        sample_f1(g.subnarratives, predictions[d].subnarratives, FINE_CLASSES)
        for d, g in gold.items()
    ]
    return NarrativeScores(
        articles=len(gold),
        coarse_f1=_mean(coarse),
        coarse_sd=_sd(coarse),
        coarse_interval=bootstrap_interval(coarse),
        fine_f1=_mean(fine),
        fine_sd=_sd(fine),
        fine_interval=bootstrap_interval(fine),
    )


def bootstrap_interval(
    values: Sequence[float], rounds: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """The 95% percentile bootstrap interval of the mean of `values` (articles resampled);
    the values are sorted first, so the interval does not depend on the articles' order."""
    if not values:
        return (0.0, 0.0)
    rng = random.Random(seed)
    n = len(values)
    ordered = sorted(values)
    means = sorted(sum(rng.choices(ordered, k=n)) / n for _ in range(rounds))
    return (means[int(0.025 * rounds)], means[int(0.975 * rounds) - 1])


def predict_narratives(
    gold: NarrativesGold,
    *,
    workers: int = 1,
    refine: Callable[[Analysis], Analysis] | None = None,
) -> dict[str, NarrativeLabels]:
    """The narratives layer's labels for every article of `gold`, by id; each analysis passed
    through `refine` first when given (the LLM backend)."""
    from spinscope.document import Article
    from spinscope.pipeline import analyze_many

    articles = ((Article(id=doc, text=text), doc) for doc, text in gold.texts.items())
    predicted: dict[str, NarrativeLabels] = {}
    for result, doc in analyze_many(articles, layers=("narratives",), workers=workers):
        if not isinstance(result, Analysis):
            raise DataError(f"article {doc}: {result}")
        if refine is not None:
            result = refine(result)
        predicted[doc] = NarrativeLabels.of(result.narratives)
    return predicted


def narratives_table(scores: NarrativeScores, baseline: NarrativeScores | None = None) -> Table:
    """A Rich table of the scores (and of a baseline's), for the CLI."""
    table = Table(title="Narratives (SemEval-2025 Task 10 subtask 2): samples-averaged F1")
    for name in ("", "coarse F1", "95% interval", "fine F1", "95% interval"):
        table.add_column(name, justify="right")
    rows = [("spinscope", scores)] + ([("all Other", baseline)] if baseline else [])
    for name, s in rows:
        table.add_row(
            name,
            f"{s.coarse_f1:.3f}",
            f"{s.coarse_interval[0]:.3f}–{s.coarse_interval[1]:.3f}",
            f"{s.fine_f1:.3f}",
            f"{s.fine_interval[0]:.3f}–{s.fine_interval[1]:.3f}",
        )
    table.caption = f"{scores.articles} articles"
    return table


def all_other(gold: Iterable[str]) -> dict[str, NarrativeLabels]:
    """The trivial baseline: `Other` for every article."""
    other = frozenset([OTHER])
    return {doc: NarrativeLabels(other, other) for doc in gold}


def _labels(field: str) -> frozenset[str]:
    return frozenset(label.strip() for label in field.split(";") if label.strip())


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _sd(values: Sequence[float]) -> float:
    """Population standard deviation (numpy's default, as the scorer uses)."""
    mean = _mean(values)
    return (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5 if values else 0.0


def _score(gold: NarrativesGold, found: dict[str, NarrativeLabels]) -> Result:
    """The scores, beside the baseline that answers `Other` for every article."""
    scores = score_narratives(gold.labels, found)
    baseline = score_narratives(gold.labels, all_other(gold.labels))
    return Result(
        {**scores.to_dict(), "all_other": baseline.to_dict()}, narratives_table(scores, baseline)
    )


BENCHMARK = Benchmark(
    name="narratives",
    data=f"SemEval-2025 Task 10 directory: {DOCUMENTS}/ and {ANNOTATIONS}",
    read=lambda data: read_narratives_dir(require_dir(data)),
    predict=lambda gold, run: predict_narratives(gold, workers=run.workers, refine=run.refine),
    score=_score,
    read_predictions=lambda path, gold: only(read_narrative_labels(path), gold.labels),
    write_predictions=lambda path, found, gold: write_narrative_labels(path, found),
    subset=lambda gold, keep: gold.subset(doc for doc in gold.labels if keep(doc)),
    workers=True,
    llm=True,
)
