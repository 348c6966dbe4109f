"""Real libraries' own test suites, run on asyncio and on miniloop (``pytest --miniloop``).

For each library below, pinned to one release, this script downloads its
source distribution once (checked against the pinned SHA-256), unpacks a
fresh copy, installs it into a virtual environment of its own making
(with pinned pytest, pytest-asyncio, anyio and miniloop from this
checkout), and runs the library's test suite four times:

    asyncio             pytest, as the library's developers run it
    miniloop            pytest --miniloop
    virtual time        pytest --miniloop --miniloop-virtual-time
    plain               pytest --miniloop --miniloop-plain

It compares each test's outcome with the asyncio run, and writes the pass
counts, the wall times and every difference to ``docs/real-suites.md``.

    python scripts/real_suites.py                  # all suites; rewrite the doc
    python scripts/real_suites.py async-lru janus  # only these; print, don't write
    python scripts/real_suites.py --python python3.13 --work /tmp/suites

It takes a few minutes (most of it making the environment, once), and
needs the package index the first time; later runs reuse what is in
``--work`` (default: ``~/.cache/miniloop-real-suites``). It is not part of
the test run: ``docs/pytest-plugin.md`` says how to read its results.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "real-suites.md"

# The test tools every suite gets, pinned: the versions the results are for.
TOOLS = ["pytest==9.2.0", "pytest-asyncio==1.5.0", "anyio==4.16.0", "pytest-timeout==2.4.0"]


@dataclass(frozen=True)
class Library:
    """One library: which release, how its tests make loops, how to run them."""

    name: str
    version: str
    sha256: str
    style: str  # how its tests get their loops
    args: tuple[str, ...] = ()  # for pytest, after the library's own configuration
    note: str = ""
    paths: tuple[str, ...] = ()  # the tests to run (default: the library's testpaths)
    known: tuple[tuple[str, str], ...] = ()  # (test, why it fails here on asyncio too)

    @property
    def sdist(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}.tar.gz"


# Each args line says why: the library's own pytest configuration asks for
# plugins we do not install (coverage, benchmarks), or names a warning filter
# for a module that is not there.
LIBRARIES = [
    Library("async-lru", "2.4.0",
            "b0b0077d9b7596615b3c12d0aad4f6aeccaaa0ac75ceae472608ede89e764c08",
            "pytest-asyncio, auto mode",
            ("-o", "addopts=", "-o", "asyncio_default_fixture_loop_scope=function"),
            "addopts asked for coverage"),
    Library("janus", "2.0.0",
            "0970f38e0e725400496c834a368a67ee551dc3b5ad0a257e132f5b46f2e77770",
            "pytest-asyncio, strict mode; threads",
            ("-o", "addopts=", "--ignore", "tests/test_benchmarks.py"),
            "addopts asked for coverage; the benchmarks need pytest-codspeed"),
    Library("aiofiles", "25.1.0",
            "a8d728f0a29de45dc521f18f07297428d56992a742f0cd2701ba86e44d23d5b2",
            "pytest-asyncio, auto mode; thread pool",
            known=(("tests/test_os.py::test_access",
                    "it expects a file without permissions to be unreadable, and this machine "
                    "runs the tests as root"),)),
    Library("aiosqlite", "0.22.1",
            "043e0bd78d32888c0a9ca90fc788b38796843360c855a7262a532813133a0650",
            "unittest.IsolatedAsyncioTestCase; a thread per connection",
            ("-o", "asyncio_default_fixture_loop_scope=function",),
            "the suite is aiosqlite/tests/smoke.py", ("aiosqlite/tests/smoke.py",)),
    Library("aiometer", "1.0.0",
            "c492933dbd3a90c619473c3f242d00842ee274f6285a44b5d5fbee228a407056",
            "anyio's pytest plugin (asyncio backend)",
            ("-o", "addopts=", "-o", "filterwarnings=error",
             "-o", "asyncio_default_fixture_loop_scope=function"),
            "addopts asked for coverage; a warning filter named trio"),
    Library("asgiref", "3.13.0",
            "034cc8cbf72d00553b4be256703ac545120b4e50af13b49dec99da899aeeecb4",
            "pytest-asyncio, strict mode; sync_to_async threads"),
]

MODES = {
    "asyncio": (),
    "miniloop": ("--miniloop",),
    "virtual time": ("--miniloop", "--miniloop-virtual-time"),
    "plain": ("--miniloop", "--miniloop-plain"),
}

SUMMARY = re.compile(r"miniloop: (\d+) tests? ran on miniloop \([^)]*\), (\d+) on another loop, "
                     r"(\d+) used no event loop")


@dataclass
class Run:
    """One pytest run of one suite in one mode."""

    seconds: float  # the whole pytest process
    session_seconds: float  # what pytest says its session took (no start-up)
    exit_code: int
    outcomes: dict[str, str]  # test id -> passed, failed, error (skipped: not listed)
    messages: dict[str, str]  # test id -> why it failed, in short
    counts: tuple[int, int, int] | None  # on miniloop, on another loop, on none
    skipped: int = 0
    virtual_seconds: float = 0.0  # what --miniloop-virtual-time says it skipped

    def number(self, outcome: str) -> int:
        return sum(1 for value in self.outcomes.values() if value == outcome)


@dataclass
class Result:
    library: Library
    runs: dict[str, Run] = field(default_factory=dict)
    flaky: dict[str, set[str]] = field(default_factory=dict)  # test -> modes: passed on rerun

    def differences(self, mode: str) -> list[str]:
        """Tests that passed on asyncio and not in ``mode``, or the reverse (timing aside)."""
        base, other = self.runs["asyncio"], self.runs[mode]
        lines = []
        for test, outcome in base.outcomes.items():
            now = other.outcomes.get(test, "missing")
            if test in self.flaky:
                continue
            if outcome == "passed" and now != "passed":
                lines.append(f"`{test}`: {now}: {other.messages.get(test, '')}")
            elif outcome != "passed" and now == "passed":
                lines.append(f"`{test}`: passed here, {outcome} on asyncio: "
                             f"{base.messages.get(test, '')}")
        return lines


# --- the environment ------------------------------------------------------------------------


def run_command(command: list[str], cwd: Path | None = None) -> None:
    print("  $", " ".join(command), flush=True)
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def environment(work: Path, python: str) -> Path:
    """The virtual environment (made once): the test tools and miniloop from this checkout."""
    venv = work / f"venv-{Path(python).name}"
    marker = venv / "miniloop-tools.txt"
    wanted = "\n".join(TOOLS)
    if not (marker.exists() and marker.read_text() == wanted):
        shutil.rmtree(venv, ignore_errors=True)
        run_command([python, "-m", "venv", str(venv)])
        run_command([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *TOOLS])
        marker.write_text(wanted)
    # miniloop itself is reinstalled every time: the results are for this checkout.
    run_command([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
                 "--force-reinstall", str(ROOT)])
    return venv / "bin" / "python"


def source_tree(library: Library, work: Path, python: Path) -> Path:
    """A fresh copy of the library's sdist, unpacked, and the library installed from it."""
    downloads = work / "sdists"
    archive = downloads / library.sdist
    if not archive.exists():
        run_command([str(python), "-m", "pip", "download", "-q", "--no-deps",
                     "--no-binary", ":all:", f"{library.name}=={library.version}",
                     "-d", str(downloads)])
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != library.sha256:
        raise SystemExit(f"{archive}: SHA-256 {digest}, not the pinned {library.sha256}")
    tree = work / "src" / archive.name.removesuffix(".tar.gz")
    shutil.rmtree(tree, ignore_errors=True)
    with tarfile.open(archive) as sdist:
        sdist.extractall(work / "src", filter="data")
    run_command([str(python), "-m", "pip", "install", "-q", str(tree)])
    return tree


