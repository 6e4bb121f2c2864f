"""The shape of the house: no import cycles between spinscope's modules, counting the imports
written inside functions (they hide a cycle from Python, not from a reader)."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import spinscope

PACKAGE = Path(spinscope.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(ancestors: bool = False) -> dict[str, set[str]]:
    """Each module's spinscope imports, as the modules they name. Unless `ancestors`, a module
    naming its own package (`from spinscope import X`) and a package naming its own modules
    (an `__init__` re-exporting them) are not edges: the package is loaded first anyway, so
    they make no cycle; `ancestors` keeps them, to see everything a module's imports load."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if not target or target == name:
                    continue
                related = name.startswith(target + ".") or target.startswith(name + ".")
                if related and not ancestors:
                    continue
                graph[name].add(target)
    return graph


def test_the_import_graph_finds_the_imports_inside_functions() -> None:
    graph = imports()
    # `open_output` imports the store's output only when a database is named
    assert "spinscope.batch.store_output" in graph["spinscope.batch.run"]
    assert "spinscope.batch.ray_engine" in graph["spinscope.batch.run"]


def test_no_module_imports_itself_through_others() -> None:
    try:
        graphlib.TopologicalSorter(imports()).prepare()
    except graphlib.CycleError as exc:
        raise AssertionError(f"an import cycle: {' -> '.join(exc.args[1])}") from None


def reach(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for target in graph[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def test_the_data_model_does_not_reach_its_producers() -> None:
    """`document.py` is what every part reads and writes; it must not import, even through
    others, the pipeline or the layers that produce it (it once did, through the package's
    `__init__`, to name the version)."""
    reached = reach(imports(ancestors=True), "spinscope.document")
    assert not {m for m in reached if m.startswith(("spinscope.pipeline", "spinscope.layers"))}
