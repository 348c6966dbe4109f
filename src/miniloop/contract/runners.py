"""run and Runner as asyncio's: Ctrl-C, async generators, the thread pool.

The core's ``run`` (``core/runners.py``) makes a loop, runs the main task,
cancels leftover tasks and closes the loop. asyncio's ``Runner`` takes the
same steps, split into a context manager so that several coroutines can
run on one loop (``with Runner() as runner: runner.run(a()); runner.run(b())``),
every ``run`` in one copy of the caller's context. It does three things
more, and so does this one:

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
import contextvars
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from miniloop.contract import versions
from miniloop.contract.interrupts import CancelOnInterrupt
from miniloop.core import events, runners
from miniloop.core.events import CancelledError

T = TypeVar("T")

# How long Runner.close gives the default thread pool to finish (3.12+).
THREAD_JOIN_TIMEOUT = 300.0


class Runner(CancelOnInterrupt):
    """Run coroutines on one loop, then clean up everything, like asyncio.Runner."""

    def __init__(self, *, debug: bool | None = None,
                 loop_factory: Callable[[], Any] | None = None, clock: Any = None) -> None:
        if loop_factory is not None and clock is not None:
            raise ValueError("give Runner a loop_factory or a clock, not both")
        self._debug = debug
        self._loop_factory = loop_factory
        self._clock = clock
        self._loop: Any = None  # made on first use; None again once closed
        self._closed = False
        self._context: contextvars.Context | None = None
        self._set_event_loop = False

    def __enter__(self) -> Runner:
        self.get_loop()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get_loop(self) -> Any:
        """The runner's loop (made on first use)."""
        if self._closed:
            raise RuntimeError("Runner is closed")
        if self._loop is None:
            self._loop = loop = runners.new_loop(self._loop_factory, self._clock)
            if self._loop_factory is None:
                # Like asyncio.run: while it runs, the new loop is also the
                # thread's "current" loop for code that asks get_event_loop().
                self._set_event_loop = _set_asyncio_event_loop(loop)
            if self._debug is not None:
                loop.set_debug(self._debug)
            self._context = contextvars.copy_context()  # every run() starts from it
        return self._loop

    def run(self, coro: Coroutine[Any, Any, T], *, context: contextvars.Context | None = None) -> T:
        """Run ``coro`` as a task until it is done; return its result."""
        if not versions.is_coroutine(coro):
            raise ValueError(f"a coroutine was expected, got {coro!r}")
        if events._get_running_loop() is not None:
            raise RuntimeError("Runner.run() cannot be called from a running event loop")
        loop = self.get_loop()
        task = loop.create_task(coro, context=self._context if context is None else context)
        sigint_handler = self._install_sigint_handler(task)  # Ctrl-C: see interrupts.py
        try:
            return loop.run_until_complete(task)  # type: ignore[no-any-return]
        except CancelledError:
            if self._interrupted(task):
                raise KeyboardInterrupt()  # chained to the cancellation, as asyncio
            raise
        finally:
            self._restore_sigint_handler(sigint_handler)

    def close(self) -> None:
        """Cancel leftover tasks, close async generators and the thread pool, close the loop."""
        loop = self._loop
        if loop is None:  # never used (it can still be), or closed already
            return
        try:
            runners.cancel_all_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            if versions.EXECUTOR_SHUTDOWN_HAS_TIMEOUT:
                loop.run_until_complete(loop.shutdown_default_executor(THREAD_JOIN_TIMEOUT))
            else:
                loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            if self._set_event_loop:
                _set_asyncio_event_loop(None)
            loop.close()
            self._loop = None
            self._closed = True


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
    if events._get_running_loop() is not None:
        raise RuntimeError("asyncio.run() cannot be called from a running event loop")
    with Runner(debug=debug, loop_factory=loop_factory, clock=clock) as runner:
        return runner.run(main)
