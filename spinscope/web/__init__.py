"""`spinscope serve`: the web app and the REST API over a store (the `serve` extra).

from spinscope.store import Store
from spinscope.web import Settings, Workbench, create_app

app = create_app(Workbench(Store("corpus.db"), Settings()))
"""

from __future__ import annotations

from spinscope.store.jobs import Job
from spinscope.web.app import create_app, is_loopback
from spinscope.web.workbench import Settings, Workbench, sample_corpus

__all__ = ["Job", "Settings", "Workbench", "create_app", "is_loopback", "sample_corpus"]
