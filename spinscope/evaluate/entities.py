"""Entity framing, as SemEval-2025 Task 10 subtask 1 scores it: the gold mentions are given, and
each gets a main role (Protagonist / Antagonist / Innocent) and one or more fine roles.

Official metrics, over the gold mentions:

- **exact match ratio** (the task's ranking metric): the share of mentions whose predicted set
  of fine roles equals the gold set;
- **main-role accuracy**: the share whose predicted main role is the gold one;
- micro precision, recall and F1 over (mention, fine role) pairs, which the official scorer
  (`subtask1_scorer.py`) prints beside them (a ratio with nothing to divide is 1, as there).

Where this differs from the official scorer: it compares each mention's main role and fine-role
*list* as written, so two right fine roles in another order than the gold's do not match
there; here they do (sets; the fine roles imply the main role). The two agree on every
prediction with one fine role. The official scorer refuses a file that misses a gold mention;
here the mention counts as wrong and `RoleScores.unpredicted` says how many there were. A
prediction for a mention the gold does not list is an error in both.

Files, the annotation and the submission alike: one mention per line, TAB-separated
`doc  mention  start  end  main_role  fine_role [fine_role …]`, with `end` INCLUSIVE (the
mention is `text[start:end + 1]`). In memory, `end` is exclusive, as everywhere in spinscope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from rich.table import Table

from spinscope.document import Analysis, Article, Role
from spinscope.errors import DataError
from spinscope.evaluate.benchmark import Benchmark, Result
from spinscope.layers import Findings, resolve
from spinscope.layers.entities import LAYER, RoleModel, clusters, mention_roles, role_model
from spinscope.layers.entities.mentions import Cluster
from spinscope.parse import Parsed, load_nlp, parse
from spinscope.taxonomy import FINE_ROLES, ROLES

ANNOTATIONS = "subtask-1-annotations.txt"
#: How far (in characters) a mention may sit from its stated offsets and still be found: a few
#: lines of the English release are shifted by one or two characters.
_SLACK = 5


@dataclass(frozen=True)
class RoleMention:
    """One mention with its roles; `start:end` is end-exclusive."""

    doc: str
    mention: str
    start: int
    end: int
    main: str
    fine: tuple[str, ...]

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.doc, self.start, self.end)


@dataclass(frozen=True)
class FramingGold:
    """A subtask-1 directory: the article texts (by file name) and the gold mentions."""

    path: Path
    texts: dict[str, str]
    mentions: tuple[RoleMention, ...]

    def subset(self, docs: Iterable[str]) -> FramingGold:
        keep = set(docs)
        return FramingGold(
            self.path,
            {doc: text for doc, text in self.texts.items() if doc in keep},
            tuple(m for m in self.mentions if m.doc in keep),
        )

    def located(self, mention: RoleMention) -> tuple[int, int]:
        """Where the mention really is in its text: its offsets, or, for the few lines whose
        offsets are shifted, the nearest occurrence of its words."""
        text = self.texts[mention.doc]
        if text[mention.start : mention.end] == mention.mention:
            return mention.start, mention.end
        window = text[max(0, mention.start - _SLACK) : mention.end + _SLACK]
        found = window.find(mention.mention)
        if found < 0:
            return mention.start, mention.end
        start = max(0, mention.start - _SLACK) + found
        return start, start + len(mention.mention)


def read_roles(path: Path) -> list[RoleMention]:
    """The mentions of an annotation or predictions file (see the module docstring)."""
    mentions = []
    with path.open(encoding="utf-8", newline="") as handle:
        for number, line in enumerate(handle, 1):
            fields = [field.strip() for field in line.rstrip("\r\n").split("\t")]
            if not any(fields):
                continue
            if len(fields) < 6:
                raise DataError(
                    f"{path}:{number}: expected doc, mention, start, end, main role and at "
                    f"least one fine role, TAB-separated; found {len(fields)} fields"
                )
            doc, mention, start, end, main, *fine = fields
            if main not in ROLES:
                raise DataError(f"{path}:{number}: unknown main role {main!r}")
            for label in fine:
                if FINE_ROLES.get(label) != main:
                    raise DataError(
                        f"{path}:{number}: {label!r} is not a fine role of {main} (those are: "
                        f"{', '.join(ROLES[main])})"
                    )
            try:
                begin, last = int(start), int(end)
            except ValueError:
                raise DataError(
                    f"{path}:{number}: offsets {start!r} {end!r} are not numbers"
                ) from None
            mentions.append(RoleMention(doc, mention, begin, last + 1, main, tuple(fine)))
    return mentions


def format_roles(mentions: Iterable[RoleMention]) -> str:
    """Mentions in the official format (end inclusive)."""
    return "".join(
        "\t".join([m.doc, m.mention, str(m.start), str(m.end - 1), m.main, *m.fine]) + "\n"
        for m in mentions
    )


def write_roles(path: Path, mentions: Iterable[RoleMention]) -> None:
    path.write_text(format_roles(mentions), encoding="utf-8")


def read_framing_dir(path: Path) -> FramingGold:
    """`documents/*.txt` and `subtask-1-annotations.txt` of a SemEval-2025 Task 10 directory."""
    documents, annotations = path / "documents", path / ANNOTATIONS
    if not documents.is_dir() or not annotations.is_file():
        raise DataError(
            f"{path}: expected documents/ and {ANNOTATIONS} (SemEval-2025 Task 10 layout)"
        )
    texts = {file.name: _read_exactly(file) for file in sorted(documents.glob("*.txt"))}
    mentions = read_roles(annotations)
    for m in mentions:
        if m.doc not in texts:
            raise DataError(f"{annotations}: mention {m.mention!r} of {m.doc}, not in documents/")
        if m.end > len(texts[m.doc]):
            raise DataError(f"{annotations}: {m.doc} {m.start}:{m.end} is outside the article")
    return FramingGold(path, texts, tuple(mentions))


def _read_exactly(path: Path) -> str:
    """The file's text with its line ends as they are: offsets count a CRLF as two characters."""
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


