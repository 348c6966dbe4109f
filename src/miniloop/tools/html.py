"""The trace as a web page: a timeline you can zoom, search and travel through.

One self-contained HTML file (no scripts fetched, no fonts, no network).
It holds the run once, as JSON data, and a script (``webview.py``) draws
only what is in view on a canvas, so that a run of 1,000 tasks and 100,000
events is a few megabytes and opens at once, where one SVG node per mark
would not:

* a lane per task, named as the program named it, with its coroutine's
  short arguments (``producer-0 produce(0, …)``); one lane for the loop;
* a dot for each step, a bar for each stretch a task waited (coloured and
  labelled by what it waited on), a dotted line while it was ready;
* arrows from whatever woke, made or scheduled something to what it led to;
* a time axis (loop time) or a turn axis; zoom and pan; search;
* click anything for its details; pick a turn (click the ruler, or the
  arrow keys) to see what the loop held before it: the ready queue, the
  timers, the IO waits, and every task's state and the line it waits at.

Why build the data here rather than in the browser? Because it is the same
picture the text timeline draws (``lanes.py``) and the same state step mode
shows (``replay.py``): the page only decides how it looks.

Every string the program can influence (task names, reprs, labels) travels
as JSON and reaches the page only as text (``textContent``, canvas text):
a name like ``</script><b>`` is shown, never run.

Read next: ``webview.py``, the script, and ``stepper.py``, the loop one
turn at a time while it runs.
"""

from __future__ import annotations

import html
import json
import linecache
from collections.abc import Sequence
from typing import Any

from miniloop.tools.lanes import Picture, build_picture
from miniloop.tools.replay import FOREVER, replay
from miniloop.tools.textlog import render_log
from miniloop.tools.trace import TraceEvent
from miniloop.tools.webview import LEGEND, SCRIPT, STYLE

# Runs with at most this many events carry their full text log too.
LOG_LIMIT = 5000

# What a task waited on, in the order of the page's colours (webview.py: WAIT_COLORS).
WAIT_KINDS = ("sleep", "gather", "task", "lock", "event", "queue", "io", "thread", "other")
_LOOP_KINDS = ("timer", "callback", "io", "idle")
_ARROW_KINDS = ("wake", "create", "callback", "timer")
_ENDINGS = ("finished", "failed", "cancelled")


def render_html(events: Sequence[TraceEvent], title: str = "miniloop trace") -> str:
    """A complete, self-contained HTML page showing the trace's timeline."""
    data = page_data(events, title)
    # Inside <script>, only "</" could end the element early: no "<" at all is left.
    embedded = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>{html.escape(title)}</h1>
<p id="summary">{html.escape(data["summary"])}</p>
<div id="controls">
<input id="search" type="search" placeholder="Search tasks (/)" aria-label="search tasks">
<span id="matches"></span>
<span class="group" role="group" aria-label="axis">
<button id="axis-time" type="button" title="loop time, proportional (t)">time</button><button
 id="axis-turns" type="button" title="one column per loop turn (t)">turns</button></span>
<span class="group"><button id="zoom-in" type="button" title="zoom in (+)">+</button><button
 id="zoom-out" type="button" title="zoom out (-)">-</button><button
 id="zoom-fit" type="button" title="show the whole run (0)">fit</button></span>
<details id="legend"><summary>legend and keys</summary>{LEGEND}</details>
</div>
</header>
<main>
<div id="view" tabindex="0" aria-label="timeline: arrow keys move between turns and tasks">
<canvas id="timeline"></canvas>
<div id="names" aria-label="tasks"></div>
</div>
<aside id="panel">
<section><h2>Selected</h2><div id="details">Click a step, a bar, a loop mark or an arrow.
Pick a turn on the ruler, or step through turns with ← and →.</div></section>
<section><h2 id="state-title">The loop before turn</h2><div id="state"></div></section>
</aside>
</main>
<script type="application/json" id="trace-data">{embedded}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""


class _Strings:
    """A table of the page's strings: each is sent once and named by its index."""

    def __init__(self) -> None:
        self.table: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, text: str | None) -> int:
        if text is None:
            return -1
        index = self._index.get(text)
        if index is None:
            index = self._index[text] = len(self.table)
            self.table.append(text)
        return index


def _round(value: float) -> float:
    return round(value, 6)


