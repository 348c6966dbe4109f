"""Step mode: the loop one turn at a time, with its state shown before each.

Before every turn, step mode prints what the loop is holding (on stderr):

    --- before turn 3 · loop time 0.000 ------------------------------
    ready (0): nothing
    timers (3):
       1.000 (in 1.000 s)  end of sleep for Task-2
       ...
    io: nothing watched (besides the loop's own wake-up pipe)
    step>

and waits for a command, read one line at a time (from stdin, so that a
pipe can drive it: ``printf '\\n\\nc\\n' | python -m miniloop --step prog.py``):

    Enter   run one turn           t   list every task and what it waits on
    N       run N turns            h   this help
    c       continue to the end, without pausing again
    q       quit: the program's tasks are cancelled (their clean-up runs)
            and the process exits with status 3 (``QUIT_STATUS``)

At the end of the input, step mode continues to the end.

Step mode watches the loop (``core/observer.py``): the pause is the
start of each turn (``turn_started``), and the turn that follows is the
loop's own. With ``--step --trace`` both watch the same loop, so you see
the state, then the trace of that turn. Times are loop time since step
mode began watching the loop, in the state and in the ``t`` listing alike.

Read next: ``deadlock.py``.
"""

from __future__ import annotations

import contextlib
import heapq
import sys
import weakref
from collections.abc import Iterator
from typing import Any, TextIO

from miniloop.contract.watching import Observer, unwatch, watch
from miniloop.core import events
from miniloop.core.observer import new_loop_watchers

# tools/describe.py is imported by the functions that draw the state, when
# they first do: a run that is not stepped (the command line imports this
# module for --step) does not pay for it.

# The exit status of a program stopped with "q" in step mode.
QUIT_STATUS = 3

HELP = """commands (one per line):
  Enter  run one turn          N  run N turns (a number)
  c      continue to the end   t  list every task and what it waits on
  q      quit (exit status 3)  h  this help"""

_SHOWN = 12  # entries listed per section before "... and N more"


class StepQuit(SystemExit):
    """Raised out of the loop's turn when the user quits step mode."""


class Stepper:
    """Pauses every loop it is attached to before each turn, and takes commands."""

    def __init__(self, commands: TextIO | None = None, out: TextIO | None = None) -> None:
        self.commands = commands if commands is not None else sys.stdin
        self.out = out if out is not None else sys.stderr
        self.mode = "step"  # then "continue" or "quit"
        self.turns_to_run = 0
        self.turn = 0
        self._attached: list[tuple[weakref.ref[Any], _PauseBeforeTurns]] = []

    def attach(self, loop: Any) -> None:
        """Pause ``loop`` before each of its turns (it shows us each turn's start)."""
        pause = _PauseBeforeTurns(self, loop)
        watch(loop, pause)
        self._attached.append((weakref.ref(loop), pause))

    def detach_all(self) -> None:
        """Stop pausing: no loop shows us its turns any more."""
        for loop_ref, pause in self._attached:
            loop = loop_ref()
            if loop is not None:
                unwatch(loop, pause)
        self._attached.clear()

    # --- before each turn -----------------------------------------------------------

    def before_turn(self, loop: Any, origin: float = 0.0) -> None:
        """Show the loop's state and obey commands until one says "run"."""
        self.turn += 1
        if self.mode != "step":
            return
        if self.turns_to_run > 0:
            self.turns_to_run -= 1
            return
        self.say(render_state(loop, self.turn, origin))
        while True:
            self.out.write("step> ")
            self.out.flush()
            line = self.commands.readline()
            if not line:
                self.say("(end of input: continuing to the end)")
                self.mode = "continue"
                return
            command = line.strip().lower()
            if command in ("", "s", "n", "step", "next"):
                return
            if command.isdigit() and int(command) > 0:
                self.turns_to_run = int(command) - 1
                return
            if command in ("c", "continue"):
                self.mode = "continue"
                return
            if command in ("q", "quit", "exit"):
                self.mode = "quit"
                self.say(f"quitting at turn {self.turn}: cancelling the program's tasks")
                raise StepQuit(QUIT_STATUS)
            if command in ("t", "tasks"):
                self.say(render_tasks(loop, origin))
            elif command in ("h", "help", "?"):
                self.say(HELP)
            else:
                self.say(f"unknown command {command!r}\n{HELP}")

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


