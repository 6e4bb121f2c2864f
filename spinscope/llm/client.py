"""The client: one OpenAI-compatible chat endpoint, asked for JSON objects, with timeouts,
bounded retries and an on-disk cache of the answers keyed by a hash of the model and prompt."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from spinscope.errors import LLMAnswerError, LLMError

#: Environment variables read when the model name or the API key is not given.
#: `OPENAI_API_KEY` is deliberately not read: it would go to whatever URL `--llm` names.
MODEL_ENV = "SPINSCOPE_LLM_MODEL"
KEY_ENV = "SPINSCOPE_LLM_KEY"

#: HTTP statuses retried besides the server errors (5xx): request timeout, rate limit.
_RETRY_STATUSES = frozenset({408, 429})
#: The longest wait between two tries, in seconds, whatever a `Retry-After` header asks.
_MAX_WAIT = 30.0

Messages = list[dict[str, str]]


def default_cache_dir() -> Path:
    """Where answers are cached unless told otherwise: the user cache directory's
    `spinscope/llm` (platformdirs' choice where it is installed, else `$XDG_CACHE_HOME` or
    `~/.cache`)."""
    try:
        import platformdirs
    except ImportError:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "spinscope"
    else:
        base = Path(platformdirs.user_cache_dir("spinscope"))
    return base / "llm"


@dataclass(frozen=True)
class LLMOptions:
    """How to reach the endpoint.

    url -- the API's base URL (`http://localhost:8000/v1`), or its full `/chat/completions` URL.
    timeout -- seconds to wait for each answer; `retries` more tries follow a timeout, HTTP 429
        or a server error, after `backoff`, then twice as long each time.
    cache_dir -- where answers are cached; None: no cache.
    """

    url: str
    model: str
    key: str | None = None
    timeout: float = 120.0
    retries: int = 2
    backoff: float = 1.0
    cache_dir: Path | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"LLM URL {self.url!r} is not an http(s) URL")
        if not self.model:
            raise ValueError("the LLM model name is empty")
        if self.timeout <= 0 or self.retries < 0 or self.backoff < 0:
            raise ValueError("LLM timeout must be positive, retries and backoff not negative")

    @classmethod
    def from_env(
        cls,
        url: str,
        *,
        model: str | None = None,
        key: str | None = None,
        cache_dir: Path | None = None,
    ) -> LLMOptions:
        """Options for `url`: the model name and key as given, else from `SPINSCOPE_LLM_MODEL`
        and `SPINSCOPE_LLM_KEY`; answers cached in `cache_dir`, else `default_cache_dir()`."""
        model = model or os.environ.get(MODEL_ENV)
        if not model:
            raise ValueError(
                f"no LLM model name: give one (--llm-model NAME) or set {MODEL_ENV}; "
                f"it is the name the server knows the model by"
            )
        return cls(
            url=url,
            model=model,
            key=key or os.environ.get(KEY_ENV) or None,
            cache_dir=cache_dir or default_cache_dir(),
        )

    @property
    def endpoint(self) -> str:
        base = self.url.rstrip("/")
        return base if base.endswith("/chat/completions") else f"{base}/chat/completions"


def cache_key(model: str, messages: Messages) -> str:
    """The content hash an answer is cached under: the model name and the whole prompt."""
    payload = json.dumps({"model": model, "messages": messages}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class LLMClient:
    """Asks one model at one endpoint for JSON objects. Construction does no I/O."""

    def __init__(self, options: LLMOptions) -> None:
        self.options = options
        # Cleared when the server refuses `response_format`; the prompt asks for JSON anyway.
        self._json_mode = True

    def chat_json(self, messages: Messages) -> tuple[dict[str, Any], bool]:
        """The JSON object the model answers to `messages`, and whether it came from the cache.

        Raises `LLMError` when the endpoint cannot be reached, times out or refuses (after
        the retries), and `LLMAnswerError` when it answers something that is not a JSON object.
        """
        path = None
        if self.options.cache_dir is not None:
            key = cache_key(self.options.model, messages)
            path = self.options.cache_dir / key[:2] / f"{key}.json"
            cached = _read_cached(path)
            if cached is not None:
                return cached, True
        answer = _json_object(self._ask(messages), self.options.endpoint)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            partial.write_text(json.dumps(answer, ensure_ascii=False), "utf-8")
            os.replace(partial, path)  # a reader never sees half an answer
        return answer, False

    def _ask(self, messages: Messages) -> str:
        """The content of the model's message, after retries on 429, 5xx and timeouts."""
        url, options = self.options.endpoint, self.options
        body: dict[str, Any] = {"model": options.model, "messages": messages, "temperature": 0}
        if self._json_mode:
            body["response_format"] = {"type": "json_object"}
        headers = {"Authorization": f"Bearer {options.key}"} if options.key else {}
        timeout = httpx.Timeout(options.timeout, connect=min(options.timeout, 10.0))
        failures = 0
        with httpx.Client(timeout=timeout, headers=headers) as http:
            while True:
                try:
                    response = http.post(url, json=body)
                except httpx.TimeoutException as exc:
                    failures += 1
                    if failures > options.retries:
                        raise LLMError(
                            url,
                            f"no answer within {options.timeout:g} s ({failures} tries); "
                            f"is the server overloaded, or the model too slow for the timeout?",
                        ) from exc
                    time.sleep(self._wait(failures, None))
                    continue
                except httpx.HTTPError as exc:
                    raise LLMError(
                        url,
                        f"cannot connect ({type(exc).__name__}: {exc}); is the server running "
                        f"and is this its base URL (such as http://localhost:8000/v1)?",
                    ) from exc
                status = response.status_code
                if status in _RETRY_STATUSES or status >= 500:
                    failures += 1
                    if failures > options.retries:
                        raise LLMError(url, f"HTTP {status} ({failures} tries): {_clip(response)}")
                    time.sleep(self._wait(failures, response.headers.get("Retry-After")))
                    continue
                if status == 400 and "response_format" in body:
                    del body["response_format"]  # a server without JSON mode: ask again without
                    self._json_mode = False
                    continue
                if response.is_error:
                    raise LLMError(url, f"HTTP {status}: {_clip(response)}{_hint(status)}")
                return _content(response, url)

    def _wait(self, failures: int, retry_after: str | None) -> float:
        wait = self.options.backoff * 2.0 ** (failures - 1)
        if retry_after is not None and retry_after.strip().isdigit():
            wait = max(wait, float(retry_after))
        return min(wait, _MAX_WAIT)


