"""The package's shape: no import cycles, no reaches into other modules' private names, a light import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "atlas"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names) for every import of the atlas package in one file, wherever it stands."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.split(".")[0] == "atlas"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "atlas":
                found.append((target, [a.name for a in node.names]))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for target, names in _imports(path):
            # "from atlas.x import y" imports the module atlas.x.y when there is one, else atlas.x
            targets = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules] or [target]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _is_ancestor(package: str, module: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_no_import_cycle_among_atlas_modules():
    graph = _graph()
    # a package's __init__ re-exporting its own modules is not a cycle of modules with jobs
    pruned = {m: {t for t in ts if not (_is_ancestor(m, t) and PACKAGE.joinpath(*m.split(".")[1:], "__init__.py").exists())}
              for m, ts in graph.items()}
    assert _cycles(pruned) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_library_does_not_import_the_command_line():
    graph = _graph()
    library = [m for m in graph if not _is_ancestor("atlas.cli", m) and m != "atlas.__main__"]
    offenders = sorted(m for m in library if any(_is_ancestor("atlas.cli", t) for t in graph[m]))
    assert offenders == []


def test_no_module_reads_another_modules_private_names():
    reaches = []
    for path in PACKAGE.rglob("*.py"):
        for target, names in _imports(path):
            if target != _module_name(path):
                reaches += [f"{_module_name(path)} -> {target}.{n}" for n in names
                            if n.startswith("_") and not n.startswith("__")]
    assert reaches == []


@pytest.mark.parametrize("heavy", ["streamlit", "matplotlib.pyplot", "folium"])
def test_importing_the_package_stays_light(heavy):
    code = f"import sys, atlas; assert {heavy!r} not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
