"""Observers: how tools watch a loop without changing the code that runs.

The trace, step mode, the deadlock report and the schedule explorer all
want to see what a loop does. None of them may patch it: a traced loop
must run exactly the code a learner reads. So the loop *declares* the
moments worth seeing and calls its observer at each one:

    turn_started()                    a new turn begins
    about_to_sleep(deadline)          nothing is ready: the loop will wait
                                      (deadline None: until IO; an observer
                                      that returns True asks for a new turn)
    io_watched / io_unwatched         a descriptor is (no longer) watched
    io_ready(handle)                  the selector says a descriptor is ready
    timer_armed / timer_cancelled     a timer enters or leaves the heap
    scheduled(entry)                  a callback (or a task) joins the ready queue
    running(entry) / ran(entry)       one ready entry runs
    task_created(task, coro)          a new task, and what it drives
    step_started / step_ended(task)   one step of a task

A loop that nobody watches has ``observer = None`` and pays one test of it
at each moment. ``Observer`` below does nothing at every moment; a tool
subclasses it and overrides what it needs (``tools/watching.py`` lets
several tools watch one loop).

A tool that wants to watch every loop made from now on (``--trace`` does)
adds a function to ``new_loop_watchers``; each new loop calls it. And one
moment is for every loop, watched or not: ``before_waiting_for_ever``.

Read next: ``loop.py``, which calls these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Each function here is shown every new loop, at the end of its __init__.
new_loop_watchers: list[Callable[[Any], None]] = []

# Each function here is asked ``check(loop)`` when a loop is about to wait
# with nothing scheduled at all: can anything still wake it? One that woke
# a task itself returns True, and the loop looks again instead of waiting.
# (tools/deadlock.py reports deadlocks here.) Until then it costs nothing.
before_waiting_for_ever: list[Callable[[Any], bool]] = []


class Observer:
    """Watches one loop. Every moment does nothing until a tool overrides it."""

    def turn_started(self) -> None:
        """A new turn of the loop begins."""

    def about_to_sleep(self, deadline: float | None) -> bool:
        """Nothing is ready; the loop will wait until ``deadline`` (None: for IO).

        Return True to skip the wait and start a new turn (the deadlock
        report does, after it has woken a task with an error)."""
        return False

    def io_watched(self, fileobj: Any, event: int, handle: Any) -> None:
        """The loop starts watching ``fileobj`` for ``event``."""

    def io_unwatched(self, fileobj: Any, event: int) -> None:
        """The loop stops watching ``fileobj`` for ``event``."""

    def io_ready(self, fd: int, event: int, handle: Any) -> None:
        """The selector reported ``fd`` ready; ``handle`` joins the ready queue."""

    def timer_armed(self, timer: Any) -> None:
        """A timer went into the heap."""

    def timer_cancelled(self, timer: Any) -> None:
        """A timer in the heap was cancelled."""

    def scheduled(self, entry: Any) -> None:
        """``entry`` (a Handle, or a task stepping itself) joined the ready queue."""

    def running(self, entry: Any) -> None:
        """The loop is about to run ``entry`` from the ready queue."""

    def ran(self, entry: Any) -> None:
        """``entry`` has run."""

    def task_created(self, task: Any, coro: Any) -> None:
        """A task was made on this loop, to drive ``coro``."""

    def step_started(self, task: Any) -> None:
        """One step of ``task`` begins."""

    def step_ended(self, task: Any) -> None:
        """One step of ``task`` is over (it parked, yielded, or is done)."""
