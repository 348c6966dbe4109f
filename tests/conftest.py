"""Shared fixtures: the differential harness, the slow-test switch, and Ctrl-C."""

from __future__ import annotations

import signal

import pytest

from tests.differential.harness import BothBackends


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run tests marked slow (load tests, long property runs)")


def pytest_configure(config: pytest.Config) -> None:
    hear_ctrl_c_even_in_the_background()


def hear_ctrl_c_even_in_the_background() -> None:
    """Give this process python's usual Ctrl-C handler if it started with SIGINT ignored.

    A shell starts a background job (``pytest &``, a CI step's ``nohup``)
    with SIGINT ignored. Python then leaves it ignored, and every child
    python inherits that: tests that check what Ctrl-C does, in this process
    or in a child, would see nothing happen. Putting the handler back makes
    the suite behave the same in the foreground and in the background.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


# Tests that take many seconds each (measured with --durations on 2 cores)
# and have no place in the run a contributor makes after every change: they
# count as marked slow. CI runs them (.ci/run passes --run-slow). A test
# marked in its own file needs no row here.
SLOW_TESTS = {
    "tests/differential/test_property_toolkit.py::"
    "test_random_programs_print_the_same_on_every_backend":
        "30 random programs, each on every backend: 10 s (300 more with --run-slow)",
    "tests/differential/test_property_trees.py::"
    "test_random_task_trees_print_the_same_on_both_backends":
        "30 random task trees on both backends: 9 s (500 run with --run-slow)",
    "tests/differential/test_property_toolkit.py::test_random_programs_on_real_time_everywhere":
        "8 random programs in real time: 4 s idle, 8 s on a busy machine",
    "tests/test_bench_smoke.py::test_every_workload_runs_on_miniloop_and_asyncio":
        "every benchmark workload on every runtime: 6 s",
    "tests/test_bench_smoke.py::test_the_profiler_names_where_time_and_memory_go":
        "a profiled benchmark run: 1.5 s idle, 5 s on a busy machine",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _mark_the_slow_tests(items)
    if config.getoption("--run-slow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


def _mark_the_slow_tests(items: list[pytest.Item]) -> None:
    """Mark the tests of SLOW_TESTS slow; a row that names no test is an error."""
    for item in items:
        if item.nodeid.split("[")[0] in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
    modules = {item.nodeid.split("::")[0]: item.module for item in items
               if isinstance(item, pytest.Function) and item.module is not None}
    for test in SLOW_TESTS:
        path, name = test.split("::")
        if path in modules and not hasattr(modules[path], name):
            raise pytest.UsageError(f"tests/conftest.py: SLOW_TESTS names {test}, "
                                    "which does not exist (renamed?)")


@pytest.fixture
def both_backends() -> BothBackends:
    """Run a program on asyncio and on miniloop and compare transcripts."""
    return BothBackends()
