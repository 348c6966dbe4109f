"""The event loop: a queue of callbacks, a heap of timers, and a selector.

That is all an event loop is. One *turn* of it goes like this:

    1. decide how long we may sleep: not at all if callbacks are ready,
       until the earliest timer if there is one, otherwise for ever;
    2. sleep in the selector for at most that long; every file descriptor
       that became ready puts its callback on the ready queue;
    3. move every timer whose time has come onto the ready queue;
    4. run the callbacks that are on the ready queue *now*. Callbacks they
       add wait for the next turn, so no one can starve the others.

``run_forever`` repeats this until ``stop()``. Everything else in miniloop
(tasks, sleep, gather, queues, sockets) is built from three calls:
``call_soon`` (a callback next turn), ``call_at`` (a callback at a time)
and selector registrations (a callback when a descriptor is ready).

Each entry of the ready queue is a ``Handle``: a callback, its arguments,
and the ``contextvars`` context to run it in.

This is the core loop. It knows nothing of sockets or of asyncio's finer
print; ``miniloop.Loop`` adds those on top (``assembly.py`` shows how).
Tools watch it through its ``observer`` (``observer.py``).

Read next: ``futures.py``, then ``tasks.py``.
"""

import contextvars
import heapq
import logging
import selectors
import threading
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from miniloop.core.clock import POLL, Clock, Events, new_clock
from miniloop.core.events import _get_running_loop, _set_running_loop
from miniloop.core.futures import Future, isfuture
from miniloop.core.observer import before_waiting_for_ever, new_loop_watchers
from miniloop.core.primitives import _GatheringFuture
from miniloop.core.tasks import Task, ensure_future

T = TypeVar("T")
Callback = Callable[..., object]
Context = contextvars.Context


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
        self._source_traceback: Any = None  # where it was made (debug mode)

    def cancel(self) -> None:
        """Do not run the callback after all."""
        if not self._cancelled:
            self._cancelled = True
            # Drop the references now: a cancelled timer may wait a long
            # time in the heap before the loop throws it away.
            self._callback = self._args = None  # type: ignore[assignment]

    def cancelled(self) -> bool:
        """True if cancel() was called."""
        return self._cancelled

    def _run(self) -> None:
        if self._cancelled:
            return
        try:
            self._context.run(self._callback, *self._args)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:  # a callback has no caller: report it
            context = {"message": f"Exception in callback {self._describe()}",
                       "exception": exc, "handle": self}
            if self._source_traceback:
                context["source_traceback"] = self._source_traceback
            self._loop.call_exception_handler(context)
        # A traceback made below may link back to this frame: it must not
        # reach the callback (say, a task) through us, or that is a cycle.
        del self

    def _describe(self) -> str:
        name = getattr(self._callback, "__qualname__", None) or repr(self._callback)
        return f"{name}({', '.join(map(repr, self._args))})"


class TimerHandle(Handle):
    """A Handle with a time: the loop runs it at ``when()``."""

    __slots__ = ("_order", "_scheduled", "_when")

    def __init__(self, when: float, callback: Callback, args: tuple[Any, ...], loop: Any,
                 context: Context | None = None, order: int = 0) -> None:
        super().__init__(callback, args, loop, context)
        self._when = when
        self._order = order  # breaks ties between equal deadlines (see clock.py)
        self._scheduled = False  # True while it sits in its loop's timer heap

    def when(self) -> float:
        """The loop time at which the callback is due."""
        return self._when

    def cancel(self) -> None:
        """Do not run the callback; the heap forgets it lazily."""
        if not self._cancelled and self._scheduled:
            self._loop._timer_handle_cancelled(self)
        super().cancel()

    def __lt__(self, other: "TimerHandle") -> bool:
        # Asked only between equal deadlines and orders (a real clock's):
        # "neither is earlier", so the heap keeps asyncio's order for them.
        return self._when < other._when


