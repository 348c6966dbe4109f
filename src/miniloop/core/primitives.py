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

import contextvars
import math
import types
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any, TypeVar

from miniloop.core.events import CancelledError, get_running_loop, loop_for_new_future
from miniloop.core.futures import Future, get_loop, set_result_unless_cancelled
from miniloop.core.tasks import ensure_future

T = TypeVar("T")


@types.coroutine
def next_turn() -> Generator[None, None, None]:
    """Give way for one turn of the loop."""
    yield  # the task sees None: "step me again next turn"


async def sleep(delay: float, result: T = None) -> T:  # type: ignore[assignment]
    """Suspend the calling task for ``delay`` seconds, then return ``result``."""
    if delay <= 0:
        await next_turn()
        return result
    if math.isnan(delay):
        raise ValueError("Invalid delay: NaN (not a number)")
    loop = get_running_loop()
    future = loop.create_future()
    timer = loop.call_later(delay, set_result_unless_cancelled, future, result)
    try:
        return await future  # type: ignore[no-any-return]
    finally:
        timer.cancel()  # we may be leaving early, because we were cancelled


def create_task(coro: Coroutine[Any, Any, T], *, name: object = None, context: Any = None) -> Any:
    """Schedule ``coro`` to run as a task on the running loop."""
    return get_running_loop().create_task(coro, name=name, context=context)


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
    counts_done_at_once = True  # gather counts children that are done already at once

    def __init__(self, children: list[Any], *, loop: Any) -> None:
        super().__init__(loop=loop)
        self._children = children
        self._cancel_requested = False

    def cancel(self, msg: Any = None) -> bool:
        """Cancel every child still running; True if any was."""
        if self.done():
            return False
        cancelled = [child.cancel(msg=msg) for child in self._children]  # every one
        if any(cancelled):
            # Even with return_exceptions=True, the outer future ends up
            # raising CancelledError once the children are done.
            self._cancel_requested = True
        return any(cancelled)


def gather(*aws: Awaitable[Any], return_exceptions: bool = False) -> Future[list[Any]]:
    """Run awaitables concurrently; a future of their results, in order."""
    if not aws:
        nothing: Future[list[Any]] = loop_for_new_future().create_future()
        nothing.set_result([])
        return nothing
    loop: Any = None
    children: list[Any] = []
    child_of: dict[Any, Any] = {}  # the same awaitable twice runs once
    for aw in aws:
        if aw not in child_of:
            child_of[aw] = ensure_future(aw, loop=loop)
            if child_of[aw] is not aw:
                child_of[aw]._log_destroy_pending = False  # we made it; we watch it
            loop = get_loop(child_of[aw])
        children.append(child_of[aw])
    outer = loop.gathering_future_class(children, loop=loop)
    unique = list(child_of.values())
    finished = 0

    def child_done(child: Any) -> None:
        nonlocal finished
        finished += 1
        if outer.done():
            if not child.cancelled():
                child.exception()  # mark it retrieved: the outer future took over
            return
        if not return_exceptions:
            if child.cancelled():
                outer.set_exception(child._make_cancelled_error())
                return
            if child.exception() is not None:
                outer.set_exception(child.exception())
                return
        if finished == len(unique):
            if outer._cancel_requested:
                # asyncio raises the cancellation of the last child in the list.
                outer.set_exception(children[-1]._make_cancelled_error())
            else:
                outer.set_result([_outcome(child) for child in children])

    context = contextvars.copy_context()  # child_done reads no variable: one copy serves all
    for child in unique:
        # A child done already (an eager task, say) is counted now, not a
        # turn later (asyncio before 3.12 waited the turn: contract/ says so).
        if child.done() and outer.counts_done_at_once:
            child_done(child)
        else:
            child.add_done_callback(child_done, context=context)
    return outer  # type: ignore[no-any-return]


def _outcome(child: Any) -> Any:
    """A finished child's result, exception, or CancelledError as a value."""
    if child.cancelled():
        return CancelledError("" if child._cancel_message is None else child._cancel_message)
    exc = child.exception()
    return child.result() if exc is None else exc
