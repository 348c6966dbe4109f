"""Plain mode: the same program on the plain loop (only core/'s code) and the fast one.

The speed-ups of fast/ must not change what a program can observe. The
differential tests run on the default (fast) loop; CI runs them again with
MINILOOP_PLAIN=1. These tests pin the switch itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import miniloop

PROGRAM = textwrap.dedent("""
    import asyncio

    async def main():
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        print(type(loop).__name__, type(task).__module__)
        print(await asyncio.gather(asyncio.sleep(0, 1), asyncio.sleep(0.001, 2)))

    asyncio.run(main())
""")


def run_cli(tmp_path: Path, *options: str, env: dict[str, str] | None = None) -> list[str]:
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    done = subprocess.run([sys.executable, "-m", "miniloop", *options, str(program)],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_the_default_loop_is_fast_and_plain_is_a_switch(tmp_path: Path) -> None:
    assert run_cli(tmp_path) == ["FastLoop miniloop.fast.futures", "[1, 2]"]
    assert run_cli(tmp_path, "--plain") == ["Loop miniloop.contract.objects", "[1, 2]"]
    env = {"MINILOOP_PLAIN": "1"}
    assert run_cli(tmp_path, env=env) == ["Loop miniloop.contract.objects", "[1, 2]"]


def test_the_python_api_asks_for_either(monkeypatch: Any) -> None:
    monkeypatch.delenv("MINILOOP_PLAIN", raising=False)
    for plain, kind in ((True, miniloop.Loop), (False, miniloop.FastLoop)):
        loop = miniloop.Loop(plain=plain)
        try:
            assert type(loop) is kind and loop.plain is plain
            assert isinstance(loop, miniloop.Loop)
        finally:
            loop.close()
    monkeypatch.setenv("MINILOOP_PLAIN", "1")
    loop = miniloop.Loop()
    try:
        assert loop.plain
    finally:
        loop.close()


def test_plain_and_fast_tasks_are_both_miniloop_tasks() -> None:
    async def kind() -> Any:
        return miniloop.current_task()

    for plain in (True, False):
        task = miniloop.run(kind(), loop_factory=lambda plain=plain: miniloop.Loop(plain=plain))
        assert isinstance(task, miniloop.Task) and isinstance(task, miniloop.Future)


def test_compat_runs_the_miniloop_side_plain_when_asked(tmp_path: Path) -> None:
    program = tmp_path / "which_loop.py"
    program.write_text(textwrap.dedent("""
        import asyncio

        async def main():
            kind = type(asyncio.get_running_loop()).__name__
            print(kind in {"_UnixSelectorEventLoop", "Loop"})  # asyncio's, or the plain one

        asyncio.run(main())
    """))

    def compat(*options: str) -> int:
        env = {key: value for key, value in os.environ.items() if key != "MINILOOP_PLAIN"}
        return subprocess.run([sys.executable, "-m", "compat", *options, str(program)],
                              capture_output=True, text=True, timeout=60, env=env).returncode

    assert compat("--plain") == 0  # True on both sides
    assert compat() == 1  # the miniloop side ran on the fast loop: False
