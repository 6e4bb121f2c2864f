"""Quote-attribution evaluation on PolNeAR-style data: who said what, scored against gold.

A data directory holds `text/<name>.txt` (the articles) and `attributions/<name>_<annotator>.ann`
(brat standoff, see `spinscope.evaluate.brat`). Some articles were annotated by several
annotators; the scorer uses ONE file per article, the first by sorted file name, so results
are deterministic.

Two ways in:

    evaluate_quotes(data_dir)                        # run the quotes layer, score it
    evaluate_quotes(data_dir, write_dir=out)         # ... and write out/<name>.ann per article
    evaluate_quotes(data_dir, predict=my_function)   # score any predictor (name, text) -> quotes
    evaluate_quotes(data_dir, names=validation)      # ... on a subset of the articles only
    score_prediction_files(data_dir, out)            # score .ann predictions written earlier

`BENCHMARK` declares the same steps for `spinscope eval quotes` (`spinscope.evaluate.benchmark`).

Metrics, micro-averaged over the whole directory. An attribution's content is the union of its
content spans (a quote split by "he said" is one attribution with two spans).

- soft content P/R/F1: P = mean over predictions of |pred ∩ all gold content| / |pred|,
  R = mean over gold of |gold ∩ all predicted content| / |gold| (per article), F1 harmonic;
- IoU content P/R/F1: predictions and gold paired one-to-one, greedily by highest character
  IoU of their content, pairs below IoU 0.5 left unpaired; P = matched / #pred, R = matched / #gold;
- speaker and cue accuracy over the matched pairs whose gold has a source (a cue): right when the
  predicted span overlaps the gold one by at least one character (`..._overlap`), or has
  IoU >= 0.5 with it (`..._strict`). A prediction with no speaker (cue) there counts as wrong.

A ratio with nothing to divide (no predictions, no matched pairs) is 0.0; the counts say which.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table

from spinscope.document import Article, Quote, Span
from spinscope.errors import DataError
from spinscope.evaluate.benchmark import Benchmark, Result, require_dir
from spinscope.evaluate.brat import Attribution, read_ann, read_text, write_ann

#: A quote extractor: (article name, whole article text) -> the quotes found.
Predictor = Callable[[str, str], Sequence[Quote]]

#: Content IoU at or above which a prediction and a gold attribution are a match.
IOU_THRESHOLD = 0.5

#: Character intervals: sorted, disjoint, non-empty (start, end) pairs.
Intervals = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class GoldArticle:
    """One article of a data directory with its gold attributions (from one annotator)."""

    name: str
    text: str
    attributions: tuple[Attribution, ...]
    ann_path: Path


@dataclass(frozen=True)
class QuoteScores:
    """Quote-attribution scores over a directory (see the module docstring for definitions)."""

    articles: int
    gold: int
    predicted: int
    matched: int
    soft_precision: float
    soft_recall: float
    soft_f1: float
    iou_precision: float
    iou_recall: float
    iou_f1: float
    speaker_pairs: int
    speaker_overlap: float
    speaker_strict: float
    cue_pairs: int
    cue_overlap: float
    cue_strict: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_gold(data_dir: Path, names: Collection[str] | None = None) -> list[GoldArticle]:
    """Every article of `data_dir` with its gold attributions, by name; with `names`, only
    those articles (a held-out split, say), each of which must be in the directory.

    Uses one annotation file per article: the first by sorted file name. Raises `DataError`
    when the directory is not laid out as expected or an annotation does not fit its article.
    """
    text_dir, ann_dir = data_dir / "text", data_dir / "attributions"
    for folder in (text_dir, ann_dir):
        if not folder.is_dir():
            raise DataError(f"{data_dir}: expected a folder {folder.name}/ (PolNeAR layout)")
    texts = sorted(text_dir.glob("*.txt"))
    if not texts:
        raise DataError(f"{text_dir}: no .txt articles")
    if names is not None:
        wanted = set(names)
        missing = sorted(wanted - {path.stem for path in texts})
        if missing:
            raise DataError(
                f"{text_dir}: no article {missing[0]}.txt ({len(missing)} of the names asked for)"
            )
        texts = [path for path in texts if path.stem in wanted]
    annotations: dict[str, Path] = {}
    for path in sorted(ann_dir.glob("*.ann")):
        name, sep, _annotator = path.stem.rpartition("_")
        if not sep:
            raise DataError(f"{path}: expected a name `<article>_<annotator>.ann`")
        annotations.setdefault(name, path)
    articles = []
    for path in texts:
        ann_path = annotations.get(path.stem)
        if ann_path is None:
            raise DataError(f"{path}: no annotation file {path.stem}_<annotator>.ann in {ann_dir}")
        text = read_text(path)
        gold = tuple(read_ann(ann_path, text))
        articles.append(GoldArticle(path.stem, text, gold, ann_path))
    return articles


def pipeline_predictor() -> Predictor:
    """The spinscope quotes layer as a predictor (models load on the first article)."""
    from spinscope.pipeline import Pipeline

    pipeline = Pipeline(layers=("quotes",))

    def predict(name: str, text: str) -> Sequence[Quote]:
        return pipeline.analyze(Article(id=name, text=text)).quotes

    return predict


def evaluate_quotes(
    data_dir: Path,
    *,
    predict: Predictor | None = None,
    write_dir: Path | None = None,
    names: Collection[str] | None = None,
) -> QuoteScores:
    """Run `predict` (default: the quotes layer) over `data_dir` and score it against the gold.
    With `names`, only those articles are run and scored (see `load_gold`).

    Each article is given as its whole file text, read exactly as the gold offsets count it.
    With `write_dir`, the predictions are also written there as `<name>.ann`, one per article
    (an empty file where nothing was found), for `score_prediction_files` to score again.
    """
    gold = load_gold(data_dir, names)
    found = predict_attributions(gold, predict or pipeline_predictor())
    if write_dir is not None:
        write_predictions(write_dir, found)
    return score_found(gold, found)


def score_prediction_files(
    data_dir: Path, predictions_dir: Path, names: Collection[str] | None = None
) -> QuoteScores:
    """Score `predictions_dir/<name>.ann` (as `evaluate_quotes` writes them) against `data_dir`
    (with `names`, only those articles).

    Every article scored needs its predictions file; other files are ignored.
    """
    gold = load_gold(data_dir, names)
    return score_found(gold, read_predictions(predictions_dir, gold))


#: Predicted attributions, by article name.
Found = dict[str, list[Attribution]]


def predict_attributions(gold: Sequence[GoldArticle], predict: Predictor) -> Found:
    """What `predict` finds in each gold article (its spans checked against the text)."""
    found = {}
    for article in gold:
        quotes = list(predict(article.name, article.text))
        _check_quotes(article, quotes)
        found[article.name] = [Attribution.from_quote(q, id=str(i)) for i, q in enumerate(quotes)]
    return found


def write_predictions(directory: Path, found: Found) -> None:
    """`found` as `<name>.ann` files in `directory` (an empty file where nothing was found)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, attributions in found.items():
        write_ann(directory / f"{name}.ann", attributions)


