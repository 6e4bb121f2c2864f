"""The ASGI app of `spinscope serve`: web pages at `/`, the REST API at `/api/v1`, both over
one `Workbench`. `create_app(workbench)` builds it; tests drive it in-process.

Security, in one place:
- every request body is capped at `Settings.max_request_bytes` (413 beyond it);
- write requests (POST, PUT, PATCH, DELETE) need the API token when one is set, as
  `Authorization: Bearer TOKEN` (the web forms send it as a `token` field);
- write requests from a page of another origin (by their Origin header) are refused (403), so
  a page elsewhere cannot make a browser write to a workbench on localhost;
- pages are rendered by Jinja2 with autoescaping, and served with a Content-Security-Policy that
  allows only the app's own scripts (and, on the article view, the report's inline script by its
  hash);
- API errors have one shape: `{"ok": false, "status": 404, "error": "..."}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from spinscope import __version__
from spinscope.web.workbench import Workbench

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API_PREFIX = "/api/v1"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})

#: The policy of every page; `{scripts}` adds hashes of inline scripts a page needs.
_CSP = (
    "default-src 'none'; script-src 'self'{scripts}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def is_loopback(host: str) -> bool:
    """Whether binding to `host` keeps the server on this machine."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def error_response(status: int, message: str, api: bool = True) -> Response:
    """The one error shape: JSON for the API, a small escaped page for the web."""
    if api:
        return JSONResponse({"ok": False, "status": status, "error": message}, status)
    from spinscope.web.pages import render_error

    return HTMLResponse(render_error(status, message), status)


def html_page(body: str, status: int = 200) -> HTMLResponse:
    """A page with the CSP that allows its own inline scripts (by hash) and nothing else."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in _INLINE_SCRIPT.findall(body)
    )
    return HTMLResponse(
        body, status, headers={"Content-Security-Policy": _CSP.format(scripts=hashes)}
    )


def check_token(request: Request, form_token: str | None = None) -> None:
    """Raise 401 unless the request carries the API token (when one is set)."""
    token = request.app.state.workbench.settings.token
    if not token:
        return
    given = form_token
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        given = header[7:].strip()
    if not given or not hmac.compare_digest(given.encode(), token.encode()):
        raise StarletteHTTPException(
            401, "this server needs its API token for writes: send 'Authorization: Bearer TOKEN'"
        )


class BodyLimit:
    """ASGI middleware: answer 413 to a request whose body is over `limit` bytes, whether it
    says so in Content-Length or not (the body is read, up to the limit, before the app)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith(API_PREFIX)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            await self._refuse(scope, receive, send, api)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
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
        await error_response(413, message, api)(scope, receive, send)


def create_app(workbench: Workbench) -> FastAPI:
    """The web app and REST API over `workbench`."""
    from spinscope.web.api import router as api_router
    from spinscope.web.pages import STATIC
    from spinscope.web.pages import router as pages_router

    app = FastAPI(
        title="spinscope",
        version=__version__,
        description="Quotes and speakers, claims, persuasion techniques, entities' roles and "
        "narratives of news articles; stored, searched and compared. Every analysis is the "
        "`Analysis` JSON of `spinscope analyze --format json`.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # the interactive docs load scripts from a CDN: the app stays offline
        redoc_url=None,
    )
    app.state.workbench = workbench
    app.include_router(api_router, prefix=API_PREFIX)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        api = request.url.path.startswith(API_PREFIX)
        response = error_response(exc.status_code, str(exc.detail), api)
        if exc.status_code == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
            problems.append(f"{where}: {error.get('msg', 'invalid')}" if where else error["msg"])
        api = request.url.path.startswith(API_PREFIX)
        return error_response(422, "; ".join(problems) or "invalid request", api)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        # Logged by the server; the client gets the one error shape, without internals.
        api = request.url.path.startswith(API_PREFIX)
        return error_response(500, f"internal error ({type(exc).__name__})", api)

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.method in WRITE_METHODS:
            # Browsers send Origin with every cross-site POST, forms and multipart uploads
            # included (which need no CORS preflight); programs calling the API send none.
            origin = request.headers.get("origin")
            if origin and _host(origin) != request.headers.get("host"):
                api = request.url.path.startswith(API_PREFIX)
                return error_response(403, "cross-origin write requests are refused", api)
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", _CSP.format(scripts=""))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    # Outermost: the body limit applies before anything reads the body.
    app.add_middleware(BodyLimit, limit=workbench.settings.max_request_bytes)
    return app


def _host(origin: str) -> str:
    return origin.partition("://")[2].rstrip("/")
