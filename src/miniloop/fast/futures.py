"""The fast Future and Task: the same behaviour as the plain ones, fewer steps.

Each speed-up below overrides one named piece of ``core/`` (through the
contract's classes, so that reprs and messages stay asyncio's), says what
the plain version does instead, and what ``python -m bench --instructions``
measured for it (CPython 3.11; ``docs/10-making-it-fast.md`` has the
whole table, plain against fast):

* **A task is its own ready-queue entry** (``Task._schedule_step``,
  ``Task._run``). Plain: every step is a ``Handle`` wrapping the bound
  method ``task._step``. Fast: the task goes on the queue itself and the
  loop calls its ``_run``, which is the whole step in one frame; only the
  coroutine runs inside the task's context. With the next two, this is
  most of the difference on ``switch`` between the plain loop and the
  fast one.
* **A future is its own iterator** (``_OwnIterator``). Plain: every
  ``await fut`` makes a generator (``Future.__await__``), which a parked
  task keeps for as long as it waits (about 200 bytes of ``memory``).
* **A parked task is stored as itself** (``_ParkedTasks``). Plain: parking
  adds the done callback ``task._wakeup`` with a copy of the task's
  context, and waking makes a ``Handle``. Fast: a lone parked task is what
  the future's ``_waiting`` holds (with others, it is ``(task, None)`` in
  a list), and a done future appends it straight to the ready queue: the
  same turn and the same place as the Handle. Measured: the slot instead
  of a one-entry list took ``memory`` from 1,587 to 1,412 bytes per parked
  task (with the shared timer context of ``loop.py``), and the one slot
  for task and list alike (the core's ``_callbacks`` slot, renamed) to
  1,377.
* **Objects made in one frame** (``Future.__init__``, ``Task.__init__``,
  ``Task.__del__``, ``new_handle``). Plain: each class up the chain sets
  its part in its own ``__init__`` (five for a task), and a task's
  ``__del__`` calls the future's. Fast: every field at once; ``__del__``
  looks once and only reports through the plain chain when there is
  something to report. With the parked-task slot and the turn of
  ``loop.py``: ``spawn`` 54,121 -> 51,034 instructions per task, ``switch``
  9,655 -> 8,104 per switch.
* **A sleep that is its own timer** (``Alarm``) and **a gather that counts
  its own children** (``_GatheringFuture._run``), for the fast ``sleep``
  and ``gather`` of ``primitives.py`` (their gains are there).

Round two (issue 15), for asyncio's own ``gather`` and ``Queue`` on our
loop, which call our futures' methods where asyncio's would run C:

* **A lone done callback is kept as its pair** (``_ParkedTasks``), and
  the Handle that runs it is filled in where it is scheduled, without a
  loop over one entry. Plain: a list per future, and ``new_handle`` per
  callback. (The last two steps: a drop-in ``spawn`` from 41,466 to
  40,560 instructions per task.)
* **Reading a future in one frame** (``_ReadsDirectly``: ``done``,
  ``cancelled``, ``result``, ``exception``; ``_OwnIterator.__next__``).
  Plain: ``==`` on the state strings, and ``result`` calls ``_error``.
* **set_result wakes a lone parked task itself** (``_FilledDirectly``).
* **A task made in one call** (``start_task``, and written out in
  ``loop.py: create_task``). Plain: five ``__init__``s.

  With ``loop.py``'s ``create_future`` and ``create_task``, these took a
  drop-in ``spawn`` (asyncio's ``gather`` on our loop) from 47,962 to
  42,449 instructions per task and the native one from 32,549 to 28,641;
  writing ``start_task`` out in ``create_task`` took them on to 41,466
  and 28,597, and ``set_result``'s own wake-up a drop-in ``queue`` from
  10,428 to 10,412 per item (10,720 before this round).
* **A step that reads what it needs** (``Task._run``): a task waking from
  a future of ours that returned reads its two fields instead of calling
  ``error_of`` and ``_error``; a coroutine is sent to through
  ``CoroutineType.send`` instead of a bound method made per step; the
  observer is tested with ``is not None`` (one instruction, no call).
  Measured: ``switch`` 7,031 -> 6,694 instructions per switch.
* **The current task written into asyncio's registry** (``Task._run``,
  ``_CURRENT_TASKS``). Plain: ``enter_task`` and ``leave_task`` around
  every step, asyncio's C functions. Fast: the same dict operations
  written out, ``registry.setdefault(loop, task)`` and ``del
  registry[loop]`` (three dict operations where the calls do four, and no
  calls into C with their argument parsing), and only where this Python's
  ``current_task()`` is seen to read that dict; a clash (another task
  current) goes back to the functions, for asyncio's errors. Measured:
  ``switch`` 6,657 -> 6,471 instructions per switch (drop-in 7,098 ->
  6,934).
* **The observer asked about once a step** (``Task._run``,
  ``_run_watched``). The fast step asked "is anyone watching?" before the
  step, after it and when it rescheduled. Now it asks once: with a tool
  or debug mode watching, the plain step of ``core/tasks.py`` runs
  (inside the task's context, as the plain loop runs it), which tells the
  observer everything; without, nothing more is asked. Measured (n=2000):
  ``switch`` 6,473 -> 6,351 instructions per switch, drop-in 6,934 ->
  6,815; ``spawn`` 29,278 -> 29,231 per task.
* **A step that does not ask what kind of coroutine it drives**
  (``Task._run``'s ``send``, ``_StepsThroughItsOwnSend``). The step asked
  at every send whether the coroutine was a native one, which could go
  through ``CoroutineType.send``. Now it always does, and the rare task
  driving another kind (a generator-based coroutine, Cython's, a class
  with the coroutine's methods) is switched at birth to a twin class
  whose steps pass the coroutine's own ``send``. Measured (n=2000, after
  ``loop.py``'s ``ready.popleft()``): ``switch`` 6,173 -> 5,980
  instructions per switch, drop-in 6,638 -> 6,440; ``spawn`` 28,945 ->
  28,774 per task, drop-in 40,227 -> 40,054.

Read next: ``loop.py`` in this folder.
"""

