"""shield: let the caller be cancelled without cancelling the work.

Cancelling a task cancels whatever it is awaiting: the CancelledError goes
*down* the await chain before it comes back up. Usually that is what you
want. Sometimes it is not: a payment, once started, should finish even if
the request that started it is abandoned.

``await shield(work)`` puts a buffer future between the caller and the
work. The caller awaits the buffer (the *outer* future); a done callback on
the work (the *inner* future) copies its outcome into the buffer. When the
caller is cancelled, it cancels what it awaits, which is only the buffer:
the work never hears of it, keeps running, and its outcome is dropped
(marked as seen, so it is not reported as lost).

The protection goes one way only. If the work itself is cancelled by
someone else, the buffer is cancelled too, and the caller sees
CancelledError as usual.

Read next: ``sync.py`` (events, locks and semaphores: tasks waiting on each other).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from miniloop.core.futures import get_loop
from miniloop.core.tasks import ensure_future

T = TypeVar("T")


def shield(arg: Awaitable[T]) -> Any:
    """A future that follows ``arg`` but whose cancellation does not reach it.

    A coroutine is wrapped in a task first. Keep a reference to that task
    (or pass a task you hold) if it must outlive the caller: the loop only
    holds tasks weakly.
    """
    inner = ensure_future(arg)
    if inner.done():
        return inner  # nothing left to protect
    outer = get_loop(inner).create_future()

    def copy_outcome(inner: Any) -> None:
        if outer.cancelled():
            # The caller gave up on us; the outcome is seen, not lost.
            if not inner.cancelled():
                inner.exception()
            return
        if inner.cancelled():
            outer.cancel()
            return
        exc = inner.exception()
        if exc is not None:
            outer.set_exception(exc)
        else:
            outer.set_result(inner.result())

    def forget_inner(outer: Any) -> None:
        # The outer future is done (usually: cancelled): stop listening.
        if not inner.done():
            inner.remove_done_callback(copy_outcome)

    inner.add_done_callback(copy_outcome)
    outer.add_done_callback(forget_inner)
    return outer


__all__ = ["shield"]
