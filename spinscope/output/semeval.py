"""Technique spans in the format of SemEval's span-level propaganda tasks.

One line per technique span, `article_id<TAB>technique<TAB>start<TAB>end`, with character
offsets into the article text (end exclusive), as the task's gold label files and scorers use:

    111111111	Loaded_Language	1541	1548

The task names its articles `article<DIGITS>.txt` and its label files use the digits alone; an
article read from such a file has the id `article<DIGITS>` (its file stem), which becomes the
digits here. Any other id is written as it is.
"""

from __future__ import annotations

import re

from spinscope.document import Analysis

_TASK_ID = re.compile(r"article(\d+)")
_LINE_BREAKS = re.compile(r"[\t\r\n]+")


def semeval_article_id(article_id: str) -> str:
    """`article123456` -> `123456`; any other id as it is (tabs and line breaks, which
    would break the format, become spaces)."""
    match = _TASK_ID.fullmatch(article_id)
    return match.group(1) if match else _LINE_BREAKS.sub(" ", article_id)


def render_semeval(analysis: Analysis) -> str:
    """Every technique span of `analysis` as one line, in text order; an analysis without
    techniques gives an empty string. A technique found twice on the same span is one line,
    as the task's scorer would count a repeated line as a second (wrong) prediction."""
    article_id = semeval_article_id(analysis.article.id)
    spans = sorted({(t.start, t.end, t.technique) for t in analysis.techniques})
    return "".join(
        f"{article_id}\t{technique}\t{start}\t{end}\n" for start, end, technique in spans
    )
