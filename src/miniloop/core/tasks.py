"""Tasks: how a coroutine is driven.

A coroutine cannot run itself. Something has to call ``coro.send(None)``,
look at what comes out, and call ``send`` again when the time is right. That
something is a Task, and one call to ``Task._run`` is one slice of the
coroutine's life, from where it last paused to its next ``yield``:

    it yielded None       -> it only wants to let others run: step again next turn
    it yielded a Future   -> park: step again once that future is done
    StopIteration(value)  -> the coroutine returned: the task's result is value
    it raised             -> the task's exception is what it raised

Every ``await`` chain ends in such a yield: ``Future.__await__`` yields the
future, and ``sleep(0)`` yields None. Nothing else ever reaches the task.

Cancellation is just as plain: ``task.cancel()`` arranges for the next step
to be ``coro.throw(CancelledError())`` instead of ``coro.send(None)``. The
coroutine can catch it, clean up, even carry on; ``cancelling()`` and
``uncancel()`` count the requests so that timeouts and task groups can tell
their own cancellations from someone else's.

A Task is also a Future (for its coroutine's outcome), so tasks can await
tasks. And a Task is its own entry in the loop's ready queue: the loop calls
``task._run()`` exactly as it calls ``handle._run()`` for a callback.

Read next: ``loop.py`` if you have not yet, then ``primitives.py``, where
sleep and gather are made of futures and tasks.
"""

from __future__ import annotations

import contextvars
import inspect
import itertools
import sys
import types
from collections.abc import Coroutine, Generator
from typing import Any, TextIO, TypeVar

from miniloop.contract import reporting, reprs, stacks
from miniloop.contract.eager import create_eager_task_factory, start_eagerly
from miniloop.core import events
from miniloop.core.events import CancelledError, enter_task, leave_task
from miniloop.core.futures import (
    CANCELLED,
    FINISHED,
    PENDING,
    Future,
    _loop_for_new_future,
    get_loop,
    isfuture,
)

T = TypeVar("T")

_next_task_number = itertools.count(1).__next__


def iscoroutine(obj: object) -> bool:
    """True for what a Task can drive: ``async def`` coroutines and
    generator-based coroutines (made with ``types.coroutine``).

    On 3.11 any generator counts, as it does for asyncio there. From 3.12
    asyncio accepts no generator at all; miniloop still drives the ones
    marked with ``types.coroutine`` (the ``genbased`` demo needs them).
    """
    if type(obj) is types.CoroutineType or isinstance(obj, Coroutine):
        return True
    return isinstance(obj, types.GeneratorType) and (
        _ANY_GENERATOR_IS_A_COROUTINE or bool(obj.gi_code.co_flags & inspect.CO_ITERABLE_COROUTINE))


_ANY_GENERATOR_IS_A_COROUTINE = sys.version_info < (3, 12)


