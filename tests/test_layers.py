"""The layers (STYLE.md): config → demo → diagnostics → rma → core, one way, and no import circles.

The source is read as it is (``ast``, nothing imported), so a module added or moved is checked too.
Every import counts, also one deferred into a function: a deferred import hides a circle, it does not
break it. Only imports under ``if TYPE_CHECKING:`` are left out, since they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "rma", "diagnostics", "demo", "config")
PRODUCT = ("core", "rma", "diagnostics")


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int

    def __str__(self) -> str:
        path = self.importer.replace(".", "/")
        return f"{path}.py:{self.line} imports {self.imported}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    }


MODULES = source_files()


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run, at module level or deferred, outside ``if TYPE_CHECKING:``."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and is_type_checking(node.test):
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))


def imports_of(name: str, path: Path) -> list[Import]:
    """What ``name`` imports, each resolved to the most specific module (``from rma import services``: rma.services)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in import_nodes(tree):
        if isinstance(node, ast.Import):
            found += [Import(name, alias.name, node.lineno) for alias in node.names]
            continue
        base = node.module or ""
        if node.level:  # relative: from . import x, from ..y import z
            parts = package.split(".")
            anchor = parts[: len(parts) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            found.append(Import(name, candidate if candidate in MODULES else base, node.lineno))
    return found


IMPORTS = [found for name, path in MODULES.items() for found in imports_of(name, path)]


def top(module: str) -> str:
    return module.partition(".")[0]


def violations(importers: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return [str(i) for i in IMPORTS if top(i.importer) in importers and top(i.imported) in forbidden]


def test_the_tree_is_read():
    assert {"rma.services", "rma.notifications", "rma.tasks", "diagnostics.advisories", "core.tasks"} <= set(MODULES)
    assert any(i.importer == "rma.tasks" and i.imported == "rma.notifications" for i in IMPORTS)


def test_core_imports_no_app():
    assert violations(("core",), ("rma", "diagnostics", "demo", "config")) == []


def test_rma_never_imports_diagnostics_or_the_demo():
    assert violations(("rma",), ("diagnostics", "demo")) == []


def test_no_product_app_imports_config_or_the_demo():
    assert violations(PRODUCT, ("config", "demo")) == []


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
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


@pytest.mark.parametrize("app", ["rma", "diagnostics"])
def test_no_import_circle_within_an_app(app):
    """E.g. services → notifications → tasks → services: a service queues its task by name (core.tasks)."""
    graph: dict[str, set[str]] = {}
    for found in IMPORTS:
        if top(found.importer) == app and top(found.imported) == app and found.imported != found.importer:
            graph.setdefault(found.importer, set()).add(found.imported)
    assert cycles(graph) == []


def test_the_circle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_product_module_imports_the_test_factories_or_faker():
    """factory-boy and Faker are development requirements (requirements/dev.txt), not installed in production."""
    assert violations(PRODUCT, ("factory", "faker", "tests")) == []
