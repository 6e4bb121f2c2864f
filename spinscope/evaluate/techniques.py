"""Persuasion-technique scores, as SemEval scored them: span level and paragraph level.

Span level is the partial-overlap measure of SemEval-2020 Task 11 (FLC and SI) and SemEval-2021
Task 6, as their official scorers (`task-FLC_scorer.py`, `task-SI_scorer.py`, Da San Martino
et al.) compute it. Over the whole directory, with |p ∩ g| the characters two spans share:

    P = Σ_p Σ_g |p ∩ g| / |p|  /  #predicted spans        R = Σ_p Σ_g |p ∩ g| / |g|  /  #gold spans

the inner sums over the gold spans g of the prediction's article, of the same technique for the
label-matched score, of any technique for span identification (label-agnostic). F1 is harmonic.
A prediction covering two gold spans gets credit from both; no one-to-one matching is made.
Details taken from the official code, which this module follows:

- gold spans of one technique that overlap (share a character; touching is not overlapping)
  are merged into one first; for span identification all gold spans are merged regardless of
  technique. Merging changes the counts: the training set's 6,136 gold spans score as 6,132
  label-matched spans;
- the official FLC scorer refuses a submission with overlapping spans of one technique. Here
  they are merged like gold, unless `strict=True`, which refuses them as the scorer does. For
  span identification, predictions are merged regardless of technique (the SI scorer's `-m`);
- a ratio with nothing to divide is 0.0, and F1 is 1.0 when there are neither predictions nor
  gold (per technique too: a technique absent from both scores F1 1.0, as in the official table);
- per technique, P and R are the same sums restricted to that technique. (The official scorer
  divides the *precision* sum by the gold count for a technique's recall, which looks like a
  slip; this module uses the recall sum. The overall P/R/F1 do not depend on it.)

Paragraph level is SemEval-2023 Task 3 subtask 3: each non-blank line of an article is a
paragraph, labelled with a set of the 23 techniques; the official scorer binarises the sets
over the 23 techniques and reports sklearn's `f1_score(average="micro")` and `"macro"` with
`zero_division=1`. This module computes the same numbers without scikit-learn: per technique,
F1 = 2·TP / (2·TP + FP + FN), 1.0 where that has nothing to divide (macro is their mean, so a
technique absent from both gold and predictions counts 1.0); micro from the summed counts. The
official scorer needs a prediction for every gold paragraph; here a missing one counts as
predicted empty (`ParagraphScores.unpredicted` says how many), while a prediction for a
paragraph the gold does not list is an error.

    gold = read_techniques_dir(path)
    score_spans(gold, read_spans(predictions_file))                 # -> SpanScores
    score_paragraphs(gold, read_paragraph_labels(predictions_file)) # -> ParagraphScores
    score_paragraphs(gold, paragraphs_from_spans(gold.texts, spans)) # span predictions, as lines
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from spinscope.errors import DataError
from spinscope.evaluate.benchmark import Benchmark, Result, only, require_dir
from spinscope.evaluate.semeval import (
    TECHNIQUES,
    ParagraphKey,
    ParagraphLabels,
    TechniquesGold,
    TechniqueSpan,
    paragraph_lines,
    read_paragraph_labels,
    read_spans,
    read_techniques_dir,
    write_paragraph_labels,
    write_spans,
)

#: Character intervals: sorted, disjoint, non-empty (start, end) pairs.
Intervals = list[tuple[int, int]]


@dataclass(frozen=True)
class TechniqueScore:
    """One technique's precision, recall and F1, with its gold and predicted counts (spans, or
    paragraphs holding it)."""

    technique: str
    precision: float
    recall: float
    f1: float
    gold: int
    predicted: int


@dataclass(frozen=True)
class SpanScores:
    """Span-level scores (see the module docstring). Counts are after merging overlaps."""

    articles: int
    gold: int
    predicted: int
    precision: float
    recall: float
    f1: float
    identification_gold: int
    identification_predicted: int
    identification_precision: float
    identification_recall: float
    identification_f1: float
    per_technique: tuple[TechniqueScore, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ParagraphScores:
    """Paragraph-level scores over (paragraph, technique) pairs (see the module docstring).

    `unpredicted` counts gold paragraphs that had no prediction and were scored as empty.
    """

    paragraphs: int
    unpredicted: int
    gold_labels: int
    predicted_labels: int
    true_positives: int
    micro_precision: float
    micro_recall: float
    micro_f1: float
    macro_f1: float
    per_technique: tuple[TechniqueScore, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- span level -----------------------------------------------------------------------------


def score_spans(
    gold: TechniquesGold,
    predictions: Mapping[str, Iterable[TechniqueSpan]],
    *,
    strict: bool = False,
) -> SpanScores:
    """Score predicted spans, by article id, against the span gold of `gold`.

    Raises `DataError` when `gold` has no span gold (a directory without `spans/`), when a
    prediction names an article not in the gold or lies outside its text, and, with `strict`,
    when two predicted spans of one technique overlap in an article.
    """
    gold_spans = gold.require_spans()
    predicted = {aid: list(spans) for aid, spans in predictions.items()}
    _check_predicted_spans(gold, predicted)
    labelled = {t: _Sums() for t in TECHNIQUES}
    anywhere = _Sums()
    for aid, article_gold in gold_spans.items():
        article_predicted = predicted.get(aid, [])
        gold_by = _by_technique(article_gold)
        predicted_by = _by_technique(article_predicted)
        for technique, sums in labelled.items():
            merged = merge(predicted_by.get(technique, []))
            if strict and len(merged) < len(predicted_by.get(technique, [])):
                raise DataError(
                    f"article {aid}: predicted {technique} spans overlap (the official scorer "
                    f"refuses that; without strict they are merged)"
                )
            sums.add(merge(gold_by.get(technique, [])), merged)
        anywhere.add(
            merge((s.start, s.end) for s in article_gold),
            merge((s.start, s.end) for s in article_predicted),
        )
    per_technique = tuple(sums.score(t) for t, sums in labelled.items())
    total = _Sums()
    for sums in labelled.values():
        total.merge_in(sums)
    p, r, f1 = total.prf()
    ip, ir, if1 = anywhere.prf()
    return SpanScores(
        articles=len(gold_spans),
        gold=total.gold,
        predicted=total.predicted,
        precision=p,
        recall=r,
        f1=f1,
        identification_gold=anywhere.gold,
        identification_predicted=anywhere.predicted,
        identification_precision=ip,
        identification_recall=ir,
        identification_f1=if1,
        per_technique=per_technique,
    )


def score_span_file(data_dir: Path, predictions: Path, *, strict: bool = False) -> SpanScores:
    """Score a span-level predictions file against the techniques directory `data_dir`."""
    return score_spans(read_techniques_dir(data_dir), read_spans(predictions), strict=strict)


def merge(spans: Iterable[tuple[int, int]]) -> Intervals:
    """Spans with overlapping ones (sharing a character) merged, as the official scorer merges
    gold; spans that only touch stay apart."""
    merged: Intervals = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass
class _Sums:
    """Numerators and denominators of the partial-overlap P and R."""

    precision_sum: float = 0.0
    recall_sum: float = 0.0
    predicted: int = 0
    gold: int = 0

    def add(self, gold: Intervals, predicted: Intervals) -> None:
        self.gold += len(gold)
        self.predicted += len(predicted)
        for p_start, p_end in predicted:
            for g_start, g_end in gold:
                shared = min(p_end, g_end) - max(p_start, g_start)
                if shared > 0:
                    self.precision_sum += shared / (p_end - p_start)
                    self.recall_sum += shared / (g_end - g_start)

    def merge_in(self, other: _Sums) -> None:
        self.precision_sum += other.precision_sum
        self.recall_sum += other.recall_sum
        self.predicted += other.predicted
        self.gold += other.gold

    def prf(self) -> tuple[float, float, float]:
        """P, R, F1 as the official `compute_prec_rec_f1` gives them."""
        p = self.precision_sum / self.predicted if self.predicted else 0.0
        r = self.recall_sum / self.gold if self.gold else 0.0
        if not self.predicted and not self.gold:
            return p, r, 1.0
        return p, r, (2 * p * r / (p + r) if p > 0 and r > 0 else 0.0)

    def score(self, technique: str) -> TechniqueScore:
        p, r, f1 = self.prf()
        return TechniqueScore(technique, p, r, f1, gold=self.gold, predicted=self.predicted)


def _by_technique(spans: Iterable[TechniqueSpan]) -> dict[str, list[tuple[int, int]]]:
    grouped: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for span in spans:
        grouped[span.technique].append((span.start, span.end))
    return grouped


def _check_predicted_spans(
    gold: TechniquesGold, predicted: Mapping[str, Sequence[TechniqueSpan]]
) -> None:
    unknown = sorted(set(predicted) - set(gold.texts))
    if unknown:
        raise DataError(
            f"predictions for {len(unknown)} article(s) not in {gold.path} (first: {unknown[0]})"
        )
    for aid, spans in predicted.items():
        length = len(gold.texts[aid])
        for span in spans:
            if span.technique not in TECHNIQUES:
                raise DataError(f"article {aid}: unknown technique {span.technique!r}")
            if not 0 <= span.start < span.end <= length:
                raise DataError(
                    f"article {aid}: predicted {span.technique} span {span.start}:{span.end} "
                    f"is empty or outside the article ({length} characters)"
                )


# --- paragraph level ------------------------------------------------------------------------


def score_paragraphs(
    gold: TechniquesGold | Mapping[ParagraphKey, Collection[str]],
    predictions: Mapping[ParagraphKey, Collection[str]],
    techniques: Sequence[str] = TECHNIQUES,
) -> ParagraphScores:
    """Micro and macro F1 over (paragraph, technique) pairs, as the SemEval-2023 subtask-3 scorer
    (sklearn `f1_score`, `zero_division=1`, over `techniques`).

    Gold paragraphs without a prediction count as predicted empty. Raises `DataError` for a
    prediction of a paragraph the gold does not list, or a technique not in `techniques`.
    """
    gold_labels = gold.paragraphs if isinstance(gold, TechniquesGold) else gold
    extra = sorted(set(predictions) - set(gold_labels))
    if extra:
        aid, line = extra[0]
        raise DataError(
            f"predictions for {len(extra)} paragraph(s) the gold does not list "
            f"(first: article {aid} line {line})"
        )
    known = set(techniques)
    tp = dict.fromkeys(techniques, 0)
    fp = dict.fromkeys(techniques, 0)
    fn = dict.fromkeys(techniques, 0)
    for key, gold_set in gold_labels.items():
        truth, guess = set(gold_set), set(predictions.get(key, ()))
        strange = sorted((truth | guess) - known)
        if strange:
            side = "gold" if strange[0] in truth else "predicted"
            raise DataError(
                f"article {key[0]} line {key[1]}: unknown {side} technique {strange[0]!r}"
            )
        for technique in truth & guess:
            tp[technique] += 1
        for technique in guess - truth:
            fp[technique] += 1
        for technique in truth - guess:
            fn[technique] += 1
    per_technique = tuple(
        TechniqueScore(
            technique=t,
            precision=_ratio_or_one(tp[t], tp[t] + fp[t]),
            recall=_ratio_or_one(tp[t], tp[t] + fn[t]),
            f1=_ratio_or_one(2 * tp[t], 2 * tp[t] + fp[t] + fn[t]),
            gold=tp[t] + fn[t],
            predicted=tp[t] + fp[t],
        )
        for t in techniques
    )
    all_tp, all_fp, all_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    return ParagraphScores(
        paragraphs=len(gold_labels),
        unpredicted=sum(key not in predictions for key in gold_labels),
        gold_labels=all_tp + all_fn,
        predicted_labels=all_tp + all_fp,
        true_positives=all_tp,
        micro_precision=_ratio_or_one(all_tp, all_tp + all_fp),
        micro_recall=_ratio_or_one(all_tp, all_tp + all_fn),
        micro_f1=_ratio_or_one(2 * all_tp, 2 * all_tp + all_fp + all_fn),
        macro_f1=sum(s.f1 for s in per_technique) / len(per_technique) if per_technique else 1.0,
        per_technique=per_technique,
    )


def score_paragraph_file(data_dir: Path, predictions: Path) -> ParagraphScores:
    """Score a paragraph-level predictions file against the techniques directory `data_dir`."""
    return score_paragraphs(read_techniques_dir(data_dir), read_paragraph_labels(predictions))


def paragraphs_from_spans(
    texts: Mapping[str, str], spans: Mapping[str, Iterable[TechniqueSpan]]
) -> ParagraphLabels:
    """Paragraph labels for every non-blank line of every article in `texts`, from spans by
    article id: a technique is on each line its span reaches (`semeval.paragraph_lines`; from
    the gold spans this reproduces the released `paragraph-labels.txt` exactly)."""
    unknown = sorted(set(spans) - set(texts))
    if unknown:
        raise DataError(f"spans for {len(unknown)} unknown article(s) (first: {unknown[0]})")
    return {
        key: frozenset(found)
        for aid, text in texts.items()
        for key, found in paragraph_lines(aid, text, spans.get(aid, ())).items()
    }


def _ratio_or_one(part: int, whole: int) -> float:
    """sklearn's ratio with `zero_division=1`."""
    return part / whole if whole else 1.0