class Task(Future[T]):
    """A coroutine wrapped in a Future, stepped by the loop."""

    __slots__ = ("_context", "_coro", "_fut_waiter", "_log_destroy_pending", "_must_cancel",
                 "_name", "_num_cancels_requested", "_step_exc")

    def __init__(self, coro: Coroutine[Any, Any, T] | Generator[Any, Any, T], *,
                 loop: Any = None, name: object = None,
                 context: contextvars.Context | None = None, eager_start: bool = False) -> None:
        super().__init__(loop=loop)
        if self._source_traceback:
            del self._source_traceback[-1]  # "created at" the caller, not here
        self._log_destroy_pending = False  # until the task is really alive
        if not getattr(self._loop, "_runs_miniloop_tasks", False):
            raise TypeError(f"a miniloop Task needs a miniloop loop, got {self._loop!r}")
        if not iscoroutine(coro):
            raise TypeError(f"a coroutine was expected, got {coro!r}")
        self._coro = coro
        # Named lazily: formatting "Task-17" for every task costs time that
        # only code calling get_name() should pay.
        self._name: str | int = _next_task_number() if name is None else str(name)
        self._context = contextvars.copy_context() if context is None else context
        self._fut_waiter: Any = None
        self._must_cancel = False
        self._num_cancels_requested = 0
        self._step_exc: BaseException | None = None
        self._log_destroy_pending = True
        if eager_start and self._loop.is_running():
            start_eagerly(self)  # 3.12+: the first step runs now (eager.py)
        else:
            self._loop._ready.append(self)  # first step: next turn of the loop
            events.register_task(self)

    # --- stepping: the heart of it --------------------------------------------

    def _run(self) -> None:
        """One step. The loop calls this when the task comes up in the ready queue.

        Obvious version: a ``_step`` method scheduled with
        ``call_soon(task._step, context=task's context)``, running wholly
        inside the task's context. Here only the coroutine itself runs in
        the context (``context.run(coro.send, None)``): nothing else in a
        step reads context variables, and it saves a Python frame per step.
        """
        if self._state is not PENDING:
            error = events.InvalidStateError(f"_step(): already done: {self!r}")
            reporting.report_step_failure(self, error)
            return
        # What to throw into the coroutine: the outcome of the future we
        # parked on (a result is fetched by Future.__await__ itself), or an
        # error we scheduled, or a cancellation that was requested.
        waiter = self._fut_waiter
        if waiter is not None:
            self._fut_waiter = None
            exc = None
            if waiter._state is not FINISHED or waiter._exception is not None:
                exc = _exception_of(waiter)
        else:
            exc = self._step_exc
            if exc is not None:
                self._step_exc = None
        if self._must_cancel:
            if not isinstance(exc, CancelledError):
                exc = self._make_cancelled_error()
            self._must_cancel = False
        loop = self._loop
        try:
            enter_task(loop, self)
        except RuntimeError as error:  # another task's step is still running
            reporting.report_step_failure(self, error)
            return
        try:
            if exc is None:
                result = self._context.run(self._coro.send, None)
            else:
                result = self._context.run(self._coro.throw, exc)
        except StopIteration as returned:
            if self._must_cancel:
                # cancel() was called during this very step, which ended in
                # a return: the request still wins.
                self._must_cancel = False
                Future.cancel(self, msg=self._cancel_message)
            else:
                # Future.set_result(self, returned.value), without the call.
                self._result = returned.value
                self._state = FINISHED
                if self._parked is not None or self._callbacks:
                    self._schedule_callbacks()
        except CancelledError as cancelled:
            # Awaiters re-raise this very one.
            self._cancelled_exc = _without_this_frame(cancelled)
            Future.cancel(self)
        except (KeyboardInterrupt, SystemExit) as fatal:
            Future.set_exception(self, fatal)
            raise
        except BaseException as failure:
            Future.set_exception(self, _without_this_frame(failure))
        else:
            if result is None:
                loop._ready.append(self)  # a bare yield: again next turn
            else:
                self._park_on(result)
        finally:
            leave_task(loop, self)
            # A traceback caught here holds this frame; the task and the
            # exception thrown in must not be reachable from it, or the task
            # and its exception form a cycle that only the garbage collector
            # frees (asyncio's C tasks step without a Python frame).
            del self, exc, waiter

    def _wakeup(self, future: Any) -> None:
        # The done callback we give to futures that are not miniloop's (an
        # asyncio.Future, say). ``future`` is our _fut_waiter: step now.
        del future
        self._run()

    def _park_on(self, result: Any) -> None:
        """The coroutine yielded ``result``: wait for it if it is a future."""
        blocking = getattr(result, "_asyncio_future_blocking", None)
        if blocking is None:
            problem = _bad_yield(self, result)
        elif get_loop(result) is not self._loop:
            problem = RuntimeError(
                f"Task {self!r} got Future {result!r} attached to a different loop"
            )
        elif not blocking:
            problem = RuntimeError(
                f"yield was used instead of yield from in task {self!r} with {result!r}"
            )
        elif result is self:
            problem = RuntimeError(f"Task cannot await on itself: {self!r}")
        else:
            result._asyncio_future_blocking = False
            # The fast path for our own futures, unless a subclass overrides
            # add_done_callback (then it must see the call).
            if (isinstance(result, Future) and result._state is PENDING
                    and type(result).add_done_callback is _add_done_callback):
                # See Future._schedule_callbacks for how we are woken.
                if result._parked is None and result._callbacks is None:
                    result._parked = self
                elif result._callbacks is None:
                    result._callbacks = [(self, None)]
                else:
                    result._callbacks.append((self, None))
            else:
                # _wakeup enters our context itself (see _run): give the
                # callback a context of its own, not ours, to run in.
                result.add_done_callback(self._wakeup, context=contextvars.Context())
            self._fut_waiter = result
            if self._must_cancel and result.cancel(msg=self._cancel_message):
                self._must_cancel = False
            return
        # Not something we can wait for: throw an error into the coroutine
        # on the next turn, so that it sees where it went wrong.
        self._step_exc = problem
        self._loop._ready.append(self)

    # --- cancellation ------------------------------------------------------------

    def cancel(self, msg: Any = None) -> bool:
        """Ask the task to stop: CancelledError is thrown into it at its next step."""
        self._log_tb = False
        if self._state is not PENDING:
            return False
        self._num_cancels_requested += 1
        waiter = self._fut_waiter
        if waiter is not None and waiter.cancel(msg=msg):
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
            if sys.version_info >= (3, 13) and self._num_cancels_requested == 0:
                self._must_cancel = False
        return self._num_cancels_requested

    # --- the rest of asyncio's Task interface ----------------------------------------

    def get_coro(self) -> Any:
        """The coroutine this task drives."""
        return self._coro

    if sys.version_info >= (3, 12):  # asyncio's tasks gained it in 3.12

        def get_context(self) -> contextvars.Context:
            """The context every step of this task runs in."""
            return self._context

    def get_name(self) -> str:
        """The task's name (``Task-N`` unless one was given)."""
        name = self._name
        if isinstance(name, int):
            name = self._name = f"Task-{name}"
        return name

    def set_name(self, value: object) -> None:
        """Rename the task."""
        self._name = str(value)

    def set_result(self, result: Any) -> None:
        """Refused: a task's result is what its coroutine returns."""
        raise RuntimeError("Task does not support set_result operation")

    def set_exception(self, exception: Any) -> None:
        """Refused: a task's exception is what its coroutine raises."""
        raise RuntimeError("Task does not support set_exception operation")

    def get_stack(self, *, limit: int | None = None) -> list[types.FrameType]:
        """The frames of the suspended coroutine (or of the traceback, if it failed)."""
        return stacks.task_stack(self, limit)

    def print_stack(self, *, limit: int | None = None, file: TextIO | None = None) -> None:
        """Print the task's stack or traceback, like asyncio does."""
        stacks.print_task_stack(self, limit, file)

    def _repr_info(self) -> list[str]:
        return reprs.task_repr_info(self)



