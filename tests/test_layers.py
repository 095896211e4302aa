"""The package's layers: which explorer modules import which (at module level and inside functions alike),
read from the source with ``ast``, and the import cycles that graph has (none allowed among the modules
checked)."""

from __future__ import annotations

import ast
from pathlib import Path

import explorer

PACKAGE = Path(explorer.__file__).parent
LOADING = {"explorer.modeling", "explorer.weights", "explorer.loading", "explorer.initialisation"}
COMMANDS = {"explorer.__main__", "explorer.prefetch"}  # the command line sits above every layer, the app aside


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool, modules: set[str]) -> set[str]:
    """The explorer modules an import statement names: ``from . import x`` names the module ``x`` when there
    is one, else the package it comes from."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names} & modules
    package = importer if is_package else importer.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    base = ".".join(part for part in (package if node.level else "", node.module or "") if part)
    named = {f"{base}.{alias.name}" for alias in node.names} & modules
    return named or ({base} & modules)


def import_graph() -> dict[str, set[str]]:
    """Every module of explorer/ -> the explorer modules it imports anywhere in its source."""
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        statements = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
        is_package = path.name == "__init__.py"
        graph[name] = set().union(*(imported(node, name, is_package, set(paths)) for node in statements)) - {name}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The graph's cycles, as its strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component, member = set(), None
            while member != node:
                member = stack.pop()
                component.add(member)
            if len(component) > 1:
                cycles.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_the_graph_sees_relative_and_function_level_imports():
    graph = import_graph()
    assert {"explorer.loading", "explorer.initialisation", "explorer.weights"} <= graph["explorer.modeling"]
    assert "explorer.modeling" in graph["explorer.models.bert"]  # from ..modeling import ...
    assert "explorer.loading" in graph["explorer.auto"]  # inside AutoModel.from_pretrained
    assert "explorer.hub" in graph["explorer.catalog"]  # a package's own relative import


def test_cycles_are_found():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_explorer_has_no_import_cycle():
    assert import_cycles(import_graph()) == []


def test_the_loader_core_never_imports_the_app():
    """Layers import downwards: nothing outside explorer/widgets/ imports it (``explorer.explore`` is a lazy name
    of the package's __init__, resolved only when asked for)."""
    graph = import_graph()
    assert [name for name, targets in graph.items()
            if not name.startswith("explorer.widgets") and any(t.startswith("explorer.widgets") for t in targets)] == []


def test_only_the_resolution_step_and_the_app_import_the_catalog():
    """The catalog is one resolver: hub.py, the loader and the weight files never import it."""
    graph = import_graph()
    importers = {name for name, targets in graph.items() if "explorer.catalog" in targets}
    assert {name for name in importers if not name.startswith("explorer.widgets")} <= COMMANDS
    assert not importers & (LOADING | {"explorer.hub", "explorer.resolution"})  # resolution names it by path


def test_the_pipelines_sit_above_the_auto_classes():
    """Only the package's lazy names, the command line (prefetch reads the tasks' default ids) and the app may
    import the pipelines; the pipelines import the Auto classes, never the app, and the catalog only through the
    ids they resolve."""
    graph = import_graph()
    importers = {name for name, targets in graph.items()
                 if not name.startswith("explorer.pipelines") and any(t.startswith("explorer.pipelines") for t in targets)}
    assert {name for name in importers if not name.startswith("explorer.widgets")} <= {"explorer", *COMMANDS}
    assert "explorer.auto" in graph["explorer.pipelines"]
