"""`Workbench`: the one object behind `spinscope serve`. It reads articles (text, uploads,
URLs) with `spinscope.ingest`, analyses them with one shared `Pipeline`, keeps them in a
`Store`, and runs batch jobs. The REST API and the web pages are thin adapters over it, and tests
can use it without a server.
"""

from __future__ import annotations

import getpass
import importlib.resources
import json
import re
import tempfile
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from spinscope.document import Analysis, Article
from spinscope.errors import Busy, InputError, ModelError, TooLarge
from spinscope.ingest import IngestOptions, read
from spinscope.ingest.base import RECORD_FIELDS, Loaded
from spinscope.ingest.text import article_from_text
from spinscope.llm import LLMOptions
from spinscope.pipeline import DEFAULT_LAYERS, MAX_SECONDS, Pipeline
from spinscope.store import Store
from spinscope.store.jobs import Job

#: Characters allowed in the name of an uploaded file (its stem becomes the article's id).
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

#: The article fields a client may set besides the text.
META_FIELDS = tuple(f for f in RECORD_FIELDS if f not in ("id", "text"))

#: The host names a server on a loopback address answers to.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

#: The most articles any server lets one job hold (`Settings.max_job_articles` is at most this).
MAX_JOB_ARTICLES = 10_000

#: Seconds a client refused for a full queue is told to wait (`Retry-After`).
RETRY_AFTER_S = 10


