"""The pytest plugin: an existing asyncio test suite, run on miniloop unchanged.

``pytest --miniloop`` (the options are defined in ``pytest_miniloop.py``,
which registers this plugin only when asked) makes every event loop the
suite asks asyncio for a miniloop loop. Test suites make their loops in
several ways, and each needs its own way in. Where the tool offers a
*loop factory*, we give it ours; only where none exists do we fall back on
an *event loop policy* (deprecated since Python 3.14, and gone once
policies are):

    pytest-asyncio        its ``pytest_asyncio_loop_factories`` hook (1.x
                          versions that have it); the policy otherwise
    IsolatedAsyncioTestCase   its ``loop_factory`` attribute (3.13+), set
                          on each test's instance; the policy before 3.13
    anyio's pytest plugin the policy: its runner takes a ``loop_factory``
                          only from the ``anyio_backend`` fixture's value,
                          which the tests themselves read
    asyncio.run / Runner / new_event_loop in a sync test: the policy

A loop a test builds itself (``asyncio.SelectorEventLoop()``, or with its
own ``loop_factory``) stays what it is: the test asked for it.

Around each test the plugin reads the loop meter (``loopmeter.py``) and
labels the test: it ran on miniloop, on another loop, or on none. The
terminal summary adds them up, so nobody has to take it on faith.

The other options:

    --miniloop-virtual-time   each loop gets a virtual clock (``core/clock.py``);
                              a new clock starts where the latest one got to,
                              so loop time never goes back, from test to test
                              or on a loop shared by a module or a session
    --miniloop-trace-dir DIR  each test is traced (``trace.py``); a failing
                              one leaves its text trace and HTML timeline in
                              DIR, and its failure report names them
    --miniloop-plain          plain loops: the teaching core, no ``fast/``
    --miniloop-explore N      each async test runs under N seeded schedules
                              (``explore.py``); the first that fails it is
                              shrunk, replayed to check that it fails again,
                              and reported with the seed that replays it
    --miniloop-seed S         each async test runs once, under schedule S

Deadlocks need no option: a miniloop loop that would wait for ever raises
``DeadlockError`` in the test instead, and prints its report (captured
with the test's stderr). See ``deadlock.py``.

Read next: ``loopmeter.py``; then ``deadlock.py``, ``trace.py`` and ``explore.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import inspect
import io
import os
import re
import shlex
import unittest
import warnings
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from _pytest.runner import runtestprotocol

from miniloop.assembly import EventLoopPolicy, Loop, plain_requested
from miniloop.core.observer import new_loop_watchers
from miniloop.tools.loopmeter import (
    LoopMeter,
    MeteredRealClock,
    MeteredVirtualClock,
    Reading,
)
from miniloop.tools.virtualclock import virtual_time

# The label each test's teardown report carries (a plain attribute, so it
# also travels from pytest-xdist's workers to the process that reports).
LABEL = "miniloop_loop"
ON_MINILOOP, ON_ANOTHER_LOOP, NO_LOOP = "miniloop", "another loop", "no loop"

# How many tests that ran on another loop the summary names one by one.
NAMED_IN_SUMMARY = 10

# At most this many runs go into shrinking a failing schedule (explore.shrink).
SHRINK_BUDGET = 12


@dataclass
class _Replay:
    """The schedule a test's reported run replays, and what the earlier runs found."""

    seed: str
    schedule: Any = None  # the explore.Schedule, while the run is on
    explored: int = 0  # --miniloop-explore N (0: --miniloop-seed alone)
    passed_before: int = 0  # schedules that passed before the failing one
    found: Any = None  # the explore.Run that failed first (None: none failed)
    expected: list[pytest.TestReport] | None = None  # the reports this run should repeat
    replayed: bool = True  # shrinking's replay of the found seed failed the same way
    difference: str = ""  # how this run differs from the one it replays
    explained: bool = False  # a failure report of this run says all the above
    told_difference: bool = False  # ... including the difference


