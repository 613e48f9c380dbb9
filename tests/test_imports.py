"""No import circle in ``hub/``: the modules' top-level imports form a graph without cycles.

A cycle works only as long as the modules happen to be imported in one order,
and hides which layer depends on which. The graph is read from the source (no
module is imported): every module under ``hub/`` is parsed, its relative imports
resolved, and the imports it makes when it is loaded — at module level, in a
class body, under ``if``/``try`` — become edges. An import inside a function runs
later, when every module is loaded, so it is left out (a late import is the
accepted way for a lower layer to reach a higher one once, at run time), and so
are the imports under ``if TYPE_CHECKING:``.

Importing ``hub.a.b`` from outside ``hub.a`` first runs ``hub/a/__init__.py``, so
that is an edge too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import hub

ROOT = Path(hub.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def hub_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _load_time_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements run when the module is loaded (not those inside functions)."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _load_time_imports(node.body)
            yield from _load_time_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _load_time_imports(block)
            for handler in node.handlers:
                yield from _load_time_imports(handler.body)
        elif isinstance(node, ast.With | ast.ClassDef):
            yield from _load_time_imports(node.body)


def _base(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    parts = package.split(".")
    anchor = parts[: len(parts) - (node.level - 1)]
    return ".".join([*anchor, *([node.module] if node.module else [])])


def _targets(module: str, path: Path, node, modules: dict[str, Path]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = _base(module, path, node)
        names = []
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            names.append(sub if sub in modules else base)
    for name in names:
        if name not in modules:
            continue  # the standard library or a third party
        yield name
        # loading hub.a.b from outside hub.a runs hub/a/__init__.py first
        parts = name.split(".")
        for i in range(2, len(parts)):
            parent = ".".join(parts[:i])
            if not (module == parent or module.startswith(parent + ".")):
                yield parent


def import_graph() -> dict[str, set[str]]:
    modules = hub_modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges = graph.setdefault(module, set())
        for node in _load_time_imports(tree.body):
            edges.update(t for t in _targets(module, path, node, modules) if t != module)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _a_path(graph: dict[str, set[str]], component: list[str]) -> str:
    """One circle through the component, as ``a → b → a``, to say where to cut it."""
    members = set(component)
    start = component[0]
    path, seen = [start], {start}
    node = start
    while True:
        nxt = sorted(n for n in graph[node] if n in members)
        back = start if start in nxt else None
        if back:
            return " → ".join([*path, start])
        node = next((n for n in nxt if n not in seen), None) or nxt[0]
        if node in seen:
            return " → ".join([*path[path.index(node) :], node])
        path.append(node)
        seen.add(node)


def test_the_graph_is_read():
    graph = import_graph()
    assert "hub.sync.walk" in graph["hub.sync.run"]
    assert "hub.networks" in graph["hub.sync.walk"]
    assert "hub.sync" in graph["hub.daemon.runner"]


def test_no_import_cycle_in_hub():
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles in hub/:\n" + "\n".join(_a_path(graph, c) for c in found)


def test_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert _a_path(graph, ["a", "b", "c"]) == "a → b → c → a"
