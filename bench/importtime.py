"""What ``import miniloop`` costs next to ``import asyncio``, in fresh processes.

    python -m bench.importtime              # 15 runs of each, both modes
    python -m bench.importtime -n 31 --mode cached
    python -m bench.importtime -n 21 --against HEAD~1   # before and after
    python -m bench.importtime --instructions           # counted, not timed, too

Each run is a new interpreter: ``python -X importtime -c 'import X'``, whose
last line is the whole import of X (microseconds, everything it pulled in).
The imports alternate, and the medians are compared. miniloop imports
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

On a busy machine the milliseconds wobble (the ratio less, the imports
alternating); ``--instructions`` adds a figure that does not: each import
counted once under callgrind, in instructions beyond a bare interpreter's.

``--against REV`` adds a third side: miniloop as it was at git revision REV
(its ``src/``, from ``git archive``, first on ``PYTHONPATH``), measured in
the same alternating runs, so that a before/after needs no quiet machine.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import subprocess
import sys
import tarfile
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


def export_source(revision: str, into: Path) -> Path:
    """``src/`` as it was at ``revision`` (``git archive``), unpacked under ``into``."""
    archive = subprocess.run(["git", "archive", revision, "src"], cwd=ROOT,
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def instructions(statement: str, env: dict[str, str], cwd: str) -> int:
    """Instructions of ``python -c statement``, counted under callgrind."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, "-c", statement],
        env=env, cwd=cwd, capture_output=True, text=True, check=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind counted nothing for {statement!r}")
    return int(found.group(1))


def instruction_report(mode: str, sides: dict[str, tuple[str, dict[str, str]]],
                       cwd: str) -> list[str]:
    """Each side's import in instructions, beyond those of a bare ``python -c pass``."""
    counts = {name: instructions(f"import {module}", side_env, cwd)
              - instructions("pass", side_env, cwd)
              for name, (module, side_env) in sides.items()}
    on_asyncio = counts["asyncio"]
    lines = [f"{mode}: instructions (callgrind): import asyncio {on_asyncio / 1e6:.1f} M"]
    for name in list(sides)[1:]:
        lines.append(f"{mode}: instructions (callgrind): import {name} "
                     f"{counts[name] / 1e6:.1f} M, ratio {counts[name] / on_asyncio:.2f}x")
    return lines


def measure(mode: str, runs: int, first_line: bool, against: str | None,
            count_instructions: bool = False) -> list[str]:
    """The report lines of one mode."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="miniloop-importtime-") as tmp:
        if mode == "cached":
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = os.path.join(tmp, "pycache")
        # Each side: the module it imports and its environment. An older
        # miniloop comes first on the path, ahead of the installed one.
        sides: dict[str, tuple[str, dict[str, str]]] = {
            "asyncio": ("asyncio", env), "miniloop": ("miniloop", env)}
        if against is not None:
            old_src = export_source(against, Path(tmp, "against"))
            sides[f"miniloop@{against}"] = ("miniloop", {**env, "PYTHONPATH": str(old_src)})
        if mode == "cached":
            for _module, side_env in sides.values():
                subprocess.run([sys.executable, "-c", "import asyncio, miniloop"],
                               env=side_env, cwd=tmp, check=True)
        cwd = tmp  # not the checkout: nothing there can shadow an import
        times: dict[str, list[int]] = {name: [] for name in sides}
        for _ in range(runs):  # alternating, so that a busy moment hits every side
            for name, (module, side_env) in sides.items():
                times[name].append(import_time_us(module, side_env, cwd))
        asyncio_ms = statistics.median(times["asyncio"]) / 1000
        lines = [f"{mode}: import asyncio {asyncio_ms:.1f} ms (medians of {runs})"]
        for name in list(sides)[1:]:
            ms = statistics.median(times[name]) / 1000
            lines.append(f"{mode}: import {name} {ms:.1f} ms, ratio {ms / asyncio_ms:.2f}x")
        if count_instructions:
            lines += instruction_report(mode, sides, cwd)
        if first_line:
            lines += first_line_report(mode, runs, sides)
        return lines


def first_line_report(mode: str, runs: int,
                      sides: dict[str, tuple[str, dict[str, str]]]) -> list[str]:
    """The time to the first line of the demo: on asyncio, and on each miniloop."""
    commands = {
        name: ([sys.executable, "-m", DEMO] if module == "asyncio"
               else [sys.executable, "-m", "miniloop", DEMO], side_env)
        for name, (module, side_env) in sides.items()
    }
    if mode == "cached":  # the demo's own modules, cached too
        for command, side_env in commands.values():
            first_line_seconds(command, side_env)
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, side_env) in commands.items():
            seconds[name].append(first_line_seconds(command, side_env))
    on_asyncio = statistics.median(seconds["asyncio"]) * 1000
    lines = [f"{mode}: first line of {DEMO}: asyncio {on_asyncio:.0f} ms (medians of {runs})"]
    for name in list(commands)[1:]:
        ms = statistics.median(seconds[name]) * 1000
        lines.append(f"{mode}: first line of {DEMO}: python -m {name} {ms:.0f} ms "
                     f"(+{ms - on_asyncio:.0f} ms)")
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
    parser.add_argument("--against", metavar="REV",
                        help="also measure miniloop as it was at git revision REV "
                             "(before and after a change, in the same runs)")
    parser.add_argument("--instructions", action="store_true",
                        help="also count each import's instructions under callgrind: the "
                             "same from run to run, however busy the machine (needs valgrind)")
    args = parser.parse_args(argv)
    modes = ["env", "cached"] if args.mode == "both" else [args.mode]
    print(f"Python {sys.version.split()[0]}; "
          f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}")
    for mode in modes:
        for line in measure(mode, args.runs, not args.no_first_line, args.against,
                            args.instructions):
            print(line, flush=True)


if __name__ == "__main__":
    main()
