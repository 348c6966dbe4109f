"""Eager tasks (Python 3.12+): start running inside ``create_task``.

A normal task waits for the loop's next turn before its first step. An
*eager* task takes its first step at once, inside ``create_task``, as if
the creator had called the coroutine directly, and only becomes a real,
scheduled task if that step has to wait. A coroutine that returns without
ever waiting (a cache hit, say) then costs no trip through the loop:

    loop.set_task_factory(miniloop.eager_task_factory)
    task = loop.create_task(lookup(key))   # may be done() already

While the first step runs, the new task is the current task, and the
creator's step is suspended (``events.swap_current_task``); the step itself
is ``Task._eager_start`` in ``tasks.py``. Order of events changes, which is
why eagerness is opt-in, through the task factory or
``Task(..., eager_start=True)``.

Read next: ``primitives.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from miniloop.tasks import Task

TaskFactory = Callable[..., Any]


def create_eager_task_factory(custom_task_constructor: Callable[..., Any]) -> TaskFactory:
    """A task factory that makes eager tasks with ``custom_task_constructor``
    (called like ``Task``, with ``eager_start=True``)."""

    def factory(loop: Any, coro: Coroutine[Any, Any, Any], *, name: object = None,
                context: Any = None) -> Any:
        return custom_task_constructor(
            coro, loop=loop, name=name, context=context, eager_start=True)

    return factory


eager_task_factory = create_eager_task_factory(Task)
eager_task_factory.__doc__ = (
    "A task factory whose tasks start at once: loop.set_task_factory(eager_task_factory).")

__all__ = ["create_eager_task_factory", "eager_task_factory"]
