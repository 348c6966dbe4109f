"""What ``import miniloop`` costs next to ``import asyncio``, in fresh processes.

    python -m bench.importtime              # 15 runs of each, both modes
    python -m bench.importtime -n 31 --mode cached

Each run is a new interpreter: ``python -X importtime -c 'import X'``, whose
last line is the whole import of X (microseconds, everything it pulled in).
The two imports alternate, and the medians are compared. miniloop imports
asyncio itself (it shares its exception classes and interfaces), so
asyncio's figure is a floor for miniloop's.

Two modes, because they differ by a factor of two:

    env       the environment as it is. With PYTHONDONTWRITEBYTECODE=1 set
              (as in the sandboxes this project is developed in), nothing
              is cached: miniloop's modules are compiled from source at
              every start, while the standard library's were compiled when
              Python was installed.
    cached    bytecode cached in a temporary PYTHONPYCACHEPREFIX, warmed by
              one run first: what an installed miniloop costs.

Then the time from start to the first line printed, for
``python -m miniloop demos.countasync`` against ``python -m demos.countasync``
(the program on asyncio), measured the same way.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = "demos.countasync"


def import_time_us(module: str, env: dict[str, str], cwd: str) -> int:
    """The cumulative ``-X importtime`` figure of ``import module`` in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env, cwd=cwd, capture_output=True, text=True, check=True,
    )
    last = [line for line in done.stderr.splitlines() if line.startswith("import time:")][-1]
    _self, cumulative, name = last.removeprefix("import time:").split("|")
    if name.strip() != module:
        raise RuntimeError(f"unexpected last importtime line: {last!r}")
    return int(cumulative)


def first_line_seconds(command: list[str], env: dict[str, str]) -> float:
    """Seconds from starting ``command`` until it prints its first line."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        elapsed = time.perf_counter() - start
    finally:
        process.kill()
        process.wait()
    if not line:
        raise RuntimeError(f"{' '.join(command)} printed nothing")
    return elapsed


def measure(mode: str, runs: int, first_line: bool) -> list[str]:
    """The report lines of one mode."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="miniloop-importtime-") as tmp:
        if mode == "cached":
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = os.path.join(tmp, "pycache")
            subprocess.run([sys.executable, "-c", "import asyncio, miniloop"], env=env,
                           cwd=tmp, check=True)
        cwd = tmp  # not the checkout: nothing there can shadow an import
        times: dict[str, list[int]] = {"asyncio": [], "miniloop": []}
        for _ in range(runs):
            for module in times:
                times[module].append(import_time_us(module, env, cwd))
        asyncio_ms = statistics.median(times["asyncio"]) / 1000
        miniloop_ms = statistics.median(times["miniloop"]) / 1000
        lines = [
            f"{mode}: import asyncio {asyncio_ms:.1f} ms, import miniloop {miniloop_ms:.1f} ms "
            f"(medians of {runs}), ratio {miniloop_ms / asyncio_ms:.2f}x",
        ]
        if first_line:
            commands = {
                "asyncio": [sys.executable, "-m", DEMO],
                "miniloop": [sys.executable, "-m", "miniloop", DEMO],
            }
            if mode == "cached":  # the demo's own modules, cached too
                for command in commands.values():
                    first_line_seconds(command, env)
            seconds: dict[str, list[float]] = {name: [] for name in commands}
            for _ in range(runs):
                for name, command in commands.items():
                    seconds[name].append(first_line_seconds(command, env))
            on_asyncio = statistics.median(seconds["asyncio"]) * 1000
            on_miniloop = statistics.median(seconds["miniloop"]) * 1000
            lines.append(
                f"{mode}: first line of {DEMO}: asyncio {on_asyncio:.0f} ms, "
                f"python -m miniloop {on_miniloop:.0f} ms "
                f"(+{on_miniloop - on_asyncio:.0f} ms, medians of {runs})")
        return lines


def main(argv: list[str] | None = None) -> None:
    """Measure, and print one line per figure."""
    parser = argparse.ArgumentParser(prog="python -m bench.importtime",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=15,
                        help="fresh processes per import and per mode (default 15)")
    parser.add_argument("--mode", choices=("env", "cached", "both"), default="both",
                        help="env: the environment as it is; cached: bytecode cached "
                             "(default: both)")
    parser.add_argument("--no-first-line", action="store_true",
                        help=f"skip the time to the first line of {DEMO}")
    args = parser.parse_args(argv)
    modes = ["env", "cached"] if args.mode == "both" else [args.mode]
    print(f"Python {sys.version.split()[0]}; "
          f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}")
    for mode in modes:
        for line in measure(mode, args.runs, not args.no_first_line):
            print(line, flush=True)


if __name__ == "__main__":
    main()
