"""Reviewers: who may write to a workbench, and whom each write is attributed to.

`spinscope serve --reviewers FILE` names them, one per line: a name, then the reviewer's token
(`ana 8f3c…`); blank lines and lines starting with `#` are skipped. Every write (a correction,
an upload, a deletion) must then carry one of the tokens (`Authorization: Bearer TOKEN`), or
the server's API token (`--token`), and a correction is kept under the reviewer's name. Anyone
may read. A server with neither reviewers nor a token is a one-person workbench on this
machine: writes need no token and are attributed to `Settings.reviewer`, the user running it.
"""

from __future__ import annotations

import re
from pathlib import Path

from spinscope.errors import SpinscopeError

#: The shortest token a reviewer may have: a guessable token is no attribution.
MIN_TOKEN = 16

_NAME = re.compile(r"[\w.@-]{1,200}")


def read_reviewers(path: Path) -> dict[str, str]:
    """The reviewers of `path`, as token -> name; `SpinscopeError` naming the file and line of
    the first problem (a missing or short token, a name or token given twice)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SpinscopeError(f"cannot read the reviewers file {path}: {exc}") from exc
    reviewers: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        where = f"{path}:{number}"
        if len(parts) != 2:
            raise SpinscopeError(f"{where}: give a reviewer's name and token, and nothing else")
        name, token = parts
        if not _NAME.fullmatch(name):
            raise SpinscopeError(
                f"{where}: a reviewer's name is letters, digits and . @ _ -, not {name!r}"
            )
        if len(token) < MIN_TOKEN:
            raise SpinscopeError(
                f"{where}: {name}'s token has {len(token)} characters; give at least "
                f"{MIN_TOKEN} (python -c 'import secrets; print(secrets.token_hex(16))')"
            )
        if token in reviewers:
            raise SpinscopeError(f"{where}: {name} has the token of {reviewers[token]}")
        if name in reviewers.values():
            raise SpinscopeError(f"{where}: {name} is named twice")
        reviewers[token] = name
    if not reviewers:
        raise SpinscopeError(f"the reviewers file {path} names no reviewer")
    return reviewers
