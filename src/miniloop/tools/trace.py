"""The trace: everything a loop does, recorded as structured events.

To watch a loop think, we need to see five things happen: a task is
created, a task's step starts, the step ends (and what it gave back), a
callback or timer runs, and the loop goes idle. All of them pass through a
handful of places:

    the ready queue     every task and callback is *appended* to it
    one turn            ``_run_once`` pops entries and runs them
    the timer heap      ``call_at`` arms timers; cancelling one tells the loop
    the selector        ``_add_io_handle``/``_remove_io_handle``, and the events it returns

A recorder replaces exactly those on the one loop it watches: the ready
queue becomes a deque whose ``append`` takes notes, and ``_run_once``
becomes a copy of the loop's own turn that records as it goes. These are
attributes of that loop object only; every other loop (and every untraced
program) runs the plain methods, with no "is anyone watching?" test in
sight. Tracing costs nothing unless it is on.

What a step gave back is read off the task after the step: a task parked on
a future has ``_fut_waiter`` set, and ``describe.py`` explains what that
future is by looking down the task's await chain; a task that put itself
back on the ready queue yielded bare (``sleep(0)``); a done task finished,
failed or was cancelled.

Each event knows its *cause*: the event during which it was scheduled. A
task's step is caused by its wake-up, the wake-up by the timer or step that
completed the future, and so on. Renderers draw those links as arrows.

The text log (``textlog.py``), the text timeline (``timeline.py``) and the
web page (``html.py``) are all renderers over the same list of events.

Read next: ``textlog.py`` and ``timeline.py``.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import selectors
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from miniloop.core import loop as loop_module
from miniloop.core.clock import POLL
from miniloop.core.tasks import Task
from miniloop.tools.describe import (
    callback_name,
    caller_location,
    coroutine_name,
    describe_callback,
    describe_timer,
    describe_wait,
    is_task,
    short_repr,
    task_name,
    task_of_callback,
    tasks_woken_by,
    where_suspended,
)
from miniloop.tools.textlog import TextLog

# The kinds of events, and what their ``data`` holds.
KINDS = {
    "task-created": "a task was made (data: coro, creator, where)",
    "step": "a task's step starts (data: step number, reason)",
    "waits": "the step ended parked on a future (data: wait, label, until, where, tasks)",
    "yields": "the step ended with a bare yield (sleep(0)): it runs again next turn",
    "finished": "the task's coroutine returned (data: result)",
    "failed": "the task's coroutine raised (data: exception)",
    "cancelled": "the task ended cancelled",
    "woken": "a parked task was put back on the ready queue (data: waited, by)",
    "callback-scheduled": "a callback was put on the ready queue (data: callback)",
    "callback": "a callback ran (data: callback)",
    "timer-armed": "a timer was armed (data: when, timer)",
    "timer-fired": "a timer came due and ran (data: when, timer)",
    "timer-cancelled": "a timer was cancelled before it came due (data: when, timer)",
    "io-watch": "the loop starts watching a file descriptor (data: fd, event)",
    "io-unwatch": "the loop stops watching a file descriptor (data: fd, event)",
    "io-ready": "the selector reported a file descriptor ready (data: fd, event)",
    "idle": "nothing to run: the loop sleeps (data: until; None means until IO)",
}

_EVENT_NAMES = {selectors.EVENT_READ: "read", selectors.EVENT_WRITE: "write"}


@dataclass(frozen=True)
class TraceEvent:
    """One thing a loop did.

    ``turn`` is the loop iteration (counted across all loops of the trace),
    ``time`` the loop time since tracing began, ``task`` the task the event
    is about (None for the loop's own doings), ``by`` the task whose step was
    running when it happened, ``depth`` 1 for events that happened inside a
    step or callback, ``cause`` the ``seq`` of the event during which this
    one was scheduled.
    """

    seq: int
    turn: int
    time: float
    kind: str
    text: str
    task: str | None = None
    by: str | None = None
    depth: int = 0
    cause: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[TraceEvent], None]


class Trace:
    """A recording of what the loops it is attached to did: ``trace.events``.

    Attach it to a loop (``trace.attach(loop)``), or use ``recording()``,
    which attaches it to every loop made while it is active.
    """

    def __init__(self) -> None:
        self.events: list[TraceEvent] = []
        self.errors: list[str] = []  # listeners that failed (and were dropped)
        self.turns = 0
        self._listeners: list[Listener] = []
        self._numbers = itertools.count(1)
        self._recorders: list[_LoopRecorder] = []
        self._task_keys: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
        self._keys_in_use: set[str] = set()

    def listen(self, listener: Listener) -> None:
        """Call ``listener(event)`` for every event from now on (a live renderer)."""
        self._listeners.append(listener)

    def attach(self, loop: Any) -> None:
        """Start recording what ``loop`` does."""
        if "_run_once" in vars(loop):
            raise RuntimeError("attach the trace before any other tool that wraps the loop's turn")
        recorder = _LoopRecorder(self, loop)
        recorder.install()
        self._recorders.append(recorder)

    def detach_all(self) -> None:
        """Stop recording: every watched loop gets its plain methods back."""
        for recorder in self._recorders:
            recorder.uninstall()
        self._recorders.clear()

    # --- reading the events ---------------------------------------------------------

    def of_kind(self, *kinds: str) -> list[TraceEvent]:
        """The events of the given kinds, in order."""
        return [event for event in self.events if event.kind in kinds]

    def for_task(self, task: str) -> list[TraceEvent]:
        """The events about one task (by its key, e.g. ``"Task-2"``), in order."""
        return [event for event in self.events if event.task == task]

    def task_keys(self) -> list[str]:
        """Every task seen, in the order they were created."""
        return [event.task for event in self.events
                if event.kind == "task-created" and event.task is not None]

    # --- recording ------------------------------------------------------------------

    def key_of(self, task: Any) -> str | None:
        """The trace's name for a task it has seen (its name, made unique), else None."""
        return self._task_keys.get(task)

    def _new_key(self, task: Any) -> str:
        key = base = task_name(task)
        for number in itertools.count(2):
            if key not in self._keys_in_use:
                break
            key = f"{base}#{number}"
        self._keys_in_use.add(key)
        self._task_keys[task] = key
        return key

    def _record(self, turn: int, time: float, kind: str, text: str, **fields: Any) -> int:
        event = TraceEvent(next(self._numbers), turn, time, kind, text, **fields)
        self.events.append(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception as exc:  # e.g. stderr is a closed pipe: stop writing there
                self._listeners.remove(listener)
                self.errors.append(f"{listener!r} failed: {type(exc).__name__}: {exc}")
        return event.seq


class _WatchedReadyQueue(deque[Any]):
    """A loop's ready queue that tells its recorder about every entry appended."""

    def __init__(self, recorder: _LoopRecorder, entries: deque[Any]) -> None:
        super().__init__(entries)
        self._recorder = recorder

    def append(self, entry: Any) -> None:
        """Add ``entry`` to the queue, after the recorder has noted why it came."""
        self._recorder.on_ready(entry)
        super().append(entry)


class _LoopRecorder:
    """The instrumented methods of one loop, and what they remember between events."""

    def __init__(self, trace: Trace, loop: Any) -> None:
        self.trace = trace
        self.loop = loop
        self.origin = loop.time()
        self.turn = trace.turns
        # Who is running right now: the event of the step or callback, its task.
        self.actor: int | None = None
        self.actor_task: str | None = None
        self.actor_text = "the program"
        self.running: Any = None
        self.requeued = False
        self.pending: dict[int, int] = {}  # id(entry) -> the event that queued it
        self.timers: dict[int, int] = {}  # id(timer) -> the event that armed it
        self.steps: dict[str, int] = {}
        self.waiting: dict[str, str] = {}  # task key -> what it parked on (label)
        self.self_pipe = loop._ssock.fileno()
        self.saved: dict[str, Any] = {}

    # --- installing ----------------------------------------------------------------

    _REPLACED = ("_ready", "_run_once", "call_at", "_timer_handle_cancelled",
                 "_add_io_handle", "_remove_io_handle", "create_task")

    def install(self) -> None:
        loop = self.loop
        own = vars(loop)
        self.saved = {name: own[name] for name in self._REPLACED if name in own}
        self.plain_call_at = loop.call_at
        self.plain_timer_cancelled = loop._timer_handle_cancelled
        self.plain_add_io = loop._add_io_handle
        self.plain_remove_io = loop._remove_io_handle
        self.plain_create_task = loop.create_task
        loop._ready = _WatchedReadyQueue(self, loop._ready)
        loop._run_once = self.run_once
        loop.call_at = self.call_at
        loop._timer_handle_cancelled = self.timer_cancelled
        loop._add_io_handle = self.add_io_handle
        loop._remove_io_handle = self.remove_io_handle
        loop.create_task = self.create_task

    def uninstall(self) -> None:
        loop = self.loop
        ready = deque(loop._ready)
        for name in self._REPLACED:
            vars(loop).pop(name, None)
        vars(loop).update(self.saved)
        loop._ready = ready

    # --- recording helpers ----------------------------------------------------------

    def now(self) -> float:
        return float(self.loop.time() - self.origin)

    def record(self, kind: str, text: str, **fields: Any) -> int:
        return self.trace._record(self.turn, self.now(), kind, text, **fields)

    def on_loop_thread(self) -> bool:
        thread = self.loop._thread_id
        return thread is None or thread == threading.get_ident()

    def nested(self) -> dict[str, Any]:
        """The fields of an event that happens inside the running step or callback."""
        return {"by": self.actor_task, "cause": self.actor,
                "depth": 1 if self.actor is not None else 0}

    def actor_name(self) -> str:
        return self.actor_task if self.actor_task is not None else self.actor_text

    def key_of(self, task: Any) -> str:
        key = self.trace.key_of(task)
        return key if key is not None else self.note_created(task)

    # --- the ready queue --------------------------------------------------------------

    def on_ready(self, entry: Any) -> None:
        if not self.on_loop_thread():
            text = f"callback scheduled from another thread: {_entry_text(entry)}"
            self.pending[id(entry)] = self.record("callback-scheduled", text,
                                                  data={"callback": _entry_text(entry)})
            return
        if isinstance(entry, Task):
            self.on_task_ready(entry)
            return
        callback = getattr(entry, "_callback", None)
        owner = task_of_callback(callback)
        if owner is not None:  # a task that is not miniloop's, or woken by a foreign future
            self.pending[id(entry)] = self.on_task_ready(owner, record_only=True)
            return
        if callback == self.loop._read_from_self:
            return  # the loop's own wake-up pipe: plumbing, not news
        if self.actor is None and id(entry) in self.pending:
            return  # an IO callback: its io-ready event is its cause already
        text = f"callback scheduled: {_entry_text(entry)}"
        self.pending[id(entry)] = self.record(
            "callback-scheduled", text, data={"callback": _entry_text(entry)}, **self.nested())

    def on_task_ready(self, task: Any, record_only: bool = False) -> int:
        key = self.trace.key_of(task)
        if key is None:
            seq = self.pending[id(task)] = self.note_created_event(task)
            return seq
        if task is self.running:
            self.requeued = True  # a bare yield: recorded when the step ends
            return self.actor or 0
        label = self.waiting.get(key, "its future")
        waiter = getattr(task, "_fut_waiter", None)
        outcome = "done"
        if waiter is not None and waiter.cancelled():
            outcome = "cancelled"
        text = f"{key} woken: {label} {outcome}"
        if self.actor is not None:
            text += f" (by {self.actor_name()})"
        seq = self.record("woken", text, task=key,
                          data={"waited": label, "outcome": outcome, "by": self.actor_name()},
                          **self.nested())
        if not record_only:
            self.pending[id(task)] = seq
        return seq

    def note_created(self, task: Any) -> str:
        self.note_created_event(task)
        return self.trace.key_of(task) or task_name(task)

    def note_created_event(self, task: Any, eager: bool = False,
                           coro_name: str | None = None) -> int:
        key = self.trace._new_key(task)
        creator = self.actor_name()
        where = caller_location()
        coro = coro_name or coroutine_name(task)
        text = f"{key} {coro} created {'eagerly ' if eager else ''}by {creator}"
        if where is not None:
            text += f", at {where}"
        return self.record(
            "task-created", text, task=key,
            data={"coro": coro, "creator": creator,
                  "where": str(where) if where else None},
            **self.nested())

    def create_task(self, coro: Any, **options: Any) -> Any:
        """The loop's create_task; notes tasks whose first step ran at once (eager tasks)."""
        task = self.plain_create_task(coro, **options)
        if self.trace.key_of(task) is None and is_task(task):
            # Never put on the ready queue: an eager task factory ran its
            # first step inside this call, in the creator's step.
            name = getattr(coro, "__qualname__", None)
            shown = f"{name.replace('.<locals>', '')}()" if name else None
            self.note_created_event(task, eager=True, coro_name=shown)
            key = self.key_of(task)
            self.steps[key] = 1
            seq = self.record("step", f"{key} step 1 (eager: it ran at once, inside "
                              f"{self.actor_name()}'s step)", task=key, cause=self.actor,
                              data={"step": 1, "reason": "eager first step"},
                              depth=1 if self.actor is not None else 0)
            self.record_outcome(task, key, seq)
        return task

    # --- timers and IO ------------------------------------------------------------------

    def call_at(self, when: float, callback: Callable[..., object], *args: Any,
                context: Any = None) -> Any:
        timer = self.plain_call_at(when, callback, *args, context=context)
        what = describe_timer(timer)
        relative = when - self.origin
        self.timers[id(timer)] = self.record(
            "timer-armed", f"timer armed for {relative:.3f}: {what}",
            data={"when": relative, "timer": what}, **self.nested())
        return timer

    def timer_cancelled(self, timer: Any) -> None:
        self.plain_timer_cancelled(timer)
        armed = self.timers.pop(id(timer), None)
        what = describe_timer(timer)
        self.record("timer-cancelled", f"timer cancelled: {what}",
                    data={"when": timer.when() - self.origin, "timer": what, "armed": armed},
                    by=self.actor_task, depth=1 if self.actor is not None else 0,
                    cause=self.actor if self.actor is not None else armed)

    def add_io_handle(self, fileobj: Any, event: int, handle: Any) -> None:
        self.plain_add_io(fileobj, event, handle)
        fd = _fd_of(fileobj)
        if fd != self.self_pipe:
            name = _EVENT_NAMES.get(event, str(event))
            self.record("io-watch", f"watch fd {fd} for {name}: {_entry_text(handle)}",
                        data={"fd": fd, "event": name}, **self.nested())

    def remove_io_handle(self, fileobj: Any, event: int) -> bool:
        removed = bool(self.plain_remove_io(fileobj, event))
        fd = _fd_of(fileobj)
        if removed and fd != self.self_pipe:
            name = _EVENT_NAMES.get(event, str(event))
            self.record("io-unwatch", f"stop watching fd {fd} for {name}",
                        data={"fd": fd, "event": name}, **self.nested())
        return removed

    def note_io(self, io_events: list[tuple[selectors.SelectorKey, int]]) -> None:
        for key, mask in io_events:
            if key.fd == self.self_pipe:
                continue
            reader, writer = key.data
            for flag, handle in ((selectors.EVENT_READ, reader), (selectors.EVENT_WRITE, writer)):
                if mask & flag and handle is not None:
                    name = _EVENT_NAMES[flag]
                    seq = self.record("io-ready", f"fd {key.fd} ready to {name}",
                                      data={"fd": key.fd, "event": name})
                    self.pending[id(handle)] = seq

    def note_idle(self, deadline: float | None, timers: list[Any]) -> None:
        if deadline is None:
            self.record("idle", "loop idle: nothing to run, waiting for IO or another thread",
                        data={"until": None})
            return
        if deadline <= self.loop.time():
            return  # a timer is due already: no sleep
        next_timer = describe_timer(timers[0][1])
        until = deadline - self.origin
        self.record("idle", f"loop idle until {until:.3f} (next timer: {next_timer})",
                    data={"until": until})

    # --- one turn of the loop ----------------------------------------------------------------

    def run_once(self) -> None:
        """The loop's turn (``CoreLoop._run_once``), recording as it goes."""
        loop = self.loop
        self.trace.turns += 1
        self.turn = self.trace.turns
        loop._forget_cancelled_timers()
        timers = loop._timers
        ready = loop._ready
        if ready or loop._stopping:
            deadline: float | None = POLL
        elif timers:
            deadline = timers[0][0]
        else:
            deadline = None
            breaker = loop_module.deadlock_breaker
            if breaker is not None and breaker(loop):
                return
        if deadline != POLL:
            self.note_idle(deadline, timers)
        io_events = loop._clock.wait(loop._selector, deadline)
        if io_events:
            self.note_io(io_events)
            loop._process_io_events(io_events)
        end_time = loop.time() + loop._clock_resolution
        while timers and timers[0][0] < end_time:
            timer = heapq.heappop(timers)[1]
            timer._scheduled = False
            deque.append(ready, timer)  # its firing is recorded when it runs
        for _ in range(len(ready)):
            self.run_entry(ready.popleft())

    # A note on the ``del`` statements below. A step that raises leaves a
    # traceback, and the frames in a traceback keep their callers' frames
    # (ours) alive, locals included, after those have returned. A local that
    # still held the task would make a reference cycle (task -> exception ->
    # traceback -> our frame -> task): the task and everything its coroutine
    # held would then wait for the garbage collector, and a program could
    # see "exception was never retrieved" later than it does untraced. The
    # loop's own Handle._run drops its reference for the same reason.

    def run_entry(self, entry: Any) -> None:
        cause = self.pending.pop(id(entry), None)
        started = time.perf_counter()
        owner = None
        if isinstance(entry, Task):
            self.run_step(entry, entry._run, cause)
        elif getattr(entry, "_cancelled", False):
            entry._run()  # skipped by the entry itself
        elif (owner := task_of_callback(getattr(entry, "_callback", None))) is not None:
            self.run_step(owner, entry._run, cause)
        elif getattr(entry, "_callback", None) == self.loop._read_from_self:
            entry._run()
        elif hasattr(entry, "when"):
            armed = self.timers.pop(id(entry), None)
            what = describe_timer(entry)
            seq = self.record("timer-fired", f"timer fired: {what}", cause=armed,
                              data={"when": entry.when() - self.origin, "timer": what,
                                    "wakes": [task_name(t) for t in tasks_woken_by(entry)]})
            self.run_as(seq, None, None, entry._run, "a timer")
        else:
            what = _entry_text(entry)
            seq = self.record("callback", f"callback {what}", cause=cause,
                              data={"callback": what})
            self.run_as(seq, None, None, entry._run, f"callback {callback_name(entry._callback)}")
        if self.loop._debug:
            took = time.perf_counter() - started
            if took >= getattr(self.loop, "slow_callback_duration", 0.1):
                logging.getLogger("asyncio").warning("Executing %s took %.3f seconds",
                                                     entry, took)
        del entry, owner  # see the note above

    def run_as(self, seq: int, task_key: str | None, task: Any, run: Callable[[], None],
               text: str = "") -> None:
        """Run one entry; what happens meanwhile is caused by event ``seq``, done by the actor."""
        self.actor, self.actor_task, self.running, self.requeued = seq, task_key, task, False
        self.actor_text = text
        del task  # see the note above run_entry
        try:
            run()
        finally:
            del run
            self.actor, self.actor_task, self.running = None, None, None
            self.actor_text = "the program"

    def run_step(self, task: Any, run: Callable[[], None], cause: int | None) -> None:
        key = self.key_of(task)
        number = self.steps[key] = self.steps.get(key, 0) + 1
        reason = self.step_reason(task, key, number)
        seq = self.record("step", f"{key} step {number} ({reason})", task=key, cause=cause,
                          data={"step": number, "reason": reason})
        self.run_as(seq, key, task, run)
        del run
        self.record_outcome(task, key, seq)
        del task  # see the note above run_entry

    def step_reason(self, task: Any, key: str, number: int) -> str:
        if number == 1:
            return "first step"
        waiter = getattr(task, "_fut_waiter", None)
        label = self.waiting.get(key)
        if waiter is not None:
            if waiter.cancelled():
                return f"{label or 'its future'} cancelled"
            return f"{label or 'its future'} done"
        problem = getattr(task, "_step_exc", None)
        if problem is not None:
            return f"throw {type(problem).__name__}"
        if getattr(task, "_must_cancel", False):
            return "cancel requested"
        return "again after a bare yield"

    def record_outcome(self, task: Any, key: str, step: int) -> None:
        if task.done():
            self.waiting.pop(key, None)
            if task.cancelled():
                self.record("cancelled", f"{key} cancelled", task=key, cause=step)
                return
            # Read the outcome without result()/exception(): those would mark
            # an exception as retrieved, and silence asyncio's warning.
            exc = getattr(task, "_exception", None)
            if exc is not None:
                self.record("failed", f"{key} failed: {type(exc).__name__}: {exc}", task=key,
                            cause=step, data={"exception": f"{type(exc).__name__}: {exc}"})
            else:
                result = short_repr(getattr(task, "_result", None), 40)
                self.record("finished", f"{key} finished, returned {result}", task=key,
                            cause=step, data={"result": result})
            return
        if getattr(task, "_fut_waiter", None) is not None:
            wait = describe_wait(task, self.loop.time(), origin=self.origin)
            where = where_suspended(task)
            self.waiting[key] = wait.label
            text = f"{key} waits on {wait.label}"
            if where is not None:
                text += f", at {where}"
            until = None if wait.until is None else wait.until - self.origin
            self.record("waits", text, task=key, cause=step,
                        data={"wait": wait.kind, "label": wait.label, "until": until,
                              "where": str(where) if where else None,
                              "tasks": [self.key_of(t) for t in wait.tasks]})
            return
        if self.requeued:
            problem = getattr(task, "_step_exc", None)
            if problem is not None:
                text = f"{key} yielded something that is not a future: {problem}"
            else:
                text = f"{key} yields (a bare yield, as in sleep(0)): runs again next turn"
            self.pending[id(task)] = self.record("yields", text, task=key, cause=step)


def _fd_of(fileobj: Any) -> int:
    return fileobj if isinstance(fileobj, int) else int(fileobj.fileno())


def _entry_text(entry: Any) -> str:
    if is_task(entry):
        return task_name(entry)
    return describe_callback(getattr(entry, "_callback", entry), getattr(entry, "_args", ()))


# --- recording every loop made in a block ------------------------------------------------------


_active: list[Trace] = []  # the recordings in force, innermost last


@contextlib.contextmanager
def recording(*, log: TextIO | None = None) -> Iterator[Trace]:
    """Record every miniloop loop made inside the block; yields the Trace.

    With ``log``, each event is also written there as it happens (see
    ``textlog.py``). The trace's watcher goes first in line, so that other
    tools (step mode) wrap the recorded turn rather than replace it. A
    recording inside another one shares its Trace: a loop is recorded once.
    """
    if _active:
        trace = _active[-1]
        if log is not None:
            trace.listen(TextLog(log))
        yield trace
        return
    trace = Trace()
    if log is not None:
        trace.listen(TextLog(log))
    loop_module.new_loop_watchers.insert(0, trace.attach)
    _active.append(trace)
    try:
        yield trace
    finally:
        _active.remove(trace)
        loop_module.new_loop_watchers.remove(trace.attach)
        trace.detach_all()
