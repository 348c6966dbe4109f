"""Chapter 8, a reference solution: Future, a future asyncio's tasks accept.

Nothing here is asyncio's code, yet asyncio's Task drives coroutines that
await it, and asyncio.gather, wait_for and wait accept it. That is the
contract: an attribute that says "future", a loop to belong to, a
callback list served through ``loop.call_soon``, and an ``__await__``
generator whose one ``yield self`` hands the future to the task.

When the task receives the yielded future, it checks
``_asyncio_future_blocking`` (True means "yielded by await"), resets it,
and calls ``add_done_callback`` with its wake-up method. When the task is
cancelled while waiting, it calls ``cancel(msg=...)`` on us.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Generator
from typing import Any

PENDING, CANCELLED, FINISHED = "pending", "cancelled", "finished"


class Future:
    """A value that is not there yet; awaitable by asyncio's tasks."""

    # asyncio looks for this attribute to recognise a future.
    _asyncio_future_blocking = False

    def __init__(self, *, loop: Any) -> None:
        self._loop = loop
        self._state = PENDING
        self._result: Any = None
        self._exception: BaseException | None = None
        self._cancel_message: Any = None
        self._callbacks: list[tuple[Callable[[Any], object], contextvars.Context | None]] = []

    def get_loop(self) -> Any:
        """The loop this future belongs to."""
        return self._loop

    def done(self) -> bool:
        """True once it has a result, an exception, or was cancelled."""
        return self._state != PENDING

    def cancelled(self) -> bool:
        """True if it was cancelled."""
        return self._state == CANCELLED

    def result(self) -> Any:
        """The result; or raise the exception, CancelledError or InvalidStateError."""
        if self._state == CANCELLED:
            raise asyncio.CancelledError(self._cancel_message)
        if self._state == PENDING:
            raise asyncio.InvalidStateError("Result is not set.")
        if self._exception is not None:
            raise self._exception
        return self._result

    def exception(self) -> BaseException | None:
        """The exception (None if it has a result); CancelledError or InvalidStateError."""
        if self._state == CANCELLED:
            raise asyncio.CancelledError(self._cancel_message)
        if self._state == PENDING:
            raise asyncio.InvalidStateError("Exception is not set.")
        return self._exception

    def set_result(self, result: Any) -> None:
        """Fill the future with a result and schedule the callbacks."""
        self._refuse_if_done()
        self._result = result
        self._finish(FINISHED)

    def set_exception(self, exception: BaseException) -> None:
        """Fill the future with an exception and schedule the callbacks."""
        self._refuse_if_done()
        self._exception = exception
        self._finish(FINISHED)

    def cancel(self, msg: Any = None) -> bool:
        """Cancel the future (False if it is done already) and schedule the callbacks."""
        if self.done():
            return False
        self._cancel_message = msg
        self._finish(CANCELLED)
        return True

    def _refuse_if_done(self) -> None:
        if self.done():
            raise asyncio.InvalidStateError(f"invalid state: already {self._state}")

    def _finish(self, state: str) -> None:
        self._state = state
        # Scheduled, not called: the callbacks run on a later turn, never in
        # the middle of the code that called set_result.
        for fn, context in self._callbacks:
            self._loop.call_soon(fn, self, context=context)
        self._callbacks.clear()

    def add_done_callback(self, fn: Callable[[Any], object], *,
                          context: contextvars.Context | None = None) -> None:
        """Call ``fn(self)`` via loop.call_soon once done (soon, if it already is)."""
        if self.done():
            self._loop.call_soon(fn, self, context=context)
        else:
            self._callbacks.append((fn, context))

    def remove_done_callback(self, fn: Callable[[Any], object]) -> int:
        """Forget ``fn``; return how many registrations were removed."""
        kept = [(f, context) for f, context in self._callbacks if f != fn]
        removed = len(self._callbacks) - len(kept)
        self._callbacks[:] = kept
        return removed

    def __await__(self) -> Generator[Any, None, Any]:
        """While pending: set _asyncio_future_blocking and yield self. Then the result."""
        if not self.done():
            self._asyncio_future_blocking = True
            yield self  # the task parks here until we are done
        return self.result()
