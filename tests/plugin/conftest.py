"""Running small test suites under ``pytest --miniloop`` (with pytester), and reading the counts."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

import pytest

SUMMARY = re.compile(r"miniloop: (\d+) tests? ran on miniloop \(([^)]*)\), (\d+) on another loop, "
                     r"(\d+) used no event loop")

# Plugins the suites here do not need: hypothesis's alone costs a second a run.
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


@dataclass
class SuiteRun:
    """One pytest run of a suite: its result, and the plugin's counts (None without them)."""

    result: pytest.RunResult
    on_miniloop: int | None
    on_another_loop: int | None
    no_loop: int | None
    loops: str  # "fast loop, real time"

    @property
    def output(self) -> str:
        return self.result.stdout.str()

    def outcomes(self) -> dict[str, int]:
        return self.result.parseoutcomes()


class Suite:
    """A directory of test files, run with pytest in this process (or a child)."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        # A suite of today's pytest-asyncio sets this; unset, it warns at every run.
        pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")

    def write(self, **files: str) -> None:
        """``write(test_x="...")``: the test files (or conftest), dedented."""
        self.pytester.makepyfile(**{name: textwrap.dedent(text) for name, text in files.items()})

    def pytest(self, *args: str) -> pytest.RunResult:
        """Run pytest in this process, and only that (for --help and usage errors)."""
        return self.pytester.runpytest_inprocess(*QUIET, *args)

    def run(self, *args: str, subprocess: bool = False, timeout: float = 120) -> SuiteRun:
        """Run pytest on the suite; ``subprocess`` for what must not share this process."""
        if subprocess:
            result = self.pytester.runpytest_subprocess(*QUIET, *args,
                                                        timeout=timeout)
        else:
            result = self.pytester.runpytest_inprocess(*QUIET, *args)
        found = SUMMARY.search(result.stdout.str())
        if found is None:
            return SuiteRun(result, None, None, None, "")
        miniloop, loops, another, none = found.groups()
        return SuiteRun(result, int(miniloop), int(another), int(none), loops)


@pytest.fixture
def suite(pytester: pytest.Pytester) -> Suite:
    """A test suite to write and run under pytest (and ``--miniloop``)."""
    return Suite(pytester)
