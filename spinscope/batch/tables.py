"""Analyses as flat tables: one row per article, and one per quote, claim, technique, entity and
narrative, each with its `article_id` and its character offsets into the article's text.

The schemas are declared here once (the Parquet files, the report and the docs follow them), so
an empty chunk writes the same columns as a full one. pyarrow (the `batch` extra) is imported
only when a table is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from spinscope.document import Analysis

if TYPE_CHECKING:
    import pyarrow as pa

#: The finding tables, in the order they are written; `articles` comes first, `errors` last.
FINDINGS = ("quotes", "claims", "techniques", "entities", "narratives")
TABLES = ("articles", *FINDINGS, "errors")

Row = dict[str, Any]

#: Column name -> type name, per table ("str", "int", "float", "list" of strings).
COLUMNS: Mapping[str, Mapping[str, str]] = {
    "articles": {
        "article_id": "str",
        "where": "str",
        "title": "str",
        "outlet": "str",
        "published": "str",
        "url": "str",
        "author": "str",
        "language": "str",
        "chars": "int",
        "quotes": "int",
        "claims": "int",
        "techniques": "int",
        "entities": "int",
        "narratives": "int",
        "genre": "str",
        "frames": "list",
        "warnings": "list",
        "spinscope_version": "str",
        "model_version": "str",
        "text": "str",
    },
    "quotes": {
        "article_id": "str",
        "index": "int",
        "kind": "str",
        "start": "int",
        "end": "int",
        "content": "str",
        "speaker_start": "int",
        "speaker_end": "int",
        "speaker": "str",
        "speaker_entity": "str",
        "cue_start": "int",
        "cue_end": "int",
        "cue": "str",
        "cue_class": "str",
        "score": "float",
        "source": "str",
    },
    "claims": {
        "article_id": "str",
        "index": "int",
        "start": "int",
        "end": "int",
        "text": "str",
        "numbers": "list",
        "hedges": "list",
        "source_kind": "str",
        "source_start": "int",
        "source_end": "int",
        "source_text": "str",
        "source_entity": "str",
        "quote": "int",
        "score": "float",
        "origin": "str",
    },
    "techniques": {
        "article_id": "str",
        "index": "int",
        "technique": "str",
        "group": "str",
        "start": "int",
        "end": "int",
        "text": "str",
        "score": "float",
        "source": "str",
    },
    "entities": {
        "article_id": "str",
        "index": "int",
        "name": "str",
        "mentions": "int",
        "first_start": "int",
        "first_end": "int",
        "role": "str",
        "fine_roles": "list",
        "role_score": "float",
        "source": "str",
    },
    "narratives": {
        "article_id": "str",
        "index": "int",
        "narrative": "str",
        "subnarratives": "list",
        "score": "float",
        "source": "str",
    },
    "errors": {"where": "str", "article_id": "str", "stage": "str", "reason": "str"},
}


def schema(table: str) -> pa.Schema:
    """The Arrow schema of `table`."""
    import pyarrow as pa

    types = {"str": pa.string(), "int": pa.int64(), "float": pa.float64()}
    return pa.schema(
        [
            pa.field(name, pa.list_(pa.string()) if kind == "list" else types[kind])
            for name, kind in COLUMNS[table].items()
        ]
    )


def to_arrow(table: str, rows: Iterable[Row]) -> pa.Table:
    import pyarrow as pa

    return pa.Table.from_pylist(list(rows), schema=schema(table))


def article_row(analysis: Analysis, where: str, model_version: str) -> Row:
    article = analysis.article
    return {
        "article_id": article.id,
        "where": where,
        "title": article.title,
        "outlet": article.outlet,
        "published": article.published,
        "url": article.url,
        "author": article.author,
        "language": article.language,
        "chars": len(article.text),
        "quotes": len(analysis.quotes),
        "claims": len(analysis.claims),
        "techniques": len(analysis.techniques),
        "entities": len(analysis.entities),
        "narratives": len(analysis.narratives),
        "genre": analysis.genre.genre if analysis.genre else None,
        "frames": [frame.frame for frame in analysis.frames],
        "warnings": list(analysis.warnings),
        "spinscope_version": analysis.spinscope_version,
        "model_version": model_version,
        "text": article.text,
    }


def finding_rows(analysis: Analysis) -> dict[str, list[Row]]:
    """The rows of each finding table for one analysis."""
    aid = analysis.article.id
    quotes = [
        {
            "article_id": aid,
            "index": i,
            "kind": q.kind,
            "start": min(s.start for s in q.content),
            "end": max(s.end for s in q.content),
            "content": " … ".join(s.text for s in q.content),
            "speaker_start": q.speaker.start if q.speaker else None,
            "speaker_end": q.speaker.end if q.speaker else None,
            "speaker": q.speaker.text if q.speaker else None,
            "speaker_entity": q.speaker_entity,
            "cue_start": q.cue.start if q.cue else None,
            "cue_end": q.cue.end if q.cue else None,
            "cue": q.cue.text if q.cue else None,
            "cue_class": q.cue_class,
            "score": q.score,
            "source": q.source,
        }
        for i, q in enumerate(analysis.quotes)
    ]
    claims = [
        {
            "article_id": aid,
            "index": i,
            "start": c.span.start,
            "end": c.span.end,
            "text": c.span.text,
            "numbers": [s.text for s in c.numbers],
            "hedges": [s.text for s in c.hedges],
            "source_kind": c.source.kind,
            "source_start": c.source.span.start if c.source.span else None,
            "source_end": c.source.span.end if c.source.span else None,
            "source_text": c.source.span.text if c.source.span else None,
            "source_entity": c.source.entity,
            "quote": c.quote,
            "score": c.score,
            "origin": c.origin,
        }
        for i, c in enumerate(analysis.claims)
    ]
    techniques = [
        {
            "article_id": aid,
            "index": i,
            "technique": t.technique,
            "group": t.group,
            "start": t.start,
            "end": t.end,
            "text": t.text,
            "score": t.score,
            "source": t.source,
        }
        for i, t in enumerate(analysis.techniques)
    ]
    entities = [
        {
            "article_id": aid,
            "index": i,
            "name": e.name,
            "mentions": len(e.mentions),
            "first_start": e.mentions[0].start if e.mentions else None,
            "first_end": e.mentions[0].end if e.mentions else None,
            "role": e.role.main if e.role else None,
            "fine_roles": list(e.role.fine) if e.role else [],
            "role_score": e.role.score if e.role else None,
            "source": e.source,
        }
        for i, e in enumerate(analysis.entities)
    ]
    narratives = [
        {
            "article_id": aid,
            "index": i,
            "narrative": n.narrative,
            "subnarratives": list(n.subnarratives),
            "score": n.score,
            "source": n.source,
        }
        for i, n in enumerate(analysis.narratives)
    ]
    return {
        "quotes": quotes,
        "claims": claims,
        "techniques": techniques,
        "entities": entities,
        "narratives": narratives,
    }