from __future__ import annotations

import asyncio.tasks
import contextvars
import sys
import types
from typing import TYPE_CHECKING, Any

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
from miniloop.core.futures import CANCELLED, FINISHED, PENDING
from miniloop.core.tasks import error_of, without_this_frame

# A Handle made without __init__: the fast paths set every field themselves.
_new_object = object.__new__
_copy_context = contextvars.copy_context
_COROUTINE = types.CoroutineType  # what almost every task drives: checked first
_SEND = _COROUTINE.send  # coroutine.send(coro, value) is coro.send(value)


def new_handle(loop: Any, callback: Any, args: tuple[Any, ...], context: Any) -> Any:
    """A Handle for the ready queue, filled in directly (outside debug mode).

    Plain: ``Handle(...)`` runs two ``__init__``s (the contract's and the
    core's). Fast: the same six fields, set in this one frame.
    """
    handle = _new_object(objects.Handle)
    handle._callback = callback
    handle._args = args
    handle._loop = loop
    handle._context = contextvars.copy_context() if context is None else context
    handle._cancelled = False
    handle._source_traceback = None
    return handle


# The core's _callbacks slot, under another name: the fast futures keep what
# waits on them in it (``_waiting``), and ``_callbacks`` reads as the plain
# list does (see _ParkedTasks).
_WAITING: Any = core_futures.Future.__dict__["_callbacks"]

# A child's entry for the gather that waits on it is (outer future, GATHERED):
# not a callback with its context, but a mark (see _GatheringFuture).
GATHERED = contextvars.Context()
CHILD_DONE_CONTEXT = contextvars.Context()  # gather's child_done reads no variable


