"""The trace: everything a loop does, recorded as structured events.

To watch a loop think, we need to see five things happen: a task is
created, a task's step starts, the step ends (and what it gave back), a
callback or timer runs, and the loop goes idle. The loop *declares* those
moments and shows each to its observer (``core/observer.py``); the
recorder here is one observer, attached with ``watch(loop, recorder)``:

    scheduled(entry)                  a task woken, a callback scheduled, a new task
    running(entry) / ran(entry)       a callback or timer runs (a task's step: see below)
    step_started / step_ended(task)   a task's step, and what it gave back
    timer_armed / timer_cancelled     the timer heap
    io_watched / io_unwatched / io_ready   the selector
    turn_started / about_to_sleep     count the turns; "loop idle until ..."

It changes nothing on the loop: a traced loop runs exactly the methods a
learner reads, and a loop nobody watches pays one ``if`` at each moment.

What a step gave back is read off the task when the step ends: a task
parked on a future has ``_fut_waiter`` set, and ``describe.py`` explains
what that future is by looking down the task's await chain; a task that
put itself back on the ready queue during its step yielded bare
(``sleep(0)``); a done task finished, failed or was cancelled. Why a step
runs is read off the task just *before* it runs (``running``): which
future it waited on, and whether that future was cancelled.

In the plain core a task's step is a Handle whose callback is the task's
``_step`` (first step, after a bare yield) or ``_wakeup`` (the done
callback of the future it parked on); in the fast layer a task is its own
ready-queue entry. Either way ``running`` sees the entry and
``step_started`` the task. An eager task (3.12+) takes its first step
inside ``create_task``, in its creator's step: that step is nested.

Each event knows its *cause*: the event during which it was scheduled. A
task's step is caused by its wake-up, the wake-up by the timer or step that
completed the future, and so on. Renderers draw those links as arrows.

The text log (``textlog.py``), the text timeline (``timeline.py``) and the
web page (``html.py``) are all renderers over the same list of events.

Read next: ``textlog.py`` and ``timeline.py``.
"""

from __future__ import annotations

