"""python -m bench.profile --count: bytecodes and calls per operation, without a clock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def count(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "bench.profile", *args, "--count", "--top", "5"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_count_names_the_functions_a_switch_runs_the_same_every_time() -> None:
    first = count("switch", "--scale", "0.01")
    assert first.startswith("switch on miniloop: ") and "bytecodes per operation" in first
    assert "miniloop/fast/futures.py" in first  # the fast Task._run
    assert count("switch", "--scale", "0.01") == first  # no clock: the same figures
