"""miniloop: asyncio, rebuilt from scratch, small enough to read.

Reading order (the README says more):

    loop.py        a queue of callbacks, a heap of timers, a selector
    futures.py     a value that is not there yet
    tasks.py       how a coroutine is driven
    primitives.py  sleep and gather
    runners.py     run: a loop's whole life
    clock.py       real and virtual time
    events.py      which loop and which task are running

then the toolkit (timeouts, waiting, task groups, sync, queues), threads,
the IO wing (``io/``), the asyncio bridge and the tools (trace, CLI).
"""

from __future__ import annotations

from miniloop.bridge import EventLoopPolicy, Loop, use_miniloop
from miniloop.clock import RealClock, VirtualClock
from miniloop.events import (
    CancelledError,
    InvalidStateError,
    TimeoutError,
    all_tasks,
    current_task,
    get_running_loop,
    new_event_loop,
)
from miniloop.futures import Future, isfuture
from miniloop.loop import CoreLoop, Handle, TimerHandle
from miniloop.primitives import coroutine, create_task, gather, sleep
from miniloop.runners import Runner, run
from miniloop.tasks import Task, ensure_future, iscoroutine
from miniloop.threads import run_coroutine_threadsafe, to_thread, wrap_future

__version__ = "0.1.0"

__all__ = [
    "CancelledError", "CoreLoop", "EventLoopPolicy", "Future", "Handle",
    "InvalidStateError", "Loop", "RealClock", "Runner", "Task", "TimeoutError",
    "TimerHandle", "VirtualClock", "all_tasks", "coroutine", "create_task",
    "current_task", "ensure_future", "gather", "get_running_loop", "iscoroutine",
    "isfuture", "new_event_loop", "run", "run_coroutine_threadsafe", "sleep",
    "to_thread", "use_miniloop", "wrap_future",
]