@dataclass(frozen=True)
class RoleScores:
    mentions: int
    unpredicted: int
    exact_match: float
    main_accuracy: float
    fine_precision: float
    fine_recall: float
    fine_f1: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_roles(gold: Sequence[RoleMention], predicted: Iterable[RoleMention]) -> RoleScores:
    """The official subtask-1 scores of `predicted` against `gold` (matched by doc and offsets)."""
    by_key: dict[tuple[str, int, int], RoleMention] = {}
    known = {m.key for m in gold}
    for guess in predicted:
        if guess.key not in known:
            raise DataError(
                f"prediction for {guess.doc} {guess.start}:{guess.end} ({guess.mention!r}), a "
                f"mention the gold does not list"
            )
        by_key[guess.key] = guess
    exact = main = tp = n_predicted = n_gold = 0
    for g in gold:
        p = by_key.get(g.key)
        n_gold += len(set(g.fine))
        if p is None:
            continue
        exact += set(p.fine) == set(g.fine)
        main += p.main == g.main
        tp += len(set(p.fine) & set(g.fine))
        n_predicted += len(set(p.fine))
    precision = tp / n_predicted if n_predicted else 1.0
    recall = tp / n_gold if n_gold else 1.0
    f1 = 2 * tp / (n_predicted + n_gold) if n_predicted + n_gold else 1.0
    total = len(gold)
    return RoleScores(
        mentions=total,
        unpredicted=sum(g.key not in by_key for g in gold),
        exact_match=exact / total if total else 0.0,
        main_accuracy=main / total if total else 0.0,
        fine_precision=precision,
        fine_recall=recall,
        fine_f1=f1,
    )


