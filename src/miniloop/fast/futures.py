"""The fast Future and Task: the same behaviour as the plain ones, fewer steps.

Each speed-up below overrides one named piece of ``core/`` (through the
contract's classes, so that reprs and messages stay asyncio's) and says
what the plain version does instead:

* **A task is its own ready-queue entry.** Plain: every step is a
  ``Handle`` wrapping the bound method ``task._step`` (or ``_wakeup``).
  Fast: the task goes on the queue itself and the loop calls its ``_run``.
  That saves a Handle and a bound method per step; the order is the same.
* **One frame per step.** Plain: ``_step`` runs in the task's context and
  calls ``_run_coroutine``. Fast: ``Task._run`` is the whole step, and only
  the coroutine runs inside the context.
* **A parked task is stored as itself.** Plain: parking adds the done
  callback ``task._wakeup`` with a copy of the task's context. Fast: the
  future keeps ``(task, None)`` in its callback list and, when done,
  appends the task straight to the ready queue (same turn, same place).

``python -m bench`` measures the gain (see ``bench/RESULTS.md``).

Read next: ``loop.py`` in this folder.
"""

from __future__ import annotations

import contextvars
import sys
from typing import Any

from miniloop.contract import eager, objects, reprs, versions
from miniloop.contract.reprs import describe_callback
from miniloop.core import futures as core_futures
from miniloop.core import primitives
from miniloop.core import tasks as core_tasks
from miniloop.core.events import (
    CancelledError,
    InvalidStateError,
    enter_task,
    leave_task,
    loop_for_new_future,
    register_task,
)
from miniloop.core.futures import FINISHED, PENDING
from miniloop.core.tasks import error_of, without_this_frame


class _ParkedTasks:
    """Done callbacks kept lazily, where a parked miniloop task is ``(task, None)``.

    Plain: every future gets a list for its callbacks when it is made, and a
    parked task is its bound ``_wakeup``. Fast: the list comes with the first
    callback (most tasks never get one), and a parked task is stored as
    itself: when the future is done, it goes straight on the ready queue.
    """

    __slots__ = ()
    _callbacks: list[Any] | None
    _loop: Any
    _state: str

    def add_done_callback(self, fn: Any, *, context: Any = None) -> None:
        """Call ``fn(self)`` soon after the future is done (soon, if it already is)."""
        if self._state is not PENDING:
            self._loop.call_soon(fn, self, context=context)
            return
        entry = (fn, context or contextvars.copy_context())
        if self._callbacks is None:
            self._callbacks = [entry]  # type: ignore[misc]
        else:
            self._callbacks.append(entry)

    def remove_done_callback(self, fn: Any) -> int:
        """Forget every registration of ``fn``; return how many there were."""
        if not self._callbacks:
            return 0
        kept = [(f, context) for f, context in self._callbacks if f != fn]
        removed = len(self._callbacks) - len(kept)
        self._callbacks[:] = kept
        return removed

    def _schedule_callbacks(self) -> None:
        callbacks = self._callbacks
        if not callbacks:
            return
        self._callbacks = None  # type: ignore[misc]
        loop = self._loop
        observer = loop.observer
        for callback, context in callbacks:
            if context is None:  # a parked task: it is its own ready entry
                loop._ready.append(callback)
                if observer:
                    observer.scheduled(callback)
            else:
                loop.call_soon(callback, self, context=context)

    def _park(self, task: Any) -> None:
        if self._callbacks is None:
            self._callbacks = [(task, None)]  # type: ignore[misc]
        else:
            self._callbacks.append((task, None))


class _OwnIterator:
    """``await future`` without a generator.

    Plain: ``Future.__await__`` is a generator function, so every ``await``
    makes a generator object, which a parked task holds for as long as it
    waits. Fast: the future is its own iterator. The first ``next()`` yields
    the future (the task parks on it); the next one, after it is done,
    returns the result (``StopIteration``). An exception thrown into the
    awaiting coroutine goes straight past it, as it has no ``throw``.
    (The one difference a program can see: a failed ``await`` shows no
    ``Future.__await__`` frame in its traceback, as with asyncio's C futures.)
    """

    __slots__ = ()
    _state: str
    _asyncio_future_blocking: bool

    def __await__(self) -> Any:
        return self

    __iter__ = __await__

    def __next__(self) -> Any:
        if self._state is PENDING:
            if self._asyncio_future_blocking:  # yielded once, never taken by a task
                raise RuntimeError("await wasn't used with future")
            self._asyncio_future_blocking = True  # type: ignore[misc]
            return self
        error = self._error()  # type: ignore[attr-defined]
        if error is None:
            raise StopIteration(self._result)  # type: ignore[attr-defined]
        raise error  # from here: one frame of ours, as the plain __await__ shows


class Future(_OwnIterator, _ParkedTasks, objects.Future[Any]):  # type: ignore[misc]
    """A Future that is its own iterator and wakes its parked tasks without a Handle."""

    __slots__ = ()

    def __init__(self, *, loop: Any = None) -> None:
        core_futures.Future.__init__(self, loop=loop)
        self._callbacks = None
        self._remember_origin(sys._getframe(1))


class _GatheringFuture(_OwnIterator, _ParkedTasks,  # type: ignore[misc]
                       objects._GatheringFuture):
    """gather's outer future, the fast way."""

    __slots__ = ()

    def __init__(self, children: list[Any], *, loop: Any) -> None:
        primitives._GatheringFuture.__init__(self, children, loop=loop)
        self._callbacks = None
        self._remember_origin(sys._getframe(1))


