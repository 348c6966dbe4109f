"""miniloop: asyncio, rebuilt from scratch, small enough to read.

Reading order (the README says more): the plain core first,

    core/loop.py        a queue of callbacks, a heap of timers, a selector
    core/futures.py     a value that is not there yet
    core/tasks.py       how a coroutine is driven
    core/primitives.py  sleep and gather
    core/runners.py     run: a loop's whole life
    core/clock.py       the clock seam, and real time
    core/events.py      which loop and which task are running
    core/observer.py    the moments tools can watch

then ``contract/`` (what asyncio programs can observe), ``toolkit/``
(timeouts, waiting, task groups, sync, queues, threads), ``io/``,
``assembly.py`` (the loop you get), ``fast/`` (the speed-ups) and
``tools/`` (trace, step mode, deadlock report).
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

# Imported now: the plain core, run, and the interfaces shared with asyncio.
# The loop itself, ``miniloop.Loop``, and the objects it makes are assembled
# from every layer (its IO methods too) the first time a program makes a
# loop or names them: see ``_new_loop`` and ``_LAZY`` below.
from miniloop.contract.runners import Runner, run
from miniloop.contract.versions import is_coroutine as iscoroutine
from miniloop.core import events as _events
from miniloop.core.clock import RealClock
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
from miniloop.core.loop import CoreLoop
from miniloop.core.observer import before_waiting_for_ever
from miniloop.core.primitives import coroutine, create_task
from miniloop.core.tasks import ensure_future
from miniloop.fast.primitives import gather, sleep  # the core's own on a plain loop
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

# The rest is imported the first time it is asked for (``__getattr__`` below):
# a program that never opens a stream or starts a child does not pay for them.
# The type checker sees them as ordinary imports.
if TYPE_CHECKING:
    from miniloop.assembly import EventLoopPolicy, FastLoop, Loop, use_miniloop
    from miniloop.contract.objects import Future, Handle, Task, TimerHandle
    from miniloop.io import processes as subprocess
    from miniloop.io.processes import create_subprocess_exec, create_subprocess_shell
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
    from miniloop.tools.deadlock import DeadlockError
    from miniloop.tools.virtualclock import VirtualClock, virtual_time

# name -> the module it lives in ("subprocess" is the module itself).
_LAZY: dict[str, str] = {
    **dict.fromkeys(["EventLoopPolicy", "FastLoop", "Loop", "use_miniloop"], "miniloop.assembly"),
    **dict.fromkeys(["Future", "Handle", "Task", "TimerHandle"], "miniloop.contract.objects"),
    "Server": "miniloop.io.servers",
    "subprocess": "miniloop.io.processes",
    **dict.fromkeys(["create_subprocess_exec", "create_subprocess_shell"],
                    "miniloop.io.processes"),
    **dict.fromkeys(["StreamReader", "StreamReaderProtocol", "StreamWriter", "open_connection",
                     "open_unix_connection", "start_server", "start_unix_server"],
                    "miniloop.io.streams"),
    **dict.fromkeys(["LifoQueue", "PriorityQueue", "Queue", "QueueEmpty", "QueueFull"],
                    "miniloop.toolkit.queues"),
    "shield": "miniloop.toolkit.shielding",
    **dict.fromkeys(["Barrier", "BoundedSemaphore", "BrokenBarrierError", "Condition", "Event",
                     "Lock", "Semaphore"], "miniloop.toolkit.sync"),
    "TaskGroup": "miniloop.toolkit.taskgroups",
    **dict.fromkeys(["run_coroutine_threadsafe", "to_thread", "wrap_future"],
                    "miniloop.toolkit.threads"),
    **dict.fromkeys(["Timeout", "timeout", "timeout_at", "wait_for"], "miniloop.toolkit.timeouts"),
    **dict.fromkeys(["ALL_COMPLETED", "FIRST_COMPLETED", "FIRST_EXCEPTION", "as_completed",
                     "wait"], "miniloop.toolkit.waiting"),
    "DeadlockError": "miniloop.tools.deadlock",
    **dict.fromkeys(["VirtualClock", "virtual_time"], "miniloop.tools.virtualclock"),
}
if sys.version_info >= (3, 12):
    _LAZY.update(dict.fromkeys(["create_eager_task_factory", "eager_task_factory"],
                               "miniloop.contract.eager"))
if sys.version_info >= (3, 13):
    _LAZY["QueueShutDown"] = "miniloop.toolkit.queues"


def __getattr__(name: str) -> Any:
    """``miniloop.NAME`` for a name imported on first use (``_LAZY``)."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(module_name)
    value = module if name == "subprocess" else getattr(module, name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    """The names imported now and those imported on first use."""
    return sorted({*globals(), *_LAZY})


def _new_loop(**options: Any) -> Any:
    """A new ``miniloop.Loop``: what ``run``, ``Runner`` and ``new_event_loop()`` make.

    The first call assembles the loop class (``assembly.py``), and with it
    imports every layer it is made of; a program that only imports miniloop
    never pays for them.
    """
    from miniloop.assembly import Loop

    return Loop(**options)


_events.set_default_loop_factory(_new_loop)


def _check_for_deadlock(loop: Any) -> bool:
    """The deadlock report, imported the first time a loop would wait for ever."""
    # Found in sys.modules once loaded: an import statement would run
    # importlib's Python code at every call (~45,000 instructions, at each
    # wait of a loop that has only sockets to wait on).
    deadlock = (sys.modules.get("miniloop.tools.deadlock")
                or importlib.import_module("miniloop.tools.deadlock"))
    return deadlock.break_deadlock(loop)  # type: ignore[no-any-return]  # looked up at each call, so that tests can stand in


# Every loop is checked, watched or not: the report is on whenever miniloop is.
# (A loop nobody watches keeps observer None: its hot paths pay nothing.)
before_waiting_for_ever.append(_check_for_deadlock)

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
    if TYPE_CHECKING:
        from miniloop.contract.eager import create_eager_task_factory, eager_task_factory

    __all__ += ["create_eager_task_factory", "eager_task_factory"]
if sys.version_info >= (3, 13):
    if TYPE_CHECKING:
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