@dataclass
class _TestRun:
    """What the plugin keeps while one test runs."""

    start: Reading
    trace: Any = None  # a trace.Trace with --miniloop-trace-dir
    called: bool = False  # the test's body ran (it was not skipped in setup)
    trace_files: list[str] = field(default_factory=list)
    replay: _Replay | None = None  # with --miniloop-explore or --miniloop-seed, on async tests
    unexplored: bool = False  # --miniloop-explore, but no loop of the test met a schedule


class MiniloopPlugin:
    """``pytest --miniloop``: one per pytest run (pytester may run several at once)."""

    NAME = "miniloop-plugin"

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.virtual_time: bool = config.getoption("miniloop_virtual_time")
        self.plain: bool = config.getoption("miniloop_plain")
        self.trace_dir: str | None = config.getoption("miniloop_trace_dir")
        if self.trace_dir is not None:
            try:
                os.makedirs(self.trace_dir, exist_ok=True)
            except OSError as error:
                raise pytest.UsageError(
                    f"--miniloop-trace-dir: cannot make {self.trace_dir!r}: {error}") from None
        self.explore_runs: int | None = config.getoption("miniloop_explore")
        self.seed: str | None = config.getoption("miniloop_seed")
        if self.explore_runs is not None and self.seed is not None:
            raise pytest.UsageError("--miniloop-explore runs many schedules and --miniloop-seed "
                                    "replays one: give only one of them")
        if self.seed is not None:
            _check_seed(self.seed)
        self.meter = LoopMeter()
        self.tests: dict[str, list[str]] = {ON_MINILOOP: [], ON_ANOTHER_LOOP: [], NO_LOOP: []}
        self.jumps_past_io: dict[str, int] = {}
        self.traced_failures: list[str] = []
        self.virtual_seconds = 0.0
        self.unexplored: list[str] = []  # async tests whose loop no schedule reached
        self._run: _TestRun | None = None
        self._schedule: Any = None  # the explore.Schedule of the run going on, if any
        self._previous_policy: Any = None

    # --- the loops we hand out ------------------------------------------------------------

    def new_loop(self) -> Any:
        """The loop factory: a miniloop loop, with a metered real or virtual clock.

        Under a schedule the loop gets no clock from us: ``explore.seeded``
        has made the schedule's clock the one a loop made without a clock gets.
        """
        plain = True if self.plain else None
        if self._schedule is not None:
            return Loop(plain=plain)
        clock = (MeteredVirtualClock(self.meter) if self.virtual_time
                 else MeteredRealClock(self.meter))
        return Loop(clock=clock, plain=plain)

    def describe_loops(self) -> str:
        """``plain loop, virtual time``: what kind of loop the tests get."""
        kind = "plain loop" if self.plain or plain_requested() else "fast loop"
        text = f"{kind}, {'virtual' if self.virtual_time else 'real'} time"
        if self.explore_runs is not None:
            text += f", async tests under {self.explore_runs} schedules each on virtual time"
        elif self.seed is not None:
            text += f", async tests under schedule {self.seed} on virtual time"
        return text

    # --- set up and tear down ---------------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        self.meter.start()
        new_loop_watchers.insert(0, self._loop_made)
        self._install_policy()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self._restore_policy()
        if self._loop_made in new_loop_watchers:
            new_loop_watchers.remove(self._loop_made)
        self.meter.stop()

    def _install_policy(self) -> None:
        # Only for what offers no loop factory (see the module's docstring).
        # Python 3.14 deprecates policies: hence the silenced warning; once
        # they are gone, those ways of making loops stay asyncio's.
        if not hasattr(asyncio, "set_event_loop_policy"):
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            self._previous_policy = asyncio.get_event_loop_policy()
            asyncio.set_event_loop_policy(_Policy(self.new_loop))

    def _restore_policy(self) -> None:
        if self._previous_policy is None:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            asyncio.set_event_loop_policy(self._previous_policy)
        self._previous_policy = None

    def _loop_made(self, loop: Any) -> None:
        self.meter.miniloop_loop_made(loop)
        if self._run is not None and self._run.trace is not None:
            self._run.trace.attach(loop)

    # --- the ways in --------------------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True, wrapper=True)
    def pytest_asyncio_loop_factories(
            self, config: pytest.Config, item: pytest.Item,
    ) -> Generator[None, Mapping[str, Callable[[], Any]] | None,
                   Mapping[str, Callable[[], Any]]]:
        """pytest-asyncio's hook: every loop factory it knows makes miniloop loops.

        A suite that names its own factories keeps their names (and so its
        test ids), each now making a miniloop loop.
        """
        theirs = yield
        if not theirs:
            return {"miniloop": self.new_loop}
        return dict.fromkeys(theirs, self.new_loop)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        """An IsolatedAsyncioTestCase (3.13+) that chose no loop factory gets ours."""
        instance = getattr(item, "instance", None)
        if (isinstance(instance, unittest.IsolatedAsyncioTestCase)
                and hasattr(type(instance), "loop_factory")
                and getattr(instance, "loop_factory", None) is None):
            instance.loop_factory = self.new_loop  # type: ignore[attr-defined]

    # --- around each test -------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item,
                                nextitem: pytest.Item | None) -> Generator[None, object, object]:
        """Read the meter before and after; trace the test; give it virtual time or a schedule.

        With ``--miniloop-explore`` an async test first runs, unreported,
        under the schedules to explore (``_explore``); the run pytest then
        reports replays the schedule that failed it, or the plain one.
        """
        replay: _Replay | None = None
        unexplored = False
        if (self.explore_runs is not None or self.seed is not None) and is_async_test(item):
            if self.explore_runs is not None:
                replay, unexplored = self._explore(item, self.explore_runs)
            elif self.seed is not None:
                replay = _Replay(self.seed)
        with contextlib.ExitStack() as stack:
            if replay is not None:
                replay.schedule = stack.enter_context(self._seeded(replay.seed))
            self._run = _TestRun(self.meter.reading(), replay=replay, unexplored=unexplored)
            if self.virtual_time and replay is None:
                # Loops made with miniloop.Loop() or miniloop.run(), not through us.
                stack.enter_context(virtual_time(self.meter.virtual_start()))
            if self.trace_dir is not None:
                self._start_trace(stack)
            try:
                return (yield)
            finally:
                self._run = None

    def _start_trace(self, stack: contextlib.ExitStack) -> None:
        from miniloop.tools.trace import Trace

        assert self._run is not None
        trace = self._run.trace = Trace()
        stack.callback(trace.detach_all)
        # Loops made before this test (a module's or session's) are traced too.
        for loop in list(self.meter.loops):
            if not loop.is_closed():
                trace.attach(loop)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
        """Name the trace files in a failure's report; label the test at its teardown."""
        report = yield
        run = self._run
        if run is None:
            return report
        if call.when == "call":
            run.called = True
        if run.replay is not None:
            _compare_with_expected(run.replay, report)
        if report.failed:
            self._explain_failure(item, run, report)
            if run.replay is not None:
                self._explain_schedule(item, run, run.replay, report)
        if call.when == "teardown":
            used = self.meter.reading() - run.start
            setattr(report, LABEL, self._label(item, run, used))
            if used.jumps_past_io:
                report.miniloop_jumps_past_io = used.jumps_past_io
            if used.virtual_seconds:
                report.miniloop_virtual_seconds = used.virtual_seconds
            if run.trace_files:
                report.miniloop_traced = True
            if run.unexplored:
                report.miniloop_unexplored = True
        return report

    def _label(self, item: pytest.Item, run: _TestRun, used: Reading) -> str:
        on_miniloop = used.turns > 0 or used.miniloop_loops > 0
        if used.stock_loops:
            return ON_ANOTHER_LOOP
        if on_miniloop:
            return ON_MINILOOP
        # An async test whose body ran must have run on some loop: not ours.
        is_async = inspect.iscoroutinefunction(getattr(item, "obj", None))
        return ON_ANOTHER_LOOP if is_async and run.called else NO_LOOP

    def _explain_failure(self, item: pytest.Item, run: _TestRun, report: pytest.TestReport) -> None:
        used = self.meter.reading() - run.start
        if used.jumps_past_io:
            report.sections.append(("miniloop virtual time", (
                f"The virtual clock jumped to a timer {used.jumps_past_io} time(s) while the "
                "loop was watching a socket or pipe: a peer that needs real time to answer "
                "sees the timer fire first.")))
        if run.trace is not None and run.trace.events:
            run.trace_files = self._write_trace(item.nodeid, run.trace)
            html_file, text_file = run.trace_files
            report.sections.append(("miniloop trace", (
                f"timeline of this test's loops: {html_file}\n"
                f"text trace: {text_file}")))

    def _write_trace(self, nodeid: str, trace: Any) -> list[str]:
        from miniloop.tools.html import render_html
        from miniloop.tools.textlog import render_log
        from miniloop.tools.timeline import render_timeline

        assert self.trace_dir is not None
        stem = os.path.join(self.trace_dir, file_stem(nodeid))
        html_file, text_file = stem + ".html", stem + ".txt"
        with open(html_file, "w", encoding="utf-8") as page:
            page.write(render_html(trace.events, f"miniloop trace of {nodeid}"))
        with open(text_file, "w", encoding="utf-8") as text:
            text.write(render_log(trace.events) + "\n" + render_timeline(trace.events))
        return [html_file, text_file]

    # --- schedules ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _seeded(self, seed: str) -> Iterator[Any]:
        """``explore.seeded``, with our loops on its clock, and without its listing on stderr.

        ``seeded`` lists what the schedule changed on stderr as it ends; a
        test's failure report lists that itself, and thirty runs' lists
        would bury pytest's output.
        """
        from miniloop.tools import explore

        managed = explore.seeded(seed)
        self._schedule = schedule = managed.__enter__()
        try:
            yield schedule
        except BaseException as error:
            self._schedule = None
            with contextlib.redirect_stderr(io.StringIO()):
                if not managed.__exit__(type(error), error, error.__traceback__):
                    raise
        else:
            self._schedule = None
            with contextlib.redirect_stderr(io.StringIO()):
                managed.__exit__(None, None, None)

    def _explore(self, item: pytest.Item, count: int) -> tuple[_Replay | None, bool]:
        """Run the test unreported under ``count`` schedules; what the reported run replays.

        Seed 0 (plain virtual time) goes first, and its decisions choose the
        other seeds, as on the command line. The first schedule that fails
        the test is shrunk (which replays it once: the check that it fails
        the same way again), and the reported run replays what is left; if
        none fails, the reported run replays the plain schedule.

        No replay (None) for a test that passed without its body running
        (skipped), nor for one whose body ran on no loop that took the
        schedule (a loop a module or the session shares was made before):
        nothing to explore, and the test runs as usual. The second value
        says the latter.
        """
        from miniloop.tools import explore

        trials = _ScheduleTrials(self, item)
        plain = trials.run("0")
        seeds = ["0", *(explore.seed_text(seed)
                        for seed in explore.seeds_for(count - 1, plain.counts))]
        for passed, seed in enumerate(seeds):
            found = plain if seed == "0" else trials.run(seed)
            if found.status == 0 and not sum(found.counts.values()):
                # No loop took this schedule's decisions: the body did not run,
                # or its loop was made before (a module's, the session's, or one
                # made in an earlier run and kept).
                body_ran = any(report.when == "call" for report in trials.reports_of(found))
                return None, body_ran
            if found.status == 0:
                continue
            shown, replayed = found, True
            if found.applied:
                # shrink only calls run and run_all, which _ScheduleTrials has.
                runner: Any = trials
                shown, replayed = explore.shrink(runner, found, budget=SHRINK_BUDGET)
            else:  # the plain schedule: nothing to shrink, but check the replay
                replayed = trials.run(seed).outcome == found.outcome
            return _Replay(shown.seed, explored=count, passed_before=passed, found=found,
                           expected=trials.reports_of(shown), replayed=replayed), False
        return _Replay("0", explored=count, expected=trials.reports_of(plain)), False

    def _explain_schedule(self, item: pytest.Item, run: _TestRun, replay: _Replay,
                          report: pytest.TestReport) -> None:
        if replay.explained:
            if replay.difference and not replay.told_difference:
                replay.told_difference = True
                report.sections.append(("miniloop schedule", _escaped(replay)))
            return
        replay.explained = True
        options = "pytest --miniloop" + (" --miniloop-plain" if self.plain else "")
        command = f"{options} --miniloop-seed {replay.seed} {shlex.quote(item.nodeid)}"
        lines = []
        if replay.found is not None and replay.found.seed == "0":
            lines.append(f"failed under the plain schedule, seed 0 (virtual time, nothing "
                         f"perturbed), the first of --miniloop-explore {replay.explored}")
        elif replay.found is not None:
            lines.append(f"failed under schedule {replay.found.seed}, after "
                         f"{_schedules(replay.passed_before)} passed (of "
                         f"--miniloop-explore {replay.explored}; the first, seed 0, is plain "
                         "virtual time)")
            kept = _perturbations(replay.seed)
            if ":" in replay.seed and kept < len(replay.found.applied):
                lines.append(f"shrunk to {replay.seed}: {kept} of the "
                             f"{len(replay.found.applied)} perturbations that schedule made")
        elif replay.explored:
            lines.append(f"passed under {_schedules(replay.explored)} "
                         "(--miniloop-explore), then failed when the plain one was replayed")
        else:
            lines.append(f"ran under schedule {replay.seed} (--miniloop-seed)")
        lines.append(f"replay: {command}")
        applied = replay.schedule.applied if replay.schedule is not None else []
        if applied:
            lines.append("what the schedule changed, in this run:")
            lines.extend(f"  decision {change.index}: {change.text}" for change in applied)
        if run.trace_files:
            lines.append(f"timeline of this run: {run.trace_files[0]}")
        if replay.found is not None and replay.replayed and not replay.difference:
            lines.append("the schedule was replayed before this run, and failed the same way: "
                         "the seed reproduces the failure")
        if replay.difference or not replay.replayed:
            replay.told_difference = bool(replay.difference)
            lines.append(_escaped(replay))
        report.sections.append(("miniloop schedule", "\n".join(lines)))

    # --- the counts -------------------------------------------------------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Count each test once, by its teardown report's label (xdist's workers' too)."""
        label = getattr(report, LABEL, None)
        if report.when != "teardown" or label not in self.tests:
            return
        self.tests[label].append(report.nodeid)
        jumps = getattr(report, "miniloop_jumps_past_io", 0)
        if jumps:
            self.jumps_past_io[report.nodeid] = jumps
        self.virtual_seconds += getattr(report, "miniloop_virtual_seconds", 0.0)
        if self.trace_dir is not None and _failed_somewhere(report):
            self.traced_failures.append(report.nodeid)
        if getattr(report, "miniloop_unexplored", False):
            self.unexplored.append(report.nodeid)

    def pytest_report_header(self, config: pytest.Config) -> str:
        return f"miniloop: every asyncio event loop is a miniloop loop ({self.describe_loops()})"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """``miniloop: 12 tests ran on miniloop, 1 on another loop, 30 on none``, and details."""
        for line in self.summary_lines():
            terminalreporter.write_line(line)

    def summary_lines(self) -> list[str]:
        """The lines the terminal summary shows."""
        counts = {label: len(tests) for label, tests in self.tests.items()}
        lines = [f"miniloop: {_tests(counts[ON_MINILOOP])} ran on miniloop "
                 f"({self.describe_loops()}), {counts[ON_ANOTHER_LOOP]} on another loop, "
                 f"{counts[NO_LOOP]} used no event loop"]
        others = self.tests[ON_ANOTHER_LOOP]
        for nodeid in others[:NAMED_IN_SUMMARY]:
            lines.append(f"miniloop:   on another loop: {nodeid}")
        if len(others) > NAMED_IN_SUMMARY:
            lines.append(f"miniloop:   ... and {len(others) - NAMED_IN_SUMMARY} more")
        if self.virtual_time:
            lines.append(f"miniloop: virtual time skipped {self.virtual_seconds:.1f} s of "
                         "sleeping and waiting")
        if self.jumps_past_io:
            total = sum(self.jumps_past_io.values())
            lines.append(f"miniloop: virtual time jumped past watched sockets or pipes "
                         f"{total} time(s), in {_tests(len(self.jumps_past_io))}: "
                         + ", ".join(list(self.jumps_past_io)[:NAMED_IN_SUMMARY]))
        if self.traced_failures:
            lines.append(f"miniloop: traces of {_tests(len(self.traced_failures))} that failed "
                         f"are in {self.trace_dir}")
        if self.unexplored:
            lines.append(f"miniloop: {_tests(len(self.unexplored))} not explored: their loop "
                         "is shared by a module or the session, made before them: "
                         + ", ".join(self.unexplored[:NAMED_IN_SUMMARY]))
        return lines


