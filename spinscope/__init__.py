"""spinscope: shows how news articles persuade — who says what, claims and their sources."""

from __future__ import annotations

from spinscope.document import Analysis, Article, Claim, ClaimSource, Quote, Span
from spinscope.errors import InputError, SpinscopeError
from spinscope.pipeline import Pipeline, analyze
from spinscope.version import __version__

__all__ = [
    "Analysis",
    "Article",
    "Claim",
    "ClaimSource",
    "InputError",
    "Pipeline",
    "Quote",
    "Span",
    "SpinscopeError",
    "__version__",
    "analyze",
]
