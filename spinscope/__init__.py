"""spinscope: shows how news articles persuade — who says what, claims and their sources."""

from __future__ import annotations

__version__ = "0.1.0"

from spinscope.document import Analysis, Article, Claim, ClaimSource, Quote, Span
from spinscope.errors import InputError, SpinscopeError
from spinscope.pipeline import Pipeline, analyze

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
