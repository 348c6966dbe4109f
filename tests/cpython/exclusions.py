"""Which of CPython's asyncio tests are not about a third-party loop, and why.

``run_cpython_asyncio.py`` reads this file. A test listed here is still run
on stock asyncio (so the report shows how it fares there), but it is not run
on miniloop, and it never counts as a regression. Every entry gives its
reason; an exclusion without a reason that holds up is a bug in this file.

Patterns are ``fnmatch`` patterns over ``Class.test_name`` inside a module.
``versions`` limits an entry to some Python versions ("3.12" means 3.12.x);
``backends`` to some of the miniloop backends (default: all of them).
"""

from __future__ import annotations

import fnmatch
import sys
from dataclasses import dataclass

MINILOOP_BACKENDS = ("miniloop", "miniloop-api")


@dataclass(frozen=True)
class Exclusion:
    """Tests (``module`` + ``pattern``) that are not run on miniloop, and why."""

    module: str
    pattern: str
    reason: str
    versions: tuple[str, ...] = ()
    backends: tuple[str, ...] = MINILOOP_BACKENDS

    def applies(self, module: str, test: str, backend: str) -> bool:
        """True if this entry excludes ``test`` of ``module`` on ``backend`` here."""
        if module != self.module or backend not in self.backends:
            return False
        if self.versions and "{}.{}".format(*sys.version_info[:2]) not in self.versions:
            return False
        return fnmatch.fnmatchcase(test, self.pattern)


# Reasons shared by several entries.
_CREATE_FUTURE_CLASS = (
    "asserts that the future is an instance of asyncio.Future; on a third-party "
    "loop, gather's outer future comes from loop.create_future(), which makes the "
    "loop's own future class (miniloop.Future: a duck-typed future, "
    "asyncio.isfuture() is true for it)")
_PATCHES_BASE_EVENT_LOOP = (
    "patches a method of asyncio.base_events.BaseEventLoop, asyncio's own loop "
    "class, which miniloop's loop does not inherit from")
_PATCHES_IS_DEBUG_MODE = (
    "patches asyncio.coroutines._is_debug_mode, the private function asyncio's own "
    "loop calls for its default debug setting; miniloop's loop computes the same "
    "setting (-X dev, PYTHONASYNCIODEBUG) itself (tests/test_loop.py pins it)")
_SLOTTED_FUTURE = (
    "creates a Future with __new__ and skips __init__, to check that asyncio's C "
    "future does not crash; miniloop's Future keeps its state in __slots__, so the "
    "methods raise AttributeError instead of InvalidStateError (nothing can crash)")
_TASK_USES_CALL_SOON = (
    "replaces loop.call_soon to make a task's first scheduling fail; a miniloop "
    "Task schedules its steps by putting itself on the loop's ready queue (it is its "
    "own ready-queue entry, see tasks.py), not through call_soon")

_MOCK_LOOP_DEBUG = (
    "builds a Handle on a Mock loop that only stubs get_debug(); miniloop's Handle "
    "reads the loop's _debug attribute instead (one method call less per callback), "
    "which on a Mock is a truthy Mock, so the repr gains a 'created at'")

EXCLUSIONS: list[Exclusion] = [
    Exclusion("test_tasks", "FutureGatherTests.test_constructor_empty_sequence_use_*",
              _CREATE_FUTURE_CLASS),
    Exclusion("test_tasks", "CoroutineGatherTests.test_issue46672", _PATCHES_BASE_EVENT_LOOP),
    Exclusion("test_runners", "RunTests.test_asyncio_run_debug", _PATCHES_IS_DEBUG_MODE),
    # Twins (miniloop-api only): CPython's implementation-class tests, pointed
    # at miniloop.Future and miniloop.Task.
    Exclusion("test_futures", "MiniloopFutureTests.test_uninitialized", _SLOTTED_FUTURE,
              backends=("miniloop-api",)),
    Exclusion("test_tasks", "MiniloopTask_MiniloopFuture_Tests.test_error_in_call_soon",
              _TASK_USES_CALL_SOON, backends=("miniloop-api",)),
    # miniloop-api: asyncio.Handle / asyncio.TimerHandle are miniloop's.
    Exclusion("test_events", "HandleTests.test_handle_repr", _MOCK_LOOP_DEBUG,
              backends=("miniloop-api",)),
    Exclusion("test_events", "TimerTests.test_timer_repr", _MOCK_LOOP_DEBUG,
              backends=("miniloop-api",)),
]


def reason_for(module: str, test: str, backend: str) -> str | None:
    """The reason ``test`` is excluded on ``backend``, or None if it is not."""
    for entry in EXCLUSIONS:
        if entry.applies(module, test, backend):
            return entry.reason
    return None
