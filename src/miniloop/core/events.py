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

from __future__ import annotations

import asyncio
import asyncio.events as _aio_events
import asyncio.tasks as _aio_tasks
import sys
from collections.abc import Callable
from typing import Any

# --- the running loop -------------------------------------------------------

# asyncio contract: the per-thread "running loop" slot is asyncio's, so that
# asyncio.get_running_loop() and miniloop.get_running_loop() always agree.
_get_running_loop: Callable[[], Any] = _aio_events._get_running_loop


def _set_running_loop(loop: Any) -> None:
    # Looked up at each call: code (CPython's own tests, for one) may swap
    # asyncio's C slot for its pure-Python twin, and we must fill that one.
    _aio_events._set_running_loop(loop)


def get_running_loop() -> Any:
    """Return the loop running in this thread; RuntimeError if there is none."""
    loop = _get_running_loop()
    if loop is None:
        raise RuntimeError("no running event loop")
    return loop


# --- making loops -----------------------------------------------------------

# The loop class people get (miniloop.Loop) is assembled at the top of the
# package, above the layers that need to make one (run, Runner). It
# registers itself here, so that lower layers can make loops without
# importing upwards.
_default_loop_factory: Any = None


def set_default_loop_factory(factory: Any) -> None:
    """Choose what ``new_event_loop()`` (and ``run`` without a factory) makes."""
    global _default_loop_factory
    _default_loop_factory = factory


def new_event_loop(**options: Any) -> Any:
    """A new, not yet running, miniloop loop (``options`` go to its constructor)."""
    if _default_loop_factory is None:
        raise RuntimeError("miniloop is not fully imported: no loop class is registered")
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

if sys.version_info >= (3, 12):
    # asyncio contract (3.12+): an eagerly started task is the current task
    # while it runs inside its creator's step; swapping saves the creator.
    swap_current_task: Callable[[Any, Any], Any] = _aio_tasks._swap_current_task
    register_eager_task: Callable[[Any], None] = _aio_tasks._register_eager_task
    unregister_eager_task: Callable[[Any], None] = _aio_tasks._unregister_eager_task


# asyncio contract: where asyncio keeps the current task of each loop, and its
# registries of live tasks (WeakSets, plus a plain set of eager tasks).
_current_tasks: dict[Any, Any] = vars(_aio_tasks)["_current_tasks"]
if sys.version_info >= (3, 12):
    _task_registries: tuple[Any, ...] = (
        vars(_aio_tasks)["_scheduled_tasks"], vars(_aio_tasks)["_eager_tasks"])
else:
    _task_registries = (vars(_aio_tasks)["_all_tasks"],)


def current_task(loop: Any = None) -> Any:
    """Return the task whose step is running on ``loop`` (default: this thread's)."""
    if loop is None:
        loop = get_running_loop()
    return _current_tasks.get(loop)


def all_tasks(loop: Any = None) -> set[Any]:
    """Return the set of not-yet-finished tasks of ``loop`` (default: running)."""
    if loop is None:
        loop = get_running_loop()
    for attempt in range(1000):
        try:
            # Another thread may add a task while we copy: then copy again.
            live = [task for registry in _task_registries for task in registry]
            break
        except RuntimeError:
            if attempt == 999:
                raise  # as asyncio: give up after a thousand tries
    return {task for task in live if _loop_of(task) is loop and not task.done()}


def _loop_of(task: Any) -> Any:
    # Registered tasks need not be ours or asyncio's: anything with a
    # get_loop() method, or a bare _loop attribute, counts (as in asyncio).
    get_loop = getattr(task, "get_loop", None)
    return get_loop() if get_loop is not None else task._loop


# --- errors programs catch ----------------------------------------------------

# These are asyncio's own classes, shared so that `except asyncio.CancelledError`
# catches miniloop's cancellations and vice versa.
CancelledError = asyncio.CancelledError
InvalidStateError = asyncio.InvalidStateError
TimeoutError = asyncio.TimeoutError
