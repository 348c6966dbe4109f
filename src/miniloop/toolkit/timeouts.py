"""Timeouts: a timer that cancels the task, and a block that owns up to it.

There is no special machinery for "give up after five seconds". A timeout
is built from two things we already have:

    a timer       loop.call_at(deadline, task.cancel)
    cancellation  the task gets CancelledError at the await it is parked on

So ``async with timeout(5): await something()`` arms a timer when the block
is entered. If the block is still running at the deadline, the timer
cancels the task; the CancelledError unwinds out of ``something()`` up to
the ``async with``, and the block's exit turns it into ``TimeoutError``.
If the block finishes first, the exit disarms the timer. That is all.

The one subtle question is *whose* cancellation is unwinding. The task may
also have been cancelled by someone else in the same moment (the program
is shutting down, a task group is aborting), and that cancellation must
not be swallowed and relabelled as a timeout. Tasks count cancellation
requests: ``cancel()`` adds one, ``uncancel()`` takes one back and says how
many remain. On exit, the timeout takes back its own request; if the count
is back where it was when the block was entered, the CancelledError was
ours and becomes TimeoutError. Otherwise it keeps travelling. Nested
timeouts work the same way, each one checking only its own request.

``wait_for(aw, seconds)`` is the older, function-shaped spelling. Up to
Python 3.11 it raced the awaitable against a timer with a private waiter
future; from 3.12 on it is a timeout block around a plain ``await``. The
two shapes differ in small observable ways (3.11 runs a coroutine in a new
task, 3.12 runs it in the caller's; 3.11 may swallow a cancellation that
arrives just as the awaitable finishes), and miniloop follows the Python
it runs on.

Read next: ``waiting.py`` (wait and as_completed: many futures at once).
"""

from __future__ import annotations

import enum
import functools
import sys
from collections.abc import Awaitable
from types import TracebackType
from typing import Any, TypeVar, final

from miniloop.core.events import CancelledError, current_task, get_running_loop
from miniloop.core.tasks import ensure_future

T = TypeVar("T")


class _Phase(enum.Enum):
    # The values are asyncio's words: they appear in reprs and error messages.
    CREATED = "created"
    ACTIVE = "active"
    EXPIRING = "expiring"  # the timer fired; the CancelledError is on its way
    EXPIRED = "expired"
    FINISHED = "finished"


@final
class Timeout:
    """An async context manager that cancels its task at a deadline.

    Make one with ``timeout(delay)`` or ``timeout_at(when)``. ``when`` is a
    ``loop.time()`` value, or None for "no deadline (yet)".
    """

    __slots__ = ("_cancelling_on_entry", "_phase", "_task", "_timer", "_when")

    def __init__(self, when: float | None) -> None:
        self._phase = _Phase.CREATED
        self._when = when
        self._timer: Any = None  # the armed Handle or TimerHandle, if any
        self._task: Any = None
        self._cancelling_on_entry = 0

    def when(self) -> float | None:
        """The deadline (a ``loop.time()`` value), or None if there is none."""
        return self._when

    def reschedule(self, when: float | None) -> None:
        """Move the deadline to ``when`` (None: no deadline); only inside the block."""
        if self._phase is not _Phase.ACTIVE:
            if self._phase is _Phase.CREATED:
                raise RuntimeError("Timeout has not been entered")
            raise RuntimeError(f"Cannot change state of {self._phase.value} Timeout")
        self._when = when
        if self._timer is not None:
            self._timer.cancel()
        if when is None:
            self._timer = None
            return
        loop = get_running_loop()
        if when <= loop.time():
            # Already overdue: expire on the next turn, not "some time later".
            self._timer = loop.call_soon(self._expire)
        else:
            self._timer = loop.call_at(when, self._expire)

    def expired(self) -> bool:
        """True once the deadline has fired (whether or not the block has exited)."""
        return self._phase is _Phase.EXPIRING or self._phase is _Phase.EXPIRED

    def __repr__(self) -> str:
        detail = ""
        if self._phase is _Phase.ACTIVE:
            when = None if self._when is None else round(self._when, 3)
            detail = f" when={when}"
        return f"<Timeout [{self._phase.value}]{detail}>"

    async def __aenter__(self) -> Timeout:
        if self._phase is not _Phase.CREATED:
            raise RuntimeError("Timeout has already been entered")
        task = current_task()
        if task is None:
            raise RuntimeError("Timeout should be used inside a task")
        self._phase = _Phase.ACTIVE
        self._task = task
        # Requests already pending are someone else's; on exit we compare.
        self._cancelling_on_entry = task.cancelling()
        self.reschedule(self._when)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._phase is _Phase.ACTIVE or self._phase is _Phase.EXPIRING
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._phase is _Phase.ACTIVE:
            self._phase = _Phase.FINISHED
            return
        self._phase = _Phase.EXPIRED
        # Take back our own cancel request first, whatever is unwinding.
        only_ours = self._task.uncancel() <= self._cancelling_on_entry
        if only_ours and exc_type is not None:
            _own_the_cancellation(exc_type, exc_value)

    def _expire(self) -> None:
        # The timer's callback: the deadline has come while the block runs.
        assert self._phase is _Phase.ACTIVE
        self._task.cancel()
        self._phase = _Phase.EXPIRING
        self._timer = None