class _Policy(EventLoopPolicy):
    """asyncio's default policy, making its new loops with the plugin's factory."""

    def __init__(self, new_loop: Callable[[], Any]) -> None:
        super().__init__()
        self._new_loop = new_loop

    def new_event_loop(self) -> Any:
        """A loop from the plugin's factory."""
        return self._new_loop()


class _ScheduleTrials:
    """Runs one test under one schedule at a time, unreported (``explore.shrink``'s runner).

    Each run is a whole run of pytest's protocol, setup to teardown, not a
    second call of the test function: a function's fixtures are made anew
    each time, so a loop a fixture makes (pytest-asyncio's own, for one)
    is made under the schedule, and state one run leaves in a fixture
    cannot fail the next. Only the function's own fixtures are torn down
    in between (teardown is told the next test shares every collector
    with this one), so a module's or the session's fixtures live on, as
    they would for the next test.
    """

    def __init__(self, plugin: MiniloopPlugin, item: pytest.Item) -> None:
        self.plugin = plugin
        self.item = item
        self.runs: list[tuple[Any, list[pytest.TestReport]]] = []  # (explore.Run, its reports)
        # Teardown tears down what the next test does not share with this
        # one, and reads of that next test only its chain of collectors: the
        # item's parent stands for a next test of the same class or module.
        parent: Any = item.parent
        self.next_beside = parent

    def run(self, seed: str) -> Any:
        """Run the test under ``seed``; its outcome as an ``explore.Run``."""
        from miniloop.tools import explore

        with self.plugin._seeded(seed) as schedule:
            reports = runtestprotocol(self.item, log=False, nextitem=self.next_beside)
        # Captured output accumulates on the item; the reported run keeps only its own.
        self.item._report_sections.clear()
        status = 1 if any(report.failed for report in reports) else 0
        run = explore.Run(seed, _outcome_text(reports), status, "", dict(schedule.counts),
                          [dataclasses.asdict(change) for change in schedule.applied])
        self.runs.append((run, reports))
        return run

    def reports_of(self, run: Any) -> list[pytest.TestReport]:
        """The reports of one of the runs made (a seed may have run more than once)."""
        return next(reports for made, reports in self.runs if made is run)

    def run_all(self, seeds: Sequence[str]) -> list[Any]:
        """Run the test under each seed, one after the other (they share this process)."""
        return [self.run(seed) for seed in seeds]


