"""The folders are the layers, and imports only go downward.

A learner reads ``core/`` first and must not be sent upwards to understand
it; the contract builds on the core, the toolkit on both, and so on down
to the tools. This test reads every import statement in the package
(inside functions too: a lazy import is still a dependency) and fails on
one that reaches up a layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "miniloop"

# DESIGN.md's rows, top to bottom; a module imports only from its own row
# or the rows above it. The package's front door (``miniloop/__init__.py``,
# ``__main__.py``) and the exercises, which use the public API, come last.
LAYERS = ["core", "contract", "toolkit", "io", "fast", "assembly", "tools"]
FRONT_DOOR = len(LAYERS)


def layer_of(module: str) -> int | None:
    """The row of a ``miniloop`` module (None for anything outside the package)."""
    parts = module.split(".")
    if parts[0] != "miniloop":
        return None
    if len(parts) == 1 or parts[1] not in LAYERS:
        return FRONT_DOOR
    return LAYERS.index(parts[1])


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) for each import; ``from miniloop import X`` counts as ``miniloop.X``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "miniloop":
                found += [(node.lineno, f"miniloop.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def upward_imports() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = module_name(path)
        own = layer_of(importer)
        assert own is not None
        for line, imported in imported_modules(ast.parse(path.read_text())):
            target = layer_of(imported)
            if target is not None and target > own:
                problems.append(f"{path.relative_to(PACKAGE)}:{line} imports {imported}")
    return problems


def test_the_checker_sees_an_upward_import() -> None:
    tree = ast.parse("def f():\n    from miniloop.fast import loop\nimport miniloop.core.loop\n")
    assert sorted(imported_modules(tree)) == [(2, "miniloop.fast"), (3, "miniloop.core.loop")]
    assert layer_of("miniloop.fast.loop") == LAYERS.index("fast") > layer_of("miniloop.core")
    assert layer_of("miniloop") == layer_of("miniloop.exercises") == FRONT_DOOR
    assert layer_of("asyncio") is None


def test_imports_only_go_downward() -> None:
    assert upward_imports() == []


def test_the_core_imports_nothing_but_the_core() -> None:
    for path in sorted((PACKAGE / "core").glob("*.py")):
        for line, imported in imported_modules(ast.parse(path.read_text())):
            if imported.startswith("miniloop"):
                assert imported.startswith("miniloop.core"), f"{path.name}:{line}: {imported}"
