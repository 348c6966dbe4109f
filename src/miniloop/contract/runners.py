"""run and Runner as asyncio's: Ctrl-C, async generators, the thread pool.

The core's ``Runner`` cancels leftover tasks and closes the loop. asyncio's
does three things more, and so does this one:

* while the main task runs, the first Ctrl-C cancels it (``interrupts.py``)
  and ``run`` then raises ``KeyboardInterrupt``;
* on the way out it closes async generators left half-way and stops the
  loop's thread pool (with a deadline, from 3.12);
* while it runs, its loop is also the thread's "current" loop, for code
  that asks ``asyncio.get_event_loop()``.

Read next: ``../assembly.py``, where the layers become ``miniloop.Loop``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from miniloop.contract import versions
from miniloop.contract.interrupts import CancelOnInterrupt
from miniloop.core import runners
from miniloop.core.events import CancelledError

T = TypeVar("T")

# How long Runner.close gives the default thread pool to finish (3.12+).
THREAD_JOIN_TIMEOUT = 300.0


class Runner(CancelOnInterrupt, runners.Runner):
    """Run coroutines on one loop, then clean up everything, like asyncio.Runner."""

    _set_event_loop = False

    def __init__(self, *, debug: bool | None = None,
                 loop_factory: Callable[[], Any] | None = None, clock: Any = None) -> None:
        super().__init__(loop_factory=loop_factory, clock=clock)
        self._debug = debug

    def _run_main_task(self, task: Any) -> Any:
        sigint_handler = self._install_sigint_handler(task)  # Ctrl-C: see interrupts.py
        try:
            return super()._run_main_task(task)
        except CancelledError:
            if self._interrupted(task):
                raise KeyboardInterrupt()  # chained to the cancellation, as asyncio
            raise
        finally:
            self._restore_sigint_handler(sigint_handler)

    def _clean_up(self, loop: Any) -> None:
        try:
            super()._clean_up(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            if versions.EXECUTOR_SHUTDOWN_HAS_TIMEOUT:
                loop.run_until_complete(loop.shutdown_default_executor(THREAD_JOIN_TIMEOUT))
            else:
                loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            if self._set_event_loop:
                _set_asyncio_event_loop(None)

    def _new_loop(self) -> Any:
        loop = super()._new_loop()
        if self._loop_factory is None:
            # Like asyncio.run: while it runs, the new loop is also the
            # thread's "current" loop for code that asks get_event_loop().
            self._set_event_loop = _set_asyncio_event_loop(loop)
        if self._debug is not None:
            loop.set_debug(self._debug)
        return loop


def _set_asyncio_event_loop(loop: Any) -> bool:
    # asyncio contract: asyncio's policy holds the thread's current loop;
    # it accepts only AbstractEventLoop instances (miniloop.Loop is one).
    try:
        asyncio.set_event_loop(loop)
    except (TypeError, AssertionError):
        return False
    return True


def run(main: Coroutine[Any, Any, T], *, debug: bool | None = None,
        loop_factory: Callable[[], Any] | None = None, clock: Any = None) -> T:
    """Run ``main`` on a new loop, clean up, close the loop; return main's result."""
    runner_class = Runner if debug is None else functools.partial(Runner, debug=debug)
    return runners.run(main, loop_factory=loop_factory, clock=clock, runner_class=runner_class)