def is_async_test(item: pytest.Item) -> bool:
    """A test whose body runs on an event loop: an ``async def`` test, or an async unittest."""
    if inspect.iscoroutinefunction(getattr(item, "obj", None)):
        return True
    return isinstance(getattr(item, "instance", None), unittest.IsolatedAsyncioTestCase)


def _check_seed(seed: str) -> None:
    from miniloop.tools import explore

    try:
        explore.parse_seed(seed)
    except explore.ScheduleError:
        raise pytest.UsageError(
            f"--miniloop-seed {seed!r}: a seed is a number 0 or more, optionally followed by "
            ":decision,decision,... (as --miniloop-explore reports it, e.g. 41 or 41:3,17)"
        ) from None


def _outcome_text(reports: Sequence[pytest.TestReport]) -> str:
    """``setup passed; call failed: AssertionError: ...``: what two runs compare."""
    return "; ".join(f"{report.when} {_phase_outcome(report)}" for report in reports)


def _phase_outcome(report: pytest.TestReport) -> str:
    if report.passed:
        return "passed"
    crash = getattr(report.longrepr, "reprcrash", None)
    message = crash.message if crash is not None else str(report.longrepr).strip()
    # Addresses and task numbers differ from run to run in one process, whatever the schedule.
    message = re.sub(r"0x[0-9a-fA-F]+", "0x...", message)
    message = re.sub(r"\bTask-\d+", "Task-N", message)
    return f"{report.outcome}: {message.splitlines()[0] if message else ''}"