class _PauseBeforeTurns(Observer):
    """Watches one loop for a Stepper: each turn waits for its command first."""

    def __init__(self, stepper: Stepper, loop: Any) -> None:
        self.stepper = stepper
        self.watched = weakref.ref(loop)  # the loop holds us: no cycle back to it
        self.origin = loop.time()

    def turn_started(self) -> None:
        self.stepper.before_turn(self.watched(), self.origin)


def render_state(loop: Any, turn: int, origin: float = 0.0) -> str:
    """What the loop holds before a turn: ready queue, timers, IO waits.

    Times are shown from ``origin`` (the loop's time when stepping began).
    """
    from miniloop.tools.describe import describe_ready_entry, describe_timer

    now = loop.time()
    lines = [f"--- before turn {turn} · loop time {now - origin:.3f} " + "-" * 30]
    ready = list(loop._ready)
    if not ready:
        lines.append("ready (0): nothing")
    else:
        lines.append(f"ready ({len(ready)}), run in this order:")
        lines += [f"  {index}. {describe_ready_entry(entry, origin=origin)}"
                  for index, entry in enumerate(ready[:_SHOWN], 1)]
        if len(ready) > _SHOWN:
            lines.append(f"  ... and {len(ready) - _SHOWN} more")
    timers = [entry[-1] if isinstance(entry, tuple) else entry  # a heap of (when, ..., timer)
              for entry in heapq.nsmallest(len(loop._timers), loop._timers)]
    live = [timer for timer in timers if not timer.cancelled()]
    if not live:
        lines.append("timers (0): none")
    else:
        lines.append(f"timers ({len(live)}), soonest first:")
        for timer in live[:_SHOWN]:
            due, wait = timer.when() - origin, max(0.0, timer.when() - now)
            lines.append(f"  {due:9.3f} (in {wait:.3f} s)  {describe_timer(timer)}")
        if len(live) > _SHOWN:
            lines.append(f"  ... and {len(live) - _SHOWN} more")
    lines += _io_lines(loop)
    return "\n".join(lines)


def _io_lines(loop: Any) -> list[str]:
    from miniloop.tools.describe import describe_ready_entry

    ssock = getattr(loop, "_ssock", None)
    self_pipe = ssock.fileno() if ssock is not None else None
    watched = []
    for key in loop._selector.get_map().values():
        if key.fd == self_pipe:
            continue
        reader, writer = key.data
        for name, handle in (("read", reader), ("write", writer)):
            if handle is not None and not handle.cancelled():
                watched.append(f"  fd {key.fd} {name}: {describe_ready_entry(handle)}")
    if not watched:
        return ["io: nothing watched (besides the loop's own wake-up pipe)"]
    return [f"io ({len(watched)}):", *watched]


def render_tasks(loop: Any, origin: float = 0.0) -> str:
    """Every unfinished task of the loop: what it waits on, and where.

    Times are shown from ``origin``, as in ``render_state``.
    """
    from miniloop.tools.describe import describe_wait, task_label, where_suspended

    tasks = sorted(events.all_tasks(loop), key=lambda task: task.get_name())
    if not tasks:
        return "tasks: none"
    lines = [f"tasks ({len(tasks)}):"]
    for task in tasks:
        waiter = getattr(task, "_fut_waiter", None)
        label = describe_wait(task, loop.time(), origin=origin).label
        if waiter is not None and not waiter.done():
            state = f"waits on {label}"
        elif waiter is not None:  # woken, not yet stepped: it still points at the waiter
            state = f"ready to run ({label} is done)"
        else:
            state = "ready to run"
        where = where_suspended(task)
        lines.append(f"  {task_label(task)}: {state}" + (f", at {where}" if where else ""))
    return "\n".join(lines)


@contextlib.contextmanager
def stepping(commands: TextIO | None = None, out: TextIO | None = None) -> Iterator[Stepper]:
    """Step through every miniloop loop made inside the block (commands from stdin)."""
    stepper = Stepper(commands, out)
    new_loop_watchers.append(stepper.attach)
    try:
        yield stepper
    finally:
        new_loop_watchers.remove(stepper.attach)
        stepper.detach_all()
