"""The event loop: a queue of callbacks, a heap of timers, and a selector.

That is all an event loop is. One *iteration* of it goes like this:

    1. decide how long we may sleep: not at all if callbacks are ready,
       until the earliest timer if there is one, otherwise for ever;
    2. sleep in the selector for at most that long; every file descriptor
       that became ready puts its callback on the ready queue;
    3. move every timer whose time has come onto the ready queue;
    4. run the callbacks that are on the ready queue *now*. Callbacks they
       add wait for the next iteration, so no one can starve the others.

``run_forever`` repeats this until ``stop()``. Everything else in miniloop
(tasks, sleep, gather, queues, sockets) is built from three calls:
``call_soon`` (a callback next iteration), ``call_at`` (a callback at a time)
and selector registrations (a callback when a descriptor is ready).

Two kinds of objects sit on the ready queue. A ``Handle`` wraps a callback
and its arguments. A ``Task`` is its own entry: the loop calls ``_run()`` on
whatever it finds, and a task's ``_run`` is its next step.

This is the core loop. It knows nothing of sockets or of asyncio's
interfaces: ``miniloop.Loop`` adds those on top (see ``bridge.py``).

Read next: ``futures.py``, then ``tasks.py``.
"""

from __future__ import annotations

import contextvars
import heapq
import math
import selectors
import sys
import threading
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from miniloop.contract.asyncgens import AsyncGeneratorsMixin
from miniloop.contract.debugging import DebugModeMixin, debug_mode_requested
from miniloop.contract.reporting import ExceptionHandlerMixin, logger, report_callback_failure
from miniloop.contract.reprs import caller_outside, describe_handle, extract_stack
from miniloop.contract.selector import SelectorMixin
from miniloop.core import events
from miniloop.core.clock import POLL, Clock, new_clock
from miniloop.core.futures import Future, isfuture
from miniloop.core.tasks import Task, ensure_future

T = TypeVar("T")
Callback = Callable[..., object]
Context = contextvars.Context

# Sweep cancelled timers out of the heap once there are more than this many
# timers and more than this fraction of them are cancelled (asyncio's rule).
_SWEEP_MIN_TIMERS = 100
_SWEEP_MIN_CANCELLED_FRACTION = 0.5

# --- where the tools plug in (tools/: trace, step mode, deadlock report) -----------
# The core loop knows nothing of those tools; they register here instead.

# Each function in this list is shown every new loop, at the end of the core
# loop's construction. The trace and step mode install instrumented methods
# on the loops they watch; a loop no one watches runs the plain methods.
new_loop_watchers: list[Callable[[Any], None]] = []

# Called when the loop is about to sleep with nothing scheduled at all, to
# ask "can anything still wake us?". asyncio would just sleep, possibly for
# ever; miniloop installs tools/deadlock.py here, which reports a deadlock
# and wakes the main task with an error. True means "I changed something:
# start a new turn".
deadlock_breaker: Callable[[Any], bool] | None = None


class Handle:
    """A callback with its arguments and context, waiting to be run."""

    __slots__ = ("__weakref__", "_args", "_callback", "_cancelled", "_context", "_loop",
                 "_repr", "_source_traceback")

    def __init__(self, callback: Callback, args: tuple[Any, ...], loop: Any,
                 context: Context | None = None) -> None:
        self._callback = callback
        self._args = args
        self._loop = loop
        self._context = contextvars.copy_context() if context is None else context
        self._cancelled = False
        self._source_traceback: Any = None
        if loop._debug:
            # "Created at" the first frame outside this module: the code
            # that called call_soon, call_later... (or made the handle).
            self._source_traceback = extract_stack(caller_outside(sys._getframe(1), __name__))

    def cancel(self) -> None:
        """Do not run the callback after all."""
        if not self._cancelled:
            self._cancelled = True
            if self._loop._debug:
                self._repr = describe_handle(self)  # keep saying what it was
            # Drop the references now: a cancelled handle may wait a long
            # time in the timer heap before the loop throws it away.
            self._callback = None  # type: ignore[assignment]
            self._args = None  # type: ignore[assignment]

    def cancelled(self) -> bool:
        """True if cancel() was called."""
        return self._cancelled

    if sys.version_info >= (3, 12):  # asyncio's handles gained it in 3.12

        def get_context(self) -> Context:
            """The context the callback will run in."""
            return self._context

    def _run(self) -> None:
        if self._cancelled:
            return
        try:
            self._context.run(self._callback, *self._args)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:  # a callback has no caller: report it
            report_callback_failure(self, exc)
        # A traceback made below may link back to this frame: it must not
        # reach the callback (say, a task) through us, or that is a cycle.
        del self

    def __repr__(self) -> str:
        return getattr(self, "_repr", None) or describe_handle(self)


