"""The pipeline: article → parse → layers → `Analysis`. The CLI, benchmarks and evaluation are
thin adapters around it."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TypeVar

from spinscope.document import Analysis, Article
from spinscope.errors import InputError, ModelError
from spinscope.layers import Findings, resolve
from spinscope.parse import detect_language, load_nlp, parse

#: The layers `analyze` runs when none are named.
#: entities, narratives, genre and frames add a few milliseconds to the encoder pass they
#: share (see docs/benchmarks.md).
DEFAULT_LAYERS: tuple[str, ...] = (
    "quotes",
    "claims",
    "techniques",
    "entities",
    "narratives",
    "genre",
    "frames",
)


class Pipeline:
    """Reusable analysis pipeline. Construction does no I/O; models load on first use.

    english_only -- refuse an article whose text does not look English (an `InputError`
                    before anything runs), instead of analysing it with a warning.
    """

    def __init__(self, layers: Sequence[str] = DEFAULT_LAYERS, english_only: bool = False) -> None:
        self.layers = resolve(layers)
        self.english_only = english_only

    def analyze(self, item: str | Article) -> Analysis:
        """Analyse one article (a string is taken as the article's whole text)."""
        article = (
            item if isinstance(item, Article) else Article(id=Article.make_id(item), text=item)
        )
        if self.english_only:
            article = _check_english(article)
        parsed = parse(article, load_nlp())
        found: Findings = {}
        for layer in self.layers:
            found[layer.name] = layer.run(parsed, found)
        return Analysis(
            article=parsed.article,
            sentences=parsed.sentences,
            paragraphs=parsed.paragraphs,
            quotes=found.get("quotes", []),
            claims=found.get("claims", []),
            techniques=found.get("techniques", []),
            entities=found.get("entities", []),
            narratives=found.get("narratives", []),
            genre=next(iter(found.get("genre", [])), None),
            frames=found.get("frames", []),
            warnings=parsed.warnings,
        )


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
    items: Iterable[tuple[Article, C]],
    *,
    layers: Sequence[str] = DEFAULT_LAYERS,
    workers: int = 1,
    english_only: bool = False,
) -> Iterator[tuple[Analysis | InputError, C]]:
    """Analyse a stream of `(article, context)` pairs, in input order, in `workers` processes.

    Each result comes with its article's context, unchanged. Error policy: record and
    continue. An article whose analysis fails yields an `InputError` named by the article's
    id, in place of its analysis, and the others go on. A missing model (`ModelError`) fails
    every article alike, so it is raised. Layers are checked before anything runs. With
    `english_only`, an article that does not look English is such an error (see `Pipeline`).

    With `workers` > 1, each worker process builds one `Pipeline` and loads the models once.
    A worker that finishes gets the next article at once, whatever the oldest one is doing: a
    long article holds back the results after it (they are yielded in input order), not the
    other workers. At most
    `_HELD_PER_WORKER * workers` articles are read ahead of the results, so a long stream is
    never held in memory.
    """
    if workers < 1:
        raise ValueError(f"workers must be 1 or more, not {workers}")
    pipeline = Pipeline(layers, english_only)  # checks the layers; loads nothing yet
    if workers == 1:
        for article, context in items:
            yield _result(_analyze_one(pipeline, article), article), context
        return
    pending: deque[tuple[Future[Analysis | str], Article, C]] = deque()
    # "spawn", not fork: a forked child inherits the parent's onnxruntime and BLAS thread pools
    # in whatever state they were, and can deadlock when the parent had already run the encoder.
    executor = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(tuple(layers), english_only),
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
                yield _result(future.result(), done), done_context
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


def _analyze_one(pipeline: Pipeline, article: Article) -> Analysis | str:
    """The analysis, or why it failed (a string: it crosses process boundaries as it is)."""
    try:
        return pipeline.analyze(article)
    except ModelError:
        raise
    except InputError as exc:
        return exc.reason
    except Exception as exc:  # record and continue: one bad article must not end a batch
        return f"analysis failed: {type(exc).__name__}: {exc}"


def analyze_or_error(pipeline: Pipeline, article: Article) -> Analysis | InputError:
    """One article under `analyze_many`'s error policy: its analysis, or an `InputError` named
    by its id that says why it failed (a `ModelError` is raised)."""
    return _result(_analyze_one(pipeline, article), article)


def _result(outcome: Analysis | str, article: Article) -> Analysis | InputError:
    return outcome if isinstance(outcome, Analysis) else InputError(article.id, outcome)


def _start_worker(layers: tuple[str, ...], english_only: bool = False) -> None:
    global _worker_pipeline
    # Workers share the cores: one encoder thread each unless the user chose otherwise.
    os.environ.setdefault("SPINSCOPE_THREADS", "1")
    _exit_with_parent()
    _worker_pipeline = Pipeline(layers, english_only)


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


def _analyze_in_worker(article: Article) -> Analysis | str:
    assert _worker_pipeline is not None, "worker started without _start_worker"
    return _analyze_one(_worker_pipeline, article)