class CoreLoop:
    """The teaching core of miniloop's event loop (no sockets, no asyncio glue)."""

    # The classes this loop makes its objects from. miniloop.Loop names
    # richer ones (asyncio's exact reprs and checks) and faster ones.
    handle_class: type[Handle] = Handle
    timer_class: type[TimerHandle] = TimerHandle
    future_class: type[Future[Any]] = Future
    task_class: type[Task[Any]] = Task
    gathering_future_class: type[_GatheringFuture] = _GatheringFuture

    def __init__(self, *, clock: Clock | None = None) -> None:
        self._clock: Clock = new_clock() if clock is None else clock
        self._clock.attach(self)
        self._ready: deque[Handle] = deque()
        # A heap of (when, order, timer): tuples compare item by item, so the
        # earliest deadline is _timers[0], and the clock's order breaks ties.
        self._timers: list[tuple[float, int, TimerHandle]] = []
        self._cancelled_timers = 0
        self._selector: selectors.BaseSelector = selectors.DefaultSelector()
        self._stopping = False
        self._closed = False
        self._thread_id: int | None = None
        self.observer: Any = None  # tools watch the loop through it
        for watcher in new_loop_watchers:
            watcher(self)

    def time(self) -> float:
        """The loop's clock: seconds, never going back."""
        return self._clock.time()

    # --- scheduling callbacks -----------------------------------------------------------

    def call_soon(self, callback: Callback, *args: Any, context: Context | None = None) -> Handle:
        """Run ``callback(*args)`` on the next turn of the loop."""
        self._check_closed()
        handle = self.handle_class(callback, args, self, context)
        self._ready.append(handle)
        if self.observer:
            self.observer.scheduled(handle)
        return handle

    def call_later(self, delay: float, callback: Callback, *args: Any,
                   context: Context | None = None) -> TimerHandle:
        """Run ``callback(*args)`` after ``delay`` seconds."""
        return self.call_at(self.time() + delay, callback, *args, context=context)

    def call_at(self, when: float, callback: Callback, *args: Any,
                context: Context | None = None) -> TimerHandle:
        """Run ``callback(*args)`` when ``loop.time()`` reaches ``when``."""
        self._check_closed()
        order = self._clock.arming_order()
        timer = self.timer_class(when, callback, args, self, context, order)
        timer._scheduled = True
        heapq.heappush(self._timers, (when, order, timer))
        if self.observer:
            self.observer.timer_armed(timer)
        return timer

    def _timer_handle_cancelled(self, timer: TimerHandle) -> None:
        self._cancelled_timers += 1
        if self.observer:
            self.observer.timer_cancelled(timer)

    # --- one turn -----------------------------------------------------------------------

    def _run_once(self) -> None:
        """One turn of the loop: wait, collect what is due, run what is ready."""
        observer = self.observer
        if observer:
            observer.turn_started()
        self._forget_cancelled_timers()
        if self._ready or self._stopping:
            deadline: float | None = POLL  # work is waiting: just look, don't sleep
        elif self._timers:
            deadline = self._timers[0][0]
        else:
            deadline = None  # nothing scheduled: only IO can wake us
        if observer and deadline != POLL and observer.about_to_sleep(deadline):
            return
        if deadline is None and any(check(self) for check in before_waiting_for_ever):
            return
        self._process_io_events(self._clock.wait(self._selector, deadline))

        end_time = self.time() + self._clock.resolution
        while self._timers and self._timers[0][0] < end_time:
            timer = heapq.heappop(self._timers)[2]
            timer._scheduled = False
            self._ready.append(timer)

        # Run only what is ready now; what they schedule waits a turn.
        for _ in range(len(self._ready)):
            entry = self._ready.popleft()
            if observer:
                observer.running(entry)
            entry._run()
            if observer:
                observer.ran(entry)
            del entry  # no reference to it from this frame (see Handle._run)

    def _forget_cancelled_timers(self) -> None:
        # Cancelled timers stay in the heap until they reach its top. (The
        # fast loop also sweeps a heap that is mostly cancelled timers.)
        while self._timers and self._timers[0][2]._cancelled:
            self._cancelled_timers -= 1
            heapq.heappop(self._timers)[2]._scheduled = False

    def _process_io_events(self, io_events: Events) -> None:
        """Put the handle of each ready descriptor on the ready queue.

        The core watches no descriptors itself: ``contract/selector.py``
        registers them (``add_reader`` and friends) and runs their handles."""

    # --- running and stopping ---------------------------------------------------------------

    def run_forever(self) -> None:
        """Run turns until stop() is called."""
        self._check_closed()
        self._check_running()
        self._thread_id = threading.get_ident()
        _set_running_loop(self)
        try:
            while True:
                self._run_once()
                if self._stopping:
                    break
        finally:
            self._stopping = False
            self._thread_id = None
            _set_running_loop(None)

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
        future.add_done_callback(_run_until_complete_cb)
        try:
            self.run_forever()
        except BaseException:
            if new_task and future.done() and not future.cancelled():
                future.exception()  # the error propagates: it is not lost
            raise
        finally:
            future.remove_done_callback(_run_until_complete_cb)
        if not future.done():
            raise RuntimeError("Event loop stopped before Future completed.")
        return future.result()

    def stop(self) -> None:
        """Stop after the current turn (or the next one, if not running)."""
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
        self._closed = True
        self._ready.clear()
        self._timers.clear()
        self._cancelled_timers = 0
        self._selector.close()

    def _check_closed(self) -> None:
        if self._closed:
            raise RuntimeError("Event loop is closed")

    def _check_running(self) -> None:
        if self.is_running():
            raise RuntimeError("This event loop is already running")
        if _get_running_loop() is not None:
            raise RuntimeError("Cannot run the event loop while another loop is running")

    # --- futures, tasks, errors ---------------------------------------------------------

    def create_future(self) -> Future[Any]:
        """A new pending Future on this loop."""
        return self.future_class(loop=self)

    def create_task(self, coro: Coroutine[Any, Any, T], *, name: object = None,
                    context: Context | None = None) -> Task[T]:
        """Wrap ``coro`` in a Task and schedule its first step."""
        self._check_closed()
        task = self.task_class(coro, loop=self, name=name, context=context)
        if self.observer:
            self.observer.task_created(task, coro)
        return task

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        """Report an error that nobody will ever await: log it."""
        logging.getLogger("asyncio").error(context["message"], exc_info=context.get("exception"))


def _run_until_complete_cb(future: Any) -> None:
    # run_until_complete's done callback. If the future failed with
    # SystemExit or KeyboardInterrupt, run_forever is unwinding already.
    if not future.cancelled():
        exc = future.exception()
        if isinstance(exc, (SystemExit, KeyboardInterrupt)):
            return
    future.get_loop().stop()
