"""The core's objects, as asyncio programs see them.

The core's Future, Task and Handle do the work. A program also *looks* at
them: it prints them, asks a task for its stack, relies on the reprs
asyncio writes in its logs, on debug mode remembering where each object
was made, on ``asyncio.Future[int]``. This module adds exactly that, as a
mixin per class, and builds the classes ``miniloop.Loop`` makes:

    Future, Task, _GatheringFuture, Handle, TimerHandle

Each is "the core class, plus what asyncio programs can observe". Python
versions that differ from the core's (which follows the newest asyncio)
are named in ``versions.py`` and handled here.

Read next: ``loop.py`` (this layer's loop), or ``eager.py``.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import sys
from types import FrameType, GenericAlias
from typing import Any, TextIO, TypeVar

from miniloop.contract import eager, reprs, stacks, versions
from miniloop.core import events, futures, loop, primitives, tasks

T = TypeVar("T")


class _Observable:
    """What futures and tasks add: exact reprs, origins, asyncio's flags."""

    __slots__ = ()
    _loop: Any
    _log_tb: bool
    _source_traceback: Any

    def _remember_origin(self, frame: FrameType) -> None:
        # Debug mode: "created at" the code that made the future.
        if versions.in_debug_mode(self._loop):
            self._source_traceback = reprs.extract_stack(frame)

    def _repr_info(self) -> list[str]:
        return reprs.future_repr_info(self)

    def __repr__(self) -> str:
        return reprs.describe_future(self)

    # asyncio contract: asyncio's helpers write ``fut._log_traceback = False``
    # to say "this exception has been taken care of"; we keep it in _log_tb.
    @property
    def _log_traceback(self) -> bool:
        return self._log_tb

    @_log_traceback.setter
    def _log_traceback(self, value: bool) -> None:
        if value:
            raise ValueError("_log_traceback can only be set to False")
        self._log_tb = False  # type: ignore[misc]

    def set_exception(self, exception: BaseException | type[BaseException]) -> None:
        """Store an exception and schedule the done callbacks."""
        if isinstance(exception, type):
            exception = exception()
        # A StopIteration raised into a generator would look like a return.
        super().set_exception(versions.refuse_stop_iteration(exception))  # type: ignore[misc]

    # ``Future[int]`` is a plain generic alias, as asyncio's is.
    __class_getitem__ = classmethod(GenericAlias)  # type: ignore[var-annotated]

    # asyncio contract: programs and libraries ask ``isinstance(x,
    # asyncio.Future)`` and ``isinstance(x, asyncio.Task)``. When type(x) is
    # not a subclass, isinstance asks ``x.__class__``: we answer with the
    # asyncio class we stand in for. type(x) stays ours, and so do reprs,
    # isinstance(x, miniloop.Task) and copying; see docs/08-the-contract.md.
    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return asyncio.Task if issubclass(type(self), tasks.Task) else asyncio.Future

    def __reduce__(self) -> Any:
        # As asyncio's: a future is tied to its loop and cannot be pickled.
        raise TypeError(f"cannot pickle {type(self).__name__!r} object")


class Future(_Observable, futures.Future[T]):
    """A result that will be available later; awaitable, asyncio-compatible."""

    __slots__ = ()

    def __init__(self, *, loop: Any = None) -> None:
        super().__init__(loop=loop)
        self._remember_origin(sys._getframe(1))


class _GatheringFuture(_Observable, primitives._GatheringFuture):
    """gather's outer future: cancelling it cancels the children instead."""

    __slots__ = ()
    counts_done_at_once = versions.GATHER_COUNTS_DONE_CHILDREN_AT_ONCE

    def __init__(self, children: list[Any], *, loop: Any) -> None:
        super().__init__(children, loop=loop)
        self._remember_origin(sys._getframe(1))


