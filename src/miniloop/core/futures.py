"""Futures: a box for a value that is not there yet.

A Future starts empty (pending) and is filled exactly once: with a result,
with an exception, or by being cancelled. Whoever is interested registers a
*done callback*; when the box is filled, the loop calls each callback on its
next turn (never right away, so that filling a future never runs strangers'
code in the middle of yours).

The one clever part is ``__await__``. It is a generator:

    def __await__(self):
        if not done: yield self      # "wake me when this future is done"
        return self.result()

So ``await fut`` inside a coroutine suspends the whole chain of coroutines
right down to the task driving them, and hands the task the future itself.
The task adds a done callback to it (its own ``_wakeup``) and stops there.
That single ``yield`` is where every coroutine in miniloop gives control
back to the loop.

A future is given its loop; this module never imports the loop.

Read next: ``tasks.py`` (what receives the yielded future).
"""

import contextvars
from collections.abc import Callable, Generator
from typing import Any, Generic, TypeVar

from miniloop.core.events import CancelledError, InvalidStateError, loop_for_new_future

T = TypeVar("T")

# asyncio's spellings, which appear in error messages programs can print.
PENDING = "PENDING"
CANCELLED = "CANCELLED"
FINISHED = "FINISHED"


class Future(Generic[T]):
    """A result that will be available later; awaitable, asyncio-compatible."""

    # Slots keep a future small; "__dict__" still lets a program hang its
    # own attributes on one (asyncio's futures allow it), paid only by those.
    __slots__ = ("__dict__", "__weakref__", "_asyncio_future_blocking", "_callbacks",
                 "_cancel_message", "_cancelled_exc", "_exception", "_exception_tb", "_log_tb",
                 "_loop", "_result", "_source_traceback", "_state")

    # asyncio contract: ``_asyncio_future_blocking`` is how asyncio (and we)
    # recognise a future without isinstance checks. Its presence on the class
    # says "I am a future"; its value (set by __await__) says "I was yielded
    # by await, not by a stray bare yield".

    def __init__(self, *, loop: Any = None) -> None:
        self._loop = loop_for_new_future() if loop is None else loop
        self._state = PENDING
        self._result: T | None = None
        self._exception: BaseException | None = None
        self._exception_tb: Any = None
        self._callbacks: list[tuple[Callable[[Any], object], contextvars.Context]] = []
        self._cancel_message: Any = None
        self._cancelled_exc: BaseException | None = None
        self._log_tb = False  # True while it holds an exception nobody has read
        self._asyncio_future_blocking = False
        self._source_traceback: Any = None  # where it was made (debug mode)

    # --- reading the box --------------------------------------------------

    def done(self) -> bool:
        """True once the future has a result, an exception, or was cancelled."""
        return self._state != PENDING

    def cancelled(self) -> bool:
        """True if the future was cancelled."""
        return self._state == CANCELLED

    def result(self) -> T:
        """The result; raises the exception, CancelledError, or InvalidStateError."""
        if self._state == PENDING:
            raise InvalidStateError("Result is not set.")
        error = self._error()
        if error is None:
            return self._result  # type: ignore[return-value]
        # The traceback will hold this frame: let the frame not hold the
        # future, or future -> exception -> traceback -> frame -> future
        # is a cycle that keeps both alive until the garbage collector runs.
        del self
        raise error

    def _error(self) -> BaseException | None:
        """What awaiting this done future raises (None: it returns); marks it seen."""
        if self._state == CANCELLED:
            return self._make_cancelled_error()
        self._log_tb = False
        exc = self._exception
        # With the traceback it came with, not one that grows at each await.
        return None if exc is None else exc.with_traceback(self._exception_tb)

    def exception(self) -> BaseException | None:
        """The exception (or None); raises CancelledError or InvalidStateError."""
        if self._state == CANCELLED:
            raise self._make_cancelled_error()
        if self._state == PENDING:
            raise InvalidStateError("Exception is not set.")
        self._log_tb = False
        return self._exception

    def get_loop(self) -> Any:
        """The loop this future belongs to."""
        return self._loop

    # --- filling the box ----------------------------------------------------

    def set_result(self, result: T) -> None:
        """Store the result and schedule the done callbacks."""
        if self._state != PENDING:
            raise InvalidStateError("invalid state")
        self._result = result
        self._state = FINISHED
        self._schedule_callbacks()

    def set_exception(self, exception: BaseException | type[BaseException]) -> None:
        """Store an exception and schedule the done callbacks."""
        if self._state != PENDING:
            raise InvalidStateError("invalid state")
        if isinstance(exception, type):
            exception = exception()
        self._exception = exception
        self._exception_tb = exception.__traceback__
        self._state = FINISHED
        self._schedule_callbacks()
        self._log_tb = True  # lost, until someone looks at it (see __del__)

    def cancel(self, msg: Any = None) -> bool:
        """Cancel the future; False if it was already done."""
        self._log_tb = False
        if self._state != PENDING:
            return False
        self._state = CANCELLED
        self._cancel_message = msg
        self._schedule_callbacks()
        return True

    def _make_cancelled_error(self) -> BaseException:
        """The CancelledError to raise for this cancelled future."""
        # A task that was cancelled keeps the very CancelledError that ended
        # its coroutine, so the traceback of the awaiter leads back into it.
        exc, self._cancelled_exc = self._cancelled_exc, None
        if exc is None:
            message = self._cancel_message
            exc = CancelledError() if message is None else CancelledError(message)
        return exc

    # --- callbacks ------------------------------------------------------------

    def add_done_callback(self, fn: Callable[[Any], object], *,
                          context: contextvars.Context | None = None) -> None:
        """Call ``fn(self)`` soon after the future is done (soon, if it already is)."""
        if self._state != PENDING:
            self._loop.call_soon(fn, self, context=context)
        else:
            self._callbacks.append((fn, contextvars.copy_context() if context is None else context))

    def remove_done_callback(self, fn: Callable[[Any], object]) -> int:
        """Forget every registration of ``fn``; return how many there were."""
        kept = [(f, context) for f, context in self._callbacks if f != fn]
        removed = len(self._callbacks) - len(kept)
        self._callbacks[:] = kept
        return removed

    def _schedule_callbacks(self) -> None:
        callbacks, self._callbacks = self._callbacks, []
        for callback, context in callbacks:
            self._loop.call_soon(callback, self, context=context)

    # --- awaiting -------------------------------------------------------------

    def __await__(self) -> Generator[Any, None, T]:
        if not self.done():
            if self._asyncio_future_blocking:  # yielded once, never taken by a task
                raise RuntimeError("await wasn't used with future")
            self._asyncio_future_blocking = True
            try:
                yield self  # The task driving us stops here until we are done.
            except BaseException:
                del self  # what is thrown in must not hold us through this frame
                raise
        if not self.done():
            raise RuntimeError("await wasn't used with future")
        error = self._error()  # raised here, not by result(): one frame less
        if error is None:
            return self._result  # type: ignore[return-value]
        del self  # no cycle through this frame (see result())
        raise error

    __iter__ = __await__  # so that generator-based coroutines can `yield from` it

    # --- nothing lost -----------------------------------------------------------

    def __del__(self) -> None:
        if self._log_tb:  # it failed, and nobody ever looked: say so
            context = {"message": f"{type(self).__name__} exception was never retrieved",
                       "exception": self._exception, "future": self}
            if self._source_traceback:
                context["source_traceback"] = self._source_traceback
            self._loop.call_exception_handler(context)


def set_result_unless_cancelled(future: Future[Any], result: object) -> None:
    """A timer's callback: the future may have been cancelled while it waited."""
    if not future.cancelled():
        future.set_result(result)


def isfuture(obj: object) -> bool:
    """True for miniloop's, asyncio's and any duck-typed compatible futures."""
    # obj.__class__, not type(obj): a Mock with a future spec passes, as in asyncio.
    return hasattr(obj.__class__, "_asyncio_future_blocking") and (
        getattr(obj, "_asyncio_future_blocking", None) is not None)


def get_loop(future: Any) -> Any:
    """The loop of any future-like object (``get_loop()``, or the old ``_loop``)."""
    get = getattr(future, "get_loop", None)
    return get() if get is not None else future._loop