class _ParkedTasks:
    """Done callbacks kept lazily; a parked miniloop task is kept as itself.

    Replaces ``core/futures.py: Future.add_done_callback`` and
    ``Future._schedule_callbacks`` (and, with ``Task._run``, the
    ``add_done_callback(task._wakeup)`` of ``core/tasks.py: Task._park_on``).
    Plain: every future gets a list for its callbacks when it is made; a
    parked task is its bound ``_wakeup`` with a copy of its context (a
    bound method, a tuple and a list), and waking it makes a Handle. Fast:
    ``_waiting`` is None until something registers; a lone parked task is
    kept there as itself, and waking it is one ``append`` to the ready
    queue; a lone done callback is kept as its ``(callback, context)``
    pair, without a list (as asyncio's C future keeps its first callback
    in a field of its own). Only a second registration makes a list, in
    registration order, a parked task in it as ``(task, None)``.

    ``_callbacks`` reads as the plain list does, a parked task as
    ``(task, None)``; reprs and tools read it so.
    """

    __slots__ = ()
    _waiting: Any  # None, a parked task, a (callback, context) pair, or a list of pairs
    _loop: Any
    _state: str

    def _waiters_and_callbacks(self) -> list[tuple[Any, Any]]:
        """Every registration in order, a parked task as ``(task, None)`` (for reprs, tools)."""
        waiting = self._waiting
        if waiting is None:
            return []
        kind = type(waiting)
        if kind is tuple:
            waiting = [waiting]
        elif kind is not list:
            return [(waiting, None)]
        return [(callback._child_done, CHILD_DONE_CONTEXT) if context is GATHERED
                else (callback, context) for callback, context in waiting]

    def _set_callbacks(self, callbacks: list[Any]) -> None:
        self._waiting = callbacks or None

    _callbacks = property(_waiters_and_callbacks, _set_callbacks)

    def _register(self, entry: tuple[Any, Any]) -> None:
        waiting = self._waiting
        if waiting is None:
            self._waiting = entry
        elif type(waiting) is list:
            waiting.append(entry)
        elif type(waiting) is tuple:
            self._waiting = [waiting, entry]
        else:  # a lone parked task: it was first
            self._waiting = [(waiting, None), entry]

    def add_done_callback(self, fn: Any, *, context: Any = None) -> None:
        """Call ``fn(self)`` soon after the future is done (soon, if it already is)."""
        if self._state is not PENDING:
            self._loop.call_soon(fn, self, context=context)
        elif self._waiting is None:  # the first: _register's first case, without the call
            self._waiting = (fn, _copy_context() if context is None else context)
        else:
            self._register((fn, _copy_context() if context is None else context))

    def remove_done_callback(self, fn: Any) -> int:
        """Forget every registration of ``fn``; return how many there were."""
        waiting = self._waiting
        kind = type(waiting)
        if kind is tuple:
            if waiting[0] != fn:
                return 0
            self._waiting = None
            return 1
        if kind is not list:
            return 0
        kept = [(f, context) for f, context in waiting if f != fn]
        removed = len(waiting) - len(kept)
        waiting[:] = kept
        return removed

    def _park(self, task: Any) -> None:
        if self._waiting is None:
            self._waiting = task
        else:
            self._register((task, None))

    def _schedule_callbacks(self) -> None:
        waiting = self._waiting
        if waiting is None:
            return
        self._waiting = None
        loop = self._loop
        kind = type(waiting)
        if kind is not tuple and kind is not list:  # a lone parked task is its own ready entry
            loop._ready.append(waiting)
            if loop.observer is not None:
                loop.observer.scheduled(waiting)
            return
        if loop._debug or loop._closed or loop.observer is not None:
            self._schedule_plainly([waiting] if kind is tuple else waiting)
        elif kind is tuple:  # a lone done callback: the loop below, for one entry
            callback, context = waiting
            if context is GATHERED:
                callback._arrivals.append(self)
                loop._ready.append(callback)
            else:  # new_handle(loop, callback, (self,), context), without the call
                handle = _new_object(Handle)
                handle._callback = callback
                handle._args = (self,)
                handle._loop = loop
                handle._context = context
                handle._cancelled = False
                handle._source_traceback = None
                loop._ready.append(handle)
        else:
            ready = loop._ready
            for callback, context in waiting:
                if context is None:  # a parked task
                    ready.append(callback)
                elif context is GATHERED:  # a gather counting its children
                    callback._arrivals.append(self)
                    ready.append(callback)
                else:
                    ready.append(new_handle(loop, callback, (self,), context))

    def _schedule_plainly(self, waiting: list[tuple[Any, Any]]) -> None:
        # Debug mode, a closed loop or a watching tool: the checks and the moments.
        loop = self._loop
        for callback, context in waiting:
            if context is None:
                loop._ready.append(callback)
                if loop.observer is not None:
                    loop.observer.scheduled(callback)
            elif context is GATHERED:
                loop.call_soon(callback._child_done, self, context=CHILD_DONE_CONTEXT)
            else:
                loop.call_soon(callback, self, context=context)


