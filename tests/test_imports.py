"""The application's modules depend one way: no import cycle, and no layer reaches up.

Read from the source (every import statement, those inside functions included; only
`if TYPE_CHECKING:` blocks are left out, since they never run), not from what Python
happens to have loaded. Importing `a.b.c` also runs the packages `a` and `a.b`: the cycle
check counts those too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Lowest first; a module may import its own layer and those below it, never one above.
LAYERS = (
    ("config",),
    ("app.extensions", "app.frame", "app.bodies", "app.hooks", "app.clock", "app.kv", "app.broadcast", "app.sessions",
     "app.storage", "app.bulk", "app.security", "app.errors", "app.logs", "app.limits", "app.guard", "app.urls",
     "app.tracing", "app.metrics"),
    ("app.auth",),
    ("app.oauth",),
    # What tool authors import, defined without the engine: decorators (and what they record), Context,
    # content, errors.
    ("app.mcp",),
    ("app.mcp.server",),  # the protocol engine, which serves what the layer below declares
    # extensions of the protocol, plugged into the engine
    ("app.mcp.legacy", "app.mcp.skills", "app.mcp.tasks", "app.mcp.apps"),
    ("app.web",),  # the pages
    ("app.tools",),
    ("app",),  # the factory
)  # fmt: skip


def module_paths() -> dict[str, Path]:
    """Every module of app/ and config/, by dotted name (a package by its own name)."""
    found = {}
    for package in ("app", "config"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = module_paths()


def imports_of(name: str, path: Path, known: dict[str, Path] = MODULES) -> set[str]:
    """The project's modules (those in `known`) that module `name` imports, anywhere in it."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found |= {_known(alias.name, known) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, package)
            found |= {_known(f"{base}.{alias.name}", known) for alias in node.names}
    return {module for module in found if module and module != name}


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, except what sits under `if TYPE_CHECKING:`."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (item for orelse in node.orelse for item in _runtime_nodes(orelse))
            continue
        yield node
        yield from _runtime_nodes(node)


def _absolute(module: str | None, level: int, package: str) -> str:
    if not level:
        return module or ""
    base = package.rsplit(".", level - 1)[0] if level > 1 else package
    return f"{base}.{module}" if module else base


def _known(dotted: str, known: dict[str, Path]) -> str:
    """The longest module in `known` that `dotted` names (a.b.c.Name is module a.b.c), or '' if none."""
    while dotted and dotted not in known:
        dotted = dotted.rpartition(".")[0]
    return dotted


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def with_packages(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """`graph` with what Python runs too: the packages of each imported module (their `__init__`),
    except those the importing module is or sits in, which are loading already when it runs."""
    return {
        name: (imported | {package for module in imported for package in _packages(module)}) - _packages(name) - {name}
        for name, imported in graph.items()
    }


def _packages(name: str) -> set[str]:
    """The packages `name` sits in: a.b.c sits in a and a.b."""
    parts = name.split(".")
    return {".".join(parts[:end]) for end in range(1, len(parts))}


def layer_of(name: str) -> int:
    """The layer of the longest prefix that names `name`."""
    best, layer = "", -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > len(best):
                best, layer = prefix, index
    assert layer >= 0, f"{name} is in no layer: add it to LAYERS"
    return layer


def test_every_module_is_in_a_layer():
    for name in MODULES:
        layer_of(name)


def test_no_module_imports_a_layer_above_its_own():
    upward = [
        f"{name} imports {imported}"
        for name, imported_names in GRAPH.items()
        for imported in sorted(imported_names)
        if layer_of(imported) > layer_of(name)
    ]
    assert upward == []


def test_there_is_no_import_cycle():
    assert _cycle(with_packages(GRAPH)) == []


@pytest.mark.parametrize("package", ["app.oauth", "app.auth"])
def test_authorization_and_sign_in_never_import_mcp(package):
    reaching = {
        name for name, imported in GRAPH.items() if name.startswith(package) for i in imported if "app.mcp" in i
    }
    assert reaching == set()


def test_the_checker_sees_function_level_imports_and_cycles(tmp_path):
    probe = tmp_path / "a.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import app.c\n"
        "def later():\n    from app.b import thing\n    from . import d\n"
    )
    known = dict.fromkeys(("app", "app.a", "app.b", "app.c", "app.d"), probe)
    assert imports_of("app.a", probe, known) == {"app.b", "app.d"}
    assert sorted(set(_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}))) == ["a", "b", "c"]
    assert _cycle({"a": {"b"}, "b": set()}) == []
    # p.x imports q.y, which loads q first; q's __init__ imports p.z, which loads p, whose __init__ imports p.x.
    hidden = {"p": {"p.x"}, "p.x": {"q.y"}, "q": {"p.z"}, "q.y": set(), "p.z": set()}
    assert _cycle(hidden) == [] and set(_cycle(with_packages(hidden))) == {"p", "p.x", "q"}
    assert with_packages({"p.x": {"p.y"}}) == {"p.x": {"p.y"}}  # p is loading already


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of `graph` (its modules in order, the first repeated at the end), or [] if none."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        return list(error.args[1])
    return []