# --- one run ----------------------------------------------------------------------------

# ``-rA`` ends the output with a line per test: "PASSED id", "FAILED id - why".
VERDICT = re.compile(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS) (\S+)(?: - (.*))?$", re.MULTILINE)
OUTCOME = {"PASSED": "passed", "FAILED": "failed", "ERROR": "error", "XFAIL": "skipped",
           "XPASS": "passed"}
WORSE = ["passed", "skipped", "failed", "error"]


def run_suite(library: Library, tree: Path, python: Path, mode: str,
              tests: list[str] | None = None) -> Run:
    """Run the suite (or only ``tests``, by id) in ``mode``."""
    selection = tests if tests is not None else library.paths
    command = [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA",
               *library.args, *MODES[mode], *selection]
    env = {key: value for key, value in os.environ.items() if not key.startswith("MINILOOP")}
    env["COLUMNS"] = "1000"  # the verdict lines whole
    started = time.monotonic()
    finished = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True,
                              timeout=900)
    seconds = time.monotonic() - started
    summary = SUMMARY.search(finished.stdout)
    counts = None if summary is None else (int(summary[1]), int(summary[2]), int(summary[3]))
    outcomes: dict[str, str] = {}
    messages: dict[str, str] = {}
    for verdict, test, why in VERDICT.findall(finished.stdout):
        outcome = OUTCOME[verdict]
        # A test that passed, then failed in teardown, has two lines: keep the worse.
        if WORSE.index(outcome) >= WORSE.index(outcomes.get(test, "passed")):
            outcomes[test] = outcome
        if why:
            messages[test] = why[:160]
    skipped = re.search(r"(\d+) skipped", finished.stdout.splitlines()[-1] if finished.stdout
                        else "")
    took = re.findall(r" in ([\d.]+)s", finished.stdout)
    session_seconds = float(took[-1]) if took else seconds
    virtual = re.search(r"virtual time skipped ([\d.]+) s", finished.stdout)
    return Run(seconds, session_seconds, finished.returncode, outcomes, messages, counts,
               int(skipped[1]) if skipped else 0, float(virtual[1]) if virtual else 0.0)


