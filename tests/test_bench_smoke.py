"""The benchmark suite runs end to end (tiny sizes; no timing is asserted)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_every_workload_runs_on_miniloop_and_asyncio() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--runtimes", "miniloop",
         "miniloop-asyncio", "asyncio", "floor"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout
    for workload in ("switch", "spawn", "timers", "queue", "echo", "memory", "http"):
        assert f"| {workload} |" in table, table
    # Every asyncio-style workload produced a number for miniloop-asyncio.
    rows = [line for line in table.splitlines() if line.startswith("| ") and "x)" in line]
    assert len(rows) >= 7, table


def test_one_workload_prints_one_json_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.workloads", "switch", "miniloop", "--scale", "0.001"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    import json

    result = json.loads(done.stdout)
    assert result["workload"] == "switch" and result["runtime"] == "miniloop"
    assert result["value"] > 0 and result["unit"] == "switches/s"


def test_the_profiler_names_where_time_and_memory_go() -> None:
    def profile(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "bench.profile", *args, "--top", "5"],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "futures.py" in profile("switch", "--scale", "0.002")  # the fast Task._run leads
    memory = profile("memory")
    assert "bytes per parked task" in memory and "loop.py" in memory


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("valgrind") is None,
                    reason="valgrind is not installed: the instruction mode counts under callgrind")
def test_the_instruction_mode_counts_per_operation() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--instructions", "--smoke", "--workloads", "switch",
         "--runtimes", "asyncio"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    row = next(line for line in done.stdout.splitlines() if line.startswith("| switch |"))
    assert float(row.split("|")[2].strip().replace(",", "")) > 0, done.stdout
