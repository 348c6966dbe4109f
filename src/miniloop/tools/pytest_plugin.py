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

Deadlocks need no option: a miniloop loop that would wait for ever raises
``DeadlockError`` in the test instead, and prints its report (captured
with the test's stderr). See ``deadlock.py``.

Read next: ``loopmeter.py``; then ``deadlock.py`` and ``trace.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import os
import re
import unittest
import warnings
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

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


@dataclass
class _TestRun:
    """What the plugin keeps while one test runs."""

    start: Reading
    trace: Any = None  # a trace.Trace with --miniloop-trace-dir
    called: bool = False  # the test's body ran (it was not skipped in setup)
    trace_files: list[str] = field(default_factory=list)


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
        self.meter = LoopMeter()
        self.tests: dict[str, list[str]] = {ON_MINILOOP: [], ON_ANOTHER_LOOP: [], NO_LOOP: []}
        self.jumps_past_io: dict[str, int] = {}
        self.traced_failures: list[str] = []
        self.virtual_seconds = 0.0
        self._run: _TestRun | None = None
        self._previous_policy: Any = None

    # --- the loops we hand out ------------------------------------------------------------

    def new_loop(self) -> Any:
        """The loop factory: a miniloop loop, with a metered real or virtual clock."""
        clock = (MeteredVirtualClock(self.meter) if self.virtual_time
                 else MeteredRealClock(self.meter))
        return Loop(clock=clock, plain=True if self.plain else None)

    def describe_loops(self) -> str:
        """``plain loop, virtual time``: what kind of loop the tests get."""
        kind = "plain loop" if self.plain or plain_requested() else "fast loop"
        return f"{kind}, {'virtual' if self.virtual_time else 'real'} time"

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
        """Read the meter before and after; trace the test; give it virtual time."""
        with contextlib.ExitStack() as stack:
            self._run = _TestRun(self.meter.reading())
            if self.virtual_time:
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
        if report.failed:
            self._explain_failure(item, run, report)
        if call.when == "teardown":
            used = self.meter.reading() - run.start
            setattr(report, LABEL, self._label(item, run, used))
            if used.jumps_past_io:
                report.miniloop_jumps_past_io = used.jumps_past_io
            if used.virtual_seconds:
                report.miniloop_virtual_seconds = used.virtual_seconds
            if run.trace_files:
                report.miniloop_traced = True
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
        return lines


class _Policy(EventLoopPolicy):
    """asyncio's default policy, making its new loops with the plugin's factory."""

    def __init__(self, new_loop: Callable[[], Any]) -> None:
        super().__init__()
        self._new_loop = new_loop

    def new_event_loop(self) -> Any:
        """A loop from the plugin's factory."""
        return self._new_loop()


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

