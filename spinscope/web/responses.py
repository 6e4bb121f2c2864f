"""The responses every route shares: the one error shape (JSON for the API, a small page for
the web), pages with their Content-Security-Policy, the API token check, short validation
errors. The app (`spinscope.web.app`), the API and the pages all import from here, so none of
them imports another for these.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from spinscope.output.html import templates
from spinscope.version import __version__

#: The policy of every page; `{scripts}` adds hashes of inline scripts a page needs.
CSP = (
    "default-src 'none'; script-src 'self'{scripts}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
#: Problems listed in one error message; the rest are counted.
MAX_PROBLEMS = 5


def render(template: str, **context: Any) -> str:
    return templates("spinscope.web").get_template(template).render(version=__version__, **context)


def render_error(status: int, message: str) -> str:
    return render("error.html.j2", status=status, message=message, token_needed=False)


def error_response(status: int, message: str, api: bool = True) -> Response:
    """The one error shape: JSON for the API, a small escaped page for the web."""
    if api:
        return JSONResponse({"ok": False, "status": status, "error": message}, status)
    return HTMLResponse(render_error(status, message), status)


def html_page(body: str, status: int = 200, scripts: Sequence[str] = ()) -> HTMLResponse:
    """A page with the CSP that allows `scripts`, the page's own inline scripts (by hash), and
    no other inline script."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in scripts
    )
    return HTMLResponse(
        body, status, headers={"Content-Security-Policy": CSP.format(scripts=hashes)}
    )


def problems(errors: Iterable[Any]) -> str:
    """The problems of a validation error in one line, cut after `MAX_PROBLEMS`: a request
    with a million bad items gets a short answer, not a list of a million."""
    found = []
    for error in errors:
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        # a validator's own message, without the prefix pydantic puts before it
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        found.append(f"{where}: {message}" if where else message)
    shown = "; ".join(found[:MAX_PROBLEMS])
    more = len(found) - MAX_PROBLEMS
    return f"{shown}; and {more:,} more" if more > 0 else shown or "invalid request"


def check_token(request: Request, form_token: str | None = None) -> str:
    """The reviewer a write request is made by (`spinscope.web.reviewers`): the one whose
    token it carries, the server's own reviewer for its API token or where no token is set;
    401 otherwise."""
    settings = request.app.state.workbench.settings
    if not settings.writes_need_token:
        return str(settings.reviewer)
    given = form_token
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        given = header[7:].strip()
    if given:
        for token, name in settings.reviewers.items():
            if hmac.compare_digest(given.encode(), token.encode()):
                return str(name)
        if settings.token and hmac.compare_digest(given.encode(), settings.token.encode()):
            return str(settings.reviewer)
    raise StarletteHTTPException(
        401,
        "this server needs a reviewer's or its API token for writes: send "
        "'Authorization: Bearer TOKEN'",
    )
