"""What an LLM may refine of the narratives layer (`spinscope.layers.Refinement`): the
narratives an article carries and their sub-narratives (SemEval-2025 Task 10 subtask 2), with
their evidence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spinscope.document import Narrative
from spinscope.layers import Refinement
from spinscope.llm.reading import Reader
from spinscope.llm.schema import SENTENCE
from spinscope.taxonomy import NARRATIVES, OTHER


def _narratives_text() -> str:
    lines = []
    for narrative, subs in NARRATIVES.items():
        lines.append(narrative)
        lines.extend(f"  - {sub}" for sub in subs)
    return "\n".join(lines)


INSTRUCTIONS = f"""\
Which narratives the article carries, as in SemEval-2025 Task 10: list each narrative it \
carries with the sub-narratives that apply ("Other" when the narrative applies but none of its \
listed sub-narratives does). When no narrative applies, answer the single narrative "Other". \
The narratives suggested so far may be replaced. Evidence is one or more whole sentences of \
the article that carry the narrative.

NARRATIVES
{_narratives_text()}"""

_NARRATIVES = {label.casefold(): label for label in (*NARRATIVES, OTHER)}
_SUBNARRATIVES = {
    f"{narrative}: {sub}".casefold(): f"{narrative}: {sub}"
    for narrative, subs in NARRATIVES.items()
    for sub in subs
}


def hints(narratives: Sequence[Narrative]) -> list[dict[str, Any]]:
    """What the narratives layer suggested: each narrative with its sub-narratives, as the
    instructions list them (without the narrative before them)."""
    return [
        {
            "narrative": n.narrative,
            "subnarratives": [sub.removeprefix(f"{n.narrative}: ") for sub in n.subnarratives],
        }
        for n in narratives
    ]


def _subnarratives(label: str, item: Mapping[str, Any], reader: Reader) -> list[str]:
    subs = []
    for sub in reader.strings(item.get("subnarratives")):
        # "Praise of Russian military might", or its full label with the narrative
        full = _SUBNARRATIVES.get(sub.casefold()) or _SUBNARRATIVES.get(
            f"{label}: {sub}".casefold()
        )
        if full is None or not full.startswith(f"{label}: "):
            reader.report.dropped["unknown sub-narrative"] += 1
        elif full not in subs:
            subs.append(full)
            reader.report.kept["sub-narrative"] += 1
    return subs


def read(
    items: list[Mapping[str, Any]], narratives: Sequence[Narrative], reader: Reader
) -> list[Narrative]:
    """The narratives after the answer's `items`: the answered ones replace the given ones,
    unless none of them is valid. A narrative is valid when its label is the taxonomy's and an
    evidence sentence of it stands in the text (`Other`, which none can carry, needs none);
    `Other` is dropped beside real narratives."""
    report = reader.report
    found: dict[str, Narrative] = {}
    for item in items:
        label = reader.label(item.get("narrative"), _NARRATIVES, "narrative")
        if label is None:
            continue
        if label in found:
            report.dropped["narrative answered twice"] += 1
            continue
        evidence = reader.evidence(item.get("evidence"))
        if label != OTHER and not evidence:
            report.dropped["narrative without evidence in the text"] += 1
            continue
        found[label] = Narrative(
            narrative=label,
            subnarratives=_subnarratives(label, item, reader),
            evidence=evidence,
            source=report.source,
        )
    if len(found) > 1 and found.pop(OTHER, None) is not None:
        report.dropped["Other beside narratives"] += 1
    if found:
        report.kept["narrative"] += len(found)
    return list(found.values()) or list(narratives)


#: One answered narrative: the taxonomy's labels (sub-narratives as the instructions list
#: them), every list bounded.
SCHEMA = {
    "type": "object",
    "properties": {
        "narrative": {"enum": [*NARRATIVES, OTHER]},
        "subnarratives": {
            "type": "array",
            "items": {"enum": sorted({sub for subs in NARRATIVES.values() for sub in subs})},
            "maxItems": 3,
        },
        "evidence": {"type": "array", "items": SENTENCE, "maxItems": 2},
    },
    "required": ["narrative", "subnarratives", "evidence"],
    "additionalProperties": False,
}

REFINEMENT = Refinement(
    key="narratives",
    instructions=INSTRUCTIONS,
    example={"narrative": "...", "subnarratives": ["..."], "evidence": ["..."]},
    hints=hints,
    read=read,
    schema=SCHEMA,
    # 78% of the English SemEval-2025 Task 10 articles carry at most 3 narratives; one with a
    # sub-narrative and one evidence sentence is 70 tokens of compact JSON, 83 indented
    # (SmolLM2's tokenizer, on the NATO example).
    max_items=3,
    item_tokens=80,
)
