"""sleep and gather: the first tools built from futures and tasks.

``sleep(delay)`` is three lines of idea: make a future, ask the loop to set
its result after ``delay`` seconds (``call_later``), await the future. The
task parks on the future; the timer fires; the future's done callback puts
the task back on the ready queue. ``sleep(0)`` is special: it yields None,
which tells the task "step me again next turn", and other tasks run
meanwhile. It is the cheapest way to be polite.

``gather(*aws)`` wraps each awaitable in a task and returns one "outer"
future that is done when all the children are: its result is their
results, in the order given. The first failure fails the outer future
(unless ``return_exceptions=True`` collects failures as results), and
cancelling the outer future cancels the children.

Read next: ``runners.py`` (``run``: the loop's whole life in one call).
"""

from __future__ import annotations

import contextvars
import math
import sys
import types
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any, TypeVar

from miniloop.core import events
from miniloop.core.events import CancelledError, all_tasks, current_task, get_running_loop
from miniloop.core.futures import (
    FINISHED,
    PENDING,
    Future,
    _loop_for_new_future,
    _set_result_unless_cancelled,
    get_loop,
)
from miniloop.core.tasks import Task, ensure_future

T = TypeVar("T")


class _NextTurn:
    """``await NEXT_TURN`` gives way for one turn of the loop.

    Obvious version, a generator-based coroutine::

        @types.coroutine
        def next_turn():
            yield        # the task sees None: "step me again next turn"

    The fast version is the same bare yield without a Python frame:
    ``__await__`` is the iterator of the tuple ``(None,)``, which yields
    None once and is then exhausted, so the ``await`` ends.
    """

    __slots__ = ()
    if TYPE_CHECKING:
        def __await__(self) -> Generator[None, None, None]: ...
    else:
        __await__ = (None,).__iter__


NEXT_TURN = _NextTurn()


async def sleep(delay: float, result: T = None) -> T:  # type: ignore[assignment]
    """Suspend the calling task for ``delay`` seconds, then return ``result``."""
    if delay <= 0:
        await NEXT_TURN
        return result
    if sys.version_info >= (3, 13) and math.isnan(delay):
        raise ValueError("Invalid delay: NaN (not a number)")
    loop = get_running_loop()
    alarm: _Alarm[T] = _Alarm(loop=loop)
    timer = loop.call_later(delay, _set_result_unless_cancelled, alarm, result)
    try:
        return await alarm  # type: ignore[no-any-return]
    finally:
        timer.cancel()  # we may be leaving early, because we were cancelled


class _Alarm(Future[T]):
    """The future a sleeping task parks on, awaited without a generator.

    Obvious version: a plain Future, whose ``__await__`` is a generator
    (see futures.py). A sleeping task holds on to that generator for the
    whole sleep; with thousands of sleepers it is the biggest object each
    one keeps. An alarm is its own iterator instead: the first ``next()``
    yields the alarm, the next one (after the timer has rung) returns the
    result. A cancellation thrown in goes straight past it to ``sleep``.
    """

    __slots__ = ()

    def __await__(self) -> Any:
        return self

    def __next__(self) -> Any:
        if self._state is PENDING:
            self._asyncio_future_blocking = True
            return self  # the task parks on us
        raise StopIteration(self.result())


def create_task(
    coro: Coroutine[Any, Any, T], *, name: object = None, context: Any = None
) -> Any:
    """Schedule ``coro`` to run as a task on the running loop."""
    loop = get_running_loop()
    if sys.version_info >= (3, 13):
        if context is None:
            return loop.create_task(coro, name=name)
        return loop.create_task(coro, name=name, context=context)
    task = loop.create_task(coro) if context is None else loop.create_task(coro, context=context)
    if name is not None:
        task.set_name(name)
    return task


def coroutine(func: Callable[..., Generator[Any, Any, T]]) -> Callable[..., Any]:
    """Turn a generator function into a generator-based coroutine function.

    The generator can then ``yield from`` futures and other coroutines
    (``yield from miniloop.sleep(1)``) and be awaited, gathered or run.
    This is ``types.coroutine``: it marks the generator's code so that
    ``await`` accepts it.
    """
    return types.coroutine(func)


