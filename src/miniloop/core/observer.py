"""Observers: how tools watch a loop without changing the code that runs.

The trace, step mode, the deadlock report and the schedule explorer all
want to see what a loop does. None of them may patch it: a traced loop
must run exactly the code a learner reads. So the loop *declares* the
moments worth seeing and calls its observer at each one:

    turn_started()                    a new turn begins
    about_to_sleep(deadline)          nothing is ready: the loop will wait
                                      (deadline None: until IO; an observer
                                      that returns True asks for a new turn)
    io_watched / io_unwatched         a descriptor is (no longer) watched
    io_ready(handle)                  the selector says a descriptor is ready
    timer_armed / timer_cancelled     a timer enters or leaves the heap
    scheduled(entry)                  a callback (or a task) joins the ready queue
    running(entry) / ran(entry)       one ready entry runs
    task_created(task, coro)          a new task, and what it drives
    step_started / step_ended(task)   one step of a task

A loop that nobody watches has ``observer = None`` and pays one test of it
at each moment. The core only declares the moments; ``Observer`` in
``contract/watching.py`` does nothing at each of them, and a tool
subclasses it and overrides what it needs (``watch`` there lets several
tools watch one loop).

A tool that wants to watch every loop made from now on (``--trace`` does)
adds a function to ``new_loop_watchers``; each new loop calls it. And one
moment is for every loop, watched or not: ``before_waiting_for_ever``.

Read next: ``loop.py``, which calls these.
"""

from collections.abc import Callable
from typing import Any

# Each function here is shown every new loop, at the end of its __init__.
new_loop_watchers: list[Callable[[Any], None]] = []

# Each function here is asked ``check(loop)`` when a loop is about to wait
# with nothing scheduled at all: can anything still wake it? One that woke
# a task itself returns True, and the loop looks again instead of waiting.
# (tools/deadlock.py reports deadlocks here.) Until then it costs nothing.
before_waiting_for_ever: list[Callable[[Any], bool]] = []