# --- tables ---------------------------------------------------------------------------------


def span_scores_table(
    scores: SpanScores, title: str = "Persuasion techniques, span level"
) -> Table:
    """A Rich table of span-level scores, with one row per technique, for the CLI."""
    table = _table(title)
    table.add_row(
        "technique and span (official)",
        *_prf(scores.precision, scores.recall, scores.f1),
        str(scores.gold),
        str(scores.predicted),
    )
    table.add_row(
        "span only (any technique)",
        *_prf(
            scores.identification_precision,
            scores.identification_recall,
            scores.identification_f1,
        ),
        str(scores.identification_gold),
        str(scores.identification_predicted),
    )
    _technique_rows(table, scores.per_technique)
    table.caption = (
        f"{scores.articles} articles · partial-overlap P/R (SemEval-2020 Task 11 scorer) · "
        f"counts in spans, overlaps merged"
    )
    return table


def paragraph_scores_table(
    scores: ParagraphScores, title: str = "Persuasion techniques, paragraph level"
) -> Table:
    """A Rich table of paragraph-level scores, with one row per technique, for the CLI."""
    table = _table(title)
    table.add_row(
        "micro",
        *_prf(scores.micro_precision, scores.micro_recall, scores.micro_f1),
        str(scores.gold_labels),
        str(scores.predicted_labels),
    )
    table.add_row("macro", "", "", f"{scores.macro_f1:.3f}", "", "")
    _technique_rows(table, scores.per_technique)
    table.caption = (
        f"{scores.paragraphs} paragraphs ({scores.unpredicted} without a prediction, scored "
        f"empty) · counts in (paragraph, technique) pairs · zero_division=1 as in SemEval-2023"
    )
    return table


