"""The fast loop: the plain loop, making its objects from the fast classes.

Nothing of the turn changes: ``core/loop.py`` runs the fast tasks exactly
as it runs handles (each ready entry has a ``_run``). Two overrides:

* the classes the loop makes its futures and tasks from (``futures.py``);
* **sweeping a heap full of cancelled timers.** Plain: a cancelled timer
  stays in the heap until it reaches the top. Fast: once more than half of
  more than 100 timers are cancelled, they are swept out at once (asyncio's
  rule), so that a program that arms and cancels many timeouts keeps a
  small heap and cheap pushes.

Read next: ``../tools/``, the tools that watch a loop.
"""

from __future__ import annotations

import heapq
from typing import Any

from miniloop.core import futures as core_futures
from miniloop.core import primitives, tasks
from miniloop.core.loop import TimerHandle
from miniloop.fast import futures

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