import contextlib
import itertools
import selectors
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from miniloop.contract.watching import Observer, unwatch, watch
from miniloop.core.observer import new_loop_watchers
from miniloop.core.tasks import Task
from miniloop.tools.describe import (
    callback_name,
    caller_location,
    coroutine_call,
    coroutine_name,
    describe_callback,
    describe_timer,
    describe_wait,
    is_task,
    name_being_given,
    short_repr,
    task_name,
    task_stepped_by,
    tasks_woken_by,
    thrown_in,
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
        """Start recording what ``loop`` does (it shows its moments to a recorder)."""
        recorder = _LoopRecorder(self, loop)
        watch(loop, recorder)
        self._recorders.append(recorder)

    def detach_all(self) -> None:
        """Stop recording: no watched loop shows its moments to this trace any more."""
        for recorder in self._recorders:
            loop = recorder.watched()
            if loop is not None:
                unwatch(loop, recorder)
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
        key = base = name_being_given() or task_name(task)
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


@dataclass
class _Actor:
    """Who is running: the event of its step or callback, and its task (None: a callback)."""

    seq: int | None
    key: str | None = None
    task: Any = None
    text: str = "the program"
    requeued: Any = None  # the ready-queue entry a bare yield of this step added
    depth: int = 0  # 1 for an eager step, inside its creator's: its outcome is indented too


@dataclass
class _NextStep:
    """The step a task's ready-queue entry is about to take, and why (see ``running``)."""

    task: Any
    cause: int | None
    reason: str


class _LoopRecorder(Observer):
    """Watches one loop for a Trace, and remembers what it needs between moments."""

    def __init__(self, trace: Trace, loop: Any) -> None:
        self.trace = trace
        self.watched = weakref.ref(loop)  # the loop holds us: no cycle back to it
        self.origin = loop.time()
        self.turn = trace.turns
        # Who is running right now, innermost last (an eager task's first step
        # runs inside its creator's step). At the bottom: the program itself.
        self.actors: list[_Actor] = [_Actor(None)]
        self.next_step: _NextStep | None = None
        self.entries: list[Any] = []  # per entry running: a foreign task, an _Actor or None
        self.pending: dict[int, int] = {}  # id(entry) -> the event that queued it
        self.timers: dict[int, int] = {}  # id(timer) -> the event that armed it
        self.steps: dict[str, int] = {}
        self.waiting: dict[str, str] = {}  # task key -> what it parked on (label)

    # --- recording helpers ----------------------------------------------------------

    @property
    def loop(self) -> Any:
        return self.watched()  # alive: it is the one showing us its moments

    def now(self) -> float:
        return float(self.loop.time() - self.origin)

    def record(self, kind: str, text: str, **fields: Any) -> int:
        return self.trace._record(self.turn, self.now(), kind, text, **fields)

    def on_loop_thread(self) -> bool:
        thread = self.loop._thread_id
        return thread is None or thread == threading.get_ident()

    def nested(self) -> dict[str, Any]:
        """The fields of an event that happens inside the running step or callback."""
        actor = self.actors[-1]
        return {"by": actor.key, "cause": actor.seq,
                "depth": 1 if actor.seq is not None else 0}

    def actor_name(self) -> str:
        actor = self.actors[-1]
        return actor.key if actor.key is not None else actor.text

    def key_of(self, task: Any) -> str:
        key = self.trace.key_of(task)
        return key if key is not None else self.note_created(task)

    def is_self_pipe(self, fd: int) -> bool:
        ssock = getattr(self.loop, "_ssock", None)
        return ssock is not None and fd == ssock.fileno()

    def is_self_pipe_reader(self, callback: Any) -> bool:
        reader = getattr(self.loop, "_read_from_self", None)
        return reader is not None and callback == reader

    # --- a new turn, and sleeping ---------------------------------------------------------

    def turn_started(self) -> None:
        self.trace.turns += 1
        self.turn = self.trace.turns

    def about_to_sleep(self, deadline: float | None) -> bool:
        if deadline is None:
            self.record("idle", "loop idle: nothing to run, waiting for IO or another thread",
                        data={"until": None})
            return False
        if deadline <= self.loop.time():
            return False  # a timer is due already: no sleep
        next_timer = describe_timer(_earliest_timer(self.loop))
        until = deadline - self.origin
        self.record("idle", f"loop idle until {until:.3f} (next timer: {next_timer})",
                    data={"until": until})
        return False

    # --- the ready queue --------------------------------------------------------------

    def scheduled(self, entry: Any) -> None:
        if not self.on_loop_thread():
            text = f"callback scheduled from another thread: {_entry_text(entry)}"
            self.pending[id(entry)] = self.record("callback-scheduled", text,
                                                  data={"callback": _entry_text(entry)})
            return
        task = task_stepped_by(entry)
        if task is not None:
            self.on_task_ready(task, entry)
            return
        callback = getattr(entry, "_callback", None)
        if self.is_self_pipe_reader(callback):
            return  # the loop's own wake-up pipe: plumbing, not news
        if self.actors[-1].seq is None and id(entry) in self.pending:
            return  # an IO callback: its io-ready event is its cause already
        text = f"callback scheduled: {_entry_text(entry)}"
        self.pending[id(entry)] = self.record(
            "callback-scheduled", text, data={"callback": _entry_text(entry)}, **self.nested())

    def on_task_ready(self, task: Any, entry: Any) -> None:
        """``entry`` will step ``task``: its first step, a wake-up, or after a bare yield."""
        key = self.trace.key_of(task)
        if key is None:  # a new task's first step
            self.pending[id(entry)] = self.note_created_event(task)
            return
        actor = self.actors[-1]
        if task is actor.task:
            actor.requeued = entry  # a bare yield: recorded when the step ends
            return
        label = self.waiting.get(key, "its future")
        waiter = getattr(task, "_fut_waiter", None)
        outcome = "done"
        if waiter is not None and waiter.cancelled():
            outcome = "cancelled"
        text = f"{key} woken: {label} {outcome}"
        if actor.seq is not None:
            text += f" (by {self.actor_name()})"
        self.pending[id(entry)] = self.record(
            "woken", text, task=key,
            data={"waited": label, "outcome": outcome, "by": self.actor_name()},
            **self.nested())

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
            data={"coro": coro, "call": coro if coro_name else coroutine_call(task),
                  "creator": creator, "eager": eager, **_source_fields(where)},
            **self.nested())

    def task_created(self, task: Any, coro: Any) -> None:
        if self.trace.key_of(task) is not None:
            return  # seen already: its first step was scheduled, or has run
        if _announces_steps(task):
            # Neither scheduled nor stepped yet: its first step will be eager.
            self.note_created_event(task, eager=bool(getattr(task, "_eager_start", False)))
            return
        # A task of another kind (asyncio's own) never put on the ready queue:
        # an eager task factory ran its first step inside create_task, in the
        # creator's step. That step is over; record it now.
        # (Asked of the loop, not of the task: on 3.12.0-3.12.1 asyncio's C
        # task.get_coro() crashes once an eager task has finished.)
        name = getattr(coro, "__qualname__", None)
        shown = f"{name.replace('.<locals>', '')}()" if name else None
        self.note_created_event(task, eager=True, coro_name=shown)
        key = self.key_of(task)
        self.steps[key] = 1
        actor = self.actors[-1]
        seq = self.record("step", f"{key} step 1 (eager: it ran at once, inside "
                          f"{self.actor_name()}'s step)", task=key, cause=actor.seq,
                          data={"step": 1, "reason": "eager first step"},
                          depth=1 if actor.seq is not None else 0)
        self.record_outcome(task, key, seq, None, 1 if actor.seq is not None else 0)

    # --- running what is ready ----------------------------------------------------------

    def running(self, entry: Any) -> None:
        # The loop runs one entry at a time: anything still open is left
        # over from an entry that raised out of the turn (Ctrl-C, say).
        del self.actors[1:], self.entries[:]
        cause = self.pending.pop(id(entry), None)
        task = task_stepped_by(entry)
        skipped = task is not entry and getattr(entry, "_cancelled", False)  # a cancelled Handle
        if task is not None and not skipped:
            # Why it steps is read now: once the step starts, the task has
            # already let go of the future it waited on.
            key = self.key_of(task)
            reason = self.step_reason(task, key, self.steps.get(key, 0) + 1, entry)
            if _announces_steps(task):
                self.next_step = _NextStep(task, cause, reason)  # see step_started
                self.entries.append(None)
            else:  # asyncio's own task: no step moments, so its step is this entry
                self.start_step(task, cause, reason)
                self.entries.append(task)
            return
        callback = getattr(entry, "_callback", None)
        if skipped or self.is_self_pipe_reader(callback):
            self.entries.append(None)  # skipped, or plumbing
            return
        if hasattr(entry, "when"):
            armed = self.timers.pop(id(entry), None)
            what = describe_timer(entry)
            seq = self.record("timer-fired", f"timer fired: {what}", cause=armed,
                              data={"when": entry.when() - self.origin, "timer": what,
                                    "wakes": [task_name(t) for t in tasks_woken_by(entry)]})
            actor = _Actor(seq, text="a timer")
        else:
            what = _entry_text(entry)
            seq = self.record("callback", f"callback {what}", cause=cause,
                              data={"callback": what})
            actor = _Actor(seq, text=f"callback {callback_name(callback)}")
        self.actors.append(actor)
        self.entries.append(actor)

    def ran(self, entry: Any) -> None:
        self.next_step = None
        if not self.entries:
            return  # began before we watched
        pushed = self.entries.pop()
        if isinstance(pushed, _Actor):
            if self.actors[-1] is pushed:
                self.actors.pop()
        elif pushed is not None:
            self.end_step(pushed)

    def step_started(self, task: Any) -> None:
        upcoming = self.next_step
        if upcoming is not None and upcoming.task is task:
            self.next_step = None
            self.start_step(task, upcoming.cause, upcoming.reason)
            return
        # Not from the ready queue: an eager task's first step, inside its
        # creator's step (or callback).
        creator = self.actors[-1]
        inside = self.actor_name()
        key = self.trace.key_of(task)
        if key is None:
            self.note_created_event(task, eager=True)
            key = self.key_of(task)
        number = self.steps.get(key, 0) + 1
        if number == 1:
            self.start_step(task, creator.seq, "eager first step", nested=True,
                            text=f"{key} step 1 (eager: it ran at once, inside {inside}'s step)")
        else:
            self.start_step(task, creator.seq, self.step_reason(task, key, number, None),
                            nested=True)

    def step_ended(self, task: Any) -> None:
        self.end_step(task)

    # A note on references. A step that raises leaves a traceback, and the
    # frames in a traceback keep their locals alive. None of our frames is on
    # the stack while a step runs (the loop calls us before and after), and
    # we let go of the task as soon as its step ends: a failed task and
    # everything its coroutine held are freed when the program drops them,
    # exactly as in an untraced run ("exception was never retrieved" is
    # reported at the same moment).

    def start_step(self, task: Any, cause: int | None, reason: str, *, nested: bool = False,
                   text: str | None = None) -> None:
        key = self.key_of(task)
        number = self.steps[key] = self.steps.get(key, 0) + 1
        depth = 1 if nested and cause is not None else 0
        seq = self.record("step", text or f"{key} step {number} ({reason})", task=key,
                          cause=cause, data={"step": number, "reason": reason}, depth=depth)
        self.actors.append(_Actor(seq, key, task, depth=depth))

    def end_step(self, task: Any) -> None:
        actor = self.actors[-1]
        if actor.task is not task or actor.key is None or actor.seq is None:
            return  # a step that began before we watched
        self.actors.pop()
        self.record_outcome(task, actor.key, actor.seq, actor.requeued, actor.depth)

    def step_reason(self, task: Any, key: str, number: int, entry: Any) -> str:
        if number == 1:
            return "first step"
        waiter = getattr(task, "_fut_waiter", None)
        label = self.waiting.get(key)
        if waiter is not None:
            if waiter.cancelled():
                return f"{label or 'its future'} cancelled"
            return f"{label or 'its future'} done"
        problem = thrown_in(entry, task)
        if problem is not None:
            return f"throw {type(problem).__name__}"
        if getattr(task, "_must_cancel", False):
            return "cancel requested"
        return "again after a bare yield"

    def record_outcome(self, task: Any, key: str, step: int, requeued: Any,
                       depth: int = 0) -> None:
        """What step ``step`` of ``task`` gave back: an ending, a wait or a bare yield.

        ``depth`` is the step's own: an eager step's outcome is indented under
        its creator's step, as the eager step is.
        """
        if task.done():
            self.waiting.pop(key, None)
            if task.cancelled():
                self.record("cancelled", f"{key} cancelled", task=key, cause=step, depth=depth)
                return
            # Read the outcome without result()/exception(): those would mark
            # an exception as retrieved, and silence asyncio's warning.
            exc = getattr(task, "_exception", None)
            if exc is not None:
                self.record("failed", f"{key} failed: {type(exc).__name__}: {exc}", task=key,
                            cause=step, depth=depth,
                            data={"exception": f"{type(exc).__name__}: {exc}"})
            else:
                result = short_repr(getattr(task, "_result", None), 40)
                self.record("finished", f"{key} finished, returned {result}", task=key,
                            cause=step, depth=depth, data={"result": result})
            return
        if getattr(task, "_fut_waiter", None) is not None:
            wait = describe_wait(task, self.loop.time(), origin=self.origin)
            where = where_suspended(task)
            self.waiting[key] = wait.label
            text = f"{key} waits on {wait.label}"
            if where is not None:
                text += f", at {where}"
            until = None if wait.until is None else wait.until - self.origin
            self.record("waits", text, task=key, cause=step, depth=depth,
                        data={"wait": wait.kind, "label": wait.label, "until": until,
                              **_source_fields(where),
                              "tasks": [self.key_of(t) for t in wait.tasks]})
            return
        if requeued is not None:
            problem = thrown_in(requeued, task)
            if problem is not None:
                text = f"{key} yielded something that is not a future: {problem}"
            else:
                text = f"{key} yields (a bare yield, as in sleep(0)): runs again next turn"
            self.pending[id(requeued)] = self.record("yields", text, task=key, cause=step,
                                                     depth=depth)

    # --- timers and IO ------------------------------------------------------------------

    def timer_armed(self, timer: Any) -> None:
        what = describe_timer(timer)
        relative = timer.when() - self.origin
        self.timers[id(timer)] = self.record(
            "timer-armed", f"timer armed for {relative:.3f}: {what}",
            data={"when": relative, "timer": what}, **self.nested())

    def timer_cancelled(self, timer: Any) -> None:
        armed = self.timers.pop(id(timer), None)
        what = describe_timer(timer)
        actor = self.actors[-1]
        self.record("timer-cancelled", f"timer cancelled: {what}",
                    data={"when": timer.when() - self.origin, "timer": what, "armed": armed},
                    by=actor.key, depth=1 if actor.seq is not None else 0,
                    cause=actor.seq if actor.seq is not None else armed)

    def io_watched(self, fileobj: Any, event: int, handle: Any) -> None:
        fd = _fd_of(fileobj)
        if not self.is_self_pipe(fd):
            name = _EVENT_NAMES.get(event, str(event))
            self.record("io-watch", f"watch fd {fd} for {name}: {_entry_text(handle)}",
                        data={"fd": fd, "event": name}, **self.nested())

    def io_unwatched(self, fileobj: Any, event: int) -> None:
        fd = _fd_of(fileobj)
        if not self.is_self_pipe(fd):
            name = _EVENT_NAMES.get(event, str(event))
            self.record("io-unwatch", f"stop watching fd {fd} for {name}",
                        data={"fd": fd, "event": name}, **self.nested())

    def io_ready(self, fd: int, event: int, handle: Any) -> None:
        if not self.is_self_pipe(fd):
            name = _EVENT_NAMES.get(event, str(event))
            self.pending[id(handle)] = self.record("io-ready", f"fd {fd} ready to {name}",
                                                   data={"fd": fd, "event": name})


def _source_fields(where: Any) -> dict[str, Any]:
    """``where`` ("demos/asyncq.py:90 in produce"), and its file and line for renderers."""
    if where is None:
        return {"where": None}
    return {"where": str(where), "file": where.filename, "line": where.lineno}


def _announces_steps(task: Any) -> bool:
    """True for miniloop's tasks, which show each step (step_started/step_ended)."""
    return isinstance(task, Task)


def _earliest_timer(loop: Any) -> Any:
    first = loop._timers[0]
    return first[-1] if isinstance(first, tuple) else first  # a heap of (when, ..., timer)


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
    ``textlog.py``). The trace watches a new loop before any other tool, so
    that its turn count is up to date when step mode shows a turn. A
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
    new_loop_watchers.insert(0, trace.attach)
    _active.append(trace)
    try:
        yield trace
    finally:
        _active.remove(trace)
        new_loop_watchers.remove(trace.attach)
        trace.detach_all()