def _arming_order(timer: TimerHandle) -> float:
    # Unnumbered timers (a real clock's) all compare equal: "neither is earlier".
    return getattr(timer, "_order", math.inf)


class TimerHandle(Handle):
    """A Handle with a time: the loop runs it at ``when()``."""

    __slots__ = ("_order", "_scheduled", "_when")

    def __init__(self, when: float, callback: Callback, args: tuple[Any, ...], loop: Any,
                 context: Context | None = None) -> None:
        super().__init__(callback, args, loop, context)
        self._when = when
        self._scheduled = False  # True while it sits in its loop's timer heap

    def when(self) -> float:
        """The loop time at which the callback is due."""
        return self._when

    def cancel(self) -> None:
        """Do not run the callback; the heap forgets it lazily."""
        if not self._cancelled:
            if self._scheduled:
                self._loop._timer_handle_cancelled(self)
            super().cancel()

    # Timers compare by due time only, as asyncio's do. The heap stores
    # (when, handle) pairs, so these only decide between equal times, and
    # they say "neither is earlier": the heap then orders equal deadlines
    # exactly as asyncio's heap of TimerHandles does. The one exception is
    # a virtual clock's loop, whose timers carry the order they were armed
    # in (``_order``, see clock.VirtualClock): equal deadlines keep it.
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, TimerHandle):
            return NotImplemented
        if self._when != other._when:
            return self._when < other._when
        return _arming_order(self) < _arming_order(other)

    def __le__(self, other: object) -> bool:
        if not isinstance(other, TimerHandle):
            return NotImplemented
        return not other.__lt__(self)

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, TimerHandle):
            return NotImplemented
        return other.__lt__(self)

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, TimerHandle):
            return NotImplemented
        return not self.__lt__(other)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TimerHandle):
            return NotImplemented
        return (self._when, self._callback, self._args, self._cancelled) == (
            other._when, other._callback, other._args, other._cancelled)

    def __hash__(self) -> int:
        return hash(self._when)