def read_predictions(directory: Path, gold: Sequence[GoldArticle]) -> Found:
    """The attributions of `directory/<name>.ann` for each gold article; each must have one."""
    missing = [a.name for a in gold if not (directory / f"{a.name}.ann").is_file()]
    if missing:
        raise DataError(
            f"{directory}: no predictions for {len(missing)} of {len(gold)} articles "
            f"(first: {missing[0]}.ann)"
        )
    return {a.name: read_ann(directory / f"{a.name}.ann", a.text) for a in gold}


def score_found(gold: Sequence[GoldArticle], found: Found) -> QuoteScores:
    """The scores of the attributions found in each gold article."""
    return score_quotes((a.attributions, found[a.name]) for a in gold)


def score_quotes(
    articles: Iterable[tuple[Sequence[Attribution], Sequence[Attribution]]],
) -> QuoteScores:
    """Micro-averaged scores over (gold, predicted) attributions, one pair per article."""
    tally = _Tally()
    for gold, predicted in articles:
        tally.add(gold, predicted)
    return tally.scores()


def scores_table(scores: QuoteScores, title: str = "Quote attribution") -> Table:
    """A Rich table of the scores, for the CLI."""
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("precision", justify="right")
    table.add_column("recall", justify="right")
    table.add_column("F1", justify="right")
    table.add_row(
        "content, soft overlap",
        f"{scores.soft_precision:.3f}",
        f"{scores.soft_recall:.3f}",
        f"{scores.soft_f1:.3f}",
    )
    table.add_row(
        f"content, IoU ≥ {IOU_THRESHOLD}",
        f"{scores.iou_precision:.3f}",
        f"{scores.iou_recall:.3f}",
        f"{scores.iou_f1:.3f}",
    )
    table.add_section()
    table.add_row("metric", "overlap", "IoU ≥ 0.5", "pairs", style="bold")
    table.add_row(
        "speaker accuracy",
        f"{scores.speaker_overlap:.3f}",
        f"{scores.speaker_strict:.3f}",
        str(scores.speaker_pairs),
    )
    table.add_row(
        "cue accuracy",
        f"{scores.cue_overlap:.3f}",
        f"{scores.cue_strict:.3f}",
        str(scores.cue_pairs),
    )
    table.caption = (
        f"{scores.articles} articles · {scores.gold} gold · {scores.predicted} predicted · "
        f"{scores.matched} matched"
    )
    return table


