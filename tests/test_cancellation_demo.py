"""demos/cancellation.py: the same lessons, however it is started."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEED = ("--speed", "2")  # a tick of 50 ms: the whole demo takes about 1.5 s
TIMEOUT = 60


def run_demo(*command: str) -> list[str]:
    env = dict(os.environ)
    env.pop("MINILOOP_COMPAT_BACKEND", None)
    done = subprocess.run([sys.executable, *command, *SPEED], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.splitlines()


@pytest.fixture(scope="module")
def on_asyncio() -> list[str]:
    return run_demo("demos/cancellation.py")


def test_every_lesson_shows_what_it_teaches(on_asyncio: list[str]) -> None:
    lessons = [line for line in on_asyncio if line[:2] in {f"{n}." for n in range(1, 7)}]
    assert len(lessons) == 6
    text = "\n".join(on_asyncio)
    assert "[ 2]     main: has it stopped yet? False (cancel only asks)" in text
    assert "[ 2]   kettle: asked to stop while heating: switching off" in text
    assert "caught CancelledError (1 request pending); finishing up" in text
    assert "[ 5]     main: slow kettle: TimeoutError" in text
    assert "[ 6] download: complete" in text
    assert "[11]     main: the second download stalled: TimeoutError" in text
    assert "[ 4]     main: the save finished anyway: saved" in text
    assert on_asyncio[-2:] == [
        "[ 3]      pan: cancelled by the group",
        "[ 3]     main: the group raised: ['pot boiled over']",
    ]


@pytest.mark.parametrize("command", [
    ("-m", "demos.cancellation"),
    ("-m", "miniloop", "demos.cancellation"),
    ("-m", "miniloop", "demos/cancellation.py"),
])
def test_miniloop_says_exactly_what_asyncio_says(on_asyncio: list[str],
                                                  command: tuple[str, ...]) -> None:
    assert run_demo(*command) == on_asyncio


def test_compat_finds_the_two_runs_equal() -> None:
    lines = run_demo("-m", "compat", "demos.cancellation")
    assert lines[-1].startswith("same output: 32 lines, in the same order"), lines[-3:]
