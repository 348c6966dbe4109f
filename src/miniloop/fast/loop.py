"""The fast loop: the plain loop, making its objects from the fast classes.

The turn's order does not change: a fast task is a ready entry with a
``_run``, as a Handle is. The overrides, each replacing one named piece of
``core/loop.py`` or ``core/primitives.py``. What ``python -m bench
--instructions`` measured (CPython 3.11): the turn, the one-frame
``call_soon``/``call_at`` and the shared context, together with the
parked-task slot of ``futures.py``, took ``switch`` from 9,655 to 8,104
instructions per switch, ``spawn`` from 54,121 to 51,034 per task, and
``memory`` from 1,587 to 1,412 bytes per parked task (the shared context:
64 of those bytes):

* **the classes the loop makes its objects from** (``futures.py``);
* **a turn without the moments when nobody watches**
  (``FastLoopMixin._run_once``). Plain: ``CoreLoop._run_once`` tests the
  observer at each moment, asks ``_forget_cancelled_timers`` and the clock
  through method calls, and keeps each entry in a local. Fast: with no
  observer (no tool, no debug mode) the same steps run, and only what has
  something to do is called; with an observer, the plain turn runs,
  moment by moment. (The queue's ``popleft`` was once bound in a local;
  called as ``ready.popleft()`` it is a call CPython 3.11 specializes:
  ``switch`` 6,351 -> 6,173 instructions per switch, drop-in 6,815 ->
  6,638, n=2000);
* **call_soon and create_task in one frame each** (``call_at``'s one
  frame is ``timers.py``'s). Plain: each passes through the contract's
  checks (debug mode, the task factory) and then the core's method, and a
  Handle is made by two or three ``__init__``s. Fast: outside debug mode
  and without a task factory, one method does it all;
* **a sleep's timer shares one empty context** (``timers.py``);
* **sweeping a heap full of cancelled timers**
  (``FastLoopMixin._forget_cancelled_timers``). Plain: a cancelled timer
  stays in the heap until it reaches the top. Fast: once more than half of
  more than 100 timers are cancelled, they are swept out at once (asyncio's
  rule), so that a program that arms and cancels many timeouts keeps a
  small heap and cheap pushes (no workload cancels timers: no gain shows);
* **the work of the fast sleep and gather** (``_arm_alarm``, ``_gather``;
  ``primitives.py`` says what they replace and what they gained);
* **a turn that asks epoll directly when it need not wait**
  (``FastLoopMixin._run_once``, ``_wait_for_io``, and
  ``readiness.py: queue_epoll_events``). Plain: every
  turn calls ``clock.wait``, which computes a timeout (``min``, ``max``,
  ``time.monotonic``) and calls ``selector.select``, a Python method
  around ``epoll.poll``: about 8,700 instructions for a turn with work
  ready, which finds no IO almost every time. Fast: with the real clock
  and the standard epoll selector, a turn that would not sleep (work
  ready, or a timer due) calls ``epoll.poll(0, ...)`` itself and queues
  the handles of what is ready straight from epoll's answer; any other clock
  or selector gets ``clock.wait``. Measured: ``switch`` 7,579 -> 7,031
  instructions per switch (10 tasks a turn), drop-in 8,037 -> 7,503; and
  with the turns that may sleep in a method of their own
  (``_wait_for_io``), so that the busy turn is short, 6,694 -> 6,617.
  A turn that sleeps asks epoll itself too, with ``select``'s timeout
  (rounded up to the millisecond, never early): ``echo`` ~8,200 fewer a
  round trip (149,418 -> 141,258; a ping-pong sleeps twice a trip);
* **create_future and create_task in one frame** (``create_future``,
  ``create_task``). Plain: ``future_class(loop=self)`` and
  ``task_class(coro, ...)``, each an ``__init__`` chain. Fast: the object
  is made with ``object.__new__`` and every field set here (the task's
  as ``futures.start_task`` sets them: written out, one call less per
  task). The gains are ``futures.py``'s (round two).
* **which classes the loop makes its objects from, asked once**
  (``__init__``). Plain: ``self.future_class(loop=self)`` reads the class
  attribute at every object. Fast: the fast paths ask whether it is the
  fast class at every future, task, sleep and gather; on 3.11 reading a
  class attribute through the loop costs a few hundred instructions, so
  the answers are kept on the loop when it is made. Measured (n=2000):
  ``spawn`` 29,795 -> 29,452 instructions per task, drop-in 41,293 ->
  41,037; drop-in ``queue`` 10,504 -> 10,492 per item. The same for "no
  task factory", a class attribute of the contract's, which the fast
  loop makes its own: ``spawn`` 29,326, drop-in 40,849.

Read next: ``timers.py`` in this folder.
"""

