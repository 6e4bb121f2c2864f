"""Entities layer: the people, groups, organisations and places of an article with all their
mentions (`spinscope.layers.entities.mentions`), and the role the article casts each in, where
it casts one: a main role (Protagonist / Antagonist / Innocent) and its fine roles (SemEval-2025
Task 10).

Three trained heads over the shared encoder pass (`models/entities/`):
- `cast`: whether the article casts an entity at all (one sigmoid over the features of its
  first mention and its kind; its threshold chosen on articles held out from its fitting);
- `main` and `fine`: for one mention, a distribution over the 3 main roles and one over the 22
  fine roles (multinomial logistic regressions: a head's outputs are the sigmoids of the
  logits, so `_softmax` recovers the logits and normalises them). The role is the main role
  with the most weight (its own probability plus its fine roles' total), and that main role's
  most probable fine role. An entity's role averages the distributions over its mentions.

The score of an entity's role is the calibrated probability that its main role is right
(`spinscope.ml.calibration`; the calibration is fitted by the trainer on roles the layer gave
entities of articles held out from the heads' fitting, and stored in the `main` head): one under
`CONFIDENT` is uncertain.

Features of a mention (`MentionVectors.features`): the vectors of its word pieces, of the
pieces around it, of its sentence and the sentences beside it; the same averaged over every
mention of its entity; the article's vector; and how often and how early the entity appears.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from spinscope.arrays import Matrix
from spinscope.document import Entity, Role, Span
from spinscope.layers import Correctable, Findings, Row, Table, Views, register
from spinscope.layers.entities import llm
from spinscope.layers.entities.mentions import Cluster, Kind, find_clusters
from spinscope.layers.entities.views import html, terminal
from spinscope.ml.calibration import CONFIDENT
from spinscope.ml.encoder import DIM
from spinscope.ml.heads import Head, load_head
from spinscope.parse import Parsed
from spinscope.taxonomy import FINE_ROLES, ROLES

Offsets = tuple[int, int]

LAYER = "entities"
VERSION = "1"
SOURCE = f"entities/minilm-roles@{VERSION}"
MAIN_ROLES: tuple[str, ...] = tuple(ROLES)
FINE_LABELS: tuple[str, ...] = tuple(FINE_ROLES)
KINDS: tuple[Kind, ...] = ("person", "group", "organisation", "place")
#: Word pieces on each side of a mention that make its surroundings.
WINDOW = 4
#: Most evidence sentences kept per entity.
EVIDENCE = 2
MENTION_FEATURES = 8 * DIM + 3


class MentionVectors:
    """The vectors of one article that mention features are made of."""

    def __init__(self, parsed: Parsed) -> None:
        self.units = parsed.units
        self.length = max(1, len(parsed.text))
        self.starts = [s.start for s in parsed.sentences]
        self.document = (
            np.mean([u.vector for u in self.units], axis=0)
            if self.units
            else np.zeros(DIM, np.float32)
        )
        self._entities: dict[tuple[Offsets, ...], Matrix] = {}

    def sentence(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self.starts, offset) - 1)

    def _pieces(self, start: int, end: int, window: int) -> Matrix:
        unit = self.units[self.sentence(start)]
        inside = np.flatnonzero((unit.offsets[:, 0] < end) & (unit.offsets[:, 1] > start))
        if not len(inside):
            return unit.vector[None, :]
        low, high = max(0, inside[0] - window), min(len(unit.tokens), inside[-1] + window + 1)
        return unit.tokens[low:high]

    def mention(self, start: int, end: int) -> Matrix:
        vector: Matrix = self._pieces(start, end, 0).mean(axis=0)
        return vector

    def around(self, start: int, end: int) -> Matrix:
        vector: Matrix = self._pieces(start, end, WINDOW).mean(axis=0)
        return vector

    def features(self, entity: Sequence[Offsets], target: Offsets) -> Matrix:
        """The feature row of the mention `target` of an entity mentioned at `entity`."""
        if not self.units:
            return np.zeros(MENTION_FEATURES, np.float32)
        at = self.sentence(target[0])
        near = range(max(0, at - 1), min(len(self.units), at + 2))
        row = [
            self.mention(*target),
            self.around(*target),
            self.units[at].vector,
            np.mean([self.units[i].vector for i in near], axis=0),
            self._entity_part(tuple(entity) or (target,)),
        ]
        return np.concatenate(row).astype(np.float32)

    def _entity_part(self, mentions: tuple[Offsets, ...]) -> Matrix:
        """The features that depend on the entity's mentions only, computed once per entity:
        each of its mentions' rows shares them, and recomputing them per mention would cost the
        square of its mentions."""
        part = self._entities.get(mentions)
        if part is None:
            sentences = sorted({self.sentence(start) for start, _ in mentions})
            first = min(start for start, _ in mentions)
            part = self._entities[mentions] = np.concatenate(
                [
                    np.mean([self.mention(*m) for m in mentions], axis=0),
                    np.mean([self.around(*m) for m in mentions], axis=0),
                    np.mean([self.units[i].vector for i in sentences], axis=0),
                    self.document,
                    np.asarray(
                        [
                            math.log1p(len(mentions)),
                            first / self.length,
                            len(sentences) / len(self.units),
                        ]
                    ),
                ]
            )
        return part

    def cast_features(self, cluster: Cluster) -> Matrix:
        kind = np.asarray([cluster.kind == k for k in KINDS], dtype=np.float32)
        return np.concatenate([self.features(cluster.mentions, cluster.mentions[0]), kind])


@dataclass(frozen=True)
class RoleModel:
    cast: Head
    main: Head
    fine: Head

    def distributions(self, X: Matrix) -> tuple[Matrix, Matrix]:
        """Per row of mention features: the main roles' and the fine roles' probabilities."""
        return _softmax(self.main, X), _softmax(self.fine, X)

    def calibrated(self, role: Role) -> Role:
        """An entity's role (`decide_role`) with its score calibrated: the probability that its
        main role is right (the `main` head's calibration), and uncertain under `CONFIDENT`."""
        if role.score is None:
            return role
        score = round(self.main.calibration(role.score), 4)
        return role.model_copy(update={"score": score, "uncertain": score < CONFIDENT})


@functools.cache
def role_model() -> RoleModel:
    """The shipped heads, loaded once per process."""
    return RoleModel(*(load_head(LAYER, name) for name in ("cast", "main", "fine")))


def _softmax(head: Head, X: Matrix) -> Matrix:
    p = np.clip(head.predict_proba(X).astype(np.float64), 1e-12, 1 - 1e-12)
    logits = np.log(p / (1 - p))
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    result: Matrix = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    return result


def decide_role(main_p: Matrix, fine_p: Matrix) -> Role:
    """The role for one mention's distributions (or their mean over an entity's mentions): the
    main role whose own probability plus its fine roles' total is highest, and that main role's
    most probable fine role. The score is that weight, halved (0-1)."""
    weights = [
        float(main_p[i]) + sum(float(fine_p[j]) for j in _fine_of(main))
        for i, main in enumerate(MAIN_ROLES)
    ]
    best = int(np.argmax(weights))
    main = MAIN_ROLES[best]
    fine = max(_fine_of(main), key=lambda j: float(fine_p[j]))
    return Role.model_validate(
        {"main": main, "fine": [FINE_LABELS[fine]], "score": round(weights[best] / 2, 4)}
    )


@functools.cache
def _fine_of(main: str) -> tuple[int, ...]:
    return tuple(j for j, fine in enumerate(FINE_LABELS) if FINE_ROLES[fine] == main)


def cast_entities(parsed: Parsed, clusters: Sequence[Cluster], model: RoleModel) -> list[Entity]:
    """Entities for `clusters`, those the article casts with their role (its score calibrated,
    `RoleModel.calibrated`) and evidence."""
    if not clusters:
        return []
    vectors = MentionVectors(parsed)
    cast = model.cast.predict_proba(np.vstack([vectors.cast_features(c) for c in clusters]))[:, 0]
    text = parsed.text
    entities = []
    for cluster, p_cast in zip(clusters, cast.tolist(), strict=True):
        mentions = [Span.of(text, start, end) for start, end in cluster.mentions]
        role, evidence = None, []
        if p_cast >= float(model.cast.thresholds[0]):
            main_p, fine_p = model.distributions(
                np.vstack([vectors.features(cluster.mentions, m) for m in cluster.mentions])
            )
            role = model.calibrated(decide_role(main_p.mean(axis=0), fine_p.mean(axis=0)))
            column = MAIN_ROLES.index(role.main)
            strongest = np.argsort(-main_p[:, column], kind="stable")
            sentences = dict.fromkeys(vectors.sentence(cluster.mentions[i][0]) for i in strongest)
            evidence = sorted(
                (parsed.sentences[i] for i in list(sentences)[:EVIDENCE]), key=lambda s: s.start
            )
        entities.append(
            Entity(
                name=cluster.name, mentions=mentions, role=role, evidence=evidence, source=SOURCE
            )
        )
    return entities


def entity_of(clusters: Sequence[Cluster], target: Offsets, text: str) -> list[Offsets]:
    """The mentions of the entity that the mention `target` belongs to: those of the cluster it
    overlaps, else every occurrence of its words (a mention the clusters missed)."""
    start, end = target
    for cluster in clusters:
        if any(s < end and start < e for s, e in cluster.mentions):
            return sorted({*cluster.mentions, target})
    words = text[start:end]
    found, at = [], text.find(words)
    while words and at >= 0:
        found.append((at, at + len(words)))
        at = text.find(words, at + len(words))
    return sorted({*found, target})


def mention_roles(
    parsed: Parsed, clusters: Sequence[Cluster], targets: Sequence[Offsets], model: RoleModel
) -> list[Role]:
    """The role of each given mention (SemEval's setting: the mentions are given). Its score is
    `decide_role`'s raw weight: the calibration is fitted on the roles of entities, as the layer
    shows them, not on single mentions."""
    if not targets:
        return []
    vectors = MentionVectors(parsed)
    rows = np.vstack([vectors.features(entity_of(clusters, t, parsed.text), t) for t in targets])
    main_p, fine_p = model.distributions(rows)
    return [decide_role(m, f) for m, f in zip(main_p, fine_p, strict=True)]


def entity_rows(entities: Sequence[Entity]) -> Iterator[Row]:
    """The entities table: an entity's first mention, how many it has, and its role."""
    for e in entities:
        yield {
            "name": e.name,
            "mentions": len(e.mentions),
            "first_start": e.mentions[0].start if e.mentions else None,
            "first_end": e.mentions[0].end if e.mentions else None,
            "role": e.role.main if e.role else None,
            "fine_roles": list(e.role.fine) if e.role else [],
            "role_score": e.role.score if e.role else None,
            "uncertain": e.role.uncertain if e.role else False,
            "evidence": [s.text for s in e.evidence],
            "source": e.source,
        }


TABLE = Table(
    columns={
        "name": "str",
        "mentions": "int",
        "first_start": "int",
        "first_end": "int",
        "role": "str",
        "fine_roles": "list",
        "role_score": "float",
        "uncertain": "bool",
        "evidence": "list",
        "source": "str",
    },
    rows=entity_rows,
    label="role",
    text="name",
)


def join_entities(parts: Sequence[tuple[list[Entity], Mapping[str, int]]]) -> list[Entity]:
    """The entities of a long article's windows (`spinscope.windows`): those of several windows
    with the same name as one, with all their mentions. Its role and evidence are those of the
    window that casts it with the most mentions, the role the layer gave it where the article
    said most about it."""
    by_name: dict[str, list[Entity]] = {}
    for entities, _ in parts:
        for entity in entities:
            by_name.setdefault(entity.name, []).append(entity)
    joined = []
    for group in by_name.values():
        chosen = max(group, key=lambda e: (e.role is not None, len(e.mentions)))
        mentions = sorted((m for e in group for m in e.mentions), key=lambda s: (s.start, s.end))
        joined.append(chosen.model_copy(update={"mentions": mentions}))
    return joined


@register(
    LAYER,
    requires=("quotes",),
    table=TABLE,
    views=Views(terminal=terminal, html=html),
    trainer="spinscope.train.entities",
    benchmark="spinscope.evaluate.entities",
    join=join_entities,
    llm=llm.REFINEMENT,
    correct=Correctable("entity", lambda e: (e.name.casefold(), e.role and e.role.main)),
)
def entities(parsed: Parsed, found: Findings) -> list[Entity]:
    return cast_entities(parsed, clusters(parsed, found), role_model())


def clusters(parsed: Parsed, found: Findings) -> list[Cluster]:
    """The article's entities before their roles: its names, joined with the speakers the
    quotes layer resolved."""
    return find_clusters(parsed.doc, found["quotes"])
