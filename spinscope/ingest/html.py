"""HTML pages: trafilatura extracts the title, body and metadata.

`Article.text` is the title, a newline, then the body with one paragraph per line, so a page
and a `.txt` file of the same article (title line, then one line per paragraph) give the same
text. trafilatura includes a headline that repeats the title in the body; it is dropped there.
"""

from __future__ import annotations

from typing import Any

import trafilatura

from spinscope.document import Article
from spinscope.errors import InputError
from spinscope.ingest.base import new_article


def _field(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    return (value.strip() or None) if isinstance(value, str) else None


def article_from_html(html: str, *, id: str | None, source: str, url: str | None = None) -> Article:
    """The article in an HTML page. `url` is where it came from, used if it names no canonical URL.

    `id` None means a hash of the text.
    """
    result = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    fields = {} if result is None else result if isinstance(result, dict) else result.as_dict()
    body = _field(fields, "text")
    if body is None:
        raise InputError(source, "no article text could be extracted from this HTML page")
    title = _field(fields, "title") or ""
    first, _, rest = body.partition("\n")
    if title and first.strip() == title:
        body = rest
    text = f"{title}\n{body}" if title and body else title or body
    return new_article(
        source,
        id=id or Article.make_id(text),
        title=title,
        text=text,
        url=_field(fields, "url") or url,
        outlet=_field(fields, "sitename"),
        published=_field(fields, "date"),
        author=_field(fields, "author"),
    )
