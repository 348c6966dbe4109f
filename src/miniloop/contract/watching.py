"""Watching a loop: the moments as methods, and several tools watching one loop.

The core declares one ``observer`` slot per loop and the moments it shows
(``core/observer.py``). ``Observer`` here does nothing at every moment; a
tool subclasses it and overrides what it needs. The trace and step mode can
both watch the same loop: ``watch`` puts them together in an ``Observers``,
which shows each of them every moment.

Read next: ``debugging.py``, which watches a loop in debug mode; ``tools/trace.py``
is the first tool built on these moments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


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


class Observers(Observer):
    """Several observers of one loop, shown every moment in the order they came."""

    def __init__(self, *observers: Observer) -> None:
        self.observers = list(observers)

    def turn_started(self) -> None:
        for observer in self.observers:
            observer.turn_started()

    def about_to_sleep(self, deadline: float | None) -> bool:
        return any([observer.about_to_sleep(deadline) for observer in self.observers])

    def io_watched(self, fileobj: Any, event: int, handle: Any) -> None:
        for observer in self.observers:
            observer.io_watched(fileobj, event, handle)

    def io_unwatched(self, fileobj: Any, event: int) -> None:
        for observer in self.observers:
            observer.io_unwatched(fileobj, event)

    def io_ready(self, fd: int, event: int, handle: Any) -> None:
        for observer in self.observers:
            observer.io_ready(fd, event, handle)

    def timer_armed(self, timer: Any) -> None:
        for observer in self.observers:
            observer.timer_armed(timer)

    def timer_cancelled(self, timer: Any) -> None:
        for observer in self.observers:
            observer.timer_cancelled(timer)

    def scheduled(self, entry: Any) -> None:
        for observer in self.observers:
            observer.scheduled(entry)

    def running(self, entry: Any) -> None:
        for observer in self.observers:
            observer.running(entry)

    def ran(self, entry: Any) -> None:
        for observer in reversed(self.observers):
            observer.ran(entry)

    def task_created(self, task: Any, coro: Any) -> None:
        for observer in self.observers:
            observer.task_created(task, coro)

    def step_started(self, task: Any) -> None:
        for observer in self.observers:
            observer.step_started(task)

    def step_ended(self, task: Any) -> None:
        for observer in reversed(self.observers):
            observer.step_ended(task)


def watch(loop: Any, observer: Observer) -> None:
    """Add ``observer`` to the ones ``loop`` shows its moments to."""
    current = loop.observer
    if current is None:
        loop.observer = observer
    elif isinstance(current, Observers):
        current.observers.append(observer)
    else:
        loop.observer = Observers(current, observer)


def unwatch(loop: Any, observer: Observer) -> None:
    """Stop showing ``loop``'s moments to ``observer``."""
    current = loop.observer
    if current is observer:
        loop.observer = None
    elif isinstance(current, Observers) and observer in current.observers:
        current.observers.remove(observer)
        if len(current.observers) == 1:
            loop.observer = current.observers[0]


# Where asyncio takes tasks from a set (the siblings a TaskGroup cancels
# when one fails), their order depends on memory addresses. miniloop uses
# creation order, one of asyncio's orders; a tool may choose another (the
# schedule explorer does): each function here is given the tasks in
# creation order and returns them in the order to use.
set_orders: list[Callable[[list[Any]], list[Any]]] = []


def in_set_order(tasks: Iterable[Any]) -> list[Any]:
    """``tasks`` in the order to take them from a set: creation order, unless a tool says."""
    ordered = list(tasks)
    for order in set_orders:
        ordered = order(ordered)
    return ordered
