"""Genre and frames of news articles, SemEval-2023 Task 3 subtasks 1 and 2: gold, predictions,
scores.

A data directory (`../shared/data/semeval2023-en/genre-framing/`) holds
`articles/article<ID>.txt`, `genre-labels.txt` and `frame-labels.txt`. Gold and predictions
share the task's formats, TSV without a header, one article a line, keyed by the digits of the
file name:

    <ID><TAB>opinion|reporting|satire              (genre)
    <ID><TAB>frame,frame,…                         (frames; the list may be empty)

The official scorers: subtask 1, macro-averaged F1 over the genres (sklearn's `f1_score`
with `average="macro"`: the classes present in the gold or the predictions); subtask 2,
micro-averaged F1 over (article, frame) pairs of the 14 frames (sklearn on
`MultiLabelBinarizer` vectors). Predictions must cover exactly the gold articles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from spinscope.errors import DataError
from spinscope.evaluate.benchmark import Benchmark, Result, Run, only, require_dir
from spinscope.evaluate.semeval import article_id, check_cover, tsv_records
from spinscope.taxonomy import FRAMES, GENRES

GENRE_FILE = "genre-labels.txt"
FRAMES_FILE = "frame-labels.txt"
ARTICLES = "articles"


@dataclass(frozen=True)
class GenreFramingGold:
    """Articles' texts, genres and frames, by article id (the digits of `article<ID>.txt`)."""

    texts: dict[str, str]
    genres: dict[str, str]
    frames: dict[str, frozenset[str]]

    def subset(self, ids: Iterable[str]) -> GenreFramingGold:
        keep = [i for i in ids if i in self.texts]
        return GenreFramingGold(
            {i: self.texts[i] for i in keep},
            {i: self.genres[i] for i in keep if i in self.genres},
            {i: self.frames[i] for i in keep if i in self.frames},
        )


@dataclass(frozen=True)
class LabelScores:
    """F1 over articles' labels: `f1` is the task's official figure (genre: macro; frames:
    micro), `other_f1` the other average, with precision and recall of the micro average."""

    articles: int
    f1: float
    other_f1: float
    precision: float
    recall: float
    per_label: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_genres(path: Path) -> dict[str, str]:
    """Genre by article id. Raises `DataError` on a malformed line or an unknown genre."""
    genres: dict[str, str] = {}
    for line_no, fields in tsv_records(path):
        where = f"{path}:{line_no}"
        if len(fields) != 2:
            raise DataError(f"{where}: expected 2 TAB-separated fields `id genre`")
        doc, genre = fields[0].strip(), fields[1].strip()
        if genre not in GENRES:
            raise DataError(f"{where}: unknown genre {genre!r}; genres: {', '.join(GENRES)}")
        _add(where, genres, doc, genre)
    return genres


def read_frames(path: Path) -> dict[str, frozenset[str]]:
    """Frames by article id (possibly none). Raises `DataError` on a malformed line or an
    unknown frame."""
    frames: dict[str, frozenset[str]] = {}
    for line_no, fields in tsv_records(path):
        where = f"{path}:{line_no}"
        if len(fields) not in (1, 2):
            raise DataError(f"{where}: expected 2 TAB-separated fields `id frame,frame,…`")
        names = frozenset(f.strip() for f in (fields[1] if len(fields) == 2 else "").split(","))
        names -= {""}
        unknown = sorted(names - set(FRAMES))
        if unknown:
            raise DataError(f"{where}: unknown frame {unknown[0]!r} (e.g. Economic, Morality)")
        _add(where, frames, fields[0].strip(), names)
    return frames