class _OwnIterator:
    """``await future`` without a generator.

    Replaces ``core/futures.py: Future.__await__``. Plain: a generator
    function, so every ``await`` makes a generator object, which a parked
    task holds for as long as it waits. Fast: the future is its own
    iterator. The first ``next()`` yields the future (the task parks on
    it); the next one, after it is done, returns the result
    (``StopIteration``). An exception thrown into the awaiting coroutine
    goes straight past it, as it has no ``throw``. (The one difference a
    program can see: a failed ``await`` shows no ``Future.__await__`` frame
    in its traceback, as with asyncio's C futures.)
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
        if self._state is FINISHED:  # self._error(), without the call
            self._log_tb = False  # type: ignore[misc]
            error = self._exception  # type: ignore[attr-defined]
            if error is None:
                raise StopIteration(self._result)  # type: ignore[attr-defined]
            error = error.with_traceback(self._exception_tb)  # type: ignore[attr-defined]
        else:
            error = self._make_cancelled_error()  # type: ignore[attr-defined]
        raise error  # from here: one frame of ours, as the plain __await__ shows


class _ReadsDirectly:
    """``done``, ``cancelled``, ``result`` and ``exception`` in one frame each.

    Replaces those four methods of ``core/futures.py: Future``. Plain:
    they compare the state with ``==``, and ``result`` calls ``_error``.
    Fast: identity tests on the three state strings (the only values a
    future's ``_state`` ever holds), the finished case first, and no
    second call. asyncio's own ``gather`` and ``Queue`` call them on our
    futures and tasks: a drop-in ``gather`` asks each child
    ``cancelled()`` and ``exception()`` twice, and ``result()`` once.
    """

    __slots__ = ()
    _state: str
    _result: Any
    _exception: BaseException | None
    _exception_tb: Any
    _log_tb: bool

    def done(self) -> bool:
        """True once the future has a result, an exception, or was cancelled."""
        return self._state is not PENDING

    def cancelled(self) -> bool:
        """True if the future was cancelled."""
        return self._state is CANCELLED

    def exception(self) -> BaseException | None:
        """The exception (or None); raises CancelledError or InvalidStateError."""
        state = self._state
        if state is FINISHED:
            self._log_tb = False  # type: ignore[misc]
            return self._exception
        if state is CANCELLED:
            raise self._make_cancelled_error()  # type: ignore[attr-defined]
        raise InvalidStateError("Exception is not set.")

    def result(self) -> Any:
        """The result; raises the exception, CancelledError, or InvalidStateError."""
        state = self._state
        if state is FINISHED:
            self._log_tb = False  # type: ignore[misc]
            error = self._exception
            if error is None:
                return self._result
            error = error.with_traceback(self._exception_tb)
        elif state is CANCELLED:
            error = self._make_cancelled_error()  # type: ignore[attr-defined]
        else:
            raise InvalidStateError("Result is not set.")
        del self  # no cycle through this frame (see core/futures.py: result)
        raise error


class _FilledDirectly:
    """``set_result`` that schedules only when something waits.

    Replaces ``core/futures.py: Future.set_result`` for the fast Future and
    gather's outer future (not for tasks, which refuse it). Plain: it
    always calls ``_schedule_callbacks``. Fast: only when ``_waiting``
    holds something, and a lone parked task (what asyncio's ``Queue``,
    ``Event`` and ``Lock`` wake, through futures of our loop) goes on the
    ready queue here.
    """

    __slots__ = ()
    _state: str
    _result: Any
    _waiting: Any
    _loop: Any

    def set_result(self, result: Any) -> None:
        """Store the result and schedule the done callbacks."""
        if self._state is not PENDING:
            raise InvalidStateError("invalid state")
        self._result = result
        self._state = FINISHED  # type: ignore[misc]
        waiting = self._waiting
        if waiting is None:
            return
        kind = type(waiting)
        loop = self._loop
        if kind is not tuple and kind is not list and loop.observer is None:
            # A lone parked task (_schedule_callbacks' first case, without the call).
            self._waiting = None
            loop._ready.append(waiting)
        else:
            self._schedule_callbacks()  # type: ignore[attr-defined]


class _ReportsOnlyWhenNeeded:
    """No ``__del__`` frame for a future that cannot have lost an exception.

    Replaces ``core/futures.py: Future.__del__`` on the common path. Plain:
    every future collected runs ``__del__``, a Python frame, to see whether
    it holds an exception nobody looked at (``_log_tb``). Fast: only a
    future given an exception can have lost one, so only such a future
    needs that frame. Until then ``__del__`` is ``object.__sizeof__``, a C
    method that computes a number and is thrown away: no frame (Python
    calls ``__del__`` if the class has one, and the core's class has).
    ``set_exception`` then turns the future into its twin class, the same
    but for ``__del__``, which reports the plain way: the same message,
    since the twin is named as its class is. Measured: drop-in ``queue``
    10,548 -> 10,454 instructions per item (n=2,000; a future every 20
    items).
    """

    __slots__ = ()
    _log_tb: bool

    if TYPE_CHECKING:
        def __del__(self) -> None: ...
    else:
        __del__ = object.__sizeof__  # nothing to report: see above

    def set_exception(self, exception: Any) -> None:
        """Store an exception and schedule the done callbacks."""
        super().set_exception(exception)  # type: ignore[misc]
        # It may be lost from now on. (The contract's __class__ is a property
        # that answers isinstance for asyncio: the assignment is object's own.)
        _set_class(self, _reporting_twin(type(self)))


_set_class = object.__dict__["__class__"].__set__


def _report_if_lost(future: Any) -> None:
    if future._log_tb:
        core_futures.Future.__del__(future)


def _twin(cls: type, cache: dict[type, type], mixins: tuple[type, ...] = (),
          **methods: Any) -> type:
    """``cls`` with ``mixins`` before it and ``methods`` (made once per class).

    Under the same name and with the same slots, so that an object can be
    switched to it (``_set_class``) and its repr and messages stay the same.
    """
    twin = cache.get(cls)
    if twin is None:
        twin = cache[cls] = type(cls)(cls.__name__, (*mixins, cls), {
            "__slots__": (), "__module__": cls.__module__, "__qualname__": cls.__qualname__,
            **methods})
    return twin


_REPORTING_TWINS: dict[type, type] = {}


def _reporting_twin(cls: type) -> type:
    """``cls`` with the ``__del__`` that reports a lost exception."""
    if cls.__del__ is not object.__sizeof__:  # type: ignore[attr-defined]
        return cls  # a subclass's own __del__: it reports already
    return _twin(cls, _REPORTING_TWINS, __del__=_report_if_lost)


def fill_future(future: Any, loop: Any) -> None:
    """Set every field of a new fast future (no ``__init__`` chain)."""
    # Every field of core/futures.py: Future.__init__, and the lazy ones.
    future._loop = loop
    future._state = PENDING
    future._result = future._exception = future._exception_tb = None
    future._waiting = None
    future._cancel_message = future._cancelled_exc = None
    future._log_tb = future._asyncio_future_blocking = False
    future._source_traceback = None


class Future(_ReportsOnlyWhenNeeded, _OwnIterator, _ReadsDirectly, _FilledDirectly,
             _ParkedTasks, objects.Future[Any]):
    """A Future that is its own iterator and wakes its parked tasks without a Handle."""

    __slots__ = ()
    _waiting = _WAITING

    def __init__(self, *, loop: Any = None) -> None:
        fill_future(self, loop_for_new_future() if loop is None else loop)
        if versions.in_debug_mode(self._loop):
            self._source_traceback = reprs.extract_stack(sys._getframe(1))


class _GatheringFuture(_ReportsOnlyWhenNeeded, _OwnIterator, _ReadsDirectly, _FilledDirectly,
                       _ParkedTasks, objects._GatheringFuture):
    """gather's outer future, which counts its children itself.

    Replaces the ``child_done`` closure of ``core/primitives.py: gather``
    and the Handle each finished child makes to call it (when the fast
    ``gather`` made it: ``primitives.py``). A finished child appends itself
    to ``_arrivals`` and the outer future to the ready queue, the same turn
    and place as the Handle; the loop then calls the outer's ``_run``.
    """

    __slots__ = ("_arrivals", "_expected", "_finished", "_return_exceptions")
    _waiting = _WAITING
    _arrivals: Any  # the children that finished, in order (a deque)
    _expected: int  # how many different children
    _finished: int  # how many of them have been counted
    _return_exceptions: bool

    def __init__(self, children: list[Any], *, loop: Any) -> None:
        fill_future(self, loop)
        self._children = children
        self._cancel_requested = False
        if versions.in_debug_mode(loop):
            self._source_traceback = reprs.extract_stack(sys._getframe(1))

    def _run(self) -> None:
        # The loop found us on its ready queue: a child finished last turn.
        self._child_done(self._arrivals.popleft())

    def _child_done(self, child: Any) -> None:
        # core/primitives.py: gather's child_done, reading fast children directly.
        self._finished += 1
        fast = type(child) in _FAST_FUTURES
        if self._state is not PENDING:
            if fast:
                if child._state is not CANCELLED:
                    child._log_tb = False  # child.exception(): retrieved
            elif not child.cancelled():
                child.exception()
            return
        if not self._return_exceptions:
            if (child._state is CANCELLED) if fast else child.cancelled():
                self.set_exception(child._make_cancelled_error())
                return
            if fast:
                child._log_tb = False
                error = child._exception
            else:
                error = child.exception()
            if error is not None:
                self.set_exception(error)
                return
        if self._finished == self._expected:
            if self._cancel_requested:
                self.set_exception(self._children[-1]._make_cancelled_error())
            else:
                self.set_result([_outcome(child) for child in self._children])

    _child_done.__qualname__ = "gather.<locals>.child_done"  # as the plain one reads


def _outcome(child: Any) -> Any:
    if type(child) in _FAST_FUTURES and child._state is FINISHED:
        child._log_tb = False
        error = child._exception
        return child._result if error is None else error
    return primitives._outcome(child)


class Alarm(Future):
    """The future a sleeping task parks on, which is also its timer.

    Replaces the future and the TimerHandle of ``core/primitives.py:
    sleep`` (made by the fast ``sleep``: ``primitives.py``). In the loop's
    heap it is a timer (``_when``, ``_scheduled``, ``_cancelled``,
    ``_run``; ``_callback`` and ``_args`` say what it does, for the
    tools); to the task it is a future. When its time comes, its ``_run``
    sets its own result (kept in ``_result`` while it waits: nothing reads
    a pending future's result); when it is cancelled (as a cancelled task
    cancels what it waits on), the heap forgets it as it forgets a
    cancelled timer.
    """

    __slots__ = ("_scheduled", "_when")
    _callback = staticmethod(core_futures.set_result_unless_cancelled)
    _scheduled: bool
    _when: float

    @property
    def _args(self) -> tuple[Any, ...]:
        return (self, self._result)

    @property
    def _cancelled(self) -> bool:
        return self._state is CANCELLED

    def when(self) -> float:
        """The loop time at which the sleep ends."""
        return self._when

    def _run(self) -> None:
        # The timer fired: set_result_unless_cancelled(self, result), inline.
        if self._state is PENDING:
            self._state = FINISHED
            if self._waiting is not None:
                self._schedule_callbacks()

    def cancel(self, msg: Any = None) -> bool:
        """Cancel the sleep, and with it the timer."""
        if not super().cancel(msg=msg):
            return False
        self._result = None
        if self._scheduled:
            self._loop._timer_handle_cancelled(self)
        return True

    # In the heap, entries with equal deadlines (and orders) compare their
    # timers: as between TimerHandles, neither is earlier than the other.
    def __lt__(self, other: object) -> bool:
        return False

    __gt__ = __lt__


# asyncio's reprs name a sleep's future a Future: so does ours (<Future pending ...>).
Alarm.__name__ = Alarm.__qualname__ = "Future"


class Task(_OwnIterator, _ReadsDirectly, _ParkedTasks, objects.Task[Any]):
    """A Task that is its own entry in the loop's ready queue."""

    __slots__ = ()
    _waiting = _WAITING

    def __init__(self, coro: Any, *, loop: Any = None, name: object = None,
                 context: contextvars.Context | None = None, eager_start: bool = False) -> None:
        # Plain: five __init__s up the classes, each setting its part. Fast:
        # every field at once (the same fields: the tests compare the two).
        self._log_destroy_pending = self._log_tb = False  # until the task is really alive
        if loop is None:
            loop = loop_for_new_future()
        if not getattr(loop, "_runs_miniloop_tasks", False):
            raise TypeError(f"a miniloop Task needs a miniloop loop, got {loop!r}")
        if type(coro) is not _COROUTINE:
            if not versions.is_coroutine(coro):
                raise TypeError(f"a coroutine was expected, got {coro!r}")
            # another kind: it steps through its own send
            _set_class(self, _twin(type(self), _OWN_SEND_TWINS, (_StepsThroughItsOwnSend,)))
        elif not (eager_start or loop._debug) and type(self) is Task:
            start_task(self, loop, coro, name, context)  # every field, and scheduled
            return
        start_task(self, loop, coro, name, context, schedule=False)
        self._eager_start = eager_start
        if loop._debug:
            self._source_traceback = reprs.extract_stack(sys._getframe(1))
        self._start()  # a subclass may have its own _start

    def __del__(self) -> None:
        """Replaces ``contract/objects.py: Task.__del__`` (and the ``Future.__del__``
        it calls) on the common path: one frame, one look at the two flags."""
        if self._log_tb or (self._log_destroy_pending and self._state is PENDING):
            objects.Task.__del__(self)

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

    def _run(self, send: Any = _SEND) -> None:
        """The loop found us on its ready queue: take one step.

        Replaces ``core/tasks.py: Task._step`` (with ``_run_coroutine`` and
        the ``Handle._run`` around them). Plain: three frames, and the
        whole step runs inside the task's context. Here it is one frame,
        and only the coroutine itself runs inside the context
        (``context.run(send, coro, None)``): nothing else in a step reads
        context variables. ``send`` is ``CoroutineType.send``: a task
        driving another kind of coroutine is switched at birth to a class
        that passes its own (``_StepsThroughItsOwnSend``). A watched loop
        gets the plain step (``_run_watched``), which tells the observer
        what happens.
        """
        if self._state is not PENDING:
            self._report(InvalidStateError(f"_step(): already done: {self!r}, None"))
            return
        waiter = self._fut_waiter
        if waiter is None:
            exc = None
        else:
            self._fut_waiter = None
            if (type(waiter) in _FAST_FUTURES and waiter._state is FINISHED
                    and waiter._exception is None):
                exc = None  # error_of(waiter), without the two calls: it returns
            else:
                exc = error_of(waiter)
        loop = self._loop
        if loop.observer is not None:  # a tool or debug mode watches: the plain step tells it
            self._run_watched(exc)
            return
        if self._must_cancel:
            if not isinstance(exc, CancelledError):
                exc = self._make_cancelled_error()
            self._must_cancel = False
        if _CURRENT_TASKS.setdefault(loop, self) is not self:  # enter_task, in one look
            try:  # another task's step is still running: asyncio's error
                enter_task(loop, self)
            except RuntimeError as error:
                self._report(error)
                return
        try:
            if exc is None:
                result = self._context.run(send, self._coro, None)
            else:
                result = self._context.run(self._coro.throw, exc)
        except StopIteration as returned:
            if self._must_cancel:  # cancel() came during this very step: it wins
                self._must_cancel = False
                core_futures.Future.cancel(self, msg=self._cancel_message)
            else:  # Future.set_result, without the call
                self._result = returned.value
                self._state = FINISHED
                if self._waiting is not None:
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
            elif (type(result) in _FAST_FUTURES and result._state is PENDING
                    and result._loop is loop and result._asyncio_future_blocking
                    and result is not self):  # _park_on, inline
                result._asyncio_future_blocking = False
                if result._waiting is None:
                    result._waiting = self
                else:
                    result._park(self)
                self._fut_waiter = result
                if self._must_cancel and result.cancel(msg=self._cancel_message):
                    self._must_cancel = False
            else:
                self._park_on(result)
        finally:
            try:
                del _CURRENT_TASKS[loop]  # leave_task, without the call
            except KeyError:  # someone took us out during the step: asyncio's error
                self._leave_wrongly()
            del self, exc, waiter  # no cycle through this frame (see core/tasks.py)

    def _run_watched(self, exc: BaseException | None) -> None:
        # core/tasks.py's step, in the task's context as the plain loop runs
        # it: it tells the observer when the step starts, ends and schedules.
        try:
            self._context.run(core_tasks.Task._step, self, exc)
        except Exception as error:  # asyncio's registry refused us: reported, not raised
            self._report(error)
        finally:
            del self, exc

    def _leave_wrongly(self) -> None:
        # As a failing step of asyncio's is, this is reported, not raised.
        try:
            leave_task(self._loop, self)
        except RuntimeError as error:
            self._report(error)

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


def _send_through_its_own_method(coro: Any, value: Any) -> Any:
    return coro.send(value)


class _StepsThroughItsOwnSend:
    """The steps of a task whose coroutine is not a native one.

    A generator-based coroutine, Cython's, or any object with the
    coroutine's methods: ``CoroutineType.send`` would refuse it, so its
    steps call its own ``send``. Native coroutines are almost all there
    is; for them the step does not ask which kind it drives.
    """

    __slots__ = ()

    def _run(self, send: Any = _send_through_its_own_method) -> None:
        super()._run(send)  # type: ignore[misc]


_OWN_SEND_TWINS: dict[type, type] = {}


def start_task(task: Any, loop: Any, coro: Any, name: object, context: Any,
               schedule: bool = True) -> None:
    """Set every field of a new fast task; schedule its first step, register it.

    The work of ``Task.__init__`` and of ``FastLoopMixin.create_task``,
    which makes the task without the ``__init__`` call. Plain: five
    ``__init__``s up the classes, each setting its part, and ``_start``,
    which makes a Handle for the first step. Fast: every field at once
    (the same fields: the tests compare the two), and the task itself is
    the first ready entry.
    """
    task._loop = loop
    task._state = PENDING
    task._result = task._exception = task._exception_tb = task._waiting = None
    task._cancel_message = task._cancelled_exc = task._source_traceback = None
    task._fut_waiter = None
    task._log_tb = task._asyncio_future_blocking = task._must_cancel = task._eager_start = False
    task._coro = coro
    task._name = next(core_tasks.task_numbers) if name is None else str(name)
    task._context = contextvars.copy_context() if context is None else context
    task._num_cancels_requested = 0
    task._log_destroy_pending = True
    if schedule:  # _start and _schedule_step, inline
        loop._ready.append(task)
        if loop.observer:
            loop.observer.scheduled(task)
        register_task(task)


class _RegistryThroughCalls(dict[Any, Any]):
    """asyncio's current-task registry, reached through its functions.

    For a Python whose registry is not a dict we can write (3.14 keeps the
    running task in the thread's state): ``setdefault`` answers "taken", so
    that the step asks ``enter_task``, and ``del`` finds nothing, so that
    it leaves through ``leave_task``. Slower, and the same behaviour.
    """

    def setdefault(self, key: Any, default: Any = None) -> Any:
        return None

    def __delitem__(self, key: Any) -> None:
        raise KeyError(key)


def _shared_current_tasks() -> dict[Any, Any]:
    """asyncio's registry of running tasks, if it is a dict that its C code reads.

    ``enter_task(loop, task)`` is ``registry[loop] = task`` after a check
    that no task is running there; ``leave_task`` is ``del registry[loop]``
    after a check that ``task`` is the one. A step does both: written as
    dict operations they spare two calls into C and their argument parsing.
    Used only if this Python's ``current_task()`` really reads that dict.
    """
    registry = getattr(asyncio.tasks, "_current_tasks", None)
    if type(registry) is not dict:
        return _RegistryThroughCalls()
    probe_loop, probe_task = object(), object()
    registry[probe_loop] = probe_task
    try:
        shared = asyncio.current_task(probe_loop) is probe_task  # type: ignore[arg-type]
    finally:
        del registry[probe_loop]
    return registry if shared else _RegistryThroughCalls()


_CURRENT_TASKS = _shared_current_tasks()
_FAST_FUTURES = (Future, Task, _GatheringFuture, Alarm)

# Handles are the contract's (asyncio's reprs); the fast loop fills them in directly.
Handle = objects.Handle
