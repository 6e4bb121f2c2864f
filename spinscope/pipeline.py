"""The pipeline: article → parse → layers → `Analysis`. The CLI, benchmarks and evaluation are
thin adapters around it."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TypeVar

from spacy.language import Language

from spinscope.document import Analysis, Article
from spinscope.errors import AnalysisStopped, InputError, LLMError, ModelError
from spinscope.ingest.base import Loaded
from spinscope.layers import BUILTIN, Findings, Layer, resolve
from spinscope.llm import LLMClient, LLMOptions, RefineReport, refine_reported
from spinscope.ml.encoder import EncodedUnit
from spinscope.parse import Parsed, Segmented, detect_language, load_nlp, parse
from spinscope.windows import WINDOW_CHARS, Merged, sentence_only, windows

#: The layers `analyze` runs when none are named: every one spinscope ships (the layers that
#: read the encoder share one pass; see docs/benchmarks.md).
DEFAULT_LAYERS: tuple[str, ...] = BUILTIN


#: The default time budget of one article's analysis, in seconds: generous (a 2 MB text, the
#: ingest cap, takes about six minutes on one core), so that only a runaway reaches it.
MAX_SECONDS = 900.0


class Pipeline:
    """Reusable analysis pipeline. Construction does no I/O; models load on first use.

    english_only -- refuse an article whose text does not look English (an `InputError`
                    before anything runs), instead of analysing it with a warning.
    max_seconds -- the time budget of one article: an analysis still running after it stops
                   at its next window or layer with an `AnalysisStopped` error for that
                   article (None: no budget).
    window -- the longest text parsed at once, in characters. A longer article is parsed
              and run through the layers window by window (`spinscope.windows`), and the
              layers that read no parse run once over the whole (`register_whole`): cost
              grows with the length and memory stays that of one window.
    llm -- an OpenAI-compatible endpoint that refines the findings of each analysis, of the
           layers that declare what it may refine (`spinscope.llm`): a request that gives no
           usable answer (too slow, cut off, refused, not JSON) is a warning of that article's,
           its learned findings kept; an endpoint that cannot be used at all raises `LLMError`.
    """

    def __init__(
        self,
        layers: Sequence[str] = DEFAULT_LAYERS,
        english_only: bool = False,
        max_seconds: float | None = MAX_SECONDS,
        window: int = WINDOW_CHARS,
        llm: LLMOptions | None = None,
    ) -> None:
        if max_seconds is not None and max_seconds <= 0:
            raise ValueError(f"max_seconds must be positive, not {max_seconds}")
        if window <= 0:
            raise ValueError(f"window must be positive, not {window}")
        self.layers = resolve(layers)
        self.english_only = english_only
        self.max_seconds = max_seconds
        self.window = window
        self.llm = llm
        self._client = None if llm is None else LLMClient(llm)

    def analyze(
        self, item: str | Article | Loaded, cancel: threading.Event | None = None
    ) -> Analysis:
        """Analyse one article (a string is taken as the article's whole text). An article as
        `spinscope.ingest` read it (`Loaded`) keeps the notes on how it was read ("decoded as
        cp1252") as its analysis's first warnings. Setting `cancel` (from another thread) stops
        the analysis at its next window or layer with `AnalysisStopped`."""
        return self.analyze_reported(item, cancel)[0]

    def analyze_reported(
        self, item: str | Article | Loaded, cancel: threading.Event | None = None
    ) -> tuple[Analysis, RefineReport | None]:
        """`analyze`, and the report of the LLM's refinement (None without `llm`, or when no
        layer of the pipeline declares one)."""
        if isinstance(item, Loaded):
            analysis, report = self.analyze_reported(item.article, cancel)
            return noted(analysis, item.notes), report
        article = (
            item if isinstance(item, Article) else Article(id=Article.make_id(item), text=item)
        )
        analysis = self._analyze(article, cancel)
        if self._client is None:
            return analysis, None
        return refine_reported(analysis, self._client, self.layers)

    def _analyze(self, article: Article, cancel: threading.Event | None) -> Analysis:
        if self.english_only:
            article = _check_english(article)
        nlp = load_nlp()  # loaded before the clock starts: not the article's cost
        stop = _Stop(article.id, self.max_seconds, cancel)
        pieces = windows(article.text, self.window)
        if len(pieces) == 1:
            parsed = parse(article, nlp)
            found = _run(self.layers, parsed, {}, stop)
            return _analysis(self.layers, parsed, found, parsed.warnings)
        return self._analyze_windows(article, pieces, nlp, stop)

    def _analyze_windows(
        self, article: Article, pieces: list[tuple[int, int]], nlp: Language, stop: _Stop
    ) -> Analysis:
        """A long article, window by window (`spinscope.windows`): each window is parsed, run
        through the layers that read the parse, and its findings moved to the article's offsets
        before the next is parsed; of its encoder pass, only the sentences' vectors are kept,
        for the layers that then run once over the whole."""
        by_window = [layer for layer in self.layers if layer.whole is None]
        over_whole = [layer for layer in self.layers if layer.whole is not None]
        merged = Merged()
        vectors: list[EncodedUnit] = []
        for start, end in pieces:
            stop.check()
            window = article.model_copy(update={"text": article.text[start:end]})
            parsed = parse(window, nlp, offset=start)
            if start == 0:  # the language is told from the article's start, as `parse` does
                article = article.model_copy(update={"language": parsed.article.language})
            merged.add(parsed, _run(by_window, parsed, {}, stop))
            if over_whole:
                vectors.extend(sentence_only(unit, start) for unit in parsed.units)
        found = merged.findings(by_window)
        whole = Segmented(
            article=article,
            sentences=merged.sentences,
            paragraphs=merged.paragraphs,
            warnings=list(dict.fromkeys(merged.warnings)),
            encoded=vectors,
        )
        for layer in over_whole:
            stop.check()
            assert layer.whole is not None
            found[layer.name] = layer.whole(whole, found)
        return _analysis(self.layers, whole, found, whole.warnings)


class _Stop:
    """When an analysis must stop: past its deadline, or once `cancel` is set."""

    def __init__(
        self, article_id: str, max_seconds: float | None, cancel: threading.Event | None
    ) -> None:
        self.article_id = article_id
        self.max_seconds = max_seconds
        self.deadline = None if max_seconds is None else time.monotonic() + max_seconds
        self.cancel = cancel

    def check(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise AnalysisStopped(self.article_id, "analysis cancelled")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise AnalysisStopped(
                self.article_id,
                f"analysis stopped: it took longer than its budget of {self.max_seconds:g} s "
                f"(raise it with --max-seconds)",
            )


def _run(layers: Sequence[Layer], parsed: Parsed, found: Findings, stop: _Stop) -> Findings:
    for layer in layers:
        stop.check()
        found[layer.name] = layer.run(parsed, found)
    return found


def _analysis(
    layers: Sequence[Layer], segmented: Segmented, found: Findings, warnings: list[str]
) -> Analysis:
    """The `Analysis`, each layer's findings in the field the layer declares."""
    return Analysis.of(
        segmented.article,
        segmented.sentences,
        segmented.paragraphs,
        {layer.field: found[layer.name] for layer in layers},
        warnings,
    )


def noted(analysis: Analysis, notes: Sequence[str]) -> Analysis:
    """`analysis` with `notes` on how its article was read before its warnings."""
    if not notes:
        return analysis
    return analysis.model_copy(update={"warnings": [*notes, *analysis.warnings]})


def _check_english(article: Article) -> Article:
    """The article with its language set; InputError if it is not English."""
    language = article.language or detect_language(article.text)
    if language is not None and language != "en":
        raise InputError(
            article.id,
            f"not English: the text looks like language '{language}', and spinscope's layers "
            f"are built for English news",
        )
    return (
        article
        if language == article.language
        else article.model_copy(update={"language": language})
    )


def analyze(item: str | Article, layers: Sequence[str] = DEFAULT_LAYERS) -> Analysis:
    """Analyse one article with the default pipeline."""
    return Pipeline(layers).analyze(item)


#: What `analyze_many` carries along with each article, untouched (e.g. where it came from).
C = TypeVar("C")

#: The pipeline of a worker process, built once by `_start_worker`.
_worker_pipeline: Pipeline | None = None


def analyze_many(
    items: Iterable[tuple[Article | Loaded, C]],
    *,
    layers: Sequence[str] = DEFAULT_LAYERS,
    workers: int = 1,
    english_only: bool = False,
    max_seconds: float | None = MAX_SECONDS,
    llm: LLMOptions | None = None,
    on_refined: Callable[[RefineReport, C], None] | None = None,
) -> Iterator[tuple[Analysis | InputError, C]]:
    """Analyse a stream of `(article, context)` pairs, in input order, in `workers` processes
    (an article as `spinscope.ingest` read it keeps its notes: see `Pipeline.analyze`).
    `on_refined(report, context)` hears of each `llm` refinement's report, before its analysis
    is yielded.

    Each result comes with its article's context, unchanged. Error policy: record and
    continue. An article whose analysis fails yields an `InputError` named by the article's
    id, in place of its analysis, and the others go on. A missing model (`ModelError`) or an
    `llm` endpoint that cannot be reached (`LLMError`) fails every article alike, so it is
    raised. Layers are checked before anything runs. With
    `english_only`, an article that does not look English is such an error, and so is one whose
    analysis runs past `max_seconds` (see `Pipeline`).

    With `workers` > 1, each worker process builds one `Pipeline` and loads the models once.
    A worker that finishes gets the next article at once, whatever the oldest one is doing: a
    long article holds back the results after it (they are yielded in input order), not the
    other workers. At most
    `_HELD_PER_WORKER * workers` articles are read ahead of the results, so a long stream is
    never held in memory.
    """
    if workers < 1:
        raise ValueError(f"workers must be 1 or more, not {workers}")
    pipeline = Pipeline(layers, english_only, max_seconds, llm=llm)  # checks; loads nothing

    def result(outcome: Outcome, article: Article | Loaded, context: C) -> Analysis | InputError:
        if not isinstance(outcome, str) and outcome[1] is not None and on_refined is not None:
            on_refined(outcome[1], context)
        return _result(outcome, article)

    if workers == 1:
        for article, context in items:
            yield result(_analyze_one(pipeline, article), article, context), context
        return
    pending: deque[tuple[Future[Outcome], Article | Loaded, C]] = deque()
    # "spawn", not fork: a forked child inherits the parent's onnxruntime and BLAS thread pools
    # in whatever state they were, and can deadlock when the parent had already run the encoder.
    executor = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(tuple(layers), english_only, max_seconds, llm),
    )
    # Workers share the cores: one BLAS thread each (numpy's matrix products), unless the user
    # chose otherwise. BLAS reads this when it loads, so the workers must inherit it.
    saved = {name: os.environ.get(name) for name in _BLAS_THREADS}
    for name in _BLAS_THREADS:
        os.environ.setdefault(name, "1")
    source = iter(items)
    exhausted = False
    try:
        while True:
            running = [future for future, _, _ in pending if not future.done()]
            while (
                not exhausted
                and len(running) < 2 * workers  # each worker busy, with one more queued
                and len(pending) < _HELD_PER_WORKER * workers
            ):
                try:
                    article, context = next(source)
                except StopIteration:
                    exhausted = True
                    break
                future = executor.submit(_analyze_in_worker, article)
                pending.append((future, article, context))
                running.append(future)
            if not pending:
                break
            if not pending[0][0].done():
                wait(running, return_when=FIRST_COMPLETED)
            while pending and pending[0][0].done():
                future, done, done_context = pending.popleft()
                yield result(future.result(), done, done_context), done_context
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