def read_genre_framing_dir(data: Path) -> GenreFramingGold:
    """The articles of `data/articles/` with their genre and frame labels (either file may be
    absent; an article without a label is scored for neither)."""
    folder = data / ARTICLES
    if not folder.is_dir():
        raise DataError(f"{data}: no {ARTICLES}/ folder of article<ID>.txt files")
    texts = {
        article_id(p.name): p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))
    }
    genres = read_genres(data / GENRE_FILE) if (data / GENRE_FILE).exists() else {}
    frames = read_frames(data / FRAMES_FILE) if (data / FRAMES_FILE).exists() else {}
    unknown = sorted((set(genres) | set(frames)) - set(texts))
    if unknown:
        raise DataError(f"{data}: labels for articles with no text in {ARTICLES}/: {unknown[:3]}")
    return GenreFramingGold(texts, genres, frames)


def format_genres(genres: Mapping[str, str]) -> str:
    return "".join(f"{doc}\t{genre}\n" for doc, genre in genres.items())


def format_frames(frames: Mapping[str, Iterable[str]]) -> str:
    return "".join(f"{doc}\t{','.join(sorted(names))}\n" for doc, names in frames.items())


def write_genres(path: Path, genres: Mapping[str, str]) -> None:
    path.write_text(format_genres(genres), encoding="utf-8")


def write_frames(path: Path, frames: Mapping[str, Iterable[str]]) -> None:
    path.write_text(format_frames(frames), encoding="utf-8")


def score_genres(gold: Mapping[str, str], predictions: Mapping[str, str]) -> LabelScores:
    """Macro-F1 (official) and micro-F1 (= accuracy) of single-label genres."""
    check_cover(gold, predictions, "articles")
    return _score(
        {d: frozenset([g]) for d, g in gold.items()},
        {d: frozenset([predictions[d]]) for d in gold},
        macro_official=True,
    )


def score_frames(
    gold: Mapping[str, frozenset[str]], predictions: Mapping[str, Iterable[str]]
) -> LabelScores:
    """Micro-F1 (official) and macro-F1 of multi-label frames."""
    check_cover(gold, predictions, "articles")
    return _score(gold, {d: frozenset(predictions[d]) for d in gold}, macro_official=False)


def _score(
    gold: Mapping[str, frozenset[str]],
    predicted: Mapping[str, frozenset[str]],
    *,
    macro_official: bool,
) -> LabelScores:
    labels = sorted({x for v in (*gold.values(), *predicted.values()) for x in v})
    per_label: dict[str, float] = {}
    tp_all = pred_all = gold_all = 0
    for label in labels:
        tp = sum(label in gold[d] and label in predicted[d] for d in gold)
        g = sum(label in gold[d] for d in gold)
        p = sum(label in predicted[d] for d in gold)
        per_label[label] = 2 * tp / (g + p) if tp else 0.0
        tp_all, gold_all, pred_all = tp_all + tp, gold_all + g, pred_all + p
    micro = 2 * tp_all / (gold_all + pred_all) if tp_all else 0.0
    macro = sum(per_label.values()) / len(per_label) if per_label else 0.0
    return LabelScores(
        articles=len(gold),
        f1=macro if macro_official else micro,
        other_f1=micro if macro_official else macro,
        precision=tp_all / pred_all if pred_all else 0.0,
        recall=tp_all / gold_all if gold_all else 0.0,
        per_label=per_label,
    )


def predict_genre_frames(
    texts: Mapping[str, str], *, workers: int = 1
) -> tuple[dict[str, str], dict[str, frozenset[str]]]:
    """The genre and frames layers' labels for every article, by id."""
    from spinscope.document import Analysis, Article
    from spinscope.pipeline import analyze_many

    articles = ((Article(id=doc, text=text), doc) for doc, text in texts.items())
    genres: dict[str, str] = {}
    frames: dict[str, frozenset[str]] = {}
    for result, doc in analyze_many(articles, layers=("genre", "frames"), workers=workers):
        if not isinstance(result, Analysis) or result.genre is None:
            raise DataError(f"article {doc}: {result}")
        genres[doc] = result.genre.genre
        frames[doc] = frozenset(f.frame for f in result.frames)
    return genres, frames


