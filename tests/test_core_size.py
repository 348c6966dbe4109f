"""The teaching core stays small enough to print.

The README states how big the core is and the budget it must stay within;
this test counts, and fails when the core outgrows the budget or when the
README's figures stop being true.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE_DIR = ROOT / "src" / "miniloop" / "core"
CORE = sorted(path.name for path in CORE_DIR.glob("*.py"))

# Raise it only together with the README, and only for something a reader needs.
BUDGET = 700  # the limit: a core a learner can print; never raise it


def code_lines(source: str) -> int:
    """Lines that are not blank, not comments and not docstrings."""
    docstring_lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                assert first.end_lineno is not None
                docstring_lines.update(range(first.lineno, first.end_lineno + 1))
    return sum(
        1
        for number, line in enumerate(source.splitlines(), 1)
        if line.strip() and not line.strip().startswith("#") and number not in docstring_lines
    )


def core_size() -> int:
    return sum(code_lines((CORE_DIR / name).read_text()) for name in CORE)


def test_the_counter_skips_blanks_comments_and_docstrings() -> None:
    source = ('"""Module doc,\non two lines."""\n\n# a comment\n'
              'def f():\n    """Doc."""\n    return 1\n')
    assert code_lines(source) == 2


def test_the_core_stays_within_its_budget() -> None:
    size = core_size()
    assert size <= BUDGET, f"the teaching core has {size} code lines, over its budget of {BUDGET}"


def test_the_readme_tells_the_truth_about_the_core() -> None:
    readme = (ROOT / "README.md").read_text()
    stated = re.search(r"\*\*(\d+)\*\* lines today,\s+against a budget of \*\*(\d+)\*\*", readme)
    assert stated, "README.md should state the core's size and budget"
    today, budget = int(stated.group(1)), int(stated.group(2))
    assert budget == BUDGET
    # Close enough that a reader is not misled; exact would fail on every edit.
    assert abs(today - core_size()) <= 25, (today, core_size())
    for name in CORE:
        if name != "__init__.py":
            assert f"`{name}`" in readme, f"README's reading order should name {name}"
