"""Tasks: how a coroutine is driven.

A coroutine cannot run itself. Something has to call ``coro.send(None)``,
look at what comes out, and call ``send`` again when the time is right. That
something is a Task, and one call to ``Task._step`` is one slice of the
coroutine's life, from where it last paused to its next ``yield``:

    it yielded None       -> it only wants to let others run: step again next turn
    it yielded a Future   -> park: step again once that future is done
    StopIteration(value)  -> the coroutine returned: the task's result is value
    it raised             -> the task's exception is what it raised

Every ``await`` chain ends in such a yield: ``Future.__await__`` yields the
future, and ``sleep(0)`` yields None. Nothing else ever reaches the task.

Parking is nothing more than ``future.add_done_callback(self._wakeup)``:
when the future is done, the loop calls ``_wakeup``, which takes the next
step, throwing the future's exception into the coroutine if it has one.

Cancellation is just as plain: ``task.cancel()`` arranges for the next step
to be ``coro.throw(CancelledError())`` instead of ``coro.send(None)``. The
coroutine can catch it, clean up, even carry on; ``cancelling()`` and
``uncancel()`` count the requests so that timeouts and task groups can tell
their own cancellations from someone else's.

A Task is also a Future (for its coroutine's outcome), so tasks can await
tasks.

Read next: ``loop.py`` if you have not yet, then ``primitives.py``, where
sleep and gather are made of futures and tasks.
"""

import contextvars
import inspect
import itertools
import types
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

from miniloop.core import events
from miniloop.core.events import CancelledError, InvalidStateError, enter_task, leave_task
from miniloop.core.futures import Future, get_loop, isfuture

T = TypeVar("T")

task_numbers = itertools.count(1)  # Task-1, Task-2, ...: the default names


def iscoroutine(obj: object) -> bool:
    """True for what a Task can drive: ``async def`` coroutines and
    generator-based coroutines (made with ``types.coroutine``)."""
    return isinstance(obj, Coroutine) or (isinstance(obj, types.GeneratorType) and bool(
        obj.gi_code.co_flags & inspect.CO_ITERABLE_COROUTINE))


