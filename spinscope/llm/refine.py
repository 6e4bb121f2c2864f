"""The prompt, and the reading of the answer: labels checked against the taxonomy, mentions
and evidence grounded in the text, merged with what the learned layers found."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from spinscope.document import Analysis, Article, Entity, Narrative, Role, Span
from spinscope.errors import LLMAnswerError
from spinscope.llm.client import LLMClient, Messages
from spinscope.llm.grounding import Grounder
from spinscope.taxonomy import FINE_ROLES, NARRATIVES, OTHER, ROLE_DEFINITIONS, ROLES


def _taxonomy_text() -> str:
    roles = []
    for main, fines in ROLES.items():
        roles.append(f"{main}: {ROLE_DEFINITIONS[main]}")
        roles.extend(f"  - {fine}: {ROLE_DEFINITIONS[fine]}" for fine in fines)
    narratives = []
    for narrative, subs in NARRATIVES.items():
        narratives.append(narrative)
        narratives.extend(f"  - {sub}" for sub in subs)
    return "\n".join(["ENTITY ROLES", *roles, "", "NARRATIVES", *narratives])


_INSTRUCTIONS = """\
You analyse news articles as in SemEval-2025 Task 10: which role the article casts each entity \
in (persons, groups, organisations, countries), and which narratives it carries.

Roles: give each entity the article casts in a role one main role and one or more fine roles \
of that main role. Narratives: list each narrative the article carries with the \
sub-narratives that apply ("Other" when the narrative applies but none of its listed \
sub-narratives does). When no narrative applies, answer the single narrative "Other".

Rules:
- Use the labels exactly as they are written in the taxonomy below.
- Copy every mention and every evidence quote character for character from the article: no \
paraphrase, no ellipsis, no added or changed words. Quotes that are not in the article are \
discarded.
- Mentions are the names and descriptions of the entity as the article writes them ("Jens \
Stoltenberg", "the NATO chief"), not pronouns.
- Evidence is one or more whole sentences of the article that cast the role or carry the \
narrative.
- Entities and narratives found by earlier steps are listed before the article: keep an \
entity's name as given, correct its role where the article says otherwise, and add the \
entities and narratives they missed.

Answer with one JSON object only, shaped as:
{"entities": [{"name": "...", "mentions": ["..."], "main_role": "...", "fine_roles": ["..."], \
"evidence": ["..."]}],
 "narratives": [{"narrative": "...", "subnarratives": ["..."], "evidence": ["..."]}]}
"""

SYSTEM_PROMPT = f"{_INSTRUCTIONS}\n{_taxonomy_text()}\n"


def build_messages(
    text: str, entities: Sequence[Entity], narratives: Sequence[Narrative]
) -> Messages:
    """The chat messages sent for one article: the instructions and taxonomy, then what the
    learned layers found (as hints) and the article text."""
    found = [
        {
            "name": entity.name,
            "mentions": list(dict.fromkeys(span.text for span in entity.mentions)),
            **(
                {"main_role": entity.role.main, "fine_roles": entity.role.fine}
                if entity.role
                else {}
            ),
        }
        for entity in entities
    ]
    suggested = [{"narrative": n.narrative, "subnarratives": n.subnarratives} for n in narratives]
    user = (
        f"Entities found so far: {json.dumps(found, ensure_ascii=False)}\n"
        f"Narratives suggested so far: {json.dumps(suggested, ensure_ascii=False)}\n\n"
        f"ARTICLE:\n{text}"
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


@dataclass
class RefineReport:
    """What the LLM's answer for one article gave, and what was dropped and why."""

    model: str
    cached: bool = False
    kept: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """One line: `llm:MODEL (cached): kept 2 × role, …; dropped 1 × evidence quote not
        in the text`."""

        def counts(counter: Counter[str]) -> str:
            return ", ".join(f"{n} × {what}" for what, n in counter.items()) or "nothing"

        cached = " (cached)" if self.cached else ""
        return f"llm:{self.model}{cached}: kept {counts(self.kept)}; dropped {counts(self.dropped)}"