def rerun_differences(result: Result, tree: Path, python: Path) -> None:
    """Run again, twice at most, each test whose outcome differs from asyncio's.

    Tests that measure wall time (a rate limit kept to within a few
    milliseconds, say) fail now and then on a busy machine, on asyncio as
    on miniloop. A difference that goes away on a rerun is reported as such.
    """
    base = result.runs["asyncio"]
    for mode in list(MODES)[1:]:
        run = result.runs[mode]
        differing = [test for test, outcome in base.outcomes.items()
                     if (outcome == "passed") != (run.outcomes.get(test) == "passed")
                     and test not in result.flaky]
        for _ in range(2):
            if not differing:
                break
            again = run_suite(result.library, tree, python, mode, differing)
            twice = run_suite(result.library, tree, python, "asyncio", differing)
            for test in differing:
                if again.outcomes.get(test) == twice.outcomes.get(test) == "passed":
                    result.flaky.setdefault(test, set()).add(mode)
            differing = [test for test in differing if test not in result.flaky]


# --- the report -----------------------------------------------------------------------------


def cell(run: Run) -> str:
    text = f"{run.number('passed')} passed"
    failed = run.number("failed") + run.number("error")
    if failed:
        text += f", {failed} failed"
    return f"{text}; {run.session_seconds:.1f} s ({run.seconds:.1f} s)"


