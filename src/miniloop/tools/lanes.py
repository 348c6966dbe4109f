"""From a list of trace events to lanes: what each task did, turn by turn.

Both timelines (text and web page) draw the same picture:

    one column per loop turn in which something happened;
    one lane per task: a mark for each step it ran, a bar for each stretch
        it spent waiting (labelled with what it waited on) or ready to run;
    one lane for the loop itself: timers firing, callbacks, IO, idle time;
    arrows from the event that woke a task to the step it woke into.

A turn in which the loop slept a while (waiting for a timer or for IO)
gets an extra *gap* column before it, so that a one-second sleep is seen
as a stretch of waiting rather than vanishing between two turns.

This module works that picture out from the events alone; the renderers
only decide how it looks.

Read next: ``timeline.py`` (text) and ``html.py`` (SVG).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from miniloop.tools.trace import TraceEvent

LOOP_LANE = "loop"

# An idle stretch this long (in loop time) or longer gets a gap column.
GAP_THRESHOLD = 0.001

_ENDINGS = {"finished", "failed", "cancelled"}


@dataclass
class Stretch:
    """A run of columns a task spent in one state: "waiting" or "ready"."""

    state: str
    first: int  # the column it began in
    last: int  # the column it ended in (woken, or the next step)
    start: float  # loop time it began
    end: float  # loop time it ended
    label: str  # what it waited on ("sleep(1) until 1.000"), or why it was ready
    seq: int  # the event that began it


@dataclass
class Step:
    """One step of a task: where it is drawn, and what it said."""

    column: int
    time: float
    seq: int
    number: int
    reason: str
    outcome: str = ""  # "waits on ...", "finished ...", ...


@dataclass
class Lane:
    """One task's life."""

    key: str
    title: str
    created: int  # column
    created_text: str
    ended: int | None = None
    outcome: str | None = None  # "finished", "failed", "cancelled"; None: still pending
    outcome_text: str = ""
    call: str = ""  # the coroutine with its short arguments: "produce(0, …)"
    steps: list[Step] = field(default_factory=list)
    stretches: list[Stretch] = field(default_factory=list)

    @property
    def full_title(self) -> str:
        """The task's name and its coroutine's call: ``producer-0 produce(0, …)``."""
        return f"{self.key} {self.call}".strip() if self.call else self.title

    def waits(self) -> list[Stretch]:
        """The stretches spent waiting, in order."""
        return [s for s in self.stretches if s.state == "waiting"]


@dataclass
class LoopMark:
    """Something the loop itself did in a column: a timer, a callback, IO, or idling."""

    column: int
    time: float
    kind: str  # "timer", "callback", "io", "idle"
    text: str
    seq: int
    until: float | None = None  # idle: when it planned to wake


@dataclass
class Arrow:
    """A cause drawn as an arrow: from the event ``source`` to the event ``target``."""

    source: int
    target: int
    kind: str  # "wake" (woke a task), "create", "callback", "timer"


@dataclass
class Picture:
    """Everything a timeline shows."""

    turns: list[int]  # the turn number of each column
    times: list[float]  # the loop time at the start of each column
    gaps: list[bool]  # True for a column that only shows the loop sleeping
    lanes: list[Lane]
    loop_marks: list[LoopMark]
    arrows: list[Arrow]
    where: dict[int, tuple[str, int]]  # event seq -> (lane key, column)
    end_time: float