if sys.version_info >= (3, 13):

    def _own_the_cancellation(
        exc_type: type[BaseException], exc_value: BaseException | None
    ) -> None:
        """Our timer cancelled the block: say so with a TimeoutError."""
        if issubclass(exc_type, CancelledError):
            raise TimeoutError from exc_value
        if exc_value is not None:
            # Something else escaped while our CancelledError was being
            # handled (a clean-up that failed, a task group's errors): leave
            # it alone, but mark in its context chain that a timeout began it.
            _mark_timeout_in_context(exc_value)
            if isinstance(exc_value, ExceptionGroup):
                for member in exc_value.exceptions:
                    _mark_timeout_in_context(member)

    def _mark_timeout_in_context(exc: BaseException) -> None:
        while exc.__context__ is not None:
            if isinstance(exc.__context__, CancelledError):
                marker = TimeoutError()
                marker.__context__ = marker.__cause__ = exc.__context__
                exc.__context__ = marker
                return
            exc = exc.__context__

else:

    def _own_the_cancellation(
        exc_type: type[BaseException], exc_value: BaseException | None
    ) -> None:
        """Our timer cancelled the block: say so with a TimeoutError."""
        # Up to 3.12 only a plain CancelledError (not a subclass) counts.
        if exc_type is CancelledError:
            raise TimeoutError from exc_value


def timeout(delay: float | None) -> Timeout:
    """``async with timeout(delay):`` cancels the block after ``delay`` seconds.

    The cancellation leaves the block as ``TimeoutError``. None means no
    deadline (``reschedule`` can set one later).
    """
    loop = get_running_loop()
    return Timeout(None if delay is None else loop.time() + delay)


def timeout_at(when: float | None) -> Timeout:
    """``async with timeout_at(when):`` cancels the block at loop time ``when``."""
    return Timeout(when)


# --- wait_for -------------------------------------------------------------------


def _wake(waiter: Any, *_ignored: object) -> None:
    # Used both as a timer callback and as a done callback (which is given
    # the finished future): either way, release whoever awaits the waiter.
    if not waiter.done():
        waiter.set_result(None)


async def _cancel_and_wait(fut: Any) -> None:
    """Cancel ``fut`` and wait until it is really done.

    We wait on a private waiter rather than on ``fut`` itself: awaiting
    ``fut`` would hand it our own cancellation if we were cancelled
    meanwhile, and this wait must stay cancellable on its own.
    """
    waiter = get_running_loop().create_future()
    release = functools.partial(_wake, waiter)  # a fresh object: removable exactly
    fut.add_done_callback(release)
    try:
        fut.cancel()
        await waiter
    finally:
        fut.remove_done_callback(release)


async def _give_up_at_once(fut: Any) -> Any:
    """wait_for with a timeout of zero or less: cancel unless already done."""
    # Even a coroutine is wrapped in a task first, which is cancelled before
    # it ever runs a line: "no time at all" means the body never starts.
    fut = ensure_future(fut)
    if fut.done():
        return fut.result()
    await _cancel_and_wait(fut)
    try:
        return fut.result()
    except CancelledError as exc:
        raise TimeoutError from exc


if sys.version_info >= (3, 12):

    async def wait_for(fut: Awaitable[T], timeout: float | None) -> T:
        """Await ``fut``, but give up after ``timeout`` seconds (None: never).

        On timeout the awaitable is cancelled and ``TimeoutError`` raised.
        If the awaited task swallows its cancellation and returns a value,
        that value is returned instead. Cancelling the caller cancels it too.
        """
        if timeout is not None and timeout <= 0:
            return await _give_up_at_once(fut)  # type: ignore[no-any-return]
        loop = get_running_loop()
        async with Timeout(None if timeout is None else loop.time() + timeout):
            return await fut

else:

    async def wait_for(fut: Awaitable[T], timeout: float | None) -> T:
        """Await ``fut``, but give up after ``timeout`` seconds (None: never).

        On timeout the awaitable is cancelled and ``TimeoutError`` raised.
        Cancelling the caller cancels the awaitable too.
        """
        loop = get_running_loop()
        if timeout is None:
            return await fut
        if timeout <= 0:
            return await _give_up_at_once(fut)  # type: ignore[no-any-return]

        # The race: whichever comes first, the timer or fut's completion,
        # releases the waiter; then we look at which one it was.
        waiter = loop.create_future()
        timer = loop.call_later(timeout, _wake, waiter)
        release = functools.partial(_wake, waiter)
        inner = ensure_future(fut, loop=loop)
        inner.add_done_callback(release)
        try:
            try:
                await waiter
            except CancelledError:
                if inner.done():
                    # Finished in the same breath as our cancellation: 3.11
                    # returns the result and the cancellation is dropped.
                    return inner.result()  # type: ignore[no-any-return]
                inner.remove_done_callback(release)
                await _cancel_and_wait(inner)  # never leave it running behind us
                raise
            if inner.done():
                return inner.result()  # type: ignore[no-any-return]
            inner.remove_done_callback(release)
            await _cancel_and_wait(inner)
            try:
                # It may have refused to be cancelled, or failed on the way.
                return inner.result()  # type: ignore[no-any-return]
            except CancelledError as exc:
                raise TimeoutError() from exc
        finally:
            timer.cancel()


__all__ = ["Timeout", "timeout", "timeout_at", "wait_for"]