def label_scores_table(
    title: str, scores: LabelScores, baseline: LabelScores, baseline_name: str, *, macro: bool
) -> Table:
    """A Rich table of the scores and a trivial baseline's, for the CLI; `macro` when the
    official figure is the macro average (genre), else it is the micro average (frames)."""
    official, other = ("macro", "micro") if macro else ("micro", "macro")
    table = Table(title=title)
    for name in ("", f"{official}-F1 (official)", f"{other}-F1", "micro P", "micro R"):
        table.add_column(name, justify="right")
    for name, s in (("spinscope", scores), (baseline_name, baseline)):
        table.add_row(
            name, f"{s.f1:.3f}", f"{s.other_f1:.3f}", f"{s.precision:.3f}", f"{s.recall:.3f}"
        )
    table.caption = f"{scores.articles} articles"
    return table


def _add(where: str, found: dict[str, Any], doc: str, value: Any) -> None:
    if not doc or doc in found:
        raise DataError(f"{where}: empty or repeated article id {doc!r}")
    found[doc] = value


# --- the benchmarks -------------------------------------------------------------------------


def _read(data: Path) -> GenreFramingGold:
    return read_genre_framing_dir(require_dir(data))


def _subset(gold: GenreFramingGold, keep: Callable[[str], bool]) -> GenreFramingGold:
    return gold.subset(doc for doc in gold.texts if keep(doc))


def _predict(gold: GenreFramingGold, run: Run, task: str) -> dict[str, Any]:
    """The task's labels for each article that has gold labels for it."""
    truth: Mapping[str, Any] = gold.genres if task == "genre" else gold.frames
    genres, frames = predict_genre_frames(
        {doc: gold.texts[doc] for doc in truth}, workers=run.workers
    )
    return dict(genres) if task == "genre" else dict(frames)


def _score_genres(gold: GenreFramingGold, found: dict[str, str]) -> Result:
    scores = score_genres(gold.genres, found)
    baseline = score_genres(gold.genres, {doc: "opinion" for doc in gold.genres})
    title = "Genre (SemEval-2023 Task 3 subtask 1)"
    table = label_scores_table(title, scores, baseline, "always opinion", macro=True)
    return Result({**scores.to_dict(), "baseline": baseline.to_dict()}, table)


def _score_frames(gold: GenreFramingGold, found: dict[str, frozenset[str]]) -> Result:
    scores = score_frames(gold.frames, found)
    baseline = score_frames(gold.frames, {doc: FRAMES for doc in gold.frames})
    title = "Frames (SemEval-2023 Task 3 subtask 2)"
    table = label_scores_table(title, scores, baseline, "all 14 frames", macro=False)
    return Result({**scores.to_dict(), "baseline": baseline.to_dict()}, table)


_DATA = f"SemEval-2023 Task 3 directory: {ARTICLES}/, {GENRE_FILE}, {FRAMES_FILE}"

#: Genre (opinion, reporting, satire): macro-F1, beside always answering opinion.
GENRE_BENCHMARK = Benchmark(
    name="genre",
    data=_DATA,
    read=_read,
    predict=lambda gold, run: _predict(gold, run, "genre"),
    score=_score_genres,
    read_predictions=lambda path, gold: only(read_genres(path), gold.genres),
    write_predictions=lambda path, found, gold: write_genres(path, found),
    subset=_subset,
    workers=True,
)

#: Frames (the 14 of the Policy Frames Codebook): micro-F1, beside answering all 14.
FRAMES_BENCHMARK = Benchmark(
    name="frames",
    data=_DATA,
    read=_read,
    predict=lambda gold, run: _predict(gold, run, "frames"),
    score=_score_frames,
    read_predictions=lambda path, gold: only(read_frames(path), gold.frames),
    write_predictions=lambda path, found, gold: write_frames(path, found),
    subset=_subset,
    workers=True,
)