class CoreLoop(SelectorMixin, ExceptionHandlerMixin, DebugModeMixin, AsyncGeneratorsMixin):
    """The teaching core of miniloop's event loop (no sockets, no asyncio glue).

    Mixins add what is not the core idea: the selector's bookkeeping and
    the self-pipe (``selector.py``), the exception handler
    (``reporting.py``), debug mode (``debugging.py``) and the hooks that let
    the loop close abandoned async generators (``asyncgens.py``).
    """

    # A miniloop Task may put itself straight on this loop's ready queue.
    _runs_miniloop_tasks = True

    def __init__(self, *, clock: Clock | None = None) -> None:
        super().__init__()
        self._clock: Clock = new_clock() if clock is None else clock
        self._clock.attach(self)
        self.time: Callable[[], float] = self._clock.time
        self._clock_resolution = self._clock.resolution
        self._ready: deque[Any] = deque()  # Handles and Tasks, each with _run()
        self._timers: list[tuple[float, TimerHandle]] = []  # a heap by due time
        self._cancelled_timers = 0
        self._selector = selectors.DefaultSelector()
        self._stopping = False
        self._closed = False
        self._thread_id: int | None = None
        self._debug = debug_mode_requested()
        self._task_factory: Callable[..., Any] | None = None
        self._make_self_pipe(Handle(self._read_from_self, (), self, None))
        for watcher in new_loop_watchers:
            watcher(self)

    # --- scheduling callbacks -----------------------------------------------------------

    def call_soon(self, callback: Callback, *args: Any, context: Context | None = None) -> Handle:
        """Run ``callback(*args)`` on the next iteration of the loop."""
        if self._closed:
            raise RuntimeError("Event loop is closed")
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_soon")
        handle = Handle(callback, args, self, context)
        self._ready.append(handle)
        return handle

    def call_later(self, delay: float, callback: Callback, *args: Any,
                   context: Context | None = None) -> TimerHandle:
        """Run ``callback(*args)`` after ``delay`` seconds."""
        if delay is None:
            raise TypeError("delay must not be None")
        return self.call_at(self.time() + delay, callback, *args, context=context)

    def call_at(self, when: float, callback: Callback, *args: Any,
                context: Context | None = None) -> TimerHandle:
        """Run ``callback(*args)`` when ``loop.time()`` reaches ``when``."""
        if when is None:
            raise TypeError("when cannot be None")
        self._check_closed()
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_at")
        timer = TimerHandle(when, callback, args, self, context)
        timer._scheduled = True
        heapq.heappush(self._timers, (when, timer))
        return timer

    def call_soon_threadsafe(self, callback: Callback, *args: Any,
                             context: Context | None = None) -> Handle:
        """Like call_soon, but safe to call from another thread: wakes the loop."""
        self._check_closed()
        if self._debug:
            self._check_callback(callback, "call_soon_threadsafe")
        handle = Handle(callback, args, self, context)
        self._ready.append(handle)  # deque.append is atomic
        self._write_to_self()
        return handle

    def _timer_handle_cancelled(self, timer: TimerHandle) -> None:
        if timer._scheduled:
            self._cancelled_timers += 1

    # --- one iteration ----------------------------------------------------------------

    def _run_once(self) -> None:
        """One turn of the loop: wait, collect what is due, run what is ready."""
        self._forget_cancelled_timers()  # may replace self._timers: read it after
        timers = self._timers
        ready = self._ready

        if ready or self._stopping:
            deadline: float | None = POLL  # work is waiting: just look, don't sleep
        elif timers:
            deadline = timers[0][0]
        else:
            deadline = None  # nothing scheduled: only IO can wake us
            if deadlock_breaker is not None and deadlock_breaker(self):
                return
        io_events = self._clock.wait(self._selector, deadline)
        if io_events:
            self._process_io_events(io_events)

        end_time = self.time() + self._clock_resolution
        while timers and timers[0][0] < end_time:
            timer = heapq.heappop(timers)[1]
            timer._scheduled = False
            ready.append(timer)

        # Run only what is ready now; what they schedule waits a turn.
        if self._debug:
            self._run_ready_debug(len(ready))
            return
        next_entry = ready.popleft
        for _ in range(len(ready)):
            next_entry()._run()

    def _forget_cancelled_timers(self) -> None:
        timers = self._timers
        count = len(timers)
        if (count > _SWEEP_MIN_TIMERS
                and self._cancelled_timers / count > _SWEEP_MIN_CANCELLED_FRACTION):
            live = []
            for entry in timers:
                if entry[1]._cancelled:
                    entry[1]._scheduled = False
                else:
                    live.append(entry)
            heapq.heapify(live)
            self._timers = live
            self._cancelled_timers = 0
        else:
            while timers and timers[0][1]._cancelled:
                self._cancelled_timers -= 1
                heapq.heappop(timers)[1]._scheduled = False

    # --- running and stopping ---------------------------------------------------------------

    def run_forever(self) -> None:
        """Run iterations until stop() is called."""
        self._check_closed()
        self._check_running()
        self._set_coroutine_origin_tracking(self._debug)
        self._thread_id = threading.get_ident()
        old_asyncgen_hooks = self._install_asyncgen_hooks()
        events._set_running_loop(self)
        try:
            while True:
                self._run_once()
                if self._stopping:
                    break
        finally:
            self._stopping = False
            self._thread_id = None
            events._set_running_loop(None)
            self._set_coroutine_origin_tracking(False)
            sys.set_asyncgen_hooks(*old_asyncgen_hooks)

    def run_until_complete(self, future: Any) -> Any:
        """Run until ``future`` (a future, task or coroutine) is done; return its result."""
        self._check_closed()
        self._check_running()
        new_task = not isfuture(future)
        future = ensure_future(future, loop=self)
        if new_task:
            # We made this task and we will read its outcome: don't warn
            # that it was destroyed pending if the loop stops early.
            future._log_destroy_pending = False
        future.add_done_callback(_stop_loop_of)
        try:
            self.run_forever()
        except BaseException:
            if new_task and future.done() and not future.cancelled():
                future.exception()  # the error propagates: it is not lost
            raise
        finally:
            future.remove_done_callback(_stop_loop_of)
        if not future.done():
            raise RuntimeError("Event loop stopped before Future completed.")
        return future.result()

    def stop(self) -> None:
        """Stop after the current iteration (or the next one, if not running)."""
        self._stopping = True

    def is_running(self) -> bool:
        """True while run_forever or run_until_complete is running."""
        return self._thread_id is not None

    def is_closed(self) -> bool:
        """True once close() was called."""
        return self._closed

    def close(self) -> None:
        """Drop everything scheduled and release the selector. Idempotent."""
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        if self._closed:
            return
        if self._debug:
            logger.debug("Close %r", self)
        self._closed = True
        self._ready.clear()
        self._timers.clear()
        self._cancelled_timers = 0
        self._close_self_pipe()
        self._selector.close()

    def _check_closed(self) -> None:
        if self._closed:
            raise RuntimeError("Event loop is closed")

    def _check_running(self) -> None:
        if self.is_running():
            raise RuntimeError("This event loop is already running")
        if events._get_running_loop() is not None:
            raise RuntimeError("Cannot run the event loop while another loop is running")

    # --- futures and tasks ------------------------------------------------------------------

    def create_future(self) -> Future[Any]:
        """A new pending Future on this loop."""
        return Future(loop=self)

    def create_task(self, coro: Coroutine[Any, Any, T], *, name: object = None,
                    context: Context | None = None) -> Any:
        """Wrap ``coro`` in a Task (or in what the task factory makes) and schedule it."""
        if self._closed:
            raise RuntimeError("Event loop is closed")
        factory = self._task_factory
        if factory is None:
            task = Task(coro, loop=self, name=name, context=context)
            if task._source_traceback:
                del task._source_traceback[-1]  # "created at" our caller
            return task
        task = factory(self, coro) if context is None else factory(self, coro, context=context)
        if name is not None or sys.version_info[:3] == (3, 13, 0):
            task.set_name(name)  # 3.13.0 renames even to None: asyncio did
        return task

    def set_task_factory(self, factory: Callable[..., Any] | None) -> None:
        """Make create_task call ``factory(loop, coro[, context=])``; None for Task."""
        if factory is not None and not callable(factory):
            raise TypeError("task factory must be a callable or None")
        self._task_factory = factory

    def get_task_factory(self) -> Callable[..., Any] | None:
        """The task factory, or None."""
        return self._task_factory

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} running={self.is_running()} "
                f"closed={self.is_closed()} debug={self.get_debug()}>")


def _stop_loop_of(future: Any) -> None:
    # run_until_complete's done callback. If the future failed with
    # SystemExit or KeyboardInterrupt, run_forever is unwinding already.
    if not future.cancelled():
        exc = future.exception()
        if isinstance(exc, (SystemExit, KeyboardInterrupt)):
            return
    future.get_loop().stop()

