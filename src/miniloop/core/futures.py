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
The task registers a done callback on it and goes to sleep. That single
``yield`` is where every coroutine in miniloop gives control back to the loop.

A future is given its loop; this module never imports the loop.

One visible difference from asyncio, whose futures are written in C: an
exception raised by ``await fut`` passes through ``__await__``, a Python
frame, so a printed traceback shows one line of ``futures.py`` more (as
asyncio's own pure-Python futures do).

Read next: ``tasks.py`` (what receives the yielded future).
"""

from __future__ import annotations

import contextvars
import sys
from collections.abc import Callable, Generator
from types import GenericAlias
from typing import Any, Generic, TypeVar

from miniloop.contract import reporting, reprs
from miniloop.contract.reporting import LogTracebackFlag
from miniloop.core import events
from miniloop.core.events import CancelledError, InvalidStateError

T = TypeVar("T")

# asyncio's spellings, which appear in error messages programs can print.
PENDING = "PENDING"
CANCELLED = "CANCELLED"
FINISHED = "FINISHED"


def _loop_for_new_future() -> Any:
    """The loop a future belongs to when none is given: the running one."""
    loop = events._get_running_loop()
    if loop is None:
        # asyncio contract: outside a running loop, asyncio asks its policy.
        import asyncio

        loop = asyncio.get_event_loop()
    return loop


class Future(LogTracebackFlag, Generic[T]):
    """A result that will be available later; awaitable, asyncio-compatible."""

    __slots__ = ("__weakref__", "_asyncio_future_blocking", "_callbacks", "_cancel_message",
                 "_cancelled_exc", "_exception", "_exception_tb", "_log_tb", "_loop", "_parked",
                 "_result", "_source_traceback", "_state")

    # asyncio contract: ``_asyncio_future_blocking`` is how asyncio (and we)
    # recognise a future without isinstance checks. Its presence on the class
    # says "I am a future"; its value (set by __await__) says "I was yielded
    # by await, not by a stray bare yield". Here it is a slot, which is
    # enough: ``hasattr(Future, "_asyncio_future_blocking")`` is true.

    def __init__(self, *, loop: Any = None) -> None:
        if loop is None:
            loop = _loop_for_new_future()
        self._loop = loop
        self._state = PENDING
        self._result: T | None = None
        self._exception: BaseException | None = None
        self._exception_tb: Any = None
        # (callback, context) pairs, once there are any. A miniloop Task
        # waiting on this future is stored as (task, None), or, when it is
        # the first to wait (the usual case), in _parked, which needs no
        # list: see _schedule_callbacks.
        self._parked: Any = None
        self._callbacks: list[tuple[Any, contextvars.Context | None]] | None = None
        self._cancel_message: Any = None
        self._cancelled_exc: BaseException | None = None
        self._log_tb = False
        self._asyncio_future_blocking = False
        self._source_traceback: Any = None
        if _in_debug_mode(loop):
            self._source_traceback = reprs.extract_stack(sys._getframe(1))

    # --- reading the box --------------------------------------------------

    def done(self) -> bool:
        """True once the future has a result, an exception, or was cancelled."""
        return self._state is not PENDING

    def cancelled(self) -> bool:
        """True if the future was cancelled."""
        return self._state is CANCELLED

    def result(self) -> T:
        """The result; raises the exception, CancelledError, or InvalidStateError."""
        if self._state is PENDING:
            raise InvalidStateError("Result is not set.")
        exc = self._error()
        if exc is None:
            return self._result  # type: ignore[return-value]
        # The traceback will hold this frame: let the frame hold neither
        # the future nor the exception, or future -> exception ->
        # traceback -> frame -> future is a cycle that keeps both (and the
        # awaiting frames) alive until the garbage collector runs.
        # asyncio's C futures have no frame, so they free all of it at once.
        del self
        try:
            raise exc
        finally:
            del exc

    def _error(self) -> BaseException | None:
        """What awaiting this done future raises (None: it returns); marks it seen."""
        if self._state is CANCELLED:
            return self._make_cancelled_error()
        self._log_tb = False
        exc = self._exception
        return None if exc is None else exc.with_traceback(self._exception_tb)

    def exception(self) -> BaseException | None:
        """The exception (or None); raises CancelledError or InvalidStateError."""
        if self._state is CANCELLED:
            raise self._make_cancelled_error()
        if self._state is not FINISHED:
            raise InvalidStateError("Exception is not set.")
        self._log_tb = False
        return self._exception

    def get_loop(self) -> Any:
        """The loop this future belongs to."""
        return self._loop

    # --- filling the box ----------------------------------------------------

    def set_result(self, result: T) -> None:
        """Store the result and schedule the done callbacks."""
        if self._state is not PENDING:
            raise InvalidStateError("invalid state")  # what the C future says
        self._result = result
        self._state = FINISHED
        self._schedule_callbacks()

    def set_exception(self, exception: BaseException | type[BaseException]) -> None:
        """Store an exception and schedule the done callbacks."""
        if self._state is not PENDING:
            raise InvalidStateError("invalid state")  # what the C future says
        if isinstance(exception, type):
            exception = exception()
        exception = _refuse_stop_iteration(exception)
        self._exception = exception
        self._exception_tb = exception.__traceback__
        self._state = FINISHED
        self._schedule_callbacks()
        # Until someone looks at the exception, it counts as lost: __del__
        # reports it if the future dies unobserved.
        self._log_tb = True

    def cancel(self, msg: Any = None) -> bool:
        """Cancel the future; False if it was already done."""
        self._log_tb = False
        if self._state is not PENDING:
            return False
        self._state = CANCELLED
        self._cancel_message = msg
        self._schedule_callbacks()
        return True

    def _make_cancelled_error(self) -> BaseException:
        """The CancelledError to raise for this cancelled future."""
        # A task that was cancelled keeps the very CancelledError that ended
        # its coroutine, so the traceback of the awaiter leads back into it.
        exc = self._cancelled_exc
        if exc is not None:
            self._cancelled_exc = None
            return exc
        if self._cancel_message is None:
            return CancelledError()
        return CancelledError(self._cancel_message)

    # --- callbacks ------------------------------------------------------------

    def add_done_callback(
        self, fn: Callable[[Any], object], *, context: contextvars.Context | None = None
    ) -> None:
        """Call ``fn(self)`` soon after the future is done (soon, if it already is)."""
        if self._state is not PENDING:
            self._loop.call_soon(fn, self, context=context)
            return
        if context is None:
            context = contextvars.copy_context()
        if self._callbacks is None:
            self._callbacks = [(fn, context)]
        else:
            self._callbacks.append((fn, context))

    def _waiters_and_callbacks(self) -> list[tuple[Any, contextvars.Context | None]]:
        """Everything that runs when this future is done, in order; a parked
        task appears as (task, None). For reprs and tools, not the hot path."""
        first = [] if self._parked is None else [(self._parked, None)]
        return first + (self._callbacks or [])

    def remove_done_callback(self, fn: Callable[[Any], object]) -> int:
        """Forget every registration of ``fn``; return how many there were."""
        callbacks = self._callbacks
        if not callbacks:
            return 0
        kept = [(f, ctx) for f, ctx in callbacks if f != fn]
        removed = len(callbacks) - len(kept)
        if removed:
            callbacks[:] = kept
        return removed

    def _schedule_callbacks(self) -> None:
        # A miniloop Task parked on this future. Obvious version:
        # call_soon(task._wakeup, self, context=task's context). The task is
        # its own ready-queue entry instead, which saves a Handle and a bound
        # method per wake-up; same turn, same order.
        parked = self._parked
        if parked is not None:
            self._parked = None
            self._loop._ready.append(parked)  # it registered first: it goes first
        callbacks = self._callbacks
        if not callbacks:
            return
        self._callbacks = None
        loop = self._loop
        for callback, context in callbacks:
            if context is None:  # a task that parked after other callbacks
                loop._ready.append(callback)
            else:
                loop.call_soon(callback, self, context=context)

    # --- awaiting -------------------------------------------------------------

    def __await__(self) -> Generator[Any, None, T]:
        if self._state is PENDING:
            self._asyncio_future_blocking = True
            try:
                yield self  # The task driving us parks here until we are done.
            except BaseException:
                del self  # no cycle through this frame (see result())
                raise
        if self._state is PENDING:
            raise RuntimeError("await wasn't used with future")
        if self._state is FINISHED and self._exception is None:
            return self._result  # type: ignore[return-value]
        # Raised here, not through result(): one frame of ours in the
        # traceback instead of two (asyncio's C future shows none).
        exc = self._error()
        del self  # no cycle through this frame (see result())
        try:
            raise exc  # type: ignore[misc]
        finally:
            del exc

    __iter__ = __await__  # so that generator-based coroutines can `yield from` it

    # --- reporting --------------------------------------------------------------

    def __del__(self) -> None:
        if self._log_tb:  # it failed, and nobody ever looked: say so
            reporting.report_never_retrieved(self)
        elif self._state is PENDING and getattr(self, "_log_destroy_pending", False):
            # A task that was still running when it was thrown away. (Task
            # shares this __del__: one Python call per object is enough.)
            reporting.report_destroyed_pending(self)

    def __repr__(self) -> str:
        return reprs.describe_future(self)

    def _repr_info(self) -> list[str]:
        return reprs.future_repr_info(self)

    # ``Future[int]`` is a plain generic alias, as asyncio's is.
    __class_getitem__ = classmethod(GenericAlias)  # type: ignore[var-annotated]


def _in_debug_mode(loop: Any) -> bool:
    try:
        return bool(loop._debug)  # miniloop's and asyncio's loops: no call needed
    except AttributeError:
        return bool(loop.get_debug())


def _set_result_unless_cancelled(future: Any, result: object) -> None:
    # A timer's callback: the future may have been cancelled while it waited.
    if not future.cancelled():
        future.set_result(result)


def _refuse_stop_iteration(exception: BaseException) -> BaseException:
    # A StopIteration escaping from a generator would look like a return.
    if sys.version_info >= (3, 13):
        if isinstance(exception, StopIteration):
            wrapped = RuntimeError(
                "StopIteration interacts badly with generators "
                "and cannot be raised into a Future"
            )
            wrapped.__cause__ = wrapped.__context__ = exception
            return wrapped
    elif type(exception) is StopIteration:
        raise TypeError(
            "StopIteration interacts badly with generators "
            "and cannot be raised into a Future"
        )
    return exception


def isfuture(obj: object) -> bool:
    """True for miniloop's, asyncio's and any duck-typed compatible futures."""
    # obj.__class__, not type(obj): a Mock with a future spec passes, as in asyncio.
    return hasattr(obj.__class__, "_asyncio_future_blocking") and (
        getattr(obj, "_asyncio_future_blocking", None) is not None
    )


def get_loop(fut: Any) -> Any:
    """The loop of any future-like object (``get_loop()``, or the old ``_loop``)."""
    get = getattr(fut, "get_loop", None)
    return get() if get is not None else fut._loop
