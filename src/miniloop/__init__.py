"""miniloop: asyncio, rebuilt from scratch, small enough to read.

Reading order (the README says more): the plain core first,

    core/loop.py        a queue of callbacks, a heap of timers, a selector
    core/futures.py     a value that is not there yet
    core/tasks.py       how a coroutine is driven
    core/primitives.py  sleep and gather
    core/runners.py     run: a loop's whole life
    core/clock.py       real and virtual time
    core/events.py      which loop and which task are running
    core/observer.py    the moments tools can watch

then ``contract/`` (what asyncio programs can observe), ``toolkit/``
(timeouts, waiting, task groups, sync, queues, threads), ``io/``,
``assembly.py`` (the loop you get), ``fast/`` (the speed-ups) and
``tools/`` (trace, step mode, deadlock report).
"""

from __future__ import annotations

import sys

from miniloop.assembly import EventLoopPolicy, FastLoop, Loop, use_miniloop
from miniloop.contract.objects import Future, Task
from miniloop.contract.runners import Runner, run
from miniloop.contract.versions import is_coroutine as iscoroutine
from miniloop.core.clock import RealClock, VirtualClock, virtual_time
from miniloop.core.events import (
    CancelledError,
    InvalidStateError,
    TimeoutError,
    all_tasks,
    current_task,
    get_running_loop,
    new_event_loop,
)
from miniloop.core.futures import isfuture
from miniloop.core.loop import CoreLoop, Handle, TimerHandle
from miniloop.core.primitives import coroutine, create_task, gather, sleep
from miniloop.core.tasks import ensure_future
from miniloop.io import processes as subprocess
from miniloop.io.processes import create_subprocess_exec, create_subprocess_shell
from miniloop.io.protocols import (
    BaseProtocol,
    BaseTransport,
    BufferedProtocol,
    DatagramProtocol,
    DatagramTransport,
    IncompleteReadError,
    LimitOverrunError,
    Protocol,
    ReadTransport,
    SendfileNotAvailableError,
    SubprocessProtocol,
    SubprocessTransport,
    Transport,
    WriteTransport,
)
from miniloop.io.servers import Server
from miniloop.io.streams import (
    StreamReader,
    StreamReaderProtocol,
    StreamWriter,
    open_connection,
    open_unix_connection,
    start_server,
    start_unix_server,
)
from miniloop.toolkit.queues import LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull
from miniloop.toolkit.shielding import shield
from miniloop.toolkit.sync import (
    Barrier,
    BoundedSemaphore,
    BrokenBarrierError,
    Condition,
    Event,
    Lock,
    Semaphore,
)
from miniloop.toolkit.taskgroups import TaskGroup
from miniloop.toolkit.threads import run_coroutine_threadsafe, to_thread, wrap_future
from miniloop.toolkit.timeouts import Timeout, timeout, timeout_at, wait_for
from miniloop.toolkit.waiting import (
    ALL_COMPLETED,
    FIRST_COMPLETED,
    FIRST_EXCEPTION,
    as_completed,
    wait,
)
from miniloop.tools.deadlock import DeadlockError  # also turns the deadlock report on

__version__ = "0.1.0"

__all__ = [
    "ALL_COMPLETED", "FIRST_COMPLETED", "FIRST_EXCEPTION", "CancelledError", "CoreLoop",
    "EventLoopPolicy", "FastLoop", "Future", "Handle", "InvalidStateError", "Loop", "RealClock",
    "Runner", "Task", "TaskGroup", "Timeout", "TimeoutError", "TimerHandle",
    "VirtualClock", "all_tasks", "as_completed", "coroutine", "create_task",
    "current_task", "ensure_future", "gather", "get_running_loop", "iscoroutine",
    "isfuture", "new_event_loop", "run", "run_coroutine_threadsafe", "shield", "sleep",
    "timeout", "timeout_at", "to_thread", "use_miniloop", "wait", "wait_for",
    "wrap_future",
]
__all__ += [
    "Barrier", "BoundedSemaphore", "BrokenBarrierError", "Condition", "Event",
    "LifoQueue", "Lock", "PriorityQueue", "Queue", "QueueEmpty", "QueueFull", "Semaphore",
]
if sys.version_info >= (3, 12):
    from miniloop.contract.eager import create_eager_task_factory, eager_task_factory

    __all__ += ["create_eager_task_factory", "eager_task_factory"]
if sys.version_info >= (3, 13):
    from miniloop.toolkit.queues import QueueShutDown

    __all__ += ["QueueShutDown"]
__all__ += [
    "BaseProtocol", "BaseTransport", "BufferedProtocol", "DatagramProtocol",
    "DatagramTransport", "IncompleteReadError", "LimitOverrunError", "Protocol",
    "ReadTransport", "SendfileNotAvailableError", "Server", "StreamReader",
    "StreamReaderProtocol", "StreamWriter", "SubprocessProtocol", "SubprocessTransport",
    "Transport", "WriteTransport", "create_subprocess_exec", "create_subprocess_shell",
    "open_connection", "open_unix_connection", "start_server", "start_unix_server",
    "subprocess",
]
__all__ += ["DeadlockError", "virtual_time"]