_add_done_callback = Future.add_done_callback


def ensure_future(obj: Any, *, loop: Any = None) -> Any:
    """A future for ``obj``: a future as is, a coroutine or awaitable as a new task."""
    if isfuture(obj):
        if loop is not None and loop is not get_loop(obj):
            raise ValueError("The future belongs to a different loop than "
                             "the one specified as the loop argument")
        return obj
    owned = True  # a coroutine we were handed: close it if we cannot run it
    if not iscoroutine(obj):
        if not inspect.isawaitable(obj):
            raise TypeError("An asyncio.Future, a coroutine or an awaitable is required")
        obj, owned = _await_it(obj), False
    if loop is None:
        loop = _loop_for_new_future()
    try:
        return loop.create_task(obj)
    except RuntimeError:
        if owned:
            obj.close()
        raise


async def _await_it(awaitable: Any) -> Any:
    return await awaitable


def _exception_of(future: Any) -> BaseException | None:
    """What awaiting a done ``future`` would raise (None if it would return)."""
    if isinstance(future, Future) and type(future).result is Future.result:
        # One of ours: read the outcome instead of raising it, so that no
        # frame of the loop's machinery ends up in the exception's traceback.
        return future._error()
    try:
        future.result()
    except BaseException as exc:  # a cancellation is also delivered this way
        del future  # the traceback holds this frame: no cycle back to the future
        return _without_this_frame(exc)
    return None


def _without_this_frame(exc: BaseException) -> BaseException:
    """``exc``, minus the traceback entry of the frame that just caught it.

    asyncio's C tasks catch what a coroutine raises without a Python frame
    of their own, so the traceback starts in the coroutine. Ours would also
    name our stepping frame, and through that frame's ``f_back`` keep the
    whole stack of the loop alive (a cycle, freed only by the garbage
    collector) for as long as the exception is stored. Drop that entry.
    """
    tb = exc.__traceback__
    return exc if tb is None else exc.with_traceback(tb.tb_next)


def _bad_yield(task: Task[Any], result: object) -> RuntimeError:
    if inspect.isgenerator(result):
        return RuntimeError(
            f"yield was used instead of yield from for generator in task {task!r} with {result!r}"
        )
    return RuntimeError(f"Task got bad yield: {result!r}")


if sys.version_info >= (3, 12):
    eager_task_factory = create_eager_task_factory(Task)
    eager_task_factory.__doc__ = "A task factory whose tasks start at once (see eager.py)."

__all__ = ["CANCELLED", "FINISHED", "PENDING", "Task", "ensure_future", "iscoroutine"]
