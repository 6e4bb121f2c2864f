"""The store: analyses in SQLite (the default) or PostgreSQL, for the web app, the REST API
and anyone who wants to query a corpus. `Store(db)` opens (and migrates) a database;
see `spinscope.store.store` for what it does.
"""

from __future__ import annotations

from spinscope.store.engine import database_url, default_path
from spinscope.store.store import (
    QUEUE_ORDERS,
    ArticleHit,
    ArticleSummary,
    Filters,
    FindingHit,
    QueueItem,
    QueueOrder,
    SearchResults,
    Snippet,
    StatsBy,
    StatsRow,
    Store,
    rated,
    search_words,
    snippet,
)

__all__ = [
    "QUEUE_ORDERS",
    "ArticleHit",
    "ArticleSummary",
    "Filters",
    "FindingHit",
    "QueueItem",
    "QueueOrder",
    "SearchResults",
    "Snippet",
    "StatsBy",
    "StatsRow",
    "Store",
    "database_url",
    "default_path",
    "rated",
    "search_words",
    "snippet",
]