def markdown(results: list[Result], python: Path) -> str:
    version = subprocess.run([str(python), "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    lines = [
        "# Real test suites on miniloop",
        "",
        "Written by `scripts/real_suites.py` (run it again to refresh this page). Each",
        "library's own test suite, from its pinned source distribution, run with pytest",
        "as its developers run it (`asyncio`), then with `--miniloop`, with",
        "`--miniloop --miniloop-virtual-time` and with `--miniloop --miniloop-plain`.",
        "Times are wall times: first what pytest says the session took, then (in",
        "brackets) the whole pytest process, start-up included. They come from a",
        "noisy two-core machine: compare them within a row, not across pages.",
        "",
        f"Python {version} on {platform.machine()}, {', '.join(TOOLS)}; "
        f"{datetime.date.today().isoformat()}.",
        "",
        "| suite | how its tests get loops | asyncio | miniloop | virtual time | plain |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        runs = result.runs
        lines.append(f"| {result.library.name} {result.library.version} | "
                     f"{result.library.style} | "
                     + " | ".join(cell(runs[mode]) for mode in MODES) + " |")
    lines += ["", "Which loops the tests ran on, as `--miniloop` counted them "
              "(tests on miniloop / on another loop / with no loop at all):", ""]
    for result in results:
        counts = result.runs["miniloop"].counts
        shown = "no count (the plugin did not report)" if counts is None else \
            f"{counts[0]} / {counts[1]} / {counts[2]}"
        skipped = result.runs["virtual time"].virtual_seconds
        lines.append(f"- {result.library.name}: {shown}; with virtual time, "
                     f"{skipped:.1f} s of sleeping and waiting skipped")
    lines += ["", "## Differences from asyncio", ""]
    any_difference = False
    for result in results:
        for mode in list(MODES)[1:]:
            differences = result.differences(mode)
            if differences:
                any_difference = True
                lines.append(f"- {result.library.name}, {mode}:")
                lines += [f"  - {difference}" for difference in differences]
    if not any_difference:
        lines.append("None: every test that passes on asyncio passes on miniloop, in every mode "
                     "(and none that fails on asyncio passes on miniloop).")
    flaky = [(result.library.name, test) for result in results for test in result.flaky]
    if flaky:
        lines += ["", "Tests that measure wall time (a rate kept to within a few milliseconds), "
                  "failed in one run and passed when run again, on asyncio and on miniloop "
                  "alike; they are not counted as differences:", ""]
        lines += [f"- {name}: `{test}`" for name, test in flaky]
    failing = [(result.library.name, test, result.runs["asyncio"].messages.get(test, ""))
               for result in results
               for test, outcome in result.runs["asyncio"].outcomes.items()
               if outcome in ("failed", "error") and test not in result.flaky]
    if failing:
        lines += ["", "Tests that fail on asyncio too (on this machine), the same way on "
                  "miniloop:", ""]
        known = {test: why for result in results for test, why in result.library.known}
        lines += [f"- {name}: `{test}`: {message}" + (f" ({known[test]})" if test in known else "")
                  for name, test, message in failing]
    notes = [f"- {result.library.name}: {result.library.note} "
             f"(`{' '.join(result.library.args + result.library.paths)}`)"
             for result in results if result.library.note]
    if notes:
        lines += ["", "## What the runs change in the suites' own configuration", "", *notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="library names (default: all; then the doc "
                                                "is rewritten)")
    parser.add_argument("--python", default=sys.executable, help="the Python to test with")
    parser.add_argument("--work", type=Path,
                        default=Path.home() / ".cache" / "miniloop-real-suites",
                        help="where the downloads, sources and environment live")
    args = parser.parse_args(argv)
    unknown = set(args.only) - {library.name for library in LIBRARIES}
    if unknown:
        parser.error(f"no such library: {', '.join(sorted(unknown))}")
    args.work.mkdir(parents=True, exist_ok=True)
    python = environment(args.work, args.python)
    results = []
    for library in LIBRARIES:
        if args.only and library.name not in args.only:
            continue
        print(f"{library.name} {library.version}", flush=True)
        tree = source_tree(library, args.work, python)
        result = Result(library)
        for mode in MODES:
            run = result.runs[mode] = run_suite(library, tree, python, mode)
            print(f"  {mode:<13} {cell(run)}", flush=True)
        rerun_differences(result, tree, python)
        results.append(result)
    page = markdown(results, python)
    if args.only:
        print(page)
    else:
        DOC.write_text(page)
        print(f"written: {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