class Task(_OwnIterator, _ParkedTasks, objects.Task[Any]):  # type: ignore[misc]
    """A Task that is its own entry in the loop's ready queue."""

    __slots__ = ()

    def __init__(self, coro: Any, *, loop: Any = None, name: object = None,
                 context: contextvars.Context | None = None, eager_start: bool = False) -> None:
        # Plain: five __init__s up the classes, each setting its part. Fast:
        # every field at once (the same fields: the tests compare the two).
        self._log_destroy_pending = self._log_tb = False  # until the task is really alive
        if loop is None:
            loop = loop_for_new_future()
        if not getattr(loop, "_runs_miniloop_tasks", False):
            raise TypeError(f"a miniloop Task needs a miniloop loop, got {loop!r}")
        if not versions.is_coroutine(coro):
            raise TypeError(f"a coroutine was expected, got {coro!r}")
        self._loop = loop
        self._state = PENDING
        self._result = self._exception = self._exception_tb = None
        self._callbacks = None
        self._cancel_message = self._cancelled_exc = None
        self._log_tb = self._asyncio_future_blocking = self._must_cancel = False
        self._source_traceback = None
        self._coro = coro
        self._name: Any = next(core_tasks.task_numbers) if name is None else str(name)
        self._context = contextvars.copy_context() if context is None else context
        self._fut_waiter = None
        self._num_cancels_requested = 0
        self._eager_start = eager_start
        self._log_destroy_pending = True
        if loop._debug:
            self._source_traceback = reprs.extract_stack(sys._getframe(1))
        self._start()

    def get_name(self) -> str:
        """The task's name. Plain: made at birth. Fast: a number until asked
        (most tasks never are), which spares a string per task."""
        name: Any = self._name
        if type(name) is int:
            self._name = name = f"Task-{name}"
        return name  # type: ignore[no-any-return]

    def _start(self) -> None:
        if self._eager_start and self._loop.is_running():
            eager.start_eagerly(self)  # 3.12+: the first step runs now
        else:
            self._schedule_step()
            register_task(self)

    def _schedule_step(self) -> None:
        self._loop._ready.append(self)
        observer = self._loop.observer
        if observer:
            observer.scheduled(self)

    def _run(self) -> None:
        """The loop found us on its ready queue: take one step.

        Plain: ``_step`` runs wholly inside the task's context and calls
        ``_run_coroutine``. Here it is one frame, and only the coroutine
        itself runs inside the context (``context.run(coro.send, None)``):
        nothing else in a step reads context variables.
        """
        if self._state is not PENDING:
            self._report(InvalidStateError(f"_step(): already done: {self!r}, None"))
            return
        waiter = self._fut_waiter
        exc = None if waiter is None else error_of(waiter)
        if self._must_cancel:
            if not isinstance(exc, CancelledError):
                exc = self._make_cancelled_error()
            self._must_cancel = False
        self._fut_waiter = None
        loop = self._loop
        try:
            enter_task(loop, self)
        except RuntimeError as error:  # another task's step is still running
            self._report(error)
            return
        observer = loop.observer
        if observer:
            observer.step_started(self)
        try:
            if exc is None:
                result = self._context.run(self._coro.send, None)
            else:
                result = self._context.run(self._coro.throw, exc)
        except StopIteration as returned:
            if self._must_cancel:  # cancel() came during this very step: it wins
                self._must_cancel = False
                core_futures.Future.cancel(self, msg=self._cancel_message)
            else:  # Future.set_result, without the call
                self._result = returned.value
                self._state = FINISHED
                if self._callbacks:
                    self._schedule_callbacks()
        except CancelledError as cancelled:
            self._cancelled_exc = without_this_frame(cancelled)
            core_futures.Future.cancel(self)
        except (KeyboardInterrupt, SystemExit) as fatal:
            core_futures.Future.set_exception(self, fatal)
            raise
        except BaseException as failure:
            core_futures.Future.set_exception(self, without_this_frame(failure))
        else:
            if result is None:  # a bare yield (sleep(0)): again next turn
                loop._ready.append(self)
                if observer:
                    observer.scheduled(self)
            else:
                self._park_on(result)
        finally:
            leave_task(loop, self)
            if observer:
                observer.step_ended(self)
            del self, exc, waiter  # no cycle through this frame (see core/tasks.py)

    def _report(self, error: BaseException) -> None:
        # The step could not even start: reported as a failing callback is.
        self._loop.call_exception_handler({
            "message": f"Exception in callback {describe_callback(self._run, ())}",
            "exception": error, "handle": self})

    def _park_on(self, result: Any) -> None:
        if result is None:
            self._schedule_step()
            return
        if (type(result) in _FAST_FUTURES and result._state is PENDING
                and result._loop is self._loop and result._asyncio_future_blocking
                and result is not self):
            result._asyncio_future_blocking = False
            result._park(self)
            self._fut_waiter = result
            if self._must_cancel and result.cancel(msg=self._cancel_message):
                self._must_cancel = False
            return
        super()._park_on(result)


_FAST_FUTURES = (Future, Task, _GatheringFuture)

# Handles are the contract's (asyncio's reprs); the fast loop fills them in directly.
Handle = objects.Handle