class Task(tasks.Task[T], Future[T]):
    """A coroutine wrapped in a Future, stepped by the loop."""

    __slots__ = ("_eager_start",)

    def __init__(self, coro: Any, *, loop: Any = None, name: object = None,
                 context: contextvars.Context | None = None, eager_start: bool = False) -> None:
        self._log_destroy_pending = self._log_tb = False  # until the task is really alive
        self._eager_start = eager_start
        loop = events.loop_for_new_future() if loop is None else loop
        if not getattr(loop, "_runs_miniloop_tasks", False):
            raise TypeError(f"a miniloop Task needs a miniloop loop, got {loop!r}")
        super().__init__(coro, loop=loop, name=name, context=context)

    def _start(self) -> None:
        if self._source_traceback:
            # Made in Future.__init__: drop the Task.__init__ frames (ours and the core's).
            del self._source_traceback[-2:]
        if self._eager_start and self._loop.is_running():
            eager.start_eagerly(self)  # 3.12+: the first step runs now
        else:
            super()._start()

    can_drive = staticmethod(versions.is_coroutine)  # this Python's rule

    def __del__(self) -> None:
        if self._log_destroy_pending and self._state == futures.PENDING:
            context = {"task": self, "message": "Task was destroyed but it is pending!"}
            if self._source_traceback:
                context["source_traceback"] = self._source_traceback
            self._loop.call_exception_handler(context)
        super().__del__()

    def _repr_info(self) -> list[str]:
        return reprs.task_repr_info(self)

    def _bad_yield(self, result: Any) -> RuntimeError:
        # asyncio's words for each way a coroutine can yield the wrong thing.
        blocking = getattr(result, "_asyncio_future_blocking", None)
        if blocking is None and inspect.isgenerator(result):
            return RuntimeError("yield was used instead of yield from for generator in "
                                f"task {self!r} with {result!r}")
        if blocking is None:
            return RuntimeError(f"Task got bad yield: {result!r}")
        if futures.get_loop(result) is not self._loop:
            return RuntimeError(f"Task {self!r} got Future {result!r} attached to a "
                                "different loop")
        if not blocking:
            return RuntimeError(f"yield was used instead of yield from in task {self!r} "
                                f"with {result!r}")
        return RuntimeError(f"Task cannot await on itself: {self!r}")

    def get_coro(self) -> Any:
        """The coroutine this task drives."""
        return self._coro

    def set_name(self, value: object) -> None:
        """Rename the task."""
        self._name = str(value)

    def set_result(self, result: Any) -> None:
        """Refused: a task's result is what its coroutine returns."""
        raise RuntimeError("Task does not support set_result operation")

    def set_exception(self, exception: Any) -> None:
        """Refused: a task's exception is what its coroutine raises."""
        raise RuntimeError("Task does not support set_exception operation")

    def uncancel(self) -> int:
        """Take back one cancellation request; return how many remain."""
        if versions.UNCANCEL_FORGETS_CANCEL_REQUEST:
            return super().uncancel()
        if self._num_cancels_requested > 0:
            self._num_cancels_requested -= 1
        return self._num_cancels_requested

    def get_stack(self, *, limit: int | None = None) -> list[FrameType]:
        """The frames of the suspended coroutine (or of the traceback, if it failed)."""
        return stacks.task_stack(self, limit)

    def print_stack(self, *, limit: int | None = None, file: TextIO | None = None) -> None:
        """Print the task's stack or traceback, like asyncio does."""
        stacks.print_task_stack(self, limit, file)

    if versions.TASKS_HAVE_GET_CONTEXT:

        def get_context(self) -> contextvars.Context:
            """The context every step of this task runs in."""
            return self._context


class _Described:
    """What handles add: asyncio's reprs and messages, and debug-mode origins."""

    __slots__ = ()
    _loop: Any
    _callback: Any
    _args: Any
    _cancelled: bool
    _context: contextvars.Context
    _source_traceback: Any

    def _remember_origin(self) -> None:
        if self._loop._debug:
            # "Created at" the first frame outside the loop's own machinery.
            self._source_traceback = reprs.extract_stack(reprs.first_frame_outside_loop())

    def cancel(self) -> None:
        """Do not run the callback after all."""
        if not self._cancelled and self._loop._debug:
            # Keep saying what it was, cancelled, once the callback is dropped.
            self._cancelled = True  # type: ignore[misc]
            self._repr = reprs.describe_handle(self)  # type: ignore[misc]
            self._cancelled = False  # type: ignore[misc]
        super().cancel()  # type: ignore[misc]

    def _describe(self) -> str:
        return reprs.describe_callback(self._callback, self._args, self._loop._debug)

    def __repr__(self) -> str:
        return getattr(self, "_repr", None) or reprs.describe_handle(self)

    if versions.HANDLES_HAVE_GET_CONTEXT:

        def get_context(self) -> contextvars.Context:
            """The context the callback will run in."""
            return self._context


class Handle(_Described, loop.Handle):
    """A callback waiting to run, described as asyncio describes its handles."""

    __slots__ = ()

    def __init__(self, callback: Any, args: tuple[Any, ...], loop: Any,
                 context: contextvars.Context | None = None) -> None:
        super().__init__(callback, args, loop, context)
        self._remember_origin()


class TimerHandle(Handle, loop.TimerHandle):
    """A Handle with a time, compared as asyncio's TimerHandles are."""

    __slots__ = ()

    def __init__(self, when: float, callback: Any, args: tuple[Any, ...], loop_: Any,
                 context: contextvars.Context | None = None, order: int = 0) -> None:
        loop.TimerHandle.__init__(self, when, callback, args, loop_, context, order)
        self._remember_origin()

    # asyncio's TimerHandles compare by due time (and are equal when they
    # would run the same callback at the same time); the heap only asks <.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, loop.TimerHandle):
            return NotImplemented
        return (self._when, self._callback, self._args, self._cancelled) == (
            other._when, other._callback, other._args, other._cancelled)

    def __hash__(self) -> int:
        return hash(self._when)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, loop.TimerHandle):
            return NotImplemented
        return super().__lt__(other)

    def __le__(self, other: object) -> bool:
        if not isinstance(other, loop.TimerHandle):
            return NotImplemented
        return not other.__lt__(self)

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, loop.TimerHandle):
            return NotImplemented
        return other.__lt__(self)

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, loop.TimerHandle):
            return NotImplemented
        return not self.__lt__(other)