def _table(title: str) -> Table:
    table = Table(title=title)
    table.add_column("scope")
    for name in ("precision", "recall", "F1", "gold", "predicted"):
        table.add_column(name, justify="right")
    return table


def _technique_rows(table: Table, rows: Sequence[TechniqueScore]) -> None:
    table.add_section()
    for row in rows:
        scores = _prf(row.precision, row.recall, row.f1)
        table.add_row(row.technique, *scores, str(row.gold), str(row.predicted))


def _prf(precision: float, recall: float, f1: float) -> tuple[str, str, str]:
    return f"{precision:.3f}", f"{recall:.3f}", f"{f1:.3f}"


# --- running the pipeline -------------------------------------------------------------------


def predict_techniques(gold: TechniquesGold, *, workers: int = 1) -> dict[str, list[TechniqueSpan]]:
    """The techniques layer's spans for every article of `gold`, by article id."""
    from spinscope.document import Analysis, Article
    from spinscope.pipeline import analyze_many

    articles = ((Article(id=aid, text=text), aid) for aid, text in gold.texts.items())
    predicted: dict[str, list[TechniqueSpan]] = {}
    for result, aid in analyze_many(articles, layers=("techniques",), workers=workers):
        if not isinstance(result, Analysis):
            raise DataError(f"article {aid}: {result}")
        predicted[aid] = [TechniqueSpan(t.start, t.end, t.technique) for t in result.techniques]
    return predicted