def _read_cached(path: Path) -> dict[str, Any] | None:
    try:
        answer = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):  # absent or damaged: a miss, and it is written again
        return None
    return answer if isinstance(answer, dict) else None


def _clip(response: httpx.Response, limit: int = 200) -> str:
    text = response.text.strip()
    return repr(text[:limit] + ("…" if len(text) > limit else "")) if text else "(empty body)"


def _hint(status: int) -> str:
    if status in (401, 403):
        return f"; check the API key (--llm-key or {KEY_ENV})"
    if status == 404:
        return "; is the URL the API's base URL (often ending in /v1), and the model name right?"
    return ""


def _content(response: httpx.Response, url: str) -> str:
    """`choices[0].message.content` of a chat completion."""
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, LookupError, TypeError):
        raise LLMAnswerError(
            url,
            f"the answer is not an OpenAI-style chat completion "
            f"(no choices[0].message.content): {_clip(response)}",
        ) from None
    if not isinstance(content, str):
        raise LLMAnswerError(url, "the answer's message content is not text")
    return content


def _json_object(content: str, url: str) -> dict[str, Any]:
    """The JSON object in the model's message: the whole message, or, from a server that
    ignored JSON mode, the outermost `{…}` in it (inside a Markdown fence or prose)."""
    candidates = [content]
    start, end = content.find("{"), content.rfind("}")
    if 0 <= start < end:
        candidates.append(content[start : end + 1])
    for candidate in candidates:
        try:
            answer = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(answer, dict):
            return answer
    clipped = content.strip()[:200]
    raise LLMAnswerError(url, f"the model did not answer with a JSON object: {clipped!r}")
