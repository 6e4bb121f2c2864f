"""Reviewed articles as training data, in the formats of the benchmarks spinscope trains and
scores on: what `spinscope export corrections` writes, and `spinscope train LAYER --extra` and
`spinscope eval LAYER --data` read back.

Only what reviewers decided is written as gold: the findings they confirmed, edited or added
(`spinscope.document.Review`). A finding the model made and nobody reviewed is not gold, nor
is one a reviewer rejected, so an article exported is as complete as its review: review every
technique of an article before training on it. Each article is written as `article<N>` (the
benchmarks' readers take those names), and `ids.tsv` maps N to the store's article id.

- `semeval2023` (techniques, SemEval-2023 Task 3): `articles/article<N>.txt` and
  `spans/article<N>-labels-subtask-3.txt`.
- `semeval2025` (entities' roles and narratives, SemEval-2025 Task 10): `documents/article<N>.txt`,
  `subtask-1-annotations.txt` (an entity's first mention, with its main and fine roles: a role
  without a fine role is not written) and `subtask-2-annotations.txt` (the narratives and
  sub-narratives reviewers accepted, or `Other` where they rejected every one).
- `brat` (quotes, the PolNeAR layout): `text/article<N>.txt` and
  `attributions/article<N>_review.ann`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from spinscope.document import Analysis
from spinscope.evaluate.brat import write_ann
from spinscope.evaluate.entities import ANNOTATIONS as ROLE_ANNOTATIONS
from spinscope.evaluate.entities import RoleMention, write_roles
from spinscope.evaluate.narratives import ANNOTATIONS as NARRATIVE_ANNOTATIONS
from spinscope.evaluate.narratives import DOCUMENTS, NarrativeLabels, write_narrative_labels
from spinscope.evaluate.semeval import SPANS_SUFFIX, TechniqueSpan, write_spans
from spinscope.taxonomy import OTHER

TrainingFormat = Literal["semeval2023", "semeval2025", "brat"]

#: The kinds of correction each format writes (`spinscope.layers.Correctable.kind`).
KINDS: dict[str, tuple[str, ...]] = {
    "semeval2023": ("technique",),
    "semeval2025": ("entity", "narrative"),
    "brat": ("quote",),
}

#: What each format holds, as the CLI, the API and the review queue name it.
FORMATS: dict[str, str] = {
    "semeval2023": "technique spans, SemEval-2023 Task 3",
    "semeval2025": "entity roles and narratives, SemEval-2025 Task 10",
    "brat": "quotes, PolNeAR's brat",
}

#: What a reviewer decided that makes a finding gold.
ACCEPTED = frozenset({"confirmed", "edited", "added"})


@dataclass(frozen=True)
class Written:
    """What an export wrote: how many articles, and how many gold findings of each kind."""

    articles: int
    findings: dict[str, int]


def write_training_data(analyses: Iterable[Analysis], out: Path, format: TrainingFormat) -> Written:
    """Write the reviewed `analyses` (as the store gives them) into the folder `out` in
    `format`; articles no reviewer corrected in that format's kinds should be left out by the
    caller (`spinscope.store.Store.reviewed`)."""
    out.mkdir(parents=True, exist_ok=True)
    if format == "brat":
        (out / "attributions").mkdir(exist_ok=True)
    ids: list[str] = []
    counts: dict[str, int] = dict.fromkeys(KINDS[format], 0)
    spans: dict[str, list[TechniqueSpan]] = {}
    roles: list[RoleMention] = []
    narratives: dict[str, NarrativeLabels] = {}
    for n, analysis in enumerate(analyses, start=1):
        name = f"article{n}"
        ids.append(analysis.article.id)
        text = analysis.article.text
        if format == "semeval2023":
            _write_text(out / "articles" / f"{name}.txt", text)
            spans[str(n)] = sorted(
                {TechniqueSpan(t.start, t.end, t.technique) for t in _accepted(analysis.techniques)}
            )
            counts["technique"] += len(spans[str(n)])
        elif format == "semeval2025":
            _write_text(out / DOCUMENTS / f"{name}.txt", text)
            for entity in _accepted(analysis.entities):
                if entity.role is None or not entity.role.fine or not entity.mentions:
                    continue
                mention = entity.mentions[0]
                roles.append(
                    RoleMention(
                        f"{name}.txt",
                        mention.text,
                        mention.start,
                        mention.end,
                        entity.role.main,
                        tuple(entity.role.fine),
                    )
                )
                counts["entity"] += 1
            chosen = [x for x in _accepted(analysis.narratives) if x.narrative != OTHER]
            if chosen or any(x.review for x in analysis.narratives):
                labels = NarrativeLabels(
                    frozenset(x.narrative for x in chosen) or frozenset([OTHER]),
                    frozenset(s for x in chosen for s in x.subnarratives) or frozenset([OTHER]),
                )
                narratives[f"{name}.txt"] = labels
                counts["narrative"] += len(chosen)
        else:
            _write_text(out / "text" / f"{name}.txt", text)
            quotes = _accepted(analysis.quotes)
            write_ann(out / "attributions" / f"{name}_review.ann", quotes)
            counts["quote"] += len(quotes)
    if format == "semeval2023":
        (out / "spans").mkdir(exist_ok=True)
        for n_id, found in spans.items():
            write_spans(out / "spans" / f"article{n_id}{SPANS_SUFFIX}", {n_id: found})
    elif format == "semeval2025":
        write_roles(out / ROLE_ANNOTATIONS, roles)
        write_narrative_labels(out / NARRATIVE_ANNOTATIONS, narratives)
    (out / "ids.tsv").write_text(
        "".join(f"article{n}\t{article_id}\n" for n, article_id in enumerate(ids, start=1)),
        encoding="utf-8",
    )
    return Written(len(ids), counts)


def _accepted(findings: Sequence[Any]) -> list[Any]:
    return [f for f in findings if f.review is not None and f.review.status in ACCEPTED]


def _write_text(path: Path, text: str) -> None:
    """The article exactly as its offsets count it: UTF-8, no newline translation."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
