"""Run CPython's own asyncio test suite on stock asyncio and on miniloop.

    python tests/cpython/run_cpython_asyncio.py                 # the toolkit modules
    python tests/cpython/run_cpython_asyncio.py test_locks -v   # one module, list failures
    python tests/cpython/run_cpython_asyncio.py --quick --json out.json

CPython ships tests for asyncio in ``test.test_asyncio`` (installed with
every Python). Each module is run in a fresh interpreter once per backend:

    asyncio        stock asyncio, untouched: which tests pass here at all
    miniloop       asyncio's functions and classes on miniloop's loop
    miniloop-api   miniloop's own functions and classes (``asyncio.X`` in the
                   test module means ``miniloop.X`` when miniloop has it), on
                   miniloop's loop, plus twins of the implementation-class
                   tests that test ``miniloop.Future`` and ``miniloop.Task``

(``miniloop_mode.py`` explains how the loops are swapped in.) Tests that are
about asyncio's own implementation are listed, with reasons, in
``exclusions.py``; they run on stock asyncio only.

The report gives, per module and backend, how many tests passed, failed,
were skipped or excluded, and lists every *regression*: a test that passes
on stock asyncio and does not pass on a miniloop backend (a twin is compared
with the stock result of the test it copies). The exit status is 1 when
there is any regression.

A test that runs longer than ``--test-timeout`` seconds is interrupted and
counts as hung; a worker that dies is restarted after the test it died in.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import fnmatch
import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import unittest
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import exclusions  # noqa: E402  (a sibling file, found through sys.path)

BACKENDS = ("asyncio", "miniloop", "miniloop-api")

# The modules that test asyncio's non-IO toolkit. test_eager_task_factory
# exists from 3.12 on, test_staggered from 3.13 on. (test_base_events tests
# asyncio's BaseEventLoop class itself, so it is not among them.)
TOOLKIT_MODULES = (
    "test_futures", "test_futures2", "test_tasks", "test_taskgroups", "test_timeouts",
    "test_waitfor", "test_queues", "test_locks", "test_context", "test_pep492",
    "test_runners", "test_threads", "test_eager_task_factory", "test_staggered",
    "test_events",
)
# Modules of which only some classes are about the toolkit. The rest of
# test_events drives sockets, pipes and subprocesses on loops it builds
# itself (asyncio.SelectorEventLoop): IO, and never a miniloop loop.
TOOLKIT_CLASSES = {
    "test_events": (
        "HandleTests", "TimerTests", "AbstractEventLoopTests", "PolicyTests",
        "TestPyGetEventLoop", "TestCGetEventLoop", "TestServer", "TestAbstractServer",
    ),
}
# Quick enough for every CI run: every toolkit module, minus the few tests
# that spend seconds in the garbage collector or sleeping, and minus the
# test_tasks classes that repeat the same tests for other mixes of asyncio's
# C and Python classes (one C mix, one Python mix and miniloop's twin stay).
QUICK_MODULES = TOOLKIT_MODULES
QUICK_SKIP = (
    "*.test_task_del_collect", "*.test_future_del_collect", "*.test_cancel_gather_2",
    "*.test_taskgroup_23", "CTask_CFuture_SubclassTests.*", "CTaskSubclass_PyFuture_Tests.*",
    "PyTask_CFutureSubclass_Tests.*", "CTask_PyFuture_Tests.*", "PyTask_CFuture_Tests.*",
    "PyTask_PyFuture_SubclassTests.*",
)

PASSING = {"passed", "xfail"}


def available(module: str) -> bool:
    """True if this Python ships ``test.test_asyncio.<module>``."""
    import importlib.util

    return importlib.util.find_spec(f"test.test_asyncio.{module}") is not None


# --- the worker: one module, one backend, one interpreter ---------------------------------


class TestHung(SystemExit):
    """Raised by the per-test alarm. A SystemExit, so that no loop swallows it."""


class Recorder(unittest.TestResult):
    """Writes one JSON line per test as soon as it ends (the parent reads them)."""

    def __init__(self, out: Any, prefix: str, timeout: float) -> None:
        super().__init__()
        self._out = out
        self._prefix = prefix
        self.module = ""
        self._timeout = timeout
        self._outcome: dict[str, tuple[str, str]] = {}
        self._started = 0.0
        self.loops_made = 0
        self._loops_at_start = 0

    def short_id(self, test: unittest.TestCase) -> str:
        test_id = test.id()
        return test_id[len(self._prefix):] if test_id.startswith(self._prefix) else test_id

    def start_module(self, prefix: str) -> None:
        """Test ids of the next module are relative to ``prefix``."""
        self._prefix = prefix
        # unittest remembers the last class and module it set up: a new
        # top-level suite must not tear down the previous module's again.
        self._previousTestClass = None
        self._moduleSetUpFailed = False

    def write(self, record: dict[str, Any]) -> None:
        if "start" not in record and "finished" not in record:
            record = {"baseline": record.get("test"), "detail": "", "seconds": 0.0,
                      "on_miniloop": False, **record}
        self._out.write(json.dumps({"module": self.module, **record}) + "\n")
        self._out.flush()

    def startTest(self, test: unittest.TestCase) -> None:
        super().startTest(test)
        self.write({"start": self.short_id(test)})
        self._started = time.monotonic()
        self._loops_at_start = self.loops_made
        signal.setitimer(signal.ITIMER_REAL, self._timeout)

    def stopTest(self, test: unittest.TestCase) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        super().stopTest(test)
        test_id = self.short_id(test)
        outcome, detail = self._outcome.pop(test_id, ("passed", ""))
        record = {
            "test": test_id,
            "baseline": baseline_id(test, test_id),
            "outcome": outcome,
            "detail": detail,
            "seconds": round(time.monotonic() - self._started, 3),
            "on_miniloop": self.loops_made > self._loops_at_start,
        }
        self.write(record)
        _forget_stuck_loop()

    def _set(self, test: Any, outcome: str, detail: str = "") -> None:
        test_id = self.short_id(test) if isinstance(test, unittest.TestCase) else str(test)
        previous = self._outcome.get(test_id, ("passed", ""))[0]
        if previous == "failed" and outcome != "failed":
            return  # a failed subtest stays a failure
        self._outcome[test_id] = (outcome, detail)
        if not isinstance(test, unittest.TestCase):
            # An error outside any test (setUpClass, tearDownModule...).
            self.write({"test": test_id, "baseline": test_id, "outcome": outcome,
                        "detail": detail, "seconds": 0.0, "on_miniloop": False})

    def addError(self, test: Any, err: Any) -> None:
        super().addError(test, err)
        hung = isinstance(err[1], TestHung)
        self._set(test, "hung" if hung else "failed", _summarise(err))

    def addFailure(self, test: Any, err: Any) -> None:
        super().addFailure(test, err)
        self._set(test, "failed", _summarise(err))

    def addSubTest(self, test: Any, subtest: Any, err: Any) -> None:
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._set(test, "failed", f"{subtest.id()}: {_summarise(err)}")

    def addSkip(self, test: Any, reason: str) -> None:
        super().addSkip(test, reason)
        self._set(test, "skipped", reason)

    def addExpectedFailure(self, test: Any, err: Any) -> None:
        super().addExpectedFailure(test, err)
        self._set(test, "xfail")

    def addUnexpectedSuccess(self, test: Any) -> None:
        super().addUnexpectedSuccess(test)
        self._set(test, "failed", "unexpected success")


def baseline_id(test: unittest.TestCase, test_id: str) -> str:
    """The stock test a twin copies (``Class.test``), or the test itself."""
    original = getattr(type(test), "__cpython_original__", None)
    if original is None:
        return test_id
    return f"{original}.{test_id.split('.', 1)[1]}"


def _summarise(err: Any) -> str:
    lines = traceback.format_exception(*err)
    text = "".join(lines).strip()
    return text[-3000:]


def _forget_stuck_loop() -> None:
    # A hung test leaves its loop registered as running in this thread.
    import asyncio.events

    asyncio.events._set_running_loop(None)


def _on_alarm(signum: int, frame: Any) -> None:
    raise TestHung("test timed out")


def _all_tests(suite: unittest.TestSuite) -> Iterator[unittest.TestCase]:
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _all_tests(item)
        else:
            yield item


def worker(module_names: list[str], backend: str, out_path: str, skip_path: str | None,
           timeout: float, loop_factory: bool, quick: bool) -> None:
    """Run test modules, one after the other, on one backend; results go to ``out_path``."""
    sys.path.insert(0, str(HERE.parent.parent / "src"))
    if backend != "asyncio":
        import miniloop_mode

        miniloop_mode.install(backend, loop_factory=loop_factory)
    skip: set[str] = set()
    if skip_path:
        skip = set(Path(skip_path).read_text().split())
    with open(out_path, "a", buffering=1) as out:
        recorder = Recorder(out, "", timeout)
        if backend != "asyncio":
            _count_miniloop_loops(recorder)
        signal.signal(signal.SIGALRM, _on_alarm)
        for module_name in module_names:
            recorder.module = module_name
            try:
                module = importlib.import_module(f"test.test_asyncio.{module_name}")
            except Exception:
                recorder.write({"test": f"<{module_name} import>", "outcome": "crashed",
                                "detail": traceback.format_exc()[-3000:]})
                continue
            undo = None
            if backend != "asyncio":
                undo = miniloop_mode.adapt_module(module_name, module, backend)
            recorder.start_module(f"{module.__name__}.")
            selected = []
            for test in _all_tests(unittest.defaultTestLoader.loadTestsFromModule(module)):
                test_id = recorder.short_id(test)
                if f"{module_name}::{test_id}" in skip:
                    continue
                classes = TOOLKIT_CLASSES.get(module_name)
                if classes is not None and test_id.split(".")[0] not in classes:
                    continue
                if quick and any(fnmatch.fnmatchcase(test_id, p) for p in QUICK_SKIP):
                    continue
                reason = exclusions.reason_for(module_name, test_id, backend)
                if reason is not None:
                    recorder.write({"test": test_id, "baseline": baseline_id(test, test_id),
                                    "outcome": "excluded", "detail": reason})
                    continue
                selected.append(test)
            with _quiet():
                unittest.TestSuite(selected).run(recorder)
            if undo is not None:
                undo()
        recorder.write({"finished": True})


def _count_miniloop_loops(recorder: Recorder) -> None:
    import miniloop

    original_init = miniloop.Loop.__init__

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        recorder.loops_made += 1
        original_init(self, *args, **kwargs)

    miniloop.Loop.__init__ = counting_init  # type: ignore[method-assign]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    # The tests log and print a lot on purpose; keep the report readable.
    if os.environ.get("CPYTHON_SUITE_VERBOSE"):
        yield
        return
    with open(os.devnull, "w") as devnull:
        saved = os.dup(2)
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


# --- the parent: many workers, one report -----------------------------------------------------


Records = dict[str, dict[str, Any]]  # test id -> what happened to it


def run_group(modules: list[str], backend: str,
              args: argparse.Namespace) -> dict[str, Records]:
    """The records of each of ``modules`` on ``backend``, run in one worker at a time
    (a worker that crashes or hangs is replaced, resuming after the test it died in)."""
    results: dict[str, Records] = {module: {} for module in modules}
    with tempfile.TemporaryDirectory(prefix="cpython-asyncio-") as tmp:
        out_path = os.path.join(tmp, "out.jsonl")
        skip_path = os.path.join(tmp, "skip.txt")
        for _attempt in range(50):
            Path(out_path).write_text("")
            Path(skip_path).write_text("\n".join(
                f"{module}::{test}" for module, records in results.items() for test in records))
            command = [sys.executable, str(Path(__file__).resolve()), "--worker",
                       ",".join(modules), backend, out_path, "--skip-file", skip_path,
                       "--test-timeout", str(args.test_timeout)]
            if args.loop_factory:
                command.append("--loop-factory")
            if args.quick:
                command.append("--quick")
            crashed = ""
            try:
                proc = subprocess.run(command, capture_output=True, text=True,
                                      timeout=args.module_timeout)
                if proc.returncode != 0:
                    crashed = f"worker exited with {proc.returncode}: {proc.stderr[-2000:]}"
            except subprocess.TimeoutExpired:
                crashed = f"worker killed after {args.module_timeout} s"
            started: tuple[str, str] | None = None
            finished = False
            for line in Path(out_path).read_text().splitlines():
                record = json.loads(line)
                if "start" in record:
                    started = (record["module"], record["start"])
                elif record.get("finished"):
                    finished = True
                else:
                    results[record["module"]][record["test"]] = record
                    started = None
            if finished and not crashed:
                return results
            if started is None:  # died outside any test: give up on this group
                for module, records in results.items():
                    records.setdefault(f"<{module} worker>", crash_record(
                        f"<{module} worker>", crashed or "worker stopped early"))
                return results
            module, test = started
            results[module][test] = crash_record(test, crashed)
    return results


def crash_record(test: str, detail: str) -> dict[str, Any]:
    """The record of a test during which the worker died (or hung)."""
    return {"test": test, "baseline": test, "outcome": "crashed", "detail": detail,
            "seconds": 0.0, "on_miniloop": False}


def compare(stock: dict[str, dict[str, Any]], other: dict[str, dict[str, Any]]) -> list[str]:
    """Tests that pass on stock asyncio but do not pass on ``other`` (or never ran)."""
    regressions = []
    for test_id, record in sorted(other.items()):
        if record["outcome"] in PASSING or record["outcome"] == "excluded":
            continue
        baseline = stock.get(record["baseline"])
        if baseline is None or baseline["outcome"] in PASSING:
            regressions.append(test_id)
    for test_id, record in sorted(stock.items()):
        if record["outcome"] in PASSING and test_id not in other:
            regressions.append(f"{test_id} (never ran)")
    return regressions


def counts(records: dict[str, dict[str, Any]]) -> dict[str, int]:
    """How many tests ended in each outcome."""
    tally = Counter(record["outcome"] for record in records.values())
    tally["passed"] += tally.pop("xfail", 0)
    tally["failed"] += tally.pop("hung", 0) + tally.pop("crashed", 0)
    return {key: tally.get(key, 0) for key in ("passed", "failed", "skipped", "excluded")}


def main(argv: list[str] | None = None) -> int:
    """Command line: run the modules, print the report, exit 1 on regressions."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="test modules (default: the toolkit)")
    parser.add_argument("--quick", action="store_true",
                        help="skip the slowest tests and most repeated test classes")
    parser.add_argument("--backends", default=",".join(BACKENDS),
                        help="comma-separated, from: " + ", ".join(BACKENDS))
    parser.add_argument("-j", "--jobs", type=int, default=2, help="workers at once")
    parser.add_argument("--test-timeout", type=float, default=20.0)
    parser.add_argument("--module-timeout", type=float, default=900.0)
    parser.add_argument("--loop-factory", action="store_true",
                        help="3.13+: also set IsolatedAsyncioTestCase.loop_factory")
    parser.add_argument("--json", help="write every test record to this file")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show why each regression failed")
    parser.add_argument("--worker", nargs=3, metavar=("MODULES", "BACKEND", "OUT"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--skip-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        modules, backend, out_path = args.worker
        worker(modules.split(","), backend, out_path, args.skip_file, args.test_timeout,
               args.loop_factory, args.quick)
        return 0

    backends = [b for b in args.backends.split(",") if b]
    if "asyncio" not in backends:
        backends.insert(0, "asyncio")
    modules = args.modules or list(QUICK_MODULES if args.quick else TOOLKIT_MODULES)
    modules = [m for m in modules if available(m)]
    started = time.monotonic()
    # A worker per module keeps modules apart; a quick run shares workers
    # (two per backend), since starting an interpreter costs more than most
    # modules take to run.
    size = (len(modules) + 1) // 2 if args.quick else 1
    groups = [modules[i:i + size] for i in range(0, len(modules), size)]
    results: dict[tuple[str, str], Records] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        backend_of = {pool.submit(run_group, group, backend, args): backend
                      for group in groups for backend in backends}
        for future in concurrent.futures.as_completed(backend_of):
            for module, records in future.result().items():
                results[(module, backend_of[future])] = records

    version = ".".join(map(str, sys.version_info[:3]))
    print(f"CPython {version} test.test_asyncio on {', '.join(backends)}"
          f" ({time.monotonic() - started:.0f} s)")
    header = f"{'module':24}" + "".join(f" | {b + ' p/f/s/x':>25}" for b in backends)
    print(header + " | regressions")
    print("-" * len(header) + "-+------------")
    summary: dict[str, Any] = {"python": version, "modules": {}}
    all_regressions: list[str] = []
    totals = {b: Counter() for b in backends}  # type: ignore[var-annotated]
    for module in modules:
        stock = results[(module, "asyncio")]
        row = f"{module:24}"
        module_summary: dict[str, Any] = {}
        regressions: list[str] = []
        for backend in backends:
            records = results[(module, backend)]
            tally = counts(records)
            totals[backend].update(tally)
            cell = "/".join(str(tally[k]) for k in ("passed", "failed", "skipped", "excluded"))
            row += f" | {cell:>25}"
            found = [] if backend == "asyncio" else compare(stock, records)
            regressions += [f"{module} [{backend}] {t}" for t in found]
            module_summary[backend] = {
                "counts": tally,
                "regressions": found,
                "not_on_miniloop": sorted(
                    t for t, r in records.items()
                    if backend != "asyncio" and r["outcome"] in PASSING and not r["on_miniloop"]),
                "records": records if args.json else None,
            }
        summary["modules"][module] = module_summary
        all_regressions += regressions
        print(f"{row} | {len(regressions)}")
    total_row = f"{'total':24}"
    for backend in backends:
        tally = totals[backend]
        cell = "/".join(str(tally[k]) for k in ("passed", "failed", "skipped", "excluded"))
        total_row += f" | {cell:>25}"
    print(f"{total_row} | {len(all_regressions)}")
    print("(p/f/s/x = passed / failed / skipped / excluded)")
    for backend in backends[1:]:
        passed = totals[backend]["passed"]
        elsewhere = sum(len(summary["modules"][m][backend]["not_on_miniloop"]) for m in modules)
        print(f"{backend}: {passed - elsewhere} of the {passed} passing tests ran on a "
              f"miniloop loop; the other {elsewhere} never make a loop (argument checks, helpers)")
    if all_regressions:
        print(f"\n{len(all_regressions)} test(s) pass on asyncio but not on miniloop:")
        for line in all_regressions:
            print("  " + line)
            if args.verbose:
                module, backend, test = line.split(" ", 2)
                record = results[(module, backend.strip("[]"))][test]
                tail = record["detail"].splitlines()[-12:]
                print("".join(f"      {text}\n" for text in tail), end="")
    summary["regressions"] = all_regressions
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1, default=str))
    return 1 if all_regressions else 0


if __name__ == "__main__":
    sys.exit(main())
