"""Eager tasks (Python 3.12+): start running inside ``create_task``.

A normal task waits for the loop's next turn before its first step. An
*eager* task takes its first step at once, inside ``create_task``, as if
the creator had called the coroutine directly, and only becomes a real,
scheduled task if that step has to wait. A coroutine that returns without
ever waiting (a cache hit, say) then costs no trip through the loop:

    loop.set_task_factory(miniloop.eager_task_factory)
    task = loop.create_task(lookup(key))   # may be done() already

While the first step runs, the new task is the current task and the
creator's step is set aside (``swap_current_task``). Order of events
changes, which is why eagerness is opt-in: through the task factory, or
``Task(..., eager_start=True)``.

Read next: ``primitives.py``.
"""

from __future__ import annotations

import asyncio.tasks
from collections.abc import Callable, Coroutine
from typing import Any

from miniloop.contract import versions
from miniloop.core import events

TaskFactory = Callable[..., Any]

# asyncio contract (3.12+): the hooks that let a task run before it is scheduled.
_swap_current_task: Any = getattr(asyncio.tasks, "_swap_current_task", None)
_register_eager_task: Any = getattr(asyncio.tasks, "_register_eager_task", None)
_unregister_eager_task: Any = getattr(asyncio.tasks, "_unregister_eager_task", None)


def start_eagerly(task: Any) -> None:
    """Run ``task``'s first step now, inside its creator's step."""
    if not versions.EAGER_TASKS:
        raise RuntimeError("eager tasks need Python 3.12 or later")
    loop = task._loop
    # asyncio contract (3.12+): set the creator aside; the task's own step
    # then enters and leaves as any step does, so during it the task is the
    # current task, and asyncio.all_tasks() finds it among the eager ones.
    previous = _swap_current_task(loop, None)
    try:
        _register_eager_task(task)
        try:
            task._context.run(task._step)
        finally:
            _unregister_eager_task(task)
    finally:
        _swap_current_task(loop, previous)
        if task.done():
            task._coro = None  # as asyncio: a task finished at birth lets go of it
        else:
            events.register_task(task)


def create_eager_task_factory(custom_task_constructor: Callable[..., Any]) -> TaskFactory:
    """A task factory that makes eager tasks with ``custom_task_constructor``
    (called like ``Task``, with ``eager_start=True``)."""

    def factory(loop: Any, coro: Coroutine[Any, Any, Any], *, name: object = None,
                context: Any = None) -> Any:
        return custom_task_constructor(
            coro, loop=loop, name=name, context=context, eager_start=True)

    return factory


def _not_a_miniloop_loop(loop: Any, coro: Coroutine[Any, Any, Any]) -> TypeError:
    # No task will ever run the coroutine: close it, so that the error is
    # not followed by a "coroutine ... was never awaited" warning.
    if isinstance(coro, Coroutine):
        coro.close()
    return TypeError(
        f"miniloop.eager_task_factory makes tasks for miniloop's loops, not for "
        f"{type(loop).__module__}.{type(loop).__qualname__}; on asyncio's own loops, "
        f"use asyncio.eager_task_factory")


if versions.EAGER_TASKS:

    def eager_task_factory(loop: Any, coro: Coroutine[Any, Any, Any], *, name: object = None,
                           context: Any = None) -> Any:
        """A task factory whose tasks start at once (see the top of this module).

        For miniloop's loops: it makes the loop's own kind of task. On
        asyncio's loops, use ``asyncio.eager_task_factory``.
        """
        try:
            task_class = loop.task_class
        except AttributeError:  # asked, not checked up front: every eager task comes this way
            raise _not_a_miniloop_loop(loop, coro) from None
        return task_class(coro, loop=loop, name=name, context=context, eager_start=True)

