"""The client: one OpenAI-compatible chat endpoint, asked for JSON objects, with timeouts,
bounded retries and an on-disk cache of the answers keyed by a hash of the model and prompt.

Every request is bounded: its answer by `max_tokens`, its wait by the timeout. Structured
output is asked for as strictly as the server takes it (`FORMATS`). What goes wrong is one of
two errors: `LLMError` when the endpoint cannot be used at all (it cannot be reached, or
refuses the key or the URL), which stops a run, and `LLMAnswerError` when it gave no usable
answer for this one request (too slow, cut off, refused, not JSON), which costs that article
its refinement only."""

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

#: HTTP statuses that say the endpoint is not there for anyone (a proxy without its server, an
#: unavailable service, a rate limit) when they persist after the retries: they stop a run.
#: Other server errors (5xx) are retried too, then cost that request only.
_UNREACHABLE = frozenset({429, 502, 503, 504})
#: HTTP statuses that say the key or the URL is wrong: every request would fail alike.
_MISCONFIGURED = frozenset({401, 403, 404})
#: The longest wait between two tries, in seconds, whatever a `Retry-After` header asks.
_MAX_WAIT = 30.0

Messages = list[dict[str, str]]

#: The structured-output modes asked for, strictest first: `response_format` with the answer's
#: JSON Schema (which llama.cpp, vLLM and Ollama turn into a grammar), then plain JSON mode,
#: then none (the prompt asks for JSON anyway). A server that refuses one with a 4xx naming it is
#: asked again with the next, and the client remembers.
FORMATS = ("json_schema", "json_object", "text")


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
    """How to reach the endpoint, and how long its answers may be.

    url -- the API's base URL (`http://localhost:8000/v1`), or its full `/chat/completions` URL.
    max_tokens -- the longest answer asked for, in tokens; None: what full lists of the refined
        layers' items take (`spinscope.llm.schema.answer_tokens`).
    timeout -- seconds to wait for each answer; an answer that does not come in time is not
        asked for again (it would be as slow the next time).
    retries -- more tries after a connection error, HTTP 429 or a server error (5xx), after
        `backoff` seconds, then twice as long each time.
    cache_dir -- where answers are cached; None: no cache.
    """

    url: str
    model: str
    key: str | None = None
    max_tokens: int | None = None
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
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ValueError("LLM max_tokens must be 1 or more")

    @classmethod
    def from_env(
        cls,
        url: str,
        *,
        model: str | None = None,
        key: str | None = None,
        cache_dir: Path | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> LLMOptions:
        """Options for `url`: the model name and key as given, else from `SPINSCOPE_LLM_MODEL`
        and `SPINSCOPE_LLM_KEY`; answers cached in `cache_dir`, else `default_cache_dir()`;
        the limits as given, else the defaults."""
        model = model or os.environ.get(MODEL_ENV)
        if not model:
            raise ValueError(
                f"no LLM model name: give one (--llm-model NAME) or set {MODEL_ENV}; "
                f"it is the name the server knows the model by"
            )
        limits: dict[str, Any] = {"timeout": timeout, "retries": retries}
        return cls(
            url=url,
            model=model,
            key=key or os.environ.get(KEY_ENV) or None,
            max_tokens=max_tokens,
            cache_dir=cache_dir or default_cache_dir(),
            **{name: value for name, value in limits.items() if value is not None},
        )

    @property
    def endpoint(self) -> str:
        base = self.url.rstrip("/")
        return base if base.endswith("/chat/completions") else f"{base}/chat/completions"


def cache_key(model: str, messages: Messages) -> str:
    """The content hash an answer is cached under: the model name and the whole prompt."""
    payload = json.dumps({"model": model, "messages": messages}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Answer:
    """The JSON object a model answered, whether it came from the cache, and the tokens the
    server says the request took (None where it does not say, and for a cached answer)."""

    value: dict[str, Any]
    cached: bool = False
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class LLMClient:
    """Asks one model at one endpoint for JSON objects. Construction does no I/O."""

    def __init__(self, options: LLMOptions) -> None:
        self.options = options
        #: The structured-output mode asked for (`FORMATS`): the strictest the server takes.
        self.format = FORMATS[0]

    def chat_json(
        self, messages: Messages, schema: dict[str, Any] | None, max_tokens: int
    ) -> Answer:
        """The JSON object the model answers to `messages`, held to `schema` where the server
        takes one and at most `max_tokens` long (unless the options set another limit).

        Raises `LLMError` when the endpoint cannot be reached (after the retries) or refuses
        the key or the URL, and `LLMAnswerError` when it gives no usable answer to this request:
        none within the timeout, one cut off at the token limit, a refusal, or no JSON object.
        """
        path = None
        if self.options.cache_dir is not None:
            key = cache_key(self.options.model, messages)
            path = self.options.cache_dir / key[:2] / f"{key}.json"
            cached = _read_cached(path)
            if cached is not None:
                return Answer(cached, cached=True)
        limit = self.options.max_tokens or max_tokens
        answer = _answer(self._post(messages, schema, limit), self.options.endpoint, limit)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            partial.write_text(json.dumps(answer.value, ensure_ascii=False), "utf-8")
            os.replace(partial, path)  # a reader never sees half an answer
        return answer

    def _post(
        self, messages: Messages, schema: dict[str, Any] | None, max_tokens: int
    ) -> httpx.Response:
        """The server's successful response, after retries on connection errors, 429 and 5xx,
        and after stepping down `FORMATS` while the server refuses the one asked for."""
        url, options = self.options.endpoint, self.options
        headers = {"Authorization": f"Bearer {options.key}"} if options.key else {}
        timeout = httpx.Timeout(options.timeout, connect=min(options.timeout, 10.0))
        failures = 0
        with httpx.Client(timeout=timeout, headers=headers) as http:
            while True:
                asked = self.format
                body = _body(options.model, messages, schema, max_tokens, asked)
                try:
                    response = http.post(url, json=body)
                except httpx.TransportError as exc:
                    if isinstance(exc, httpx.TimeoutException) and not isinstance(
                        exc, httpx.ConnectTimeout
                    ):
                        raise LLMAnswerError(
                            url,
                            f"no answer within {options.timeout:g} s (not asked again: it would "
                            f"be as slow); raise --llm-timeout, or lower --llm-max-tokens "
                            f"(now {max_tokens})",
                        ) from exc
                    failures += 1
                    if failures > options.retries:
                        raise LLMError(
                            url,
                            f"cannot connect ({type(exc).__name__}: {exc}; {failures} tries); "
                            f"is the server running and is this its base URL (such as "
                            f"http://localhost:8000/v1)?",
                        ) from exc
                    time.sleep(self._wait(failures, None))
                    continue
                status = response.status_code
                if status == 429 or status >= 500:
                    failures += 1
                    if failures <= options.retries:
                        time.sleep(self._wait(failures, response.headers.get("Retry-After")))
                        continue
                    error = LLMError if status in _UNREACHABLE else LLMAnswerError
                    raise error(url, f"HTTP {status} ({failures} tries): {_clip(response)}")
                if status in _MISCONFIGURED:
                    raise LLMError(url, f"HTTP {status}: {_clip(response)}{_hint(status)}")
                if 400 <= status < 500 and asked != FORMATS[-1] and _names_format(response):
                    self.format = FORMATS[FORMATS.index(asked) + 1]  # ask again, less strictly
                    continue
                if response.is_error:  # this request refused: too long for the model, …
                    raise LLMAnswerError(url, f"HTTP {status}: {_clip(response)}")
                return response

    def _wait(self, failures: int, retry_after: str | None) -> float:
        wait = self.options.backoff * 2.0 ** (failures - 1)
        if retry_after is not None and retry_after.strip().isdigit():
            wait = max(wait, float(retry_after))
        return min(wait, _MAX_WAIT)


def _body(
    model: str,
    messages: Messages,
    schema: dict[str, Any] | None,
    max_tokens: int,
    asked: str,
) -> dict[str, Any]:
    """The request: deterministic, bounded, and in the structured-output mode `asked`."""
    body: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "temperature": 0,
        "max_tokens": max_tokens,
    }
    if asked == "json_schema" and schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "spinscope_refinement", "schema": schema},
        }
    elif asked != "text":
        body["response_format"] = {"type": "json_object"}
    return body


