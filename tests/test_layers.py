"""The import graphs of the generator and of the runtime: no module imports another that (through any chain,
lazy imports included) imports it back. Type-only imports (under TYPE_CHECKING) do not count: they never run."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

TREES = {
    "generator": (ROOT / "generator", "generator"),
    "runtime": (ROOT / "templates" / "package" / "src" / "__package__", ""),
}


def _type_only(tree: ast.Module) -> set[int]:
    """Line numbers of the imports inside `if TYPE_CHECKING:` blocks."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def imports(folder: Path, package: str) -> dict[str, set[str]]:
    """Each module of the folder and the modules of the same folder it imports, wherever in its body."""
    modules = {path.stem for path in folder.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_only(tree)
        found: set[str] = set()
        for node in ast.walk(tree):
            if getattr(node, "lineno", 0) in skipped:
                continue
            if isinstance(node, ast.ImportFrom):
                relative = node.level == 1 or (package and node.module is not None and node.module.startswith(package))
                if not relative:
                    continue
                base = (node.module or "").removeprefix(package).strip(".")
                names = [base.split(".")[0]] if base else [alias.name for alias in node.names]
                found.update(name for name in names if name in modules)
            elif isinstance(node, ast.Import) and package:
                found.update(alias.name.split(".")[1] for alias in node.names if alias.name.startswith(package + "."))
        found.discard(path.stem)
        graph[path.stem] = found
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every module that can reach itself, with one path that shows how."""
    found = []
    for start in sorted(graph):
        pending, seen = [(start, [start])], set()
        while pending:
            node, path = pending.pop()
            for neighbour in sorted(graph.get(node, ())):
                if neighbour == start:
                    found.append([*path, start])
                    pending = []
                    break
                if neighbour not in seen:
                    seen.add(neighbour)
                    pending.append((neighbour, [*path, neighbour]))
    return found


@pytest.mark.parametrize("tree", sorted(TREES))
def test_no_module_imports_itself_back(tree: str) -> None:
    folder, package = TREES[tree]
    graph = imports(folder, package)
    assert graph, f"no modules found in {folder}"
    assert cycles(graph) == [], "\n".join(" -> ".join(cycle) for cycle in cycles(graph))


def test_the_checker_sees_a_cycle_and_type_only_imports_apart(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from . import b\n")
    (tmp_path / "b.py").write_text("def late():\n    from .a import x\n")
    (tmp_path / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    graph = imports(tmp_path, "")
    assert graph == {"a": {"b"}, "b": {"a"}, "c": set()}
    assert cycles(graph) == [["a", "b", "a"], ["b", "a", "b"]]
