"""The layer registry. A layer is a named function that reads the parsed article and the
findings of the layers it declares it needs, and returns its own findings, nothing else.

    @register("claims", requires=("quotes",))
    def claims(parsed: Parsed, found: Findings) -> list[Claim]: ...

A layer that reads only the article's sentences and their vectors, never the parse, says so with
`register_whole` (it takes a `Segmented`): a long article, which the pipeline parses and runs
through the other layers window by window (`spinscope.parse.windows`), runs such a layer once,
over the whole article.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from spinscope.errors import SpinscopeError
from spinscope.parse import Parsed, Segmented

#: What earlier layers found, by layer name.
Findings = dict[str, list[Any]]
LayerFunction = Callable[[Parsed, Findings], list[Any]]
WholeFunction = Callable[[Segmented, Findings], list[Any]]


@dataclass(frozen=True)
class Layer:
    """A registered layer. `whole` is its function again, for a layer that reads no parse
    (`register_whole`); None for the others."""

    name: str
    requires: tuple[str, ...]
    run: LayerFunction
    whole: WholeFunction | None = None


REGISTRY: dict[str, Layer] = {}


def register(name: str, requires: Sequence[str] = ()) -> Callable[[LayerFunction], LayerFunction]:
    def decorator(function: LayerFunction) -> LayerFunction:
        REGISTRY[name] = Layer(name, tuple(requires), function)
        return function

    return decorator


def register_whole(
    name: str, requires: Sequence[str] = ()
) -> Callable[[WholeFunction], WholeFunction]:
    """Register a layer that reads only the sentences and their vectors (see the module's
    docstring)."""

    def decorator(function: WholeFunction) -> WholeFunction:
        REGISTRY[name] = Layer(name, tuple(requires), function, function)
        return function

    return decorator


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
