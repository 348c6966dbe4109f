"""Plain asyncio programs, run unchanged with ``python -m miniloop prog.py``.

Each program in tests/programs/ is ordinary asyncio code. Run with plain
``python`` it uses asyncio's loop; run with ``python -m miniloop`` every
loop it makes is miniloop's. Their stdout and exit status must be the same.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = sorted((Path(__file__).parent / "programs").glob("*.py"))


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *command], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).parent.parent)


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_program_prints_the_same_on_miniloop(program: Path) -> None:
    on_asyncio = _run(str(program))
    on_miniloop = _run("-m", "miniloop", str(program))
    assert on_asyncio.returncode == 0, on_asyncio.stderr
    assert on_miniloop.returncode == on_asyncio.returncode, on_miniloop.stderr
    assert on_miniloop.stdout == on_asyncio.stdout
    assert on_asyncio.stdout.strip(), "a program that prints nothing proves nothing"


def test_the_corpus_is_there() -> None:
    assert len(PROGRAMS) >= 10
