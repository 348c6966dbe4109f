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

from typing import Any

from miniloop.contract import objects
from miniloop.contract.reprs import describe_callback
from miniloop.core import futures as core_futures
from miniloop.core.events import (
    CancelledError,
    InvalidStateError,
    enter_task,
    leave_task,
    register_task,
)
from miniloop.core.futures import FINISHED, PENDING
from miniloop.core.tasks import error_of, without_this_frame


class _ParkedTasks:
    """Done callbacks where a parked miniloop task is ``(task, None)``."""

    __slots__ = ()
    _callbacks: list[Any]
    _loop: Any
    _state: str

    def _schedule_callbacks(self) -> None:
        callbacks, self._callbacks = self._callbacks, []  # type: ignore[misc]
        loop = self._loop
        observer = loop.observer
        for callback, context in callbacks:
            if context is None:  # a parked task: it is its own ready entry
                loop._ready.append(callback)
                if observer:
                    observer.scheduled(callback)
            else:
                loop.call_soon(callback, self, context=context)


class Future(_ParkedTasks, objects.Future[Any]):
    """A Future whose parked tasks wake without a Handle."""

    __slots__ = ()


class _GatheringFuture(_ParkedTasks, objects._GatheringFuture):
    """gather's outer future, waking its parked task without a Handle."""

    __slots__ = ()


class Task(_ParkedTasks, objects.Task[Any]):
    """A Task that is its own entry in the loop's ready queue."""

    __slots__ = ()

    def _start(self) -> None:
        if self._eager_start and self._loop.is_running():
            super()._start()
            return
        if self._source_traceback:
            del self._source_traceback[-2:]
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
            result._callbacks.append((self, None))
            self._fut_waiter = result
            if self._must_cancel and result.cancel(msg=self._cancel_message):
                self._must_cancel = False
            return
        super()._park_on(result)


_FAST_FUTURES = (Future, Task, _GatheringFuture)