# --- the benchmark --------------------------------------------------------------------------


def _read_span_gold(data: Path) -> TechniquesGold:
    gold = read_techniques_dir(require_dir(data))
    gold.require_spans()
    return gold


def _score_spans(gold: TechniquesGold, found: Mapping[str, Sequence[TechniqueSpan]]) -> Result:
    scores = score_spans(gold, found)
    return Result(scores.to_dict(), span_scores_table(scores))


def _score_paragraphs(gold: TechniquesGold, found: ParagraphLabels) -> Result:
    scores = score_paragraphs(gold, found)
    return Result(scores.to_dict(), paragraph_scores_table(scores))


def _subset(gold: TechniquesGold, keep: Callable[[str], bool]) -> TechniquesGold:
    return gold.subset(aid for aid in gold.texts if keep(aid))


_DATA = "SemEval-2023 techniques directory: articles/, and spans/ or paragraph-labels.txt"

PARAGRAPHS = Benchmark(
    name="techniques",
    data=_DATA,
    read=lambda data: read_techniques_dir(require_dir(data)),
    predict=lambda gold, run: paragraphs_from_spans(
        gold.texts, predict_techniques(gold, workers=run.workers)
    ),
    score=_score_paragraphs,
    read_predictions=lambda path, gold: {
        key: labels for key, labels in read_paragraph_labels(path).items() if key[0] in gold.texts
    },
    write_predictions=lambda path, found, gold: write_paragraph_labels(
        path, {key: found.get(key, ()) for key in gold.paragraphs}
    ),
    subset=_subset,
    workers=True,
    level="paragraph",
)

#: Span level (SemEval-2020/2021); `--level paragraph`: SemEval-2023 subtask 3.
BENCHMARK = Benchmark(
    name="techniques",
    data=_DATA,
    read=_read_span_gold,
    predict=lambda gold, run: predict_techniques(gold, workers=run.workers),
    score=_score_spans,
    read_predictions=lambda path, gold: only(read_spans(path), gold.texts),
    write_predictions=lambda path, found, gold: write_spans(path, found),
    subset=_subset,
    workers=True,
    level="span",
    levels={"paragraph": PARAGRAPHS},
)