@dataclass
class _Tally:
    articles: int = 0
    gold: int = 0
    predicted: int = 0
    matched: int = 0
    soft_precision_sum: float = 0.0
    soft_recall_sum: float = 0.0
    speaker: list[tuple[bool, bool]] = field(default_factory=list)
    cue: list[tuple[bool, bool]] = field(default_factory=list)

    def add(self, gold: Sequence[Attribution], predicted: Sequence[Attribution]) -> None:
        gold_content = [intervals(a.content) for a in gold]
        pred_content = [intervals(a.content) for a in predicted]
        all_gold = intervals(s for a in gold for s in a.content)
        all_pred = intervals(s for a in predicted for s in a.content)
        self.articles += 1
        self.gold += len(gold)
        self.predicted += len(predicted)
        self.soft_precision_sum += sum(_covered(p, all_gold) for p in pred_content)
        self.soft_recall_sum += sum(_covered(g, all_pred) for g in gold_content)
        for g, p in match(gold_content, pred_content):
            self.matched += 1
            if gold[g].source:
                self.speaker.append(_agree(gold[g].source, predicted[p].source))
            if gold[g].cue:
                self.cue.append(_agree(gold[g].cue, predicted[p].cue))

    def scores(self) -> QuoteScores:
        soft_p = _ratio(self.soft_precision_sum, self.predicted)
        soft_r = _ratio(self.soft_recall_sum, self.gold)
        iou_p = _ratio(self.matched, self.predicted)
        iou_r = _ratio(self.matched, self.gold)
        return QuoteScores(
            articles=self.articles,
            gold=self.gold,
            predicted=self.predicted,
            matched=self.matched,
            soft_precision=soft_p,
            soft_recall=soft_r,
            soft_f1=_f1(soft_p, soft_r),
            iou_precision=iou_p,
            iou_recall=iou_r,
            iou_f1=_f1(iou_p, iou_r),
            speaker_pairs=len(self.speaker),
            speaker_overlap=_ratio(sum(o for o, _ in self.speaker), len(self.speaker)),
            speaker_strict=_ratio(sum(s for _, s in self.speaker), len(self.speaker)),
            cue_pairs=len(self.cue),
            cue_overlap=_ratio(sum(o for o, _ in self.cue), len(self.cue)),
            cue_strict=_ratio(sum(s for _, s in self.cue), len(self.cue)),
        )


def intervals(spans: Iterable[Span]) -> Intervals:
    """The characters the spans cover, as sorted disjoint intervals."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((s.start, s.end) for s in spans if s.end > s.start):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def size(a: Intervals) -> int:
    return sum(end - start for start, end in a)


def overlap(a: Intervals, b: Intervals) -> int:
    """Characters in both `a` and `b`."""
    total, i, j = 0, 0, 0
    while i < len(a) and j < len(b):
        total += max(0, min(a[i][1], b[j][1]) - max(a[i][0], b[j][0]))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def iou(a: Intervals, b: Intervals) -> float:
    """Character intersection over union (0.0 when both are empty)."""
    both = overlap(a, b)
    union = size(a) + size(b) - both
    return both / union if union else 0.0


def match(gold: Sequence[Intervals], predicted: Sequence[Intervals]) -> list[tuple[int, int]]:
    """One-to-one (gold index, predicted index) pairs with IoU >= `IOU_THRESHOLD`, chosen greedily
    by highest IoU (ties by gold, then predicted index)."""
    candidates = sorted(
        (-score, g, p)
        for g, gold_content in enumerate(gold)
        for p, pred_content in enumerate(predicted)
        if (score := iou(gold_content, pred_content)) >= IOU_THRESHOLD
    )
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    pairs = []
    for _, g, p in candidates:
        if g not in used_gold and p not in used_pred:
            used_gold.add(g)
            used_pred.add(p)
            pairs.append((g, p))
    return pairs


def _covered(part: Intervals, whole: Intervals) -> float:
    length = size(part)
    return overlap(part, whole) / length if length else 0.0


def _agree(gold: Sequence[Span], predicted: Sequence[Span]) -> tuple[bool, bool]:
    """(overlaps by a character, IoU >= threshold) of a predicted role span against the gold."""
    theirs, mine = intervals(gold), intervals(predicted)
    return overlap(theirs, mine) > 0, iou(theirs, mine) >= IOU_THRESHOLD


def _ratio(part: float, whole: int) -> float:
    return part / whole if whole else 0.0


def _f1(precision: float, recall: float) -> float:
    total = precision + recall
    return 2 * precision * recall / total if total else 0.0


def _check_quotes(article: GoldArticle, quotes: Sequence[Quote]) -> None:
    """A predictor's spans must point into the article text as given."""
    for i, quote in enumerate(quotes):
        spans = [*quote.content, *([quote.speaker] if quote.speaker else [])]
        spans += [quote.cue] if quote.cue else []
        for span in spans:
            if article.text[span.start : span.end] != span.text:
                raise ValueError(
                    f"{article.name}: quote {i} has span {span.start}:{span.end} {span.text!r}, "
                    f"which does not match the article text there"
                )


def _score(gold: list[GoldArticle], found: Found) -> Result:
    scores = score_found(gold, found)
    return Result(scores.to_dict(), scores_table(scores))


BENCHMARK = Benchmark(
    name="quotes",
    data="PolNeAR-style directory: text/*.txt and attributions/*.ann",
    read=lambda data: load_gold(require_dir(data)),
    predict=lambda gold, run: predict_attributions(gold, pipeline_predictor()),
    score=_score,
    read_predictions=lambda path, gold: read_predictions(require_dir(path), gold),
    write_predictions=lambda path, found, gold: write_predictions(path, found),
    predictions="DIR",
)
