"""The text log: one line per event, written as the program runs.

    turn   time   what happened
       1  0.000   Task-1 step 1 (first step)
       1  0.000     Task-2 count() created by Task-1, at demos/countasync.py:37 in main

The turn is the loop iteration, the time is the loop's clock (seconds since
tracing began). Lines indented under a step are what happened *during*
that step: tasks it created, timers it armed, tasks it woke.

The log goes to stderr while the program's own output stays on stdout, so
in a terminal the two interleave in the order they happened.

Read next: ``timeline.py`` (the same events, drawn as lanes).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from miniloop.tools.trace import TraceEvent

# Scheduling a callback is bookkeeping: the callback's own run is logged.
LOGGED_KINDS = frozenset({
    "task-created", "step", "waits", "yields", "finished", "failed", "cancelled", "woken",
    "callback", "timer-armed", "timer-fired", "timer-cancelled",
    "io-watch", "io-unwatch", "io-ready", "idle",
})

HEADER = " turn      time  what happened (miniloop trace; times are loop time in seconds)"


def format_event(event: TraceEvent) -> str:
    """One event as one line of the log."""
    return f"{event.turn:>5} {event.time:>9.3f}  {'  ' * event.depth}{event.text}"


def render_log(events: Iterable[TraceEvent], kinds: frozenset[str] = LOGGED_KINDS) -> str:
    """The whole log of a finished trace, as text."""
    lines = [HEADER]
    lines += [format_event(event) for event in events if event.kind in kinds]
    return "\n".join(lines) + "\n"


class TextLog:
    """A live renderer: ``trace.listen(TextLog(sys.stderr))`` writes each event as it comes."""

    def __init__(self, stream: TextIO, kinds: frozenset[str] = LOGGED_KINDS) -> None:
        self.stream = stream
        self.kinds = kinds
        self.started = False

    def __call__(self, event: TraceEvent) -> None:
        """Write one event (and the header, before the first)."""
        if event.kind not in self.kinds:
            return
        if not self.started:
            self.started = True
            self.stream.write(HEADER + "\n")
        self.stream.write(format_event(event) + "\n")
        self.stream.flush()  # keep our lines in step with the program's output