class Task(Future[T]):
    """A coroutine wrapped in a Future, stepped by the loop."""

    __slots__ = ("_context", "_coro", "_fut_waiter", "_log_destroy_pending", "_must_cancel",
                 "_name", "_num_cancels_requested")

    def __init__(self, coro: Coroutine[Any, Any, T] | Generator[Any, Any, T], *,
                 loop: Any = None, name: object = None,
                 context: contextvars.Context | None = None) -> None:
        # Whether to report the task if it is dropped while still pending
        # (contract/objects.py does): not until it is really alive.
        self._log_destroy_pending = False
        super().__init__(loop=loop)
        if not self.can_drive(coro):
            raise TypeError(f"a coroutine was expected, got {coro!r}")
        self._coro = coro
        self._name = f"Task-{next(task_numbers)}" if name is None else str(name)
        self._context = contextvars.copy_context() if context is None else context
        self._fut_waiter: Any = None  # the future we are parked on
        self._must_cancel = False  # throw CancelledError at the next step
        self._num_cancels_requested = 0
        self._log_destroy_pending = True
        self._start()

    # What a task can drive: coroutines (contract/ knows each Python's rule).
    can_drive = staticmethod(iscoroutine)

    def _start(self) -> None:
        """Schedule the first step, and join asyncio's registry of live tasks."""
        self._loop.call_soon(self._step, context=self._context)
        events.register_task(self)

    # --- stepping: the heart of it --------------------------------------------

    def _step(self, exc: BaseException | None = None) -> None:
        """Run the coroutine to its next yield, throwing ``exc`` in if given."""
        if self.done():
            raise InvalidStateError(f"_step(): already done: {self!r}, {exc!r}")
        if self._must_cancel:
            if not isinstance(exc, CancelledError):
                exc = self._make_cancelled_error()
            self._must_cancel = False
        self._fut_waiter = None
        observer = self._loop.observer
        enter_task(self._loop, self)  # now current_task() is us
        if observer:
            observer.step_started(self)
        try:
            self._run_coroutine(exc)
        finally:
            leave_task(self._loop, self)
            if observer:
                observer.step_ended(self)
            # A traceback caught in the step holds this frame: it must not
            # hold the task too, or that is a cycle only the collector frees.
            del self, exc

    def _run_coroutine(self, exc: BaseException | None) -> None:
        try:
            result = self._coro.send(None) if exc is None else self._coro.throw(exc)
        except StopIteration as returned:
            if self._must_cancel:  # cancel() came during this very step: it wins
                self._must_cancel = False
                super().cancel(msg=self._cancel_message)
            else:
                super().set_result(returned.value)
        except CancelledError as cancelled:
            self._cancelled_exc = without_this_frame(cancelled)  # awaiters re-raise it
            super().cancel()
        except (KeyboardInterrupt, SystemExit) as fatal:
            super().set_exception(fatal)
            raise
        except BaseException as failure:
            super().set_exception(without_this_frame(failure))
        else:
            self._park_on(result)
        finally:
            del self, exc  # no cycle through this frame (see _step)

    def _park_on(self, result: Any) -> None:
        """The coroutine yielded ``result``: wait for it if it is a future."""
        if result is None:  # a bare yield: step again next turn
            self._loop.call_soon(self._step, context=self._context)
            return
        # A future says so with _asyncio_future_blocking, which its
        # __await__ set to True just before yielding it.
        if (getattr(result, "_asyncio_future_blocking", False) and result is not self
                and get_loop(result) is self._loop):
            result._asyncio_future_blocking = False
            result.add_done_callback(self._wakeup, context=self._context)
            self._fut_waiter = result
            if self._must_cancel and result.cancel(msg=self._cancel_message):
                self._must_cancel = False
            return
        # Not something we can wait for: throw an error into the coroutine
        # on the next turn, so that it sees where it went wrong.
        self._loop.call_soon(self._step, self._bad_yield(result), context=self._context)

    def _bad_yield(self, result: Any) -> RuntimeError:
        return RuntimeError(f"Task got bad yield: {result!r}")  # contract/ tells which

    def _wakeup(self, future: Any) -> None:
        # The future we parked on is done: step, throwing its exception (or
        # its cancellation) into the coroutine; a result, the coroutine's
        # ``await`` takes from the future itself.
        error = error_of(future)
        del future  # no cycle through this frame (see _step)
        try:
            self._step(error)
        finally:
            del self, error

    # --- cancellation ------------------------------------------------------------

    def cancel(self, msg: Any = None) -> bool:
        """Ask the task to stop: CancelledError is thrown into it at its next step."""
        self._log_tb = False
        if self.done():
            return False
        self._num_cancels_requested += 1
        if self._fut_waiter is not None and self._fut_waiter.cancel(msg=msg):
            # Cancelling what we wait on wakes us with CancelledError. Keep
            # the waiter: if it is a task that refuses, we may cancel it again.
            return True
        self._must_cancel = True
        self._cancel_message = msg
        return True

    def cancelling(self) -> int:
        """How many cancellation requests are pending (cancel() minus uncancel())."""
        return self._num_cancels_requested

    def uncancel(self) -> int:
        """Take back one cancellation request; return how many remain."""
        if self._num_cancels_requested > 0:
            self._num_cancels_requested -= 1
            if self._num_cancels_requested == 0:
                self._must_cancel = False  # nothing left to deliver
        return self._num_cancels_requested

    # --- the rest of asyncio's Task interface ----------------------------------------

    def get_name(self) -> str:
        """The task's name (``Task-N`` unless one was given)."""
        return self._name


def error_of(future: Any) -> BaseException | None:
    """What awaiting the done ``future`` raises (None if it returns).

    Read, not raised, from our own futures: a frame of ours would otherwise
    join the traceback the coroutine sees (asyncio's C futures add none).
    """
    if isinstance(future, Future):
        return future._error()
    try:
        future.result()
    except BaseException as exc:
        return without_this_frame(exc)
    return None


def without_this_frame(exc: BaseException) -> BaseException:
    """``exc``, minus the traceback entry of the frame that just caught it.

    asyncio's C tasks catch what a coroutine raises without a Python frame
    of their own, so the traceback starts in the coroutine. Ours would also
    name our stepping frame, and through it keep the loop's whole stack
    alive for as long as the exception is stored. Drop that entry.
    """
    tb = exc.__traceback__
    return exc if tb is None else exc.with_traceback(tb.tb_next)


def ensure_future(obj: Any, *, loop: Any = None) -> Any:
    """A future for ``obj``: a future as is, a coroutine or awaitable as a new task."""
    if isfuture(obj):
        if loop is not None and loop is not get_loop(obj):
            raise ValueError("The future belongs to a different loop than "
                             "the one specified as the loop argument")
        return obj
    owned = True  # a coroutine we were handed: close it if we cannot run it
    # Which objects a task can drive is its class's business (see Task.can_drive).
    task_class = getattr(loop or events._get_running_loop(), "task_class", Task)
    if not task_class.can_drive(obj):
        if not inspect.isawaitable(obj):
            raise TypeError("An asyncio.Future, a coroutine or an awaitable is required")
        obj, owned = _await_it(obj), False
    loop = events.loop_for_new_future() if loop is None else loop
    try:
        return loop.create_task(obj)
    except RuntimeError:
        if owned:
            obj.close()
        raise


async def _await_it(awaitable: Any) -> Any:
    return await awaitable
