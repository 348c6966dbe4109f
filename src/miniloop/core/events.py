"""Which loop is running, and which task is running on it.

``await sleep(1)`` never names a loop, yet the sleep must arm a timer on
*some* loop. It finds it by asking "which loop is running in this thread?".
Likewise ``current_task()`` answers "whose step is executing right now?".
Both answers are tiny pieces of global, per-thread state; this module owns
them.

There is a twist. miniloop wants asyncio's own functions (``asyncio.sleep``,
``asyncio.gather``, aiohttp...) to work on a miniloop loop, so the answers
must be the ones asyncio sees too. asyncio keeps them in its C accelerator
and offers a few private functions so that third-party loops (uvloop is the
famous one) can fill them in. We use exactly those hooks and nothing else of
asyncio's machinery; each use below is marked ``asyncio contract``.

Read next: ``futures.py`` (a value that is not there yet).
"""

import asyncio
import asyncio.events as _aio_events
import asyncio.tasks as _aio_tasks
from collections.abc import Callable
from typing import Any

# These are asyncio's own classes, shared so that `except asyncio.CancelledError`
# catches miniloop's cancellations and vice versa.
CancelledError = asyncio.CancelledError
InvalidStateError = asyncio.InvalidStateError
TimeoutError = asyncio.TimeoutError

# --- the running loop -------------------------------------------------------

# asyncio contract: the per-thread "running loop" slot is asyncio's, so that
# asyncio.get_running_loop() and miniloop.get_running_loop() always agree.
_get_running_loop: Callable[[], Any] = _aio_events._get_running_loop


def _set_running_loop(loop: Any) -> None:
    # Looked up at each call: code (CPython's own tests, for one) may swap
    # asyncio's C slot for its pure-Python twin, and we must fill that one.
    _aio_events._set_running_loop(loop)


# The slot's value, or RuntimeError("no running event loop") if it is empty.
get_running_loop: Callable[[], Any] = asyncio.get_running_loop


def loop_for_new_future() -> Any:
    """The loop a future belongs to when none is given: the running one."""
    loop = _get_running_loop()
    if loop is None:
        # asyncio contract: outside a running loop, asyncio asks its policy.
        loop = asyncio.get_event_loop()
    return loop


# --- making loops -----------------------------------------------------------

# The loop class people get (miniloop.Loop) is assembled at the top of the
# package, above the core. It registers itself here, so that run() (and the
# contract's Runner) can make one without importing upwards.
_default_loop_factory: Any = None


def set_default_loop_factory(factory: Any) -> None:
    """Choose what ``new_event_loop()`` (and ``run`` without a factory) makes."""
    global _default_loop_factory
    _default_loop_factory = factory


def new_event_loop(**options: Any) -> Any:
    """A new, not yet running, miniloop loop (``options`` go to its constructor)."""
    if _default_loop_factory is None:
        from miniloop.core.loop import CoreLoop  # the core alone: its own loop

        return CoreLoop(**options)
    return _default_loop_factory(**options)


# --- the current task ---------------------------------------------------------

# asyncio contract: a task announces itself before each step and withdraws
# after it, so that asyncio.current_task() finds it. The C versions raise
# RuntimeError if two tasks overlap on one loop, which is a useful check.
enter_task: Callable[[Any, Any], None] = _aio_tasks._enter_task
leave_task: Callable[[Any, Any], None] = _aio_tasks._leave_task

# asyncio contract: every task is put in asyncio's registry of live tasks
# (a WeakSet, so finished tasks fall out on their own). asyncio.all_tasks()
# and asyncio.Runner's final clean-up read it.
register_task: Callable[[Any], None] = _aio_tasks._register_task


# asyncio contract: asyncio's answers to "which task is running?" and "which
# tasks are alive?" read the registry above, which holds our tasks too.
current_task: Callable[..., Any] = _aio_tasks.current_task
all_tasks: Callable[..., set[Any]] = _aio_tasks.all_tasks
