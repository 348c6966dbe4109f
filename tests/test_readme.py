"""The README's examples run, and print what the README says they print.

Each ```python block of README.md is executed in turn, in one namespace (the
second block reuses the first one's ``main``), under virtual time so that
their one-second sleeps cost nothing.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

import miniloop

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def run_block(block: str, namespace: dict[str, object]) -> str:
    # A line marked "3.12+" uses what only 3.12 has; older Pythons skip it.
    if sys.version_info < (3, 12):
        block = "\n".join(line for line in block.splitlines() if "# 3.12+" not in line)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), miniloop.virtual_time():
        exec(compile(block, str(README), "exec"), namespace)
    return out.getvalue()


def test_the_readme_examples_print_what_they_promise() -> None:
    blocks = python_blocks()
    assert len(blocks) == 3, "update this test when the README's examples change"
    namespace: dict[str, object] = {}
    counts = ["One"] * 3 + ["Two"] * 3
    assert run_block(blocks[0], namespace).splitlines() == counts
    twice_or_once = 2 if sys.version_info >= (3, 12) else 1
    assert run_block(blocks[1], namespace).splitlines() == counts * twice_or_once
    assert run_block(blocks[2], {}).splitlines() == ["3600.0"]


def test_the_set_up_commands_make_a_virtual_environment_first() -> None:
    # A system Python may refuse `pip install` outside a virtual environment
    # ("externally-managed-environment"): the commands make one, then use it.
    setup = README.read_text().split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", setup, re.S)
    assert len(commands) == 2, commands  # one runs the main demo, one the tests
    demo, tests = commands
    assert demo.startswith("python -m venv .venv && . .venv/bin/activate && ")
    assert demo.endswith("python -m miniloop demos.countasync")
    assert tests.startswith(". .venv/bin/activate && ")
    assert tests.endswith("python -m pytest")