def _user() -> str:
    """The name of the user running the server ("local" where the system has none)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"


@dataclass(frozen=True)
class Settings:
    """How the workbench runs. The defaults here are the only place they are declared.

    layers -- the analysis layers run on every article.
    max_bytes -- the largest article (text, upload, fetched page), as in `IngestOptions`.
    max_request_bytes -- the largest HTTP request body; larger ones get 413.
    max_job_articles -- the most articles one batch job may hold.
    max_queued_articles -- the most articles waiting in unfinished jobs; a job that would pass
                           it is refused (503) until they are done.
    analysis_threads -- analyses run at once, on threads of their own (the threads that serve
                        pages, searches and reads never run one).
    max_waiting -- analyses that may wait for a free analysis thread; beyond them, a request
                   for an analysis is refused (503, `Retry-After`).
    max_seconds -- the time budget of one article's analysis (see `Pipeline`); None for none.
    allow_private -- fetch URLs that resolve to private, loopback or link-local addresses.
    token -- the API token; write requests must carry it (or a reviewer's) when it is set.
    reviewers -- the reviewers' tokens, token -> name (`spinscope.web.reviewers`); when there
                 are any, write requests must carry one of them (or the API token).
    reviewer -- whom writes are attributed to where no reviewer's token names someone else:
                the user running the server.
    allowed_hosts -- the host names (`Host` header, without the port) the server answers to;
                     others get 400, so that a page on another name that resolves to this
                     machine (DNS rebinding) cannot use it. `*` allows any.
    body_timeout -- seconds a client has to send a request's body (408 after).
    llm -- the LLM endpoint that refines each analysis (see `Pipeline`); None for none.
    """

    layers: tuple[str, ...] = DEFAULT_LAYERS
    max_bytes: int = IngestOptions.max_bytes
    max_request_bytes: int = 8_000_000
    max_job_articles: int = 1000
    max_queued_articles: int = 5000
    analysis_threads: int = 2
    max_waiting: int = 8
    max_seconds: float | None = MAX_SECONDS
    allow_private: bool = False
    token: str | None = None
    reviewers: Mapping[str, str] = field(default_factory=dict)
    reviewer: str = field(default_factory=_user)
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    body_timeout: float = 30.0
    llm: LLMOptions | None = None

    def __post_init__(self) -> None:
        for name in ("max_job_articles", "max_queued_articles", "analysis_threads"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be 1 or more, not {getattr(self, name)}")
        if self.max_job_articles > MAX_JOB_ARTICLES:
            raise ValueError(f"max_job_articles is at most {MAX_JOB_ARTICLES:,}")
        if self.max_waiting < 0:
            raise ValueError(f"max_waiting must be 0 or more, not {self.max_waiting}")

    @property
    def writes_need_token(self) -> bool:
        """Whether a write must carry a token (the API token's or a reviewer's)."""
        return bool(self.token or self.reviewers)

    @property
    def ingest(self) -> IngestOptions:
        return IngestOptions(max_bytes=self.max_bytes, allow_private=self.allow_private)


@dataclass(frozen=True)
class Analysing:
    """An analysis handed to the analysis threads: wait for it with `result`, or `cancel` it
    (it stops at its next window or layer)."""

    future: Future[Analysis]
    cancelled: threading.Event

    def result(self) -> Analysis:
        return self.future.result()

    def cancel(self) -> None:
        self.cancelled.set()
        self.future.cancel()


@dataclass(frozen=True)
class Load:
    """What the workbench is doing now."""

    running: int
    waiting: int
    threads: int
    max_waiting: int
    queued_articles: int


class Workbench:
    """Reads, analyses and stores articles. Analyses run on `Settings.analysis_threads`
    threads of their own, each with the one shared `Pipeline`; as many more wait as
    `max_waiting` allows, and beyond that `begin` raises `Busy`. Jobs wait in the store
    (`spinscope.store.jobs`) and one runner thread hands their articles to the analysis
    threads, one at a time, once `run_jobs` starts it."""

    def __init__(self, store: Store, settings: Settings = Settings()) -> None:
        self.store = store
        self.settings = settings
        self.pipeline = Pipeline(
            settings.layers, max_seconds=settings.max_seconds, llm=settings.llm
        )
        self._pool = ThreadPoolExecutor(
            settings.analysis_threads, thread_name_prefix="spinscope-analysis"
        )
        self._slots = threading.BoundedSemaphore(settings.analysis_threads + settings.max_waiting)
        self._counts_lock = threading.Lock()
        self._taken = 0  # analyses running or waiting
        self._running = 0
        self._closed = threading.Event()
        self._wake = threading.Event()
        self._runner: threading.Thread | None = None
        self._runner_lock = threading.Lock()
        #: The job whose article the runner is analysing now, and that analysis.
        self._current: tuple[str, Analysing] | None = None

    def close(self) -> None:
        """Stop the job runner and cancel the analyses not started; unfinished jobs stay in
        the store for the next start."""
        self._closed.set()
        self._wake.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._runner is not None:
            self._runner.join(timeout=5)

    # -- reading -------------------------------------------------------------------------

    def article_from_text(self, text: str, id: str | None = None, **meta: str | None) -> Loaded:
        """An article from pasted text: the first non-blank line is its title unless `title`
        is given; `id` defaults to a hash of the text."""
        size = len(text.encode("utf-8"))
        if size > self.settings.max_bytes:
            raise TooLarge("text", f"is {size:,} bytes; the limit is {self.settings.max_bytes:,}")
        article = article_from_text(text, id=id or Article.make_id(text), source="text")
        return Loaded(_with_meta(article, meta))

    def articles_from_url(self, url: str) -> list[Loaded]:
        """The article at an http(s) URL (private addresses refused unless allowed)."""
        if not url.lower().startswith(("http://", "https://")):
            raise InputError(url, "is not an http(s) URL")
        return self._read(url, url)

    def articles_from_upload(self, filename: str, data: bytes) -> list[Loaded]:
        """The articles in an uploaded file, read by its name's suffix like a file on the
        command line (`.txt`, `.html`, `.jsonl`, `.csv`; its stem is the article's id)."""
        if len(data) > self.settings.max_bytes:
            raise TooLarge(
                filename, f"is {len(data):,} bytes; the limit is {self.settings.max_bytes:,}"
            )
        name = _SAFE_NAME.sub("-", Path(filename).name).strip(".-") or "upload.txt"
        with tempfile.TemporaryDirectory(prefix="spinscope-upload-") as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            return self._read(str(path), filename)

    def _read(self, source: str, shown: str) -> list[Loaded]:
        """The articles in `source`, with the notes on how each was read (they become its
        analysis's first warnings); errors name it `shown` (an upload's own file name, not
        the temporary file's path)."""
        articles = []
        for item in read(source, self.settings.ingest):
            if isinstance(item, InputError):
                raise InputError(item.source.replace(source, shown), item.reason)
            articles.append(item)
        if not articles:
            raise InputError(shown, "holds no article")
        return articles

    # -- analysing -----------------------------------------------------------------------

    def begin(self, article: Article | Loaded, store: bool = True) -> Analysing:
        """Hand an article to the analysis threads (and store its analysis, by default).
        `Busy` when every thread is busy and `max_waiting` analyses wait already."""
        if not self._slots.acquire(blocking=False):
            raise Busy(
                f"all {self.settings.analysis_threads} analysis threads are busy and "
                f"{self.settings.max_waiting} analyses wait; send it again later"
            )
        return self._begin(article, store)

    def _begin(self, article: Article | Loaded, store: bool) -> Analysing:
        """`begin` once a slot is taken: it is given back when the analysis ends."""
        cancelled = threading.Event()
        with self._counts_lock:
            self._taken += 1
        try:
            future = self._pool.submit(self._analyze, article, store, cancelled)
        except RuntimeError:  # the pool is shut down: the server is stopping
            self._release()
            raise Busy("the workbench is shutting down") from None
        future.add_done_callback(lambda _: self._release())
        return Analysing(future, cancelled)

    def _release(self) -> None:
        with self._counts_lock:
            self._taken -= 1
        self._slots.release()

    def _analyze(
        self, article: Article | Loaded, store: bool, cancelled: threading.Event
    ) -> Analysis:
        with self._counts_lock:
            self._running += 1
        try:
            analysis = self.pipeline.analyze(article, cancel=cancelled)
        finally:
            with self._counts_lock:
                self._running -= 1
        return self.store.save(analysis, self.settings.layers) if store else analysis

    def analyze(self, article: Article | Loaded, store: bool = True) -> Analysis:
        """Analyse one article on the analysis threads and wait for it (`Busy` as `begin`)."""
        return self.begin(article, store).result()

    def load(self) -> Load:
        with self._counts_lock:
            running, taken = self._running, self._taken
        return Load(
            running=running,
            waiting=taken - running,
            threads=self.settings.analysis_threads,
            max_waiting=self.settings.max_waiting,
            queued_articles=self.store.jobs.waiting(),
        )

    # -- jobs ----------------------------------------------------------------------------

    def submit(self, articles: Sequence[Article | Loaded]) -> Job:
        """Queue a job that analyses and stores `articles` in the background (`Busy` when the
        job queue is full), with the notes on how each was read; the job runner is started if
        it is not running yet."""
        if len(articles) > self.settings.max_job_articles:
            raise TooLarge(
                "articles",
                f"a job holds at most {self.settings.max_job_articles} articles, not "
                f"{len(articles)}",
            )
        loaded = [a if isinstance(a, Loaded) else Loaded(a) for a in articles]
        job = self.store.jobs.add(
            [a.article for a in loaded],
            self.settings.max_queued_articles,
            [a.notes for a in loaded],
        )
        self.run_jobs()
        self._wake.set()
        return job

    def job(self, job_id: str) -> Job | None:
        return self.store.jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a job: its articles not analysed yet are left out, and the one being analysed
        stops at its next window or layer (None if there is no such job)."""
        if not self.store.jobs.cancel(job_id):
            return None
        with self._runner_lock:
            current = self._current
        if current is not None and current[0] == job_id:
            current[1].cancel()
        return self.store.jobs.get(job_id)

    def run_jobs(self) -> None:
        """Start the job runner (once): it goes on with the jobs a previous server left
        unfinished, then with each new one, oldest first."""
        with self._runner_lock:
            if self._runner is not None:
                return
            self.store.jobs.requeue()
            self._runner = threading.Thread(
                target=self._run_jobs, name="spinscope-jobs", daemon=True
            )
        self._runner.start()

    def _run_jobs(self) -> None:
        jobs = self.store.jobs
        while not self._closed.is_set():
            claimed = jobs.claim()
            if claimed is None:
                self._wake.wait(timeout=1.0)
                self._wake.clear()
                continue
            while not self._slots.acquire(timeout=0.5):  # a job waits its turn; never refused
                if self._closed.is_set():
                    return
            analysing: Analysing | None = None
            try:
                item = Loaded(claimed.article, claimed.notes)
                analysing = self._begin(item, store=True)
                with self._runner_lock:
                    self._current = (claimed.job_id, analysing)
                stored = analysing.result()
            except ModelError as exc:
                jobs.fail(claimed.job_id, f"{type(exc).__name__}: {exc}")
            except (CancelledError, Busy):
                if analysing is None or not analysing.cancelled.is_set() or self._closed.is_set():
                    return  # shutting down: the article is claimed again at the next start
                jobs.finish(claimed, None, "cancelled before its analysis began")
            except Exception as exc:  # record and continue, like `analyze_many`
                jobs.finish(claimed, None, f"{type(exc).__name__}: {exc}")
            else:
                jobs.finish(claimed, stored.article.id)
            finally:
                with self._runner_lock:
                    self._current = None

    # -- the sample corpus ---------------------------------------------------------------

    def load_samples(self) -> int:
        """Analyse and store the bundled sample corpus (fictional articles written for
        spinscope); how many articles were stored."""
        stored = 0
        for article in sample_corpus():
            self.analyze(article)
            stored += 1
        return stored


def sample_corpus() -> list[Article]:
    """The bundled sample corpus: `spinscope/data/corpus.jsonl`, fictional articles."""
    resource = importlib.resources.files("spinscope").joinpath("data", "corpus.jsonl")
    lines = resource.read_text(encoding="utf-8").splitlines()
    return [Article(**json.loads(line)) for line in lines if line.strip()]


def _with_meta(article: Article, meta: dict[str, str | None]) -> Article:
    unknown = sorted(set(meta) - set(META_FIELDS))
    if unknown:
        raise ValueError(f"unknown article field(s): {', '.join(unknown)}")
    update = {key: value for key, value in meta.items() if value}
    return article.model_copy(update=update) if update else article
