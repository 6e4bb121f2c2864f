"""What an LLM may refine of the entities layer (`spinscope.layers.Refinement`): the role the
article casts each entity in (SemEval-2025 Task 10 subtask 1), its mentions and evidence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spinscope.document import Entity, Role
from spinscope.layers import Refinement
from spinscope.llm.reading import Reader, sorted_spans
from spinscope.llm.schema import NAME, SENTENCE
from spinscope.taxonomy import FINE_ROLES, ROLE_DEFINITIONS, ROLES


def _roles_text() -> str:
    lines = []
    for main, fines in ROLES.items():
        lines.append(f"{main}: {ROLE_DEFINITIONS[main]}")
        lines.extend(f"  - {fine}: {ROLE_DEFINITIONS[fine]}" for fine in fines)
    return "\n".join(lines)


INSTRUCTIONS = f"""\
Which role the article casts each entity in (persons, groups, organisations, countries), as in \
SemEval-2025 Task 10: give each entity the article casts in a role one main role and one or \
more fine roles of that main role. Keep the name of an entity found so far as it is given, \
correct its role where the article says otherwise, and add the entities it missed. Mentions \
are the names and descriptions of the entity as the article writes them ("Jens Stoltenberg", \
"the NATO chief"), not pronouns. Evidence is one or more whole sentences of the article that \
cast the role.

ENTITY ROLES
{_roles_text()}"""

_MAIN_ROLES = {main.casefold(): main for main in ROLES}
_FINE_ROLES = {fine.casefold(): fine for fine in FINE_ROLES}


#: Words the entities layer counts as mentions ("he" for the speaker it resolved), which the
#: instructions tell the model not to answer: the hints leave them out too.
PRONOUNS = frozenset(
    "i me my mine myself we us our ours ourselves you your yours yourself yourselves "
    "he him his himself she her hers herself it its itself they them their theirs themselves "
    "who whom whose this that these those".split()
)


def hints(entities: Sequence[Entity]) -> list[dict[str, Any]]:
    """What the entities layer found: each entity's name, its mentions (pronouns left out) and
    its role."""
    return [
        {
            "name": entity.name,
            "mentions": list(
                dict.fromkeys(
                    span.text for span in entity.mentions if span.text.casefold() not in PRONOUNS
                )
            ),
            **(
                {"main_role": entity.role.main, "fine_roles": entity.role.fine}
                if entity.role
                else {}
            ),
        }
        for entity in entities
    ]


def _role(item: Mapping[str, Any], reader: Reader) -> Role | None:
    if item.get("main_role") is None:
        return None
    main = reader.label(item.get("main_role"), _MAIN_ROLES, "role")
    if main is None:
        return None
    fines = []
    for label in reader.strings(item.get("fine_roles")):
        fine = _FINE_ROLES.get(label.casefold())
        if fine is None or FINE_ROLES[fine] != main:
            reader.report.dropped["unknown role"] += 1
        elif fine not in fines:
            fines.append(fine)
    return Role.model_validate({"main": main, "fine": fines})


def read(
    items: list[Mapping[str, Any]], entities: Sequence[Entity], reader: Reader
) -> list[Entity]:
    """The entities after the answer's `items`.

    An answered entity whose name matches a given entity's name or one of its mentions
    (ignoring case) refines it: the answer's role and evidence replace the given ones when its
    role is valid and an evidence sentence stands in the text, its mentions are added, and its
    source gains `; llm:<model>` (an answer that changes none of this leaves it as it was).
    Other answered entities are added (source `llm:<model>`) when they have such a role and a
    mention in the text. A mention that names another entity (given, or answered before) is
    not added. Given entities the answer does not name are kept as they are.
    """
    report = reader.report
    result = list(entities)
    index: dict[str, int] = {}
    for i, entity in enumerate(entities):
        for key in (entity.name, *(span.text for span in entity.mentions)):
            index.setdefault(key.casefold(), i)
    answered: set[int] = set()
    for item in items:
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            report.dropped["malformed item"] += 1
            continue
        mentions = reader.mentions(name, item.get("mentions"))
        keys = [name, *(span.text for span in mentions)]
        target = next((index[k.casefold()] for k in keys if k.casefold() in index), None)
        if target in answered:
            report.dropped["entity answered twice"] += 1
            continue
        theirs = {m.text for m in mentions if index.get(m.text.casefold(), target) != target}
        if theirs:  # "Elena Voss" answered as a mention of the city she is the mayor of
            report.dropped["mention of another entity"] += len(theirs)
            mentions = [m for m in mentions if m.text not in theirs]
        role = _role(item, reader)
        if target is None and not mentions:
            report.dropped["new entity not in the text"] += 1
            continue
        evidence = reader.evidence(item.get("evidence")) if role else []
        if role is not None and not evidence:
            report.dropped["role without evidence in the text"] += 1
            role = None
        if target is None and role is None:
            report.dropped["new entity without a valid role"] += 1
            continue
        if role is not None:
            report.kept["role"] += 1
        if target is not None:
            old = result[target]
            if role is not None or set(mentions) - set(old.mentions):  # else nothing changes
                result[target] = Entity(
                    name=old.name,
                    mentions=sorted_spans([*old.mentions, *mentions]),
                    role=role or old.role,
                    evidence=evidence if role else old.evidence,
                    source=f"{old.source}; {report.source}",
                )
                report.kept["entity refined"] += 1
        else:
            target = len(result)
            result.append(
                Entity(
                    name=name,
                    mentions=mentions,
                    role=role,
                    evidence=evidence,
                    source=report.source,
                )
            )
            report.kept["entity added"] += 1
        answered.add(target)
        for key in keys:
            index.setdefault(key.casefold(), target)
    return result


#: One answered entity: every field required, the roles the taxonomy's, every list bounded.
SCHEMA = {
    "type": "object",
    "properties": {
        "name": NAME,
        "mentions": {"type": "array", "items": NAME, "maxItems": 4},
        "main_role": {"enum": list(ROLES)},
        "fine_roles": {"type": "array", "items": {"enum": list(FINE_ROLES)}, "maxItems": 3},
        "evidence": {"type": "array", "items": SENTENCE, "minItems": 1, "maxItems": 2},
    },
    "required": ["name", "mentions", "main_role", "fine_roles", "evidence"],
    "additionalProperties": False,
}

REFINEMENT = Refinement(
    key="entities",
    instructions=INSTRUCTIONS,
    example={
        "name": "...",
        "mentions": ["..."],
        "main_role": "...",
        "fine_roles": ["..."],
        "evidence": ["..."],
    },
    hints=hints,
    read=read,
    schema=SCHEMA,
    # 93% of the English SemEval-2025 Task 10 articles cast at most 6 entities in a role; one
    # entity with two mentions and one evidence sentence is 85 tokens of compact JSON, 105
    # indented (SmolLM2's tokenizer, on the NATO example).
    max_items=6,
    item_tokens=100,
)
