"""The layer registry. A layer is a named function that reads the parsed article and the
findings of the layers it declares it needs, and returns its own findings, nothing else.

    @register("claims", requires=("quotes",))
    def claims(parsed: Parsed, found: Findings) -> list[Claim]: ...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from spinscope.errors import SpinscopeError
from spinscope.parse import Parsed

#: What earlier layers found, by layer name.
Findings = dict[str, list[Any]]
LayerFunction = Callable[[Parsed, Findings], list[Any]]


@dataclass(frozen=True)
class Layer:
    name: str
    requires: tuple[str, ...]
    run: LayerFunction


REGISTRY: dict[str, Layer] = {}


def register(name: str, requires: Sequence[str] = ()) -> Callable[[LayerFunction], LayerFunction]:
    def decorator(function: LayerFunction) -> LayerFunction:
        REGISTRY[name] = Layer(name, tuple(requires), function)
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
        ordered.append(REGISTRY[name])

    for name in names:
        add(name, ())
    return ordered


def _load_builtin_layers() -> None:
    from spinscope.layers import claims, entities, frames, narratives, quotes, techniques  # noqa: F401
