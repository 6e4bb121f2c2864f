"""All of spinscope's exceptions, in one tree.

    SpinscopeError            anything spinscope raises on purpose
    ├── InputError            an input could not be read (names the input and why)
    │   ├── BlockedURLError   a URL points at a private, loopback or link-local address
    │   └── AnalysisStopped   an article's analysis ran past its time budget, or was cancelled
    ├── ModelError            a model or language resource is missing or broken
    ├── ExtraError            an optional dependency is not installed (names the extra)
    ├── DataError             an evaluation or training directory is not laid out as expected
    ├── StoreError            the store's database cannot be opened or used (names it and why)
    ├── Busy                  the workbench has more work than it takes now: send it again later
    └── LLMError              the LLM endpoint cannot be reached or refuses (names its URL)
        └── LLMAnswerError    no usable answer to one request (slow, cut off, refused, not JSON)

Errors from libraries are translated at the boundary with ``raise ... from``.
"""

from __future__ import annotations


class SpinscopeError(Exception):
    """Base class of every error spinscope raises on purpose."""


class InputError(SpinscopeError):
    """An input could not be turned into an article.

    `source` names the input (a path, URL, `-`, or `path:line` for a record in a file).
    """

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class TooLarge(InputError):
    """An input over the size limit (the workbench's API answers 413)."""


class BlockedURLError(InputError):
    """A URL resolves to an address that is refused unless explicitly allowed."""


class AnalysisStopped(InputError):
    """An article's analysis stopped before its end: it ran past its time budget
    (`Pipeline.max_seconds`), or its caller cancelled it. `source` is the article's id."""


class ModelError(SpinscopeError):
    """A model or language resource cannot be loaded."""


class ExtraError(SpinscopeError):
    """A feature needs an optional dependency that is not installed; the message names the
    extra that brings it (`pip install 'spinscope[batch]'`)."""


def require(module: str, feature: str, extra: str) -> None:
    """Raise ExtraError unless `module` can be imported (`feature` needs it)."""
    import importlib.util

    if importlib.util.find_spec(module.partition(".")[0]) is None:
        raise ExtraError(
            f"{feature} needs {module.partition('.')[0]}, which is not installed: "
            f"pip install 'spinscope[{extra}]'"
        )


class DataError(SpinscopeError):
    """A data directory for evaluation or training is missing files or is malformed."""


class OutputError(SpinscopeError):
    """A batch output cannot be used: not a batch output, made with other layers, or not
    writable."""


class UsageError(SpinscopeError):
    """Options that do not fit together (the command line reports it with exit status 2)."""


class StoreError(SpinscopeError):
    """The store's database cannot be opened, migrated or used (`spinscope.store`)."""


class Busy(SpinscopeError):
    """The workbench takes no more work now: every analysis thread is busy and as many
    analyses wait as it allows, or its job queue is full. The REST API answers 503 with a
    `Retry-After` header."""


class LLMError(SpinscopeError):
    """The LLM endpoint (`spinscope.llm`) cannot be reached, times out or refuses the request.

    `url` is the endpoint called; the message names it and says what to check.
    """

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"LLM endpoint {url}: {reason}")


class LLMAnswerError(LLMError):
    """The LLM endpoint gave no usable answer to one request: none within the timeout, one cut
    off at its token limit, a refusal of that request, or one that holds no JSON object. The
    article keeps its unrefined findings, with a warning; the run goes on.

    `prompt_tokens` and `completion_tokens` are the tokens the server says the request took,
    where it answered and says so."""

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
    ) -> None:
        super().__init__(url, reason)
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
