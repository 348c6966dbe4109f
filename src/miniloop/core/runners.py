"""run: a loop's whole life in one call.

``run(main())`` is what most programs call, and it does more than
"run the loop until main() returns":

    1. make a new loop;
    2. wrap main() in a task and run the loop until that task is done
       (Ctrl-C cancels the task, and ends in KeyboardInterrupt);
    3. cancel every task still left, and let them finish their clean-up;
    4. close async generators left half-way, stop the thread pool;
    5. close the loop.

Steps 3 and 4 are why a program can end while tasks are still sleeping
and yet nothing leaks. ``Runner`` is the same, split into a context manager
so that several coroutines can run on one loop.

Read next: ``clock.py``, the last file of the core (real time, and virtual
time); then ``timeouts.py``, ``waiting.py`` and ``taskgroups.py`` for the
rest of the toolkit, or ``bridge.py`` for how asyncio itself is made to run
on miniloop's loop.
"""

from __future__ import annotations

import contextvars
import enum
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from miniloop.contract.interrupts import CancelOnInterrupt
from miniloop.core import events
from miniloop.core.events import CancelledError
from miniloop.core.primitives import gather
from miniloop.core.tasks import iscoroutine

T = TypeVar("T")

# How long Runner.close gives the default thread pool to finish (3.12+).
THREAD_JOIN_TIMEOUT = 300.0


class _State(enum.Enum):
    CREATED = "created"
    INITIALIZED = "initialized"
    CLOSED = "closed"


class Runner(CancelOnInterrupt):
    """Run coroutines on one loop, then clean up everything, like asyncio.Runner."""

    def __init__(self, *, debug: bool | None = None,
                 loop_factory: Callable[[], Any] | None = None, clock: Any = None) -> None:
        if loop_factory is not None and clock is not None:
            raise ValueError("give Runner a loop_factory or a clock, not both")
        self._state = _State.CREATED
        self._debug = debug
        self._loop_factory = loop_factory
        self._clock = clock
        self._loop: Any = None
        self._context: contextvars.Context | None = None
        self._set_event_loop = False

    def __enter__(self) -> Runner:
        self._lazy_init()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get_loop(self) -> Any:
        """The runner's loop (made on first use)."""
        self._lazy_init()
        return self._loop

    def run(self, coro: Coroutine[Any, Any, T], *, context: contextvars.Context | None = None) -> T:
        """Run ``coro`` as a task until it is done; return its result."""
        if not iscoroutine(coro):
            raise ValueError(f"a coroutine was expected, got {coro!r}")
        if events._get_running_loop() is not None:
            raise RuntimeError("Runner.run() cannot be called from a running event loop")
        self._lazy_init()
        task = self._loop.create_task(coro, context=self._context if context is None else context)
        sigint_handler = self._install_sigint_handler(task)  # Ctrl-C: see interrupts.py
        try:
            return self._loop.run_until_complete(task)  # type: ignore[no-any-return]
        except CancelledError:
            if self._interrupted(task):
                raise KeyboardInterrupt()  # chained to the cancellation, as asyncio
            raise
        finally:
            self._restore_sigint_handler(sigint_handler)

    def close(self) -> None:
        """Cancel leftover tasks, close async generators and the thread pool, close the loop."""
        if self._state is not _State.INITIALIZED:
            return
        loop = self._loop
        try:
            _cancel_all_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            if sys.version_info >= (3, 12):
                loop.run_until_complete(loop.shutdown_default_executor(THREAD_JOIN_TIMEOUT))
            else:
                loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            if self._set_event_loop:
                _set_asyncio_event_loop(None)
            loop.close()
            self._loop = None
            self._state = _State.CLOSED

    def _lazy_init(self) -> None:
        if self._state is _State.CLOSED:
            raise RuntimeError("Runner is closed")
        if self._state is _State.INITIALIZED:
            return
        if self._loop_factory is not None:
            self._loop = self._loop_factory()
        else:
            options = {} if self._clock is None else {"clock": self._clock}
            self._loop = events.new_event_loop(**options)
            # Like asyncio.run: while it runs, the new loop is also the
            # thread's "current" loop for code that asks get_event_loop().
            self._set_event_loop = _set_asyncio_event_loop(self._loop)
        if self._debug is not None:
            self._loop.set_debug(self._debug)
        self._context = contextvars.copy_context()
        self._state = _State.INITIALIZED

def _set_asyncio_event_loop(loop: Any) -> bool:
    # asyncio contract: asyncio's policy holds the thread's current loop;
    # it accepts only AbstractEventLoop instances (miniloop.Loop is one).
    import asyncio

    try:
        asyncio.set_event_loop(loop)
    except (TypeError, AssertionError):
        return False
    return True


def _cancel_all_tasks(loop: Any) -> None:
    leftovers = events.all_tasks(loop)
    if not leftovers:
        return
    for task in leftovers:
        task.cancel()
    loop.run_until_complete(gather(*leftovers, return_exceptions=True))
    for task in leftovers:
        if task.cancelled():
            continue
        if task.exception() is not None:
            loop.call_exception_handler({
                "message": "unhandled exception during asyncio.run() shutdown",
                "exception": task.exception(),
                "task": task,
            })


def run(main: Coroutine[Any, Any, T], *, debug: bool | None = None,
        loop_factory: Callable[[], Any] | None = None, clock: Any = None) -> T:
    """Run ``main`` on a new loop, clean up, close the loop; return main's result."""
    if events._get_running_loop() is not None:
        raise RuntimeError("asyncio.run() cannot be called from a running event loop")
    with Runner(debug=debug, loop_factory=loop_factory, clock=clock) as runner:
        return runner.run(main)
