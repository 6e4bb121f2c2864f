"""The layer registry. A layer is the unit of spinscope: one registration declares everything the
rest of the house needs to know about it, as a spaCy component declares what it assigns.

    @register(
        "claims",
        requires=("quotes",),
        table=Table(columns={"text": "str", "score": "float"}, rows=claim_rows, text="text"),
    )
    def claims(parsed: Parsed, found: Findings) -> list[Claim]: ...

- `name` and `requires`: the layer's function reads the parsed article and the findings of the
  layers it requires, and returns its own findings, nothing else.
- `field`: the `Analysis` field it assigns (its name by default). A field `Analysis` does not
  declare (a layer registered outside spinscope) is kept in `Analysis.extensions`, and then the
  layer names the type of its findings (`item`), so that a saved analysis reads back as it was.
- `table`: its finding rows, one per finding, the same in the batch Parquet tables, the store and
  every CSV export (`spinscope.tables` adds each row's article id and index); `summary`, instead,
  puts its findings in the article's own row (genre, frames).
- `views`: how the terminal summary and the HTML report show it (a layer without views is shown
  as a table of its rows), and its sections of the corpus report.
- `trainer` and `benchmark`: the modules that train and evaluate it, for `spinscope train` and
  `spinscope eval` to name.
- `join`: how its findings of a long article's windows become the article's, where that is more
  than putting them one after the other (an entity named in two windows is one; a claim's
  index into the quotes moves by the quotes of the windows before it).
- `llm`: what an LLM may refine of its findings (`Refinement`, `spinscope.llm`).
- `correct`: how a reviewer's corrections name and find its findings (`Correctable`,
  `spinscope.review`).

A layer that reads only the article's sentences and their vectors, never the parse, says so with
`register_whole` (it takes a `Segmented`): a long article, which the pipeline parses and runs
through the other layers window by window (`spinscope.windows`), runs such a layer once, over the
whole article.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from spinscope.document import Analysis, register_extension, unregister_extension
from spinscope.errors import SpinscopeError
from spinscope.parse import Parsed, Segmented

if TYPE_CHECKING:
    from spinscope.llm.reading import Reader

#: What earlier layers found, by layer name.
Findings = dict[str, list[Any]]
LayerFunction = Callable[[Parsed, Findings], list[Any]]
#: How the findings of a long article's windows become the article's: one `(findings, before)`
#: per window, its findings already in the article's offsets and `before` the number of
#: findings each layer had in the windows before it (`spinscope.windows`).
Join = Callable[[Sequence[tuple[list[Any], Mapping[str, int]]]], list[Any]]
WholeFunction = Callable[[Segmented, Findings], list[Any]]

#: One flat row: column name -> value.
Row = dict[str, Any]

#: The column types of a table: "str", "int", "float", "bool", or "list" (of strings).
COLUMN_TYPES = ("str", "int", "float", "bool", "list")


@dataclass(frozen=True)
class Facet:
    """The corpus filter on a layer's labels (its table's `label` column), in the store, the
    workbench and the API: `name` is its query parameter (`?technique=Doubt`) and `title`
    names its labels on pages ("Persuasion techniques"). With `choices` (each label and how it
    reads), a filter picks one label and matches it exactly, and the corpus's rates are given
    for it (`Store.stats(of=name)`, the workbench's charts); without, a filter matches any
    label containing its words, ignoring case (a speaker's name)."""

    name: str
    title: str
    choices: Callable[[], Sequence[tuple[str, str]]] | None = None


@dataclass(frozen=True)
class Search:
    """The store's search looks in this layer's findings (their label and text) as well as in
    the articles: its hits are listed under `title` ("Quotes"), each one a `noun` ("quote"),
    with its text, its offsets and the columns of its row named in `shown` (name in a hit ->
    column of the table; the first one is the hit's heading: a quote's speaker)."""

    title: str
    noun: str
    shown: Mapping[str, str]

    def __post_init__(self) -> None:
        taken = set(self.shown) & set(HIT_FIELDS)
        if taken:
            raise SpinscopeError(
                f"a search shows {sorted(taken)}, which every hit has already: {HIT_FIELDS}"
            )


#: What every search hit has besides the columns its layer shows (`Search.shown`).
HIT_FIELDS = ("article_id", "article_title", "outlet", "published", "text", "start", "end")


@dataclass(frozen=True)
class Table:
    """A layer's finding rows. `rows` turns the layer's findings into one row per finding, in
    order, with exactly `columns` (name -> type); `label` is the column a finding is grouped,
    filtered and searched by in the store (a technique's name, a quote's speaker), and `text`
    the column of its words. `start` and `end`, where the rows have them, are character offsets
    into the article's text. `facet` makes its labels a corpus filter (and rate), `search` its
    findings a part of the store's search."""

    columns: Mapping[str, str]
    rows: Callable[[Sequence[Any]], Iterable[Row]]
    label: str | None = None
    text: str | None = None
    facet: Facet | None = None
    search: Search | None = None

    def __post_init__(self) -> None:
        for name, kind in self.columns.items():
            if kind not in COLUMN_TYPES:
                raise SpinscopeError(
                    f"column {name!r} has type {kind!r}, not one of {COLUMN_TYPES}"
                )
        shown = self.search.shown.values() if self.search else ()
        for role in (self.label, self.text, *shown):
            if role is not None and role not in self.columns:
                raise SpinscopeError(f"the table names column {role!r}, which it does not have")
        if (self.facet or self.search) and self.label is None:
            raise SpinscopeError("a table with a facet or a search names its label column")


@dataclass(frozen=True)
class Summary:
    """A layer whose findings are a property of the whole article (its genre, its frames): its
    columns in the article's row, and their values from its findings."""

    columns: Mapping[str, str]
    values: Callable[[Sequence[Any]], Row]


@dataclass(frozen=True)
class CorpusView:
    """A layer's part of the corpus report (`spinscope report`): `sections(rows, corpus)` makes
    its `spinscope.corpus.Section`s from its finding rows, of which the report reads only
    `columns` (a corpus's text need not fit in memory for its report), and a `Corpus` (each
    article's outlet and week)."""

    columns: tuple[str, ...]
    sections: Callable[[list[Row], Any], list[Any]]


@dataclass(frozen=True)
class Views:
    """How a layer is shown. `terminal` returns a Rich renderable (None: nothing to show);
    `html` returns its part of the HTML report, a `spinscope.output.html.HtmlPart` (its
    highlights in the text, its panel, its legend…; None: nothing to show), or else the body of
    a panel as escaped HTML (a `markupsafe.Markup`); `corpus`, its part of the corpus report
    (None: none)."""

    terminal: Callable[[Analysis], Any] | None = None
    html: Callable[[Analysis], Any] | None = None
    corpus: CorpusView | None = None


@dataclass(frozen=True)
class Refinement:
    """What an LLM may refine of a layer's findings (`spinscope.llm`). One request per article
    asks every layer that declares a refinement at once, in one JSON object: this layer's part
    of the answer is the list under `key`, each item shaped as `example`, answered as
    `instructions` say (its labels among them). `hints(findings)` is what the layer found, shown
    to the model before the article; `read(items, findings, reader)` is the layer's findings
    after the answer's `items`, each checked with `reader` (labels known, words grounded in
    the text, what is kept and dropped counted).

    The answer is bounded by what the layer declares: `schema` is the JSON Schema of one item
    (None: one derived from `example`, `spinscope.llm.schema`), its list at most `max_items`
    long, and `item_tokens` the tokens one full item takes, which sizes the request's
    `max_tokens`."""

    key: str
    instructions: str
    example: Mapping[str, Any]
    hints: Callable[[Sequence[Any]], list[dict[str, Any]]]
    read: Callable[[list[Mapping[str, Any]], Sequence[Any], Reader], list[Any]]
    schema: Mapping[str, Any] | None = None
    max_items: int = 8
    item_tokens: int = 80


@dataclass(frozen=True)
class Correctable:
    """A reviewer may correct this layer's findings (`spinscope.review`): a correction names
    them by `kind` ("technique"), and finds its finding again, in this analysis or a later
    one, by `key`: what identifies one finding whatever its score (a technique's label and
    offsets, a quote's content). The findings' type has a `review` field."""

    kind: str
    key: Callable[[Any], Hashable]


@dataclass(frozen=True)
class Layer:
    """A registered layer (see the module's docstring). `whole` is its function again, for a
    layer that reads no parse (`register_whole`); None for the others."""

    name: str
    requires: tuple[str, ...]
    run: LayerFunction
    whole: WholeFunction | None = None
    field: str = ""
    table: Table | None = None
    summary: Summary | None = None
    views: Views = dataclasses.field(default_factory=Views)
    trainer: str | None = None
    benchmark: str | None = None
    join: Join | None = None
    llm: Refinement | None = None
    correct: Correctable | None = None

    def findings(self, analysis: Analysis) -> list[Any]:
        """What this layer found in `analysis`."""
        return analysis.findings(self.field)


REGISTRY: dict[str, Layer] = {}

#: spinscope's own layers, in the order their findings are shown and their tables written; the
#: layers registered outside spinscope come after them, in the order they were registered.
BUILTIN = ("quotes", "claims", "techniques", "entities", "narratives", "genre", "frames")


def register(
    name: str,
    requires: Sequence[str] = (),
    *,
    field: str | None = None,
    item: type[BaseModel] | None = None,
    table: Table | None = None,
    summary: Summary | None = None,
    views: Views | None = None,
    trainer: str | None = None,
    benchmark: str | None = None,
    join: Join | None = None,
    llm: Refinement | None = None,
    correct: Correctable | None = None,
    whole: bool = False,
) -> Callable[[Any], Any]:
    """Register the decorated function as the layer `name` (see the module's docstring). With
    `whole`, the function takes a `Segmented` (`register_whole`)."""

    def decorator(function: Any) -> Any:
        assigned = field or name
        if assigned not in Analysis.model_fields:
            if item is None:
                raise SpinscopeError(
                    f"layer {name!r} assigns {assigned!r}, which Analysis does not declare: "
                    f"name the type of its findings (item=...) to keep them in "
                    f"Analysis.extensions"
                )
            register_extension(assigned, item)
        facet = table.facet if table else None
        for other in REGISTRY.values():
            theirs = other.table.facet if other.table else None
            if facet and theirs and other.name != name and theirs.name == facet.name:
                raise SpinscopeError(
                    f"layer {name!r} names its facet {facet.name!r}, as layer {other.name!r} does"
                )
            theirs_kind = other.correct.kind if other.correct else None
            if correct and other.name != name and theirs_kind == correct.kind:
                raise SpinscopeError(
                    f"layer {name!r} names its corrections {correct.kind!r}, as layer "
                    f"{other.name!r} does"
                )
        REGISTRY[name] = Layer(
            name,
            tuple(requires),
            function,
            function if whole else None,
            field=assigned,
            table=table,
            summary=summary,
            views=views or Views(),
            trainer=trainer,
            benchmark=benchmark,
            join=join,
            llm=llm,
            correct=correct,
        )
        return function

    return decorator


def register_whole(
    name: str, requires: Sequence[str] = (), **spec: Any
) -> Callable[[WholeFunction], WholeFunction]:
    """Register a layer that reads only the sentences and their vectors (see the module's
    docstring); it takes what `register` takes."""
    return register(name, requires, whole=True, **spec)


def unregister(name: str) -> None:
    """Forget the layer `name` (and its `Analysis.extensions` type, if it had one)."""
    layer = REGISTRY.pop(name, None)
    if layer is not None and layer.field not in Analysis.model_fields:
        unregister_extension(layer.field)


def registered() -> list[Layer]:
    """Every registered layer, built-in ones first, in the order their findings are shown and
    their tables written."""
    _load_builtin_layers()
    order = {name: i for i, name in enumerate(BUILTIN)}
    return sorted(REGISTRY.values(), key=lambda layer: order.get(layer.name, len(order)))


def facets() -> dict[str, tuple[Layer, Facet]]:
    """Every layer's facet by its name, in the registry's order."""
    return {
        layer.table.facet.name: (layer, layer.table.facet)
        for layer in registered()
        if layer.table is not None and layer.table.facet is not None
    }


def refined() -> list[Layer]:
    """The layers that declare what an LLM may refine (`Refinement`), in the registry's order."""
    return [layer for layer in registered() if layer.llm is not None]


def correctable() -> dict[str, Layer]:
    """The layers whose findings a reviewer may correct (`Correctable`), by the kind their
    corrections name, in the registry's order."""
    return {layer.correct.kind: layer for layer in registered() if layer.correct is not None}


def searched() -> list[Layer]:
    """The layers whose findings the store's search looks in (`Search`), in the registry's
    order."""
    return [layer for layer in registered() if layer.table and layer.table.search]


def resolve(names: Sequence[str]) -> list[Layer]:
    """The layers to run for `names`, with what they require, in an order that satisfies it."""
    _load_builtin_layers()
    ordered: list[Layer] = []

    def add(name: str, chain: tuple[str, ...]) -> None:
        if name in chain:
            raise SpinscopeError(f"layers require each other in a cycle: {' -> '.join(chain)}")
        if any(layer.name == name for layer in ordered):
            return
        if name not in REGISTRY:
            known = ", ".join(sorted(REGISTRY))
            raise SpinscopeError(f"unknown layer {name!r}; known layers: {known}")
        for required in REGISTRY[name].requires:
            add(required, (*chain, name))
            if REGISTRY[required].whole and not REGISTRY[name].whole:
                raise SpinscopeError(
                    f"layer {name!r} reads the parse but requires {required!r}, which runs "
                    f"over the whole article after the others"
                )
        ordered.append(REGISTRY[name])

    for name in names:
        add(name, ())
    return ordered


def _load_builtin_layers() -> None:
    from spinscope.layers import claims, entities, frames, narratives, quotes, techniques  # noqa: F401