def page_data(events: Sequence[TraceEvent], title: str = "miniloop trace") -> dict[str, Any]:
    """Everything the page draws, as plain JSON-ready data (see ``webview.py`` for its shape)."""
    picture = build_picture(events)
    history = replay(events)
    text = _Strings()
    by_seq = {event.seq: event for event in events}

    def source_line(file: Any, line: Any) -> int:
        if not isinstance(file, str) or not isinstance(line, int):
            return -1
        return text(linecache.getline(file, line).strip() or None)

    lanes = []
    for lane in picture.lanes:
        steps: list[Any] = []
        for step in lane.steps:
            # What the step gave back is the stretch that follows it (or the
            # lane's ending): the page reads it there rather than twice.
            steps += [step.column, _round(step.time), step.number, text(step.reason), step.seq]
        stretches: list[Any] = []
        for stretch in lane.stretches:
            begun = by_seq[stretch.seq].data
            open_end = stretch is lane.stretches[-1] and lane.ended is None
            # "woken: <what it waited on>" is the waiting stretch before it: -2.
            woken = stretch.state == "ready" and stretch.label.startswith("woken: ")
            stretches += [1 if stretch.state == "waiting" else 0, stretch.first,
                          -1 if open_end else stretch.last, _round(stretch.start),
                          _round(stretch.end), -2 if woken else text(stretch.label),
                          WAIT_KINDS.index(_wait_family(str(begun.get("wait", "")))),
                          text(begun.get("where") if stretch.state == "waiting" else None),
                          source_line(begun.get("file"), begun.get("line"))
                          if stretch.state == "waiting" else -1, stretch.seq]
        lanes.append({
            "k": text(lane.key), "n": text(lane.full_title), "c": lane.created,
            "ct": text(lane.created_text), "e": -1 if lane.ended is None else lane.ended,
            "o": -1 if lane.outcome is None else _ENDINGS.index(lane.outcome),
            "ot": text(lane.outcome_text or None), "s": steps, "w": stretches,
        })
    return {
        "title": title,
        "summary": _summary(picture, len(events)),
        "cols": {"turn": picture.turns, "time": [_round(t) for t in picture.times],
                 "gap": [1 if gap else 0 for gap in picture.gaps]},
        "end": _round(picture.end_time),
        "lanes": lanes,
        "loop": _loop_marks(picture, text),
        "arrows": _arrows(picture),
        "ready": {str(turn): seqs for turn, seqs in history.ready.items()},
        "timers": [value for held in history.timers for value in (
            held.first, min(held.last, FOREVER), _round(held.when or 0.0), text(held.text),
            held.seq)],
        "io": [value for held in history.io for value in (
            held.first, min(held.last, FOREVER), text(held.text), held.seq)],
        "log": render_log(events) if len(events) <= LOG_LIMIT else None,
        "S": text.table,
    }


def _summary(picture: Picture, count: int) -> str:
    tasks = len(picture.lanes)
    turns = len({turn for turn, gap in zip(picture.turns, picture.gaps, strict=True)
                 if not gap})
    return (f"{tasks} task{'s' if tasks != 1 else ''}, {turns} loop turns with events, "
            f"{picture.end_time:.3f} s of loop time, {count} events.")


def _mark_slots(picture: Picture) -> dict[int, float]:
    """Where in its column each loop mark sits (0..1): several can share a turn."""
    in_column: dict[int, list[int]] = {}
    for mark in picture.loop_marks:
        in_column.setdefault(mark.column, []).append(mark.seq)
    slots = {}
    for seqs in in_column.values():
        for index, seq in enumerate(seqs):
            slots[seq] = (index + 1) / (len(seqs) + 1)
    return slots


def _loop_marks(picture: Picture, text: _Strings) -> list[Any]:
    slots = _mark_slots(picture)
    marks: list[Any] = []
    for mark in picture.loop_marks:
        marks += [mark.column, _round(mark.time), _LOOP_KINDS.index(mark.kind), text(mark.text),
                  mark.seq, -1 if mark.until is None else _round(mark.until),
                  round(slots[mark.seq], 3)]
    return marks


def _arrows(picture: Picture) -> list[Any]:
    """[kind, from seq, to seq] for each arrow: both ends are steps or loop marks."""
    return [value for arrow in picture.arrows
            for value in (_ARROW_KINDS.index(arrow.kind), arrow.source, arrow.target)]


_FAMILIES = {"sleep": "sleep", "gather": "gather", "task": "task", "task group": "task",
             "wait": "task", "wait_for": "task", "lock": "lock", "semaphore": "lock",
             "condition": "lock", "event": "event", "barrier": "event", "queue get": "queue",
             "queue put": "queue", "queue join": "queue", "socket read": "io",
             "socket write": "io", "stream read": "io", "stream write": "io", "thread": "thread"}


def _wait_family(kind: str) -> str:
    """The colour of a wait (``describe.py: Wait.kind``): sleep, gather, task, lock, ..."""
    return _FAMILIES.get(kind, "other")