#: Most articles read ahead of the results, per worker: finished ones wait for an earlier, longer
#: one to be yielded in order.
_HELD_PER_WORKER = 16

#: Environment variables that cap the BLAS libraries numpy may be built with.
_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


#: One article's outcome: its analysis and the report of its refinement, or why it failed (a
#: string: it crosses process boundaries as it is).
Outcome = tuple[Analysis, RefineReport | None] | str


def _analyze_one(pipeline: Pipeline, article: Article | Loaded) -> Outcome:
    try:
        return pipeline.analyze_reported(article)
    except (ModelError, LLMError):
        raise
    except InputError as exc:
        return exc.reason
    except Exception as exc:  # record and continue: one bad article must not end a batch
        return f"analysis failed: {type(exc).__name__}: {exc}"


def analyze_or_error(pipeline: Pipeline, article: Article | Loaded) -> Analysis | InputError:
    """One article under `analyze_many`'s error policy: its analysis, or an `InputError` named
    by its id that says why it failed (a `ModelError` is raised)."""
    return _result(_analyze_one(pipeline, article), article)


def _result(outcome: Outcome, item: Article | Loaded) -> Analysis | InputError:
    if not isinstance(outcome, str):
        return outcome[0]
    return InputError((item.article if isinstance(item, Loaded) else item).id, outcome)


def _start_worker(
    layers: tuple[str, ...],
    english_only: bool,
    max_seconds: float | None,
    llm: LLMOptions | None,
) -> None:
    global _worker_pipeline
    # Workers share the cores: one encoder thread each unless the user chose otherwise.
    os.environ.setdefault("SPINSCOPE_THREADS", "1")
    _exit_with_parent()
    _worker_pipeline = Pipeline(layers, english_only, max_seconds, llm=llm)


#: How often a worker checks that the process that started it is still there, in seconds.
_PARENT_CHECK_S = 1.0


def _exit_with_parent() -> None:
    """End this worker when its parent is gone. A parent killed with SIGKILL cannot shut its
    pool down, and its workers would otherwise wait for work for ever, holding their models'
    memory."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(_PARENT_CHECK_S)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="spinscope-parent-watch", daemon=True).start()


def _analyze_in_worker(article: Article | Loaded) -> Outcome:
    assert _worker_pipeline is not None, "worker started without _start_worker"
    return _analyze_one(_worker_pipeline, article)