def roles_table(scores: RoleScores, title: str = "Entity framing (gold mentions)") -> Table:
    """A Rich table of the scores, for the CLI."""
    table = Table(title=title)
    for name in ("fine exact match", "main-role accuracy", "fine P", "fine R", "fine F1"):
        table.add_column(name, justify="right")
    table.add_row(
        *(
            f"{value:.3f}"
            for value in (
                scores.exact_match,
                scores.main_accuracy,
                scores.fine_precision,
                scores.fine_recall,
                scores.fine_f1,
            )
        )
    )
    table.caption = f"{scores.mentions} mentions · {scores.unpredicted} without a prediction"
    return table


@dataclass(frozen=True)
class Prepared:
    """An article parsed, with the entity clusters the layer finds in it."""

    parsed: Parsed
    clusters: list[Cluster]


def prepare(doc: str, text: str) -> Prepared:
    """Parse an article and find its entities as the layer does (the layers it requires
    included)."""
    parsed = parse(Article(id=doc, text=text), load_nlp())
    found: Findings = {}
    for layer in resolve([LAYER])[:-1]:
        found[layer.name] = layer.run(parsed, found)
    return Prepared(parsed, clusters(parsed, found))


def predict_roles(
    gold: FramingGold,
    model: RoleModel | None = None,
    prepared: Mapping[str, Prepared] | None = None,
    refine: Callable[[Analysis], Analysis] | None = None,
) -> list[RoleMention]:
    """A role for every gold mention (the mentions are given; their roles are not read). With
    `refine` (the LLM backend), each article's analysis is refined, and a mention inside an
    entity the refinement answered for takes that entity's role."""
    model = model or role_model()
    by_doc: dict[str, list[RoleMention]] = {}
    for m in gold.mentions:
        by_doc.setdefault(m.doc, []).append(m)
    predicted = []
    for doc, mentions in by_doc.items():
        ready = prepared[doc] if prepared is not None else prepare(doc, gold.texts[doc])
        targets = [gold.located(m) for m in mentions]
        roles = mention_roles(ready.parsed, ready.clusters, targets, model)
        if refine is not None:
            roles = _answered_roles(refine, doc, gold.texts[doc], targets, roles)
        predicted += [
            replace(m, main=role.main, fine=tuple(role.fine))
            for m, role in zip(mentions, roles, strict=True)
        ]
    return predicted


def _answered_roles(
    refine: Callable[[Analysis], Analysis],
    doc: str,
    text: str,
    targets: Sequence[tuple[int, int]],
    roles: Sequence[Role],
) -> list[Role]:
    """`roles`, where the refined analysis of the article has an answered entity (source
    `llm:…`) with a mention overlapping the target, replaced by that entity's role."""
    from spinscope.pipeline import Pipeline

    analysis = refine(Pipeline((LAYER,)).analyze(Article(id=doc, text=text)))
    answered = [e for e in analysis.entities if "llm:" in e.source and e.role is not None]
    result = []
    for (start, end), role in zip(targets, roles, strict=True):
        entity = next(
            (e for e in answered if any(s.start < end and start < s.end for s in e.mentions)),
            None,
        )
        result.append(entity.role if entity is not None and entity.role is not None else role)
    return result


def _score(gold: FramingGold, found: list[RoleMention]) -> Result:
    scores = score_roles(gold.mentions, found)
    return Result(scores.to_dict(), roles_table(scores))


BENCHMARK = Benchmark(
    name="entities",
    data=f"SemEval-2025 Task 10 directory: documents/ and {ANNOTATIONS}",
    read=read_framing_dir,
    predict=lambda gold, run: predict_roles(gold, refine=run.refine),
    score=_score,
    read_predictions=lambda path, gold: [m for m in read_roles(path) if m.doc in gold.texts],
    write_predictions=lambda path, found, gold: write_roles(path, found),
    subset=lambda gold, keep: gold.subset(doc for doc in gold.texts if keep(doc)),
    llm=True,
)
