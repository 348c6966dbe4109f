"""Every demo prints the same on asyncio and on miniloop (python -m compat says so)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 90


def compare(*target_and_args: str) -> subprocess.CompletedProcess[str]:
    """``python -m compat TARGET ARGS`` from the project's root."""
    env = dict(os.environ)
    env.pop("MINILOOP_COMPAT_BACKEND", None)
    return subprocess.run(
        [sys.executable, "-m", "compat", "--timeout", "80", *target_and_args], cwd=ROOT,
        env=env, capture_output=True, text=True, timeout=TIMEOUT)


def assert_same(done: subprocess.CompletedProcess[str], lines: int) -> list[str]:
    out = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout + done.stderr
    assert any(line.startswith(f"same output: {lines} lines") for line in out), done.stdout
    return out


def test_countasync_as_published_one_second_on_each() -> None:
    out = assert_same(compare("demos.countasync"), lines=7)
    assert "same output: 7 lines, in the same order" in out
    # The elapsed time is a measurement: masked, and both values shown.
    [measured] = [line for line in out if line.startswith("  line 7: ")]
    assert measured.count("seconds") == 2


@pytest.mark.parametrize(("target", "args", "lines"), [
    ("demos.countasync", ("--speed", "20"), 7),
    ("demos/countasync.py", ("--speed", "20"), 7),
    ("demos.countsync", ("--speed", "20"), 7),
    ("demos.genbased", ("--speed", "20"), 7),
    ("demos/genbased.py", ("--speed", "20"), 7),
])
def test_the_counts_print_the_same_in_the_same_order(
    target: str, args: tuple[str, ...], lines: int,
) -> None:
    out = assert_same(compare(target, *args), lines)
    assert f"same output: {lines} lines, in the same order" in out


@pytest.mark.parametrize("seed", ["15", "3", "2024"])
def test_rand_prints_the_same_lines(seed: str) -> None:
    done = compare("demos.rand", "--seed", seed, "--speed", "100")
    out = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout + done.stderr
    # rand declares its order concurrent: compat says it compared a multiset.
    assert any(line.startswith("same output:") and line.endswith("compared as a multiset")
               for line in out), done.stdout


@pytest.mark.parametrize("args", [
    ("--speed", "50"),
    ("1", "2", "3", "4", "5", "--seed", "11", "--speed", "50"),
    ("7", "--seed", "1", "--speed", "50"),
])
def test_chained_prints_the_same_lines(args: tuple[str, ...]) -> None:
    done = compare("demos.chained", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "compared as a multiset" in done.stdout


def test_a_demos_help_is_the_same_on_both() -> None:
    done = compare("demos.chained", "--help")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "usage: chained.py" in done.stdout
