"""The fast loop: the plain loop, making its objects from the fast classes.

Nothing of the turn changes: ``core/loop.py`` runs the fast tasks exactly
as it runs handles (each ready entry has a ``_run``). Two overrides:

* the classes the loop makes its futures and tasks from (``futures.py``);
* **call_soon and create_task in one frame each.** Plain: each passes
  through the contract's checks (debug mode, the task factory) and then the
  core's method, and a Handle is made by two ``__init__``s. Fast: outside
  debug mode and without a task factory, one method does it all;
* **sweeping a heap full of cancelled timers.** Plain: a cancelled timer
  stays in the heap until it reaches the top. Fast: once more than half of
  more than 100 timers are cancelled, they are swept out at once (asyncio's
  rule), so that a program that arms and cancels many timeouts keeps a
  small heap and cheap pushes.

Read next: ``../tools/``, the tools that watch a loop.
"""

from __future__ import annotations

import contextvars
import heapq
from typing import Any

from miniloop.core import futures as core_futures
from miniloop.core import primitives, tasks
from miniloop.core.loop import TimerHandle
from miniloop.fast import futures

# A Handle made without __init__: call_soon sets every field itself.
_new_handle = object.__new__

# Sweep once there are more than this many timers and more than this
# fraction of them are cancelled (asyncio's rule).
SWEEP_MIN_TIMERS = 100
SWEEP_MIN_CANCELLED_FRACTION = 0.5


class FastLoopMixin:
    """Names the fast classes for the loop to make its objects from."""

    future_class: type[core_futures.Future[Any]] = futures.Future
    task_class: type[tasks.Task[Any]] = futures.Task
    gathering_future_class: type[primitives._GatheringFuture] = futures._GatheringFuture

    _timers: list[tuple[float, int, TimerHandle]]
    _cancelled_timers: int
    _debug: bool
    _closed: bool
    _ready: Any
    _task_factory: Any
    observer: Any

    def call_soon(self, callback: Any, *args: Any, context: Any = None) -> Any:
        """Run ``callback(*args)`` on the next turn of the loop."""
        if self._debug or self._closed:  # the checks, and their messages: the plain way
            return super().call_soon(callback, *args, context=context)  # type: ignore[misc]
        handle = _new_handle(futures.Handle)
        handle._callback = callback
        handle._args = args
        handle._loop = self
        handle._context = contextvars.copy_context() if context is None else context
        handle._cancelled = False
        handle._source_traceback = None
        self._ready.append(handle)
        if self.observer:
            self.observer.scheduled(handle)
        return handle

    def create_task(self, coro: Any, *, name: object = None, context: Any = None) -> Any:
        """Wrap ``coro`` in a Task and schedule it."""
        if self._task_factory is not None or self._closed or self._debug:
            return super().create_task(coro, name=name, context=context)  # type: ignore[misc]
        task = self.task_class(coro, loop=self, name=name, context=context)
        if self.observer:
            self.observer.task_created(task, coro)
        return task

    def _forget_cancelled_timers(self) -> None:
        timers = self._timers
        if (len(timers) > SWEEP_MIN_TIMERS
                and self._cancelled_timers / len(timers) > SWEEP_MIN_CANCELLED_FRACTION):
            for _, _, timer in timers:
                timer._scheduled = not timer._cancelled
            self._timers = [entry for entry in timers if not entry[2]._cancelled]
            heapq.heapify(self._timers)
            self._cancelled_timers = 0
        super()._forget_cancelled_timers()  # type: ignore[misc]