def build_picture(events: Sequence[TraceEvent]) -> Picture:
    """Work out lanes, loop marks and arrows from a trace's events."""
    slot_of = _slots(events)
    slots = sorted(set(slot_of.values()))
    column_of_slot = {slot: index for index, slot in enumerate(slots)}
    turns = [turn for turn, _ in slots]
    gaps = [part == 0 for _, part in slots]
    times: list[float] = [0.0] * len(slots)
    seen_columns: set[int] = set()
    for event in events:
        index = column_of_slot[slot_of[event.seq]]
        if index not in seen_columns:
            seen_columns.add(index)
            times[index] = event.time
    by_seq = {event.seq: event for event in events}
    lanes: dict[str, Lane] = {}
    open_stretch: dict[str, Stretch] = {}
    loop_marks: list[LoopMark] = []
    where: dict[int, tuple[str, int]] = {}
    end_time = events[-1].time if events else 0.0

    def column(event: TraceEvent) -> int:
        return column_of_slot[slot_of[event.seq]]

    def close(key: str, event: TraceEvent) -> None:
        stretch = open_stretch.pop(key, None)
        if stretch is not None:
            stretch.last = max(stretch.first, column(event))
            stretch.end = event.time

    def open_(key: str, state: str, event: TraceEvent, label: str) -> None:
        close(key, event)
        stretch = Stretch(state, column(event), column(event), event.time, event.time, label,
                          event.seq)
        open_stretch[key] = stretch
        lanes[key].stretches.append(stretch)

    for event in events:
        key = event.task
        if event.kind == "task-created" and key is not None:
            title = f"{key} {event.data.get('coro', '')}".strip()
            lanes[key] = Lane(key, title, column(event), event.text,
                              call=str(event.data.get("call") or ""))
            where[event.seq] = (key, column(event))
            open_(key, "ready", event, "created, not started yet")
            continue
        if key is not None and key in lanes:
            lane = lanes[key]
            if event.kind == "step":
                close(key, event)
                lane.steps.append(Step(column(event), event.time, event.seq,
                                       int(event.data.get("step", 0)),
                                       str(event.data.get("reason", ""))))
                where[event.seq] = (key, column(event))
            elif event.kind == "waits":
                open_(key, "waiting", event, str(event.data.get("label", "")))
                _say(lane, event)
                where[event.seq] = (key, column(event))
            elif event.kind == "woken":
                waited = open_stretch.get(key)
                if waited is not None and waited.state == "waiting":
                    waited.last = column(event)
                    waited.end = event.time
                    open_stretch.pop(key)
                open_(key, "ready", event, f"woken: {event.data.get('waited', '')}")
                where[event.seq] = where.get(event.cause or -1, (LOOP_LANE, column(event)))
            elif event.kind == "yields":
                open_(key, "ready", event, "yielded: runs again next turn")
                _say(lane, event)
                where[event.seq] = (key, column(event))
            elif event.kind in _ENDINGS:
                close(key, event)
                lane.ended = column(event)
                lane.outcome = event.kind
                lane.outcome_text = event.text
                _say(lane, event)
                where[event.seq] = (key, column(event))
            continue
        mark_kind = {"timer-fired": "timer", "callback": "callback", "io-ready": "io",
                     "idle": "idle"}.get(event.kind)
        if mark_kind is not None:
            until = event.data.get("until") if mark_kind == "idle" else None
            loop_marks.append(LoopMark(column(event), event.time, mark_kind, event.text,
                                       event.seq, until))
            where[event.seq] = (LOOP_LANE, column(event))

    for stretch in open_stretch.values():
        stretch.last = max(stretch.first, len(turns) - 1)
        stretch.end = end_time
    arrows = _arrows(events, by_seq, where)
    return Picture(turns, times, gaps, list(lanes.values()), loop_marks, arrows, where,
                   end_time)


def _slots(events: Sequence[TraceEvent]) -> dict[int, tuple[int, int]]:
    """Each event's column, as (turn, 0) for a gap column or (turn, 1) for the turn itself."""
    slot_of: dict[int, tuple[int, int]] = {}
    for index, event in enumerate(events):
        part = 1
        if event.kind == "idle":
            following = (events[i] for i in range(index + 1, len(events)))  # no copy
            later = next((e.time for e in following if e.turn != event.turn
                          or e.kind != "callback-scheduled"), event.time)
            if later - event.time >= GAP_THRESHOLD or event.data.get("until") is None:
                part = 0
        slot_of[event.seq] = (event.turn, part)
    return slot_of


def _say(lane: Lane, event: TraceEvent) -> None:
    """Attach what a step ended with to the step it belongs to."""
    if lane.steps:
        lane.steps[-1].outcome = event.text


def _arrows(events: Sequence[TraceEvent], by_seq: dict[int, TraceEvent],
            where: dict[int, tuple[str, int]]) -> list[Arrow]:
    arrows: list[Arrow] = []
    for event in events:
        cause = by_seq.get(event.cause) if event.cause is not None else None
        if cause is None or event.seq not in where:
            continue
        if event.kind == "step":
            if cause.kind == "woken" and cause.cause is not None and cause.cause in where:
                arrows.append(Arrow(cause.cause, event.seq, "wake"))
            elif cause.kind == "task-created" and cause.cause is not None and cause.cause in where:
                arrows.append(Arrow(cause.cause, event.seq, "create"))
            elif cause.kind in ("io-ready",) and cause.seq in where:
                arrows.append(Arrow(cause.seq, event.seq, "wake"))
        elif event.kind == "callback" and cause.kind == "callback-scheduled":
            if cause.cause is not None and cause.cause in where:
                arrows.append(Arrow(cause.cause, event.seq, "callback"))
        elif event.kind == "timer-fired" and cause.kind == "timer-armed":
            if cause.cause is not None and cause.cause in where:
                arrows.append(Arrow(cause.cause, event.seq, "timer"))
    return [arrow for arrow in arrows if where[arrow.source] != where[arrow.target]]
