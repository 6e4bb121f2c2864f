"""`Workbench`: the one object behind `spinscope serve`. It reads articles (text, uploads,
URLs) with `spinscope.ingest`, analyses them with one shared `Pipeline`, keeps them in a
`Store`, and runs batch jobs. The REST API and the web pages are thin adapters over it, and tests
can use it without a server.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import json
import re
import tempfile
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from spinscope.document import Analysis, Article
from spinscope.errors import InputError, ModelError
from spinscope.ingest import IngestOptions, read
from spinscope.ingest.base import RECORD_FIELDS
from spinscope.ingest.text import article_from_text
from spinscope.pipeline import DEFAULT_LAYERS, Pipeline
from spinscope.store import Store

#: Jobs remembered (finished ones are forgotten oldest first beyond this).
MAX_JOBS = 200

#: Characters allowed in the name of an uploaded file (its stem becomes the article's id).
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

#: The article fields a client may set besides the text.
META_FIELDS = tuple(f for f in RECORD_FIELDS if f not in ("id", "text"))


@dataclass(frozen=True)
class Settings:
    """How the workbench runs. The defaults here are the only place they are declared.

    layers -- the analysis layers run on every article.
    max_bytes -- the largest article (text, upload, fetched page), as in `IngestOptions`.
    max_request_bytes -- the largest HTTP request body; larger ones get 413.
    max_job_articles -- the most articles one batch job may hold.
    allow_private -- fetch URLs that resolve to private, loopback or link-local addresses.
    token -- the API token; write requests must carry it when it is set.
    """

    layers: tuple[str, ...] = DEFAULT_LAYERS
    max_bytes: int = IngestOptions.max_bytes
    max_request_bytes: int = 8_000_000
    max_job_articles: int = 1000
    allow_private: bool = False
    token: str | None = None

    @property
    def ingest(self) -> IngestOptions:
        return IngestOptions(max_bytes=self.max_bytes, allow_private=self.allow_private)


class TooLarge(InputError):
    """An input over the size limit (the API answers 413)."""


@dataclass
class Job:
    """A batch of articles analysed in the background, in order."""

    id: str
    total: int
    status: Literal["queued", "running", "done", "failed"] = "queued"
    done: int = 0
    articles: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


class Workbench:
    """Reads, analyses and stores articles. Analyses run one at a time (the pipeline's models
    are shared); storing and reading go straight to the store."""

    def __init__(self, store: Store, settings: Settings = Settings()) -> None:
        self.store = store
        self.settings = settings
        self.pipeline = Pipeline(settings.layers)
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._jobs_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spinscope-job")

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- reading -------------------------------------------------------------------------

    def article_from_text(self, text: str, id: str | None = None, **meta: str | None) -> Article:
        """An article from pasted text: the first non-blank line is its title unless `title`
        is given; `id` defaults to a hash of the text."""
        size = len(text.encode("utf-8"))
        if size > self.settings.max_bytes:
            raise TooLarge("text", f"is {size:,} bytes; the limit is {self.settings.max_bytes:,}")
        article = article_from_text(text, id=id or Article.make_id(text), source="text")
        return _with_meta(article, meta)

    def articles_from_url(self, url: str) -> list[Article]:
        """The article at an http(s) URL (private addresses refused unless allowed)."""
        if not url.lower().startswith(("http://", "https://")):
            raise InputError(url, "is not an http(s) URL")
        return self._read(url, url)

    def articles_from_upload(self, filename: str, data: bytes) -> list[Article]:
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

    def _read(self, source: str, shown: str) -> list[Article]:
        """The articles in `source`; errors name it `shown` (an upload's own file name, not
        the temporary file's path)."""
        articles = []
        for item in read(source, self.settings.ingest):
            if isinstance(item, InputError):
                raise InputError(item.source.replace(source, shown), item.reason)
            articles.append(item.article)
        if not articles:
            raise InputError(shown, "holds no article")
        return articles

    # -- analysing -----------------------------------------------------------------------

    def analyze(self, article: Article, store: bool = True) -> Analysis:
        """Analyse one article and (by default) store it; the analysis as stored."""
        with self._lock:
            analysis = self.pipeline.analyze(article)
        return self.store.save(analysis, self.settings.layers) if store else analysis

    def submit(self, articles: Sequence[Article]) -> Job:
        """Start a job that analyses and stores `articles` in the background."""
        job = Job(id=uuid.uuid4().hex, total=len(articles))
        with self._jobs_lock:
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_JOBS:
                oldest = next(iter(self._jobs))
                if self._jobs[oldest].status in ("queued", "running"):
                    break
                del self._jobs[oldest]
        self._executor.submit(self._run, job, list(articles))
        return job

    def job(self, job_id: str) -> Job | None:
        with self._jobs_lock:
            return self._jobs.get(job_id)

    def _run(self, job: Job, articles: list[Article]) -> None:
        job.status = "running"
        try:
            for article in articles:
                try:
                    stored = self.analyze(article)
                    job.articles.append(stored.article.id)
                except ModelError:
                    raise
                except Exception as exc:  # record and continue, like `analyze_many`
                    job.errors.append({"id": article.id, "error": f"{type(exc).__name__}: {exc}"})
                job.done += 1
            job.status = "done"
        except Exception as exc:
            job.errors.append({"id": "", "error": f"{type(exc).__name__}: {exc}"})
            job.status = "failed"

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