_MAIN_ROLES = {main.casefold(): main for main in ROLES}
_FINE_ROLES = {fine.casefold(): fine for fine in FINE_ROLES}
_NARRATIVES = {label.casefold(): label for label in (*NARRATIVES, OTHER)}
_SUBNARRATIVES = {
    f"{narrative}: {sub}".casefold(): f"{narrative}: {sub}"
    for narrative, subs in NARRATIVES.items()
    for sub in subs
}


T = TypeVar("T")


class _Reader:
    """Checks one answer against the taxonomy and the text, counting in `report`."""

    def __init__(self, text: str, report: RefineReport) -> None:
        self.grounder = Grounder(text)
        self.report = report

    def items(self, answer: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        value = answer.get(key) or []
        if not isinstance(value, list):
            self.report.dropped[f"malformed {key} list"] += 1
            return []
        return self._only(dict, value)  # JSON objects

    def strings(self, value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        return self._only(str, value) if isinstance(value, list) else []

    def _only(self, kind: type[T], values: list[Any]) -> list[T]:
        """The values of type `kind`; the others are counted as malformed."""
        kept = [value for value in values if isinstance(value, kind)]
        if len(kept) < len(values):
            self.report.dropped["malformed item"] += len(values) - len(kept)
        return kept

    def evidence(self, value: Any) -> list[Span]:
        spans = []
        for quote in self.strings(value):
            span = self.grounder.first(quote)
            if span is None:
                self.report.dropped["evidence quote not in the text"] += 1
            else:
                self.report.kept["evidence quote"] += 1
                spans.append(span)
        return _sorted(spans)

    def mentions(self, name: str, value: Any) -> list[Span]:
        """Every occurrence of the mentions; the name is looked for too, but as a label it
        may be written otherwise than in the text, so its absence is not counted."""
        spans = self.grounder.every(name)
        for mention in self.strings(value):
            found = self.grounder.every(mention)
            if not found:
                self.report.dropped["mention not in the text"] += 1
            spans.extend(found)
        return _sorted(spans)

    def role(self, item: Mapping[str, Any]) -> Role | None:
        if item.get("main_role") is None:
            return None
        main = _MAIN_ROLES.get(str(item.get("main_role")).casefold())
        if main is None:
            self.report.dropped["unknown role"] += 1
            return None
        fines = []
        for label in self.strings(item.get("fine_roles")):
            fine = _FINE_ROLES.get(label.casefold())
            if fine is None or FINE_ROLES[fine] != main:
                self.report.dropped["unknown role"] += 1
            elif fine not in fines:
                fines.append(fine)
        return Role.model_validate({"main": main, "fine": fines})

    def narrative_label(self, item: Mapping[str, Any]) -> str | None:
        label = _NARRATIVES.get(str(item.get("narrative")).casefold())
        if label is None:
            self.report.dropped["unknown narrative"] += 1
        return label

    def narrative(self, label: str, item: Mapping[str, Any], source: str) -> Narrative:
        subs = []
        for sub in self.strings(item.get("subnarratives")):
            # "Praise of Russian military might", or its full label with the narrative
            full = _SUBNARRATIVES.get(sub.casefold()) or _SUBNARRATIVES.get(
                f"{label}: {sub}".casefold()
            )
            if full is None or not full.startswith(f"{label}: "):
                self.report.dropped["unknown sub-narrative"] += 1
            elif full not in subs:
                subs.append(full)
                self.report.kept["sub-narrative"] += 1
        return Narrative(
            narrative=label,
            subnarratives=subs,
            evidence=self.evidence(item.get("evidence")),
            source=source,
        )


def _sorted(spans: list[Span]) -> list[Span]:
    return sorted(set(spans), key=lambda span: (span.start, span.end))


def interpret(
    answer: Mapping[str, Any],
    text: str,
    entities: Sequence[Entity],
    narratives: Sequence[Narrative],
    report: RefineReport,
) -> tuple[list[Entity], list[Narrative]]:
    """The entities and narratives after the LLM's `answer`, counting in `report`.

    An answered entity whose name matches a given entity's name or one of its mentions
    (ignoring case) refines it: the LLM's role and evidence replace the given ones when its
    role is valid, its mentions are added, and its source gains `; llm:<model>`. Other
    answered entities are added (source `llm:<model>`) when they have a valid role and a
    mention in the text. Given entities the answer does not name are kept as they are. The
    answered narratives replace the given ones, unless none of them is valid; `Other` is
    dropped beside real narratives.
    """
    source = f"llm:{report.model}"
    reader = _Reader(text, report)
    result = list(entities)
    index: dict[str, int] = {}
    for i, entity in enumerate(entities):
        for key in (entity.name, *(span.text for span in entity.mentions)):
            index.setdefault(key.casefold(), i)
    answered: set[int] = set()
    for item in reader.items(answer, "entities"):
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
        role = reader.role(item)
        if target is None and not mentions:
            report.dropped["new entity not in the text"] += 1
            continue
        if target is None and role is None:
            report.dropped["new entity without a valid role"] += 1
            continue
        evidence = reader.evidence(item.get("evidence")) if role else []
        if role is not None:
            report.kept["role"] += 1
        if target is not None:
            old = result[target]
            result[target] = Entity(
                name=old.name,
                mentions=_sorted([*old.mentions, *mentions]),
                role=role or old.role,
                evidence=evidence if role else old.evidence,
                source=f"{old.source}; {source}",
            )
            report.kept["entity refined"] += 1
        else:
            target = len(result)
            result.append(
                Entity(name=name, mentions=mentions, role=role, evidence=evidence, source=source)
            )
            report.kept["entity added"] += 1
        answered.add(target)
        for key in keys:
            index.setdefault(key.casefold(), target)

    found: dict[str, Narrative] = {}
    for item in reader.items(answer, "narratives"):
        label = reader.narrative_label(item)
        if label is None:
            continue
        if label in found:
            report.dropped["narrative answered twice"] += 1
            continue
        found[label] = reader.narrative(label, item, source)
    if len(found) > 1 and found.pop(OTHER, None) is not None:
        report.dropped["Other beside narratives"] += 1
    report.kept["narrative"] += len(found)
    return result, list(found.values()) or list(narratives)


# --- the entry points -------------------------------------------------------------------------


class _HasArticle(Protocol):
    @property
    def article(self) -> Article: ...


def refine(
    source: Article | str | _HasArticle,
    entities: Sequence[Entity],
    narratives: Sequence[Narrative],
    client: LLMClient,
) -> tuple[list[Entity], list[Narrative], RefineReport]:
    """Ask the LLM to refine what the learned layers found in one article (which may be
    nothing), and keep what passes the checks: see `interpret` for how the answer is merged.

    `source` is the article, its text, or anything with an `.article` (`Parsed`, `Analysis`).
    Raises `LLMError` when the endpoint fails, `LLMAnswerError` when its answer is not JSON.
    """
    if isinstance(source, str):
        text = source
    elif isinstance(source, Article):
        text = source.text
    else:
        text = source.article.text
    answer, cached = client.chat_json(build_messages(text, entities, narratives))
    report = RefineReport(model=client.options.model, cached=cached)
    refined, found = interpret(answer, text, entities, narratives, report)
    return refined, found, report


def refine_analysis(analysis: Analysis, client: LLMClient) -> tuple[Analysis, RefineReport]:
    """`analysis` with its entities and narratives refined by the LLM; when anything of the
    answer was dropped, the report's summary is added to its warnings."""
    entities, narratives, report = refine(
        analysis.article, analysis.entities, analysis.narratives, client
    )
    warnings = [*analysis.warnings, report.summary()] if report.dropped else analysis.warnings
    refined = analysis.model_copy(
        update={"entities": entities, "narratives": narratives, "warnings": warnings}
    )
    return refined, report


def refine_or_warn(analysis: Analysis, client: LLMClient) -> Analysis:
    """`analysis` refined by the LLM (`refine_analysis`); an answer that cannot be read leaves
    it as it was, with a warning that says so, instead of failing it."""
    try:
        return refine_analysis(analysis, client)[0]
    except LLMAnswerError as exc:
        warning = f"{exc}; entities and narratives not refined"
        return analysis.model_copy(update={"warnings": [*analysis.warnings, warning]})