def _compare_with_expected(replay: _Replay, report: pytest.TestReport) -> None:
    """Compare a phase of the reported run with the run it replays; keep the failure."""
    if replay.expected is None:
        return
    expected = next((earlier for earlier in replay.expected if earlier.when == report.when), None)
    if expected is None:
        return
    then, now = _phase_outcome(expected), _phase_outcome(report)
    if then != now and not replay.difference:
        replay.difference = f"{report.when}: {then} (the first time), {now} (this time)"
    if expected.failed and not report.failed:
        # The schedule failed the test once: the test failed, whatever the replay says.
        report.outcome = expected.outcome
        report.longrepr = expected.longrepr


def _escaped(replay: _Replay) -> str:
    what = (replay.difference if replay.difference
            else "shrinking's replay of the failing seed gave another result")
    return (f"the same schedule gave another result when replayed ({what}): the test escapes "
            "the loop's control (threads of its own, real network, real time, random "
            "numbers), so the seed may not reproduce the failure")


def _schedules(count: int) -> str:
    return f"{count} schedule{'s' if count != 1 else ''}"


def _perturbations(seed: str) -> int:
    """How many perturbations a shrunk seed keeps (``41:3,17``: 2)."""
    return len([index for index in seed.partition(":")[2].split(",") if index])


def file_stem(nodeid: str) -> str:
    """``tests_test_x.py__test_y_1_``: a test id as a file name (long ones shortened)."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.replace("::", "__")).strip("_.")
    if len(stem) > 150:
        digest = hashlib.sha1(nodeid.encode()).hexdigest()[:10]
        stem = f"{stem[:130]}_{digest}"
    return stem or "test"


def _tests(count: int) -> str:
    return f"{count} test{'s' if count != 1 else ''}"


def _failed_somewhere(report: pytest.TestReport) -> bool:
    # A teardown report does not say whether setup or call failed; the
    # plugin notes on it that a failure left a trace (pytest_runtest_makereport).
    return bool(getattr(report, "miniloop_traced", False))

