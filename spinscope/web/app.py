"""The ASGI app of `spinscope serve`: web pages at `/`, the REST API at `/api/v1`, both over
one `Workbench`. `create_app(workbench)` builds it; tests drive it in-process.

Security, in one place:
- a request whose `Host` is not one of `Settings.allowed_hosts` gets 400 (loopback names by
  default): a page on another name that resolves to this machine (DNS rebinding) cannot use it;
- every request body is capped at `Settings.max_request_bytes` (413 beyond it) and must arrive
  within `Settings.body_timeout` seconds (408); the server closes a connection whose headers
  are not complete after its keep-alive timeout (`spinscope serve`);
- write requests (POST, PUT, PATCH, DELETE) need the API token when one is set, as
  `Authorization: Bearer TOKEN` (the web forms send it as a `token` field);
- write requests from a page of another origin (by their Origin header) are refused (403), so
  a page elsewhere cannot make a browser write to a workbench on localhost;
- pages are rendered by Jinja2 with autoescaping, and served with a Content-Security-Policy that
  allows only the app's own scripts (and, on the article view, the report's inline script by its
  hash);
- API errors have one shape: `{"ok": false, "status": 404, "error": "..."}`, and stay small
  (a list of problems is cut after the first few).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from importlib.resources import files
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from spinscope.errors import AnalysisStopped, Busy, LLMError
from spinscope.version import __version__
from spinscope.web.api import router as api_router
from spinscope.web.pages import STATIC
from spinscope.web.pages import router as pages_router
from spinscope.web.responses import CSP, error_response, html_page, problems, render
from spinscope.web.workbench import RETRY_AFTER_S, Workbench

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API_PREFIX = "/api/v1"
#: Where Swagger UI's files are served, for the API's interactive docs.
DOCS_STATIC = f"{API_PREFIX}/docs/static"
#: Swagger UI's files, as the fastapi-swagger package ships them (only its files are used).
SWAGGER_UI = files("fastapi_swagger") / "resources"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})

#: Headers every answer carries (a page's own Content-Security-Policy replaces the default).
_SECURITY_HEADERS = (
    ("content-security-policy", CSP.format(scripts="")),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
)


def is_loopback(host: str) -> bool:
    """Whether binding to `host` keeps the server on this machine."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(host: str) -> str:
    """The name in a `Host` header or an origin's authority, without its port, lower case:
    `127.0.0.1:8000` -> `127.0.0.1`, `[::1]:8000` -> `::1`."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rpartition(":")[0] if host.count(":") == 1 else host


class Guard:
    """ASGI middleware: refuse a request for a host name this server does not serve (400), a
    write request from a page of another origin (403); add the security headers to every
    answer."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.any_host = "*" in allowed_hosts
        self.allowed = frozenset(host_name(h) for h in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        api = scope["path"].startswith(API_PREFIX)
        host = headers.get("host", "")
        if not self.any_host and host_name(host) not in self.allowed:
            message = (
                f"this server does not answer to the host name {host_name(host)!r}"
                if host
                else "the request has no Host header"
            )
            await _secured(error_response(400, message, api))(scope, receive, send)
            return
        # Browsers send Origin with every cross-site POST, forms and multipart uploads included
        # (which need no CORS preflight); programs calling the API send none.
        origin = headers.get("origin")
        if scope["method"] in WRITE_METHODS and origin and _authority(origin) != host.lower():
            response = error_response(403, "cross-origin write requests are refused", api)
            await _secured(response)(scope, receive, send)
            return

        async def secured_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS:
                    out.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, secured_send)


def _secured(response: Response) -> Response:
    for name, value in _SECURITY_HEADERS:
        response.headers.setdefault(name, value)
    return response


def _authority(origin: str) -> str:
    return origin.partition("://")[2].rstrip("/").lower()


class BodyLimit:
    """ASGI middleware: answer 413 to a request whose body is over `limit` bytes, whether it
    says so in Content-Length or not, and 408 to one whose body takes longer than `timeout`
    seconds to arrive (the body is read, up to the limit, before the app)."""

    def __init__(self, app: ASGIApp, limit: int, timeout: float) -> None:
        self.app = app
        self.limit = limit
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith(API_PREFIX)
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.limit:
            await self._refuse(scope, receive, send, api)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        with anyio.move_on_after(self.timeout) as waited:
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.limit:
                    await self._refuse(scope, receive, send, api)
                    return
                chunks.append(chunk)
                more = message.get("more_body", False)
        if waited.cancelled_caught:
            reason = f"the request body did not arrive within {self.timeout:g} s"
            await _secured(error_response(408, reason, api))(scope, receive, send)
            return
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, api: bool) -> None:
        message = f"the request body is over the limit of {self.limit:,} bytes"
        await _secured(error_response(413, message, api))(scope, receive, send)


def create_app(workbench: Workbench) -> FastAPI:
    """The web app and REST API over `workbench`."""
    app = FastAPI(
        title="spinscope",
        version=__version__,
        description="Quotes and speakers, claims, persuasion techniques, entities' roles and "
        "narratives of news articles; stored, searched and compared. Every analysis is the "
        "`Analysis` JSON of `spinscope analyze --format json`.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # FastAPI's page loads Swagger UI from a CDN: `api_docs` serves its own
        redoc_url=None,
    )
    app.state.workbench = workbench
    app.include_router(api_router, prefix=API_PREFIX)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount(DOCS_STATIC, StaticFiles(directory=str(SWAGGER_UI)), name="swagger-ui")

    @app.get(f"{API_PREFIX}/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        """The API's interactive docs: Swagger UI over the app's OpenAPI schema (3.1, which
        Swagger UI reads from version 5); nothing is loaded from elsewhere."""
        return html_page(render("api-docs.html.j2", static=DOCS_STATIC))

    def is_api(request: Request) -> bool:
        return request.url.path.startswith(API_PREFIX)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = error_response(exc.status_code, str(exc.detail), is_api(request))
        if exc.status_code == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(422, problems(exc.errors()), is_api(request))

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> Response:
        response = error_response(503, str(exc), is_api(request))
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response

    @app.exception_handler(LLMError)
    async def llm_unreachable(request: Request, exc: LLMError) -> Response:
        # The endpoint that refines the analyses cannot be reached: a gateway's failure.
        return error_response(502, str(exc), is_api(request))

    @app.exception_handler(AnalysisStopped)
    async def stopped(request: Request, exc: AnalysisStopped) -> Response:
        return error_response(422, str(exc), is_api(request))

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        # Logged by the server; the client gets the one error shape, without internals.
        return error_response(500, f"internal error ({type(exc).__name__})", is_api(request))

    # Outermost first: the host check before anything, the body limit before anything reads
    # the body.
    app.add_middleware(
        BodyLimit,
        limit=workbench.settings.max_request_bytes,
        timeout=workbench.settings.body_timeout,
    )
    app.add_middleware(Guard, allowed_hosts=workbench.settings.allowed_hosts)
    return app
