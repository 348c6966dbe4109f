"""Replaying a trace: what the loop held before any turn of a finished run.

Step mode (``stepper.py``) shows the loop's state live, before each turn:
the ready queue, the timer heap, the IO waits, every task's state. The
trace holds enough to rebuild all of it afterwards, for any turn, which is
what lets the web page travel back and forth through a finished run.

The ready queue is the neatest part. A turn runs exactly the entries that
were queued before it began (what they queue runs next turn), in queue
order. So the queue before turn T *is* the list of steps and callbacks
that ran in turn T and were scheduled in an earlier turn; those scheduled
during turn T itself (by IO that became ready, or a timer that fired) were
not in the queue yet. A cancelled callback that the loop skipped leaves no
event, and so no entry.

Timers, IO waits and task states last for many turns. Storing them for
every turn would grow with turns times tasks; instead each is kept once,
as a stretch of turns (``first`` to ``last``), and a renderer asks which
stretches cover the turn it shows.

Read next: ``html.py``, which embeds these and draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from miniloop.tools.trace import TraceEvent

# A stretch still open at the end of the run lasts "for ever".
FOREVER = 1 << 30

_RUN_KINDS = ("step", "callback")
_ENDINGS = ("finished", "failed", "cancelled")


@dataclass(frozen=True)
class Held:
    """Something the loop held from before turn ``first`` to before turn ``last`` + 1.

    ``seq`` is the event that began it (a timer armed, a descriptor watched,
    a task's state changing), ``text`` says what it is.
    """

    first: int
    last: int
    seq: int
    text: str
    when: float | None = None  # a timer's deadline (loop time)


@dataclass(frozen=True)
class TaskState:
    """A task's state from turn ``first`` on, until its next change.

    ``state`` is "created", "ready", "waiting" or "done"; ``label`` what it
    waits on or why it is ready; ``where`` the line it is suspended at.
    """

    first: int
    state: str
    label: str
    where: str | None
    seq: int
    file: str | None = None
    line: int | None = None


@dataclass
class Replay:
    """The loop's state before each turn, as stretches to query."""

    ready: dict[int, list[int]]  # turn -> the seqs of the steps/callbacks queued before it
    timers: list[Held]
    io: list[Held]
    tasks: dict[str, list[TaskState]]  # task key -> its states, in order

    def ready_before(self, turn: int) -> list[int]:
        """The ready queue before ``turn``: the seqs of the steps and callbacks, in order."""
        return self.ready.get(turn, [])

    def timers_before(self, turn: int) -> list[Held]:
        """The live timers in the heap before ``turn``, soonest first."""
        live = [held for held in self.timers if held.first <= turn <= held.last]
        return sorted(live, key=lambda held: (held.when or 0.0, held.seq))

    def io_before(self, turn: int) -> list[Held]:
        """The descriptors watched before ``turn``."""
        return [held for held in self.io if held.first <= turn <= held.last]

    def task_states_before(self, turn: int) -> dict[str, TaskState]:
        """Each task that existed before ``turn``, and the state it was in."""
        found = {}
        for key, states in self.tasks.items():
            current = None
            for state in states:
                if state.first > turn:
                    break
                current = state
            if current is not None:
                found[key] = current
        return found


def replay(events: Sequence[TraceEvent]) -> Replay:
    """Work out the stretches of loop state from a finished trace's events."""
    turn_of = {event.seq: event.turn for event in events}
    ready: dict[int, list[int]] = {}
    timers: dict[int, tuple[int, str, float]] = {}  # armed event's seq -> (turn, text, when)
    timer_stretches: list[Held] = []
    watched: dict[tuple[int, str], tuple[int, int, str]] = {}  # (fd, event) -> (turn, seq, text)
    io_stretches: list[Held] = []
    tasks: dict[str, list[TaskState]] = {}

    def change(event: TraceEvent, state: str, label: str) -> None:
        data = event.data
        assert event.task is not None
        # The state holds from the turn after the event's: before *that* turn.
        tasks.setdefault(event.task, []).append(TaskState(
            event.turn + 1, state, label, data.get("where"), event.seq,
            data.get("file"), data.get("line")))

    for event in events:
        kind, data = event.kind, event.data
        if kind in _RUN_KINDS and event.depth == 0:
            cause_turn = turn_of.get(event.cause) if event.cause is not None else None
            if cause_turn is None or cause_turn < event.turn:
                ready.setdefault(event.turn, []).append(event.seq)
        if kind == "timer-armed":
            timers[event.seq] = (event.turn + 1, str(data.get("timer", "")),
                                 float(data.get("when", 0.0)))
        elif kind in ("timer-fired", "timer-cancelled"):
            armed = event.cause if kind == "timer-fired" else data.get("armed")
            begun = timers.pop(armed, None) if armed is not None else None
            if begun is not None and armed is not None:
                # A timer that fires in turn T was in the heap before T; one
                # cancelled during turn T, too. When it fires, it knows whom
                # it wakes ("end of sleep for Task-2"); when armed, not yet.
                timer_stretches.append(Held(begun[0], event.turn, armed,
                                            str(data.get("timer", begun[1])), begun[2]))
        elif kind == "io-watch":
            watched[(data["fd"], data["event"])] = (event.turn + 1, event.seq, event.text)
        elif kind == "io-unwatch":
            begun_io = watched.pop((data["fd"], data["event"]), None)
            if begun_io is not None:
                io_stretches.append(Held(begun_io[0], event.turn, begun_io[1], begun_io[2]))
        elif event.task is not None:
            if kind == "task-created":
                change(event, "created", "created, not started yet")
            elif kind == "waits":
                change(event, "waiting", str(data.get("label", "")))
            elif kind == "woken":
                change(event, "ready", f"{data.get('waited', 'its future')} is done")
            elif kind == "yields":
                change(event, "ready", "next step (after a bare yield)")
            elif kind in _ENDINGS:
                change(event, "done", event.text)
    for seq, (first, text, when) in timers.items():
        timer_stretches.append(Held(first, FOREVER, seq, text, when))
    for first, seq, text in watched.values():
        io_stretches.append(Held(first, FOREVER, seq, text))
    timer_stretches.sort(key=lambda held: held.seq)
    io_stretches.sort(key=lambda held: held.seq)
    return Replay(ready, timer_stretches, io_stretches, tasks)