def _names_format(response: httpx.Response) -> bool:
    """Whether an error response is about the structured output asked for."""
    text = response.text.casefold()
    return any(name in text for name in ("response_format", "json_schema", "json_object"))


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


def _answer(response: httpx.Response, url: str, max_tokens: int) -> Answer:
    """The JSON object in a chat completion's `choices[0].message.content`, with its usage."""
    try:
        data = response.json()
        choice = data["choices"][0]
        content = choice["message"]["content"]
    except (ValueError, LookupError, TypeError):
        raise LLMAnswerError(
            url,
            f"the answer is not an OpenAI-style chat completion "
            f"(no choices[0].message.content): {_clip(response)}",
        ) from None
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    prompt_tokens, completion_tokens = (
        value if isinstance(value := usage.get(name), int) else None
        for name in ("prompt_tokens", "completion_tokens")
    )
    if content is not None and not isinstance(content, str):
        raise LLMAnswerError(url, "the answer's message content is not text")
    value = _json_object(content or "")
    if value is not None:
        return Answer(value, False, prompt_tokens, completion_tokens)
    if isinstance(choice, dict) and choice.get("finish_reason") == "length":
        reason = (
            f"the answer was cut off at {completion_tokens or max_tokens} tokens "
            f"(finish_reason: length) before its JSON object was complete; "
            f"raise --llm-max-tokens (now {max_tokens})"
        )
    else:
        clipped = (content or "").strip()[:200]
        reason = f"the model did not answer with a JSON object: {clipped!r}"
    raise LLMAnswerError(
        url, reason, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
    )


def _json_object(content: str) -> dict[str, Any] | None:
    """The JSON object in the model's message: the whole message, or, from a server that
    ignored JSON mode, the outermost `{…}` in it (inside a Markdown fence or prose); None when
    there is none."""
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
    return None