class _GatheringFuture(Future[list[Any]]):
    """gather's outer future: cancelling it cancels the children instead."""

    __slots__ = ("_cancel_requested", "_children")

    def __init__(self, children: list[Any], *, loop: Any) -> None:
        super().__init__(loop=loop)
        self._children = children
        self._cancel_requested = False

    def cancel(self, msg: Any = None) -> bool:
        """Cancel every child still running; True if any was."""
        if self.done():
            return False
        cancelled_any = False
        for child in self._children:
            if child.cancel(msg=msg):
                cancelled_any = True
        if cancelled_any:
            # Even with return_exceptions=True, the outer future ends up
            # raising CancelledError once the children are done.
            self._cancel_requested = True
        return cancelled_any


def gather(*aws: Awaitable[Any], return_exceptions: bool = False) -> Future[list[Any]]:
    """Run awaitables concurrently; a future of their results, in order."""
    if not aws:
        nothing: Future[list[Any]] = _loop_for_new_future().create_future()
        nothing.set_result([])
        return nothing

    children: list[Any] = []
    futures_of: dict[Any, Any] = {}  # the same awaitable twice runs once
    finished_early: list[Any] = []
    total = finished = 0
    loop = None
    outer: _GatheringFuture | None = None

    def child_done(child: Any) -> None:
        nonlocal finished
        finished += 1
        if outer is None or outer._state is not PENDING:
            if not child.cancelled():
                child.exception()  # mark it retrieved: the outer future took over
            return
        if _succeeded(child):
            pass  # the common case, without asking the child three questions
        elif not return_exceptions:
            if child.cancelled():
                outer.set_exception(child._make_cancelled_error())
                return
            exc = child.exception()
            if exc is not None:
                outer.set_exception(exc)
                return
        if finished == total:
            results = [_outcome(each) for each in children]
            if outer._cancel_requested:
                # asyncio raises the cancellation of the *last* child here
                # (whichever child finished last): so do we.
                outer.set_exception(children[-1]._make_cancelled_error())
            else:
                outer.set_result(results)

    # One context for every child's callback: child_done reads no context
    # variables, so one copy serves as well as one per child.
    context = contextvars.copy_context()
    for aw in aws:
        if aw in futures_of:
            children.append(futures_of[aw])
            continue
        if isinstance(aw, Future) and (loop is None or aw._loop is loop):
            child = aw  # one of our futures or tasks: ensure_future would return it
        else:
            child = ensure_future(aw, loop=loop)
            if child is not aw:
                child._log_destroy_pending = False  # we made it; we watch it
        if loop is None:
            loop = get_loop(child)
        total += 1
        futures_of[aw] = child
        if sys.version_info >= (3, 12) and child.done():
            finished_early.append(child)  # e.g. an eager task that already returned
        else:
            child.add_done_callback(child_done, context=context)
        children.append(child)

    outer = _GatheringFuture(children, loop=loop)
    for child in finished_early:
        child_done(child)
    return outer


def _succeeded(child: Any) -> bool:
    """True if ``child`` (done) returned a value; read directly for our futures."""
    if isinstance(child, Future):
        return child._state is FINISHED and child._exception is None
    return not child.cancelled() and child.exception() is None


def _outcome(child: Any) -> Any:
    """A finished child's result, exception, or CancelledError as a value."""
    if isinstance(child, Future) and child._state is FINISHED and child._exception is None:
        return child._result
    if child.cancelled():
        return CancelledError("" if child._cancel_message is None else child._cancel_message)
    exc = child.exception()
    return child.result() if exc is None else exc


__all__ = [
    "Task",
    "all_tasks",
    "coroutine",
    "create_task",
    "current_task",
    "ensure_future",
    "events",
    "gather",
    "get_running_loop",
    "sleep",
]