from __future__ import annotations

import contextvars
import heapq
import math
import selectors
import types
from collections import deque
from typing import Any

from miniloop.core import futures as core_futures
from miniloop.core import primitives, tasks
from miniloop.core.clock import MAX_SLEEP, POLL, RealClock
from miniloop.core.events import register_task
from miniloop.core.futures import PENDING
from miniloop.core.loop import TimerHandle
from miniloop.core.observer import before_waiting_for_ever
from miniloop.fast import futures
from miniloop.fast.readiness import queue_epoll_events

_new_object = object.__new__
_COROUTINE = types.CoroutineType

# Sweep once there are more than this many timers and more than this
# fraction of them are cancelled (asyncio's rule).
SWEEP_MIN_TIMERS = 100
SWEEP_MIN_CANCELLED_FRACTION = 0.5


# The selector whose poll the turn may take directly (see FastLoopMixin._run_once).
_EPOLL_SELECTOR = getattr(selectors, "EpollSelector", None)


class FastLoopMixin:
    """Names the fast classes for the loop to make its objects from."""

    future_class: type[core_futures.Future[Any]] = futures.Future
    task_class: type[tasks.Task[Any]] = futures.Task
    gathering_future_class: type[primitives._GatheringFuture] = futures._GatheringFuture
    # miniloop.sleep and gather take the fast steps on this loop (fast/primitives.py).
    runs_fast_primitives = True

    _timers: list[tuple[float, int, TimerHandle]]
    _cancelled_timers: int
    _debug: bool
    _closed: bool
    _stopping: bool
    _ready: Any
    _task_factory: Any
    _clock: Any
    _selector: Any
    observer: Any

    def __init__(self, **options: Any) -> None:
        # The contract keeps "no task factory" as a class attribute; read at
        # every task, it is cheaper as the loop's own (set before the plain
        # __init__, so that nothing it calls can have set one already).
        self._task_factory = None
        super().__init__(**options)
        # Does this loop make its objects from the fast classes (a subclass
        # may name its own)? Asked once here: on 3.11, reading a class
        # attribute through the loop (past its own __dict__, up a long MRO)
        # costs a few hundred instructions, at every future and task.
        self._makes_fast_futures = self.future_class is futures.Future
        self._makes_fast_tasks = self.task_class is futures.Task
        self._makes_fast_gathers = self.gathering_future_class is futures._GatheringFuture

    def _run_once(self) -> None:
        """One turn: the plain turn's steps, without the moments nobody watches."""
        if self.observer is not None:  # a tool or debug mode watches: the plain turn
            return super()._run_once()  # type: ignore[misc,no-any-return]
        timers = self._timers
        if timers and (timers[0][2]._cancelled or (
                len(timers) > SWEEP_MIN_TIMERS
                and self._cancelled_timers > SWEEP_MIN_CANCELLED_FRACTION * len(timers))):
            self._forget_cancelled_timers()  # only when it has something to forget
            timers = self._timers
        ready = self._ready
        selector = self._selector
        if (ready or self._stopping) and type(selector) is _EPOLL_SELECTOR and type(
                self._clock) is RealClock:
            # Work is ready: RealClock.wait would call select(0). Ask epoll
            # directly (most such turns find no IO at all). Since PEP 475 a
            # signal does not interrupt it: no InterruptedError to catch.
            raw_events = selector._selector.poll(0, len(selector._fd_to_key) or 1)
            if raw_events:
                queue_epoll_events(self, selector, raw_events)
        elif self._wait_for_io(ready, timers):
            return
        if timers:
            clock = self._clock
            end_time = self.time() + clock.resolution  # type: ignore[attr-defined]
            while timers and timers[0][0] < end_time:
                due = heapq.heappop(timers)[2]
                due._scheduled = False
                ready.append(due)
            due = None  # type: ignore[assignment]  # no reference to it from this frame (see Handle._run)
        # Run only what is ready now; what they schedule waits a turn.
        # ready.popleft() each time, not a bound popleft kept in a local:
        # CPython 3.11 specializes a call of the method (as C's own call)
        # but not a call of a bound built-in taking no arguments.
        for _ in range(len(ready)):
            ready.popleft()._run()

    def _wait_for_io(self, ready: Any, timers: list[Any]) -> bool:
        """The turn's wait, when it may sleep (or another clock or selector is used).

        True: a check of ``before_waiting_for_ever`` ended the turn.
        """
        if ready or self._stopping:
            deadline: float | None = POLL
        elif timers:
            deadline = timers[0][0]
        else:
            deadline = None
            if before_waiting_for_ever and any(check(self) for check in before_waiting_for_ever):
                return True
        selector = self._selector
        clock = self._clock
        if (deadline is not None and type(selector) is _EPOLL_SELECTOR
                and type(clock) is RealClock and deadline <= clock.time()):
            # A timer is due already: as in _run_once, ask epoll directly.
            raw_events = selector._selector.poll(0, len(selector._fd_to_key) or 1)
            if raw_events:
                queue_epoll_events(self, selector, raw_events)
            return False
        if type(selector) is _EPOLL_SELECTOR and type(clock) is RealClock:
            # RealClock.wait and selector.select, written out: epoll takes -1 for
            # "for ever", and a timeout rounded up to the millisecond (select's
            # rounding: never wake before the deadline).
            timeout = -1.0 if deadline is None else math.ceil(
                min(max(0.0, deadline - clock.time()), MAX_SLEEP) * 1e3) * 1e-3
            raw_events = selector._selector.poll(timeout, len(selector._fd_to_key) or 1)
            if raw_events:
                queue_epoll_events(self, selector, raw_events)
            return False
        io_events = clock.wait(selector, deadline)
        if io_events:
            self._process_io_events(io_events)  # type: ignore[attr-defined]
        return False

    def call_soon(self, callback: Any, *args: Any, context: Any = None) -> Any:
        """Run ``callback(*args)`` on the next turn of the loop."""
        if self._debug or self._closed:  # the checks, and their messages: the plain way
            return super().call_soon(callback, *args, context=context)  # type: ignore[misc]
        handle = futures.new_handle(self, callback, args, context)
        self._ready.append(handle)
        if self.observer:
            self.observer.scheduled(handle)
        return handle

    def _arm_alarm(self, delay: float, result: Any) -> Any:
        """A sleep's alarm, armed (``primitives.py: sleep``); None: take the core's steps.

        Replaces ``create_future`` and ``call_later`` in ``core/primitives.py:
        sleep``: one object (``futures.Alarm``) instead of a future, a
        TimerHandle, its arguments and its context. Nobody may be watching
        (a tool or debug mode gets the plain steps, which they describe).
        """
        if (self.observer is not None or self._debug or self._closed
                or not self._makes_fast_futures):
            return None
        alarm: Any = _new_object(futures.Alarm)
        futures.fill_future(alarm, self)
        alarm._result = result  # what it will hold once done
        alarm._when = when = self.time() + delay  # type: ignore[attr-defined]
        alarm._scheduled = True
        heapq.heappush(self._timers, (when, self._clock.arming_order(), alarm))
        return alarm

    def _gather(self, aws: tuple[Any, ...], return_exceptions: bool) -> Any:
        """gather's outer future, counting its children itself; None: take the core's steps.

        Replaces ``core/primitives.py: gather`` when every awaitable is a
        coroutine (or this loop's fast future) and nobody watches: each new
        child gets ``(outer, GATHERED)`` where the plain gather adds its
        ``child_done`` closure (see ``futures._GatheringFuture``).
        """
        if (not aws or self.observer is not None or self._debug or self._task_factory is not None
                or not self._makes_fast_gathers
                or not all(type(aw) is _COROUTINE
                           or (type(aw) in futures._FAST_FUTURES and aw._loop is self)
                           for aw in aws)):
            return None
        children: list[Any] = []
        child_of: dict[Any, Any] = {}  # the same awaitable twice runs once
        for aw in aws:
            child = child_of.get(aw)
            if child is None:
                if type(aw) is _COROUTINE:
                    try:
                        child = self.create_task(aw)
                    except RuntimeError:
                        aw.close()
                        raise
                    child._log_destroy_pending = False  # we made it; we watch it
                else:
                    child = aw  # this loop's future: ensure_future returns it as it is
                child_of[aw] = child
            children.append(child)
        outer: Any = futures._GatheringFuture(children, loop=self)
        outer._return_exceptions = return_exceptions
        outer._finished = 0
        outer._expected = len(child_of)
        outer._arrivals = deque()
        done_already = []
        for child in child_of.values():
            if child._state is not PENDING:
                if outer.counts_done_at_once:
                    done_already.append(child)
                else:
                    child.add_done_callback(outer._child_done, context=futures.CHILD_DONE_CONTEXT)
            else:
                child._register((outer, futures.GATHERED))
        for child in done_already:
            outer._child_done(child)
        return outer

    def create_task(self, coro: Any, *, name: object = None, context: Any = None) -> Any:
        """Wrap ``coro`` in a Task and schedule it."""
        if self._task_factory is not None or self._closed or self._debug:
            return super().create_task(coro, name=name, context=context)  # type: ignore[misc]
        if type(coro) is _COROUTINE and self._makes_fast_tasks:
            # futures.start_task(task, self, coro, name, context), written out:
            # a call less for every task (tests/test_fast_paths.py checks
            # that the two make the same task).
            task: Any = _new_object(futures.Task)
            task._loop = self
            task._state = PENDING
            task._result = task._exception = task._exception_tb = task._waiting = None
            task._cancel_message = task._cancelled_exc = task._source_traceback = None
            task._fut_waiter = None
            task._log_tb = task._asyncio_future_blocking = task._must_cancel = False
            task._eager_start = False
            task._coro = coro
            task._name = next(tasks.task_numbers) if name is None else str(name)
            task._context = contextvars.copy_context() if context is None else context
            task._num_cancels_requested = 0
            task._log_destroy_pending = True
            self._ready.append(task)
            if self.observer is not None:
                self.observer.scheduled(task)
            register_task(task)
        else:
            task = self.task_class(coro, loop=self, name=name, context=context)
        if self.observer:
            self.observer.task_created(task, coro)
        return task

    def create_future(self) -> Any:
        """A new pending Future on this loop."""
        if self._debug or not self._makes_fast_futures:
            # core/loop.py's create_future, in this frame (debug mode names it).
            return self.future_class(loop=self)
        future: Any = _new_object(futures.Future)  # fill_future(future, self), inline
        future._loop = self
        future._state = PENDING
        future._result = future._exception = future._exception_tb = future._waiting = None
        future._cancel_message = future._cancelled_exc = future._source_traceback = None
        future._log_tb = future._asyncio_future_blocking = False
        return future

    def _forget_cancelled_timers(self) -> None:
        timers = self._timers
        if (len(timers) > SWEEP_MIN_TIMERS
                and self._cancelled_timers / len(timers) > SWEEP_MIN_CANCELLED_FRACTION):
            for _, _, timer in timers:
                timer._scheduled = not timer._cancelled
            self._timers = [entry for entry in timers if not entry[2]._cancelled]
            heapq.heapify(self._timers)
            self._cancelled_timers = 0
        super()._forget_cancelled_timers()  # type: ignore[misc]
