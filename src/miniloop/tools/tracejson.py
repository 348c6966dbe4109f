"""The trace as Chrome trace-event JSON: open a miniloop run in Perfetto.

Perfetto (ui.perfetto.dev) and Chrome's ``chrome://tracing`` read one
common format: a JSON object whose ``traceEvents`` list holds events with
a phase (``ph``), a time in microseconds (``ts``), a process (``pid``)
and a track (``tid``). ``--trace-json FILE`` writes a miniloop trace in
it, mapped like this:

    a task                   a track (``tid`` 2, 3, ...) named like its lane:
                             ``producer-0 produce(0, …)``
    a step                   a slice "step N" (``ph: X``) on the task's track;
                             args: why it ran, what it gave back, where
    waiting on a future      a slice named by what it waited on
                             ("sleep(1) until 1.000"), from the wait to the
                             wake-up; args: where it waited, what woke it
    ready, not yet running   a slice "ready" (woken or made, queued)
    the loop itself          track 1, "the loop" (the process's main thread:
                             Perfetto files events of track 0 there too):
                             timers firing, callbacks,
                             IO readiness as short slices, idle time as
                             "idle" slices; timers armed or cancelled and
                             descriptors watched as instant events (``ph: i``)
    who woke whom            flow arrows (``ph: s`` then ``ph: f``) from the
                             step or loop slice that woke, made or scheduled
                             to the one it led to
    task names               metadata events (``ph: M``, ``thread_name``)

Times are loop time since tracing began, in microseconds. With
``--virtual-time`` a whole turn takes no time, so its slices have zero
length: Perfetto still draws them, as thin marks.

Read next: ``html.py``, the same run as a page of its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from miniloop.tools.lanes import LOOP_LANE, build_picture
from miniloop.tools.trace import TraceEvent

PID = 1
LOOP_TID = 1  # the main thread (tid == pid), where the loop runs

_OUTCOMES = ("waits", "yields", "finished", "failed", "cancelled")
_LOOP_SLICES = {"timer-fired": "timer fired", "callback": "callback", "io-ready": "IO ready"}
_LOOP_INSTANTS = {"timer-armed": "timer armed", "timer-cancelled": "timer cancelled",
                  "io-watch": "watch fd", "io-unwatch": "stop watching fd"}


def _us(seconds: float) -> float:
    return round(seconds * 1_000_000, 3)


def _dur(start: float, end: float) -> float:
    """The length from ``start`` to ``end`` (seconds) in microseconds, so that
    ``ts + dur`` lands where the next slice's ``ts`` does."""
    return max(0.0, round(_us(end) - _us(start), 3))


def trace_events(events: Sequence[TraceEvent], title: str = "miniloop trace") -> dict[str, Any]:
    """The trace as a trace-event JSON object (``{"traceEvents": [...], ...}``)."""
    picture = build_picture(events)
    tid_of = {lane.key: index for index, lane in enumerate(picture.lanes, LOOP_TID + 1)}
    tid_of[LOOP_LANE] = LOOP_TID
    out: list[dict[str, Any]] = [
        {"ph": "M", "name": "process_name", "pid": PID, "tid": LOOP_TID,
         "args": {"name": title}},
        {"ph": "M", "name": "thread_name", "pid": PID, "tid": LOOP_TID,
         "args": {"name": "the loop"}},
        {"ph": "M", "name": "thread_sort_index", "pid": PID, "tid": LOOP_TID,
         "args": {"sort_index": 0}},
    ]
    for lane in picture.lanes:
        tid = tid_of[lane.key]
        out.append({"ph": "M", "name": "thread_name", "pid": PID, "tid": tid,
                    "args": {"name": lane.full_title}})
        out.append({"ph": "M", "name": "thread_sort_index", "pid": PID, "tid": tid,
                    "args": {"sort_index": tid}})

    ended_at: dict[int, float] = {}  # a step's seq -> the time it gave back
    next_loop_time: dict[int, float] = {}  # a loop event's seq -> when the loop did the next thing
    previous_loop: TraceEvent | None = None
    for event in events:
        if event.kind in _OUTCOMES and event.cause is not None:
            ended_at.setdefault(event.cause, event.time)
        if event.depth == 0 and event.kind in (*_LOOP_SLICES, "step", "idle"):
            if previous_loop is not None:
                next_loop_time[previous_loop.seq] = event.time
            previous_loop = event

    by_seq = {event.seq: event for event in events}
    for lane in picture.lanes:
        tid = tid_of[lane.key]
        for step in lane.steps:
            end = ended_at.get(step.seq, step.time)
            out.append({"ph": "X", "cat": "step", "name": f"step {step.number}", "pid": PID,
                        "tid": tid, "ts": _us(step.time), "dur": _dur(step.time, end),
                        "args": {"why": step.reason, "then": step.outcome, "seq": step.seq}})
        for stretch in lane.stretches:
            begun = by_seq[stretch.seq]
            args: dict[str, Any] = {"seq": stretch.seq}
            if stretch.state == "waiting":
                name, cat = stretch.label, "wait"
                if begun.data.get("where"):
                    args["where"] = begun.data["where"]
            else:
                name, cat = "ready", "ready"
                args["why"] = stretch.label
            out.append({"ph": "X", "cat": cat, "name": name, "pid": PID, "tid": tid,
                        "ts": _us(stretch.start), "dur": _dur(stretch.start, stretch.end),
                        "args": args})

    for event in events:
        if event.kind in _LOOP_SLICES or event.kind == "idle":
            end = next_loop_time.get(event.seq, event.time)
            name = "idle" if event.kind == "idle" else _LOOP_SLICES[event.kind]
            out.append({"ph": "X", "cat": "loop", "name": name, "pid": PID, "tid": LOOP_TID,
                        "ts": _us(event.time), "dur": _dur(event.time, end),
                        "args": {"what": event.text, "seq": event.seq}})
        elif event.kind in _LOOP_INSTANTS:
            out.append({"ph": "i", "s": "t", "cat": "loop", "name": _LOOP_INSTANTS[event.kind],
                        "pid": PID, "tid": LOOP_TID, "ts": _us(event.time),
                        "args": {"what": event.text, "seq": event.seq}})

    for number, arrow in enumerate(picture.arrows, 1):
        source, target = by_seq[arrow.source], by_seq[arrow.target]
        source_tid = tid_of[picture.where[arrow.source][0]]
        target_tid = tid_of[picture.where[arrow.target][0]]
        out.append({"ph": "s", "cat": arrow.kind, "name": arrow.kind, "id": number, "pid": PID,
                    "tid": source_tid, "ts": _us(source.time)})
        out.append({"ph": "f", "bp": "e", "cat": arrow.kind, "name": arrow.kind, "id": number,
                    "pid": PID, "tid": target_tid, "ts": _us(target.time)})
    return {"traceEvents": out, "displayTimeUnit": "ms",
            "otherData": {"producer": "miniloop", "title": title,
                          "time": "loop time since tracing began"}}


def render_json(events: Sequence[TraceEvent], title: str = "miniloop trace") -> str:
    """The trace-event JSON text for ``events``."""
    return json.dumps(trace_events(events, title), ensure_ascii=False, separators=(",", ":"))
