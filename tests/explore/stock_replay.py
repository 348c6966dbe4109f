"""Replay a schedule's perturbation on stock asyncio, to show the schedule is a real one.

    python tests/explore/stock_replay.py plain PROGRAM
    python tests/explore/stock_replay.py step COROUTINE STEP DELAY PROGRAM
    python tests/explore/stock_replay.py job FUNCTION DELAY PROGRAM
    python tests/explore/stock_replay.py latency SOCKET EVENT DELAY PROGRAM
    python tests/explore/stock_replay.py order SOCKET,SOCKET,... PROGRAM
    python tests/explore/stock_replay.py setorder COROUTINE,COROUTINE,... PROGRAM

runs PROGRAM (a file) on asyncio's own event loop, unchanged, except that

* ``plain``: nothing changes (the control: the program passes);
* ``step``: step number STEP of the task running COROUTINE (``main()``, as
  the explorer names it) starts DELAY seconds late: the thread is kept
  busy for that long just before the step, as a slow machine would (a task
  factory wraps the coroutine to count its steps);
* ``job``: a thread job running FUNCTION (``load()``) takes DELAY seconds
  longer (the loop's default pool sleeps that long before running it);
* ``latency``: the first time SOCKET becomes EVENT (``readable`` or
  ``writable``), the selector keeps it to itself for DELAY seconds, as a
  slow network or a slow peer would;
* ``order``: the first time the SOCKETs are ready together, the selector
  reports them in the order given, as a kernel may;
* ``setorder``: the tasks running the COROUTINEs sit in every set of tasks
  in the order given (a TaskGroup cancels its tasks in its set's order).
  A set of tasks is ordered by the tasks' hashes, which are their
  addresses in memory; here a task factory gives each task a hash of its
  own instead: the COROUTINEs' tasks 0, 1, ..., the others after them in
  the order they were made.

A SOCKET is named as the explorer names it, by its part in the program
(``listener#1``, ``client#2``, ``server#2``: see ``SocketNames``), since
descriptor numbers differ from loop to loop. The selector is asyncio's own
(``selectors.DefaultSelector``), watched by a wrapper that only names the
sockets, holds one readiness back or reorders one answer.

Nothing of miniloop is imported. A program that takes its TaskGroup from
miniloop (``siblings.py`` does, for one outcome in a plain run on miniloop)
gets asyncio's own here, from a stand-in ``miniloop`` module that has
nothing else. The harness says on stderr what it changed and when.
"""

import asyncio
import collections.abc
import concurrent.futures
import functools
import runpy
import selectors
import socket
import sys
import time
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any


class LateStep(collections.abc.Coroutine):  # type: ignore[type-arg]
    """A coroutine that runs ``coro``, with its step number ``step`` starting ``delay`` late."""

    def __init__(self, coro: Any, step: int, delay: float) -> None:
        self.coro, self.step, self.delay, self.steps = coro, step, delay, 0

    def _next_step(self) -> None:
        self.steps += 1
        if self.steps == self.step:
            time.sleep(self.delay)  # busy: the step starts this late

    def send(self, value: Any) -> Any:
        self._next_step()
        return self.coro.send(value)

    def throw(self, *exc: Any) -> Any:
        self._next_step()
        return self.coro.throw(*exc)

    def close(self) -> None:
        self.coro.close()

    def __await__(self) -> Any:
        return self


def name_of(coro: Any) -> str:
    return getattr(coro, "__qualname__", "").replace(".<locals>", "") + "()"


class LateStepPolicy(asyncio.DefaultEventLoopPolicy):
    def __init__(self, coroutine: str, step: int, delay: float) -> None:
        super().__init__()
        self.coroutine, self.step, self.delay = coroutine, step, delay

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()

        def factory(loop: asyncio.AbstractEventLoop, coro: Any, **options: Any) -> Any:
            if name_of(coro) == self.coroutine:
                coro = LateStep(coro, self.step, self.delay)
            return asyncio.Task(coro, loop=loop, **options)

        loop.set_task_factory(factory)
        return loop


class SlowPool(concurrent.futures.ThreadPoolExecutor):
    """A default pool in which jobs running ``function`` start ``delay`` seconds late."""

    def __init__(self, function: str, delay: float) -> None:
        super().__init__()
        self.function, self.delay = function, delay

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        # asyncio.to_thread submits partial(context.run, function, ...).
        inner = fn.args[0] if isinstance(fn, functools.partial) and fn.args else fn
        if getattr(inner, "__name__", "") + "()" != self.function:
            return super().submit(fn, *args, **kwargs)

        def slow() -> Any:
            time.sleep(self.delay)  # the pool was busy, the disk was slow
            return fn(*args, **kwargs)

        return super().submit(slow)


class SlowJobPolicy(asyncio.DefaultEventLoopPolicy):
    def __init__(self, function: str, delay: float) -> None:
        super().__init__()
        self.function, self.delay = function, delay

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        loop.set_default_executor(SlowPool(self.function, self.delay))
        return loop


def say(text: str) -> None:
    print(f"stock_replay: {text}", file=sys.stderr)


# --- IO: the sockets by name, a readiness held back, an answer reordered -------------------


def fd_of(fileobj: Any) -> int:
    return fileobj if isinstance(fileobj, int) else int(fileobj.fileno())


class SocketNames:
    """Names TCP sockets as the explorer's report does, by their part in the program.

    ``listener#N`` is the Nth listening socket watched; ``client#N`` and
    ``server#N`` are the connecting and the accepting end of connection N,
    connections numbered in the order either end was first watched. A
    connection is known by its connecting end's address, which is its
    accepting end's peer address.
    """

    def __init__(self) -> None:
        self.by_fd: dict[int, str] = {}
        self.numbers: dict[tuple[str, Any], int] = {}
        self.ports: set[int] = set()  # where our listeners listen

    def watched(self, fd: int) -> None:
        part = self.part(fd)
        if part is None:
            self.by_fd.pop(fd, None)
            return
        role, address = part
        group = "listener" if role == "listener" else "connection"
        if (group, address) not in self.numbers:
            self.numbers[group, address] = 1 + sum(g == group for g, _ in self.numbers)
        self.by_fd[fd] = f"{role}#{self.numbers[group, address]}"

    def part(self, fd: int) -> tuple[str, Any] | None:
        try:
            sock = socket.socket(fileno=fd)  # the loop's socket, lent: detach, never close
        except (OSError, ValueError):
            return None
        try:
            if sock.type != socket.SOCK_STREAM or sock.family not in (socket.AF_INET,
                                                                       socket.AF_INET6):
                return None
            here = sock.getsockname()
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                self.ports.add(here[1])
                return "listener", here
            return ("server", sock.getpeername()) if here[1] in self.ports else ("client", here)
        except OSError:
            return None
        finally:
            sock.detach()


class Keys(Mapping[Any, selectors.SelectorKey]):
    """The registrations as asyncio sees them, looked up by file object or descriptor."""

    def __init__(self, by_fd: dict[int, selectors.SelectorKey]) -> None:
        self.by_fd = by_fd

    def __getitem__(self, fileobj: Any) -> selectors.SelectorKey:
        return self.by_fd[fd_of(fileobj)]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.by_fd)

    def __len__(self) -> int:
        return len(self.by_fd)


Ready = list[tuple[selectors.SelectorKey, int]]


class WatchingSelector(selectors.BaseSelector):
    """The system's selector, with the sockets it watches named, and readiness it may hold back.

    asyncio registers with this one; it asks the system's selector for
    what asyncio asked, less the events in ``held`` (so that the system's
    selector does not keep waking the loop for a readiness held back).
    """

    def __init__(self) -> None:
        self.system = selectors.DefaultSelector()
        self.keys: dict[int, selectors.SelectorKey] = {}
        self.held: dict[int, int] = {}  # fd -> events not passed on for now
        self.sockets = SocketNames()

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        fd = fd_of(fileobj)
        if fd in self.keys:
            raise KeyError(f"{fileobj!r} (fd {fd}) is already registered")
        self.keys[fd] = selectors.SelectorKey(fileobj, fd, events, data)
        self.sockets.watched(fd)
        self.ask_system(fd)
        return self.keys[fd]

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        fd = fd_of(fileobj)
        self.keys[fd] = self.keys[fd]._replace(events=events, data=data)
        self.sockets.watched(fd)
        self.ask_system(fd)
        return self.keys[fd]

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        key = self.keys.pop(fd_of(fileobj))
        self.ask_system(key.fd)
        return key

    def ask_system(self, fd: int) -> None:
        key = self.keys.get(fd)
        wanted = key.events & ~self.held.get(fd, 0) if key else 0
        asked = self.system.get_map().get(fd)
        if asked is not None and not wanted:
            self.system.unregister(fd)
        elif asked is None and wanted:
            self.system.register(fd, wanted)
        elif asked is not None and asked.events != wanted:
            self.system.modify(fd, wanted)

    def select(self, timeout: float | None = None) -> Ready:
        return [(self.keys[key.fd], events & self.keys[key.fd].events)
                for key, events in self.system.select(timeout) if key.fd in self.keys]

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return Keys(self.keys)

    def close(self) -> None:
        self.system.close()
        self.keys.clear()


class LatencySelector(WatchingSelector):
    """The first time ``name`` becomes ``event``, the loop learns it ``delay`` seconds later."""

    def __init__(self, name: str, event: int, delay: float) -> None:
        super().__init__()
        self.name, self.event, self.delay = name, event, delay
        self.release: tuple[int, float] | None = None  # (fd, when) while held back
        self.done = False

    def select(self, timeout: float | None = None) -> Ready:
        if self.release is not None:
            fd, when = self.release
            wait = when - time.monotonic()
            if wait <= 0:
                self.release = None
                del self.held[fd]
                self.ask_system(fd)  # the readiness arrives, if it is still there
                say(f"{self.name} may be {EVENTS[self.event]} now")
            elif timeout is None or timeout > wait:
                timeout = wait
        ready = super().select(timeout)
        if self.done:
            return ready
        for number, (key, events) in enumerate(ready):
            if events & self.event and self.sockets.by_fd.get(key.fd) == self.name:
                self.done = True
                self.release = key.fd, time.monotonic() + self.delay
                self.held[key.fd] = self.event
                self.ask_system(key.fd)
                say(f"{self.name} is {EVENTS[self.event]}: held back {self.delay:.6g} s")
                ready[number] = key, events & ~self.event
        return [(key, events) for key, events in ready if events]


class OrderSelector(WatchingSelector):
    """The first time the sockets ``names`` are ready together, they come in that order."""

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names
        self.done = False

    def select(self, timeout: float | None = None) -> Ready:
        ready = super().select(timeout)
        found = [self.sockets.by_fd.get(key.fd) for key, _ in ready]
        if self.done or not all(name in found for name in self.names):
            return ready
        self.done = True
        places = sorted(found.index(name) for name in self.names)
        reordered = [ready[found.index(name)] for name in self.names]
        for place, entry in zip(places, reordered, strict=True):
            ready[place] = entry
        say(f"{', '.join(self.names)} ready together, reported in that order "
            f"(the system said {', '.join(str(name) for name in found)})")
        return ready


EVENTS = {selectors.EVENT_READ: "readable", selectors.EVENT_WRITE: "writable"}


class SelectorPolicy(asyncio.DefaultEventLoopPolicy):
    def __init__(self, make_selector: Callable[[], selectors.BaseSelector]) -> None:
        super().__init__()
        self.make_selector = make_selector

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.SelectorEventLoop(self.make_selector())


# --- sets of tasks: hashes that give the order -------------------------------------------


class SetOrderPolicy(asyncio.DefaultEventLoopPolicy):
    """Tasks whose hashes put the named coroutines' tasks first in every set, in order."""

    def __init__(self, coroutines: list[str]) -> None:
        super().__init__()
        self.coroutines = coroutines

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        others = iter(range(len(self.coroutines), sys.maxsize))

        def factory(loop: asyncio.AbstractEventLoop, coro: Any, **options: Any) -> Any:
            name = name_of(coro)
            place = self.coroutines.index(name) if name in self.coroutines else next(others)
            # A task class of its own whose hash is its place: small
            # distinct hashes come out of a set in the order of their values.
            placed = type("Task", (asyncio.Task,), {"__hash__": lambda task: place})
            if name in self.coroutines:
                say(f"{name} sits at place {place} in every set of tasks")
            return placed(coro, loop=loop, **options)

        loop.set_task_factory(factory)
        return loop


def stand_in_for_miniloop() -> types.ModuleType:
    """A ``miniloop`` module that offers asyncio's own TaskGroup, and nothing else."""
    stand_in = types.ModuleType("miniloop", "asyncio's TaskGroup, for programs that ask "
                                "miniloop for one; nothing of miniloop")
    stand_in.TaskGroup = asyncio.TaskGroup  # type: ignore[attr-defined]
    return stand_in


def policy_for(mode: str, args: list[str]) -> asyncio.AbstractEventLoopPolicy:
    """The policy for ``mode`` with its arguments (PROGRAM not among them)."""
    if mode == "plain":
        return asyncio.DefaultEventLoopPolicy()
    if mode == "step":
        coroutine, step, delay = args
        return LateStepPolicy(coroutine, int(step), float(delay))
    if mode == "job":
        function, delay = args
        return SlowJobPolicy(function, float(delay))
    if mode == "latency":
        name, event, delay = args
        bit = {text: bit for bit, text in EVENTS.items()}[event]
        return SelectorPolicy(lambda: LatencySelector(name, bit, float(delay)))
    if mode == "order":
        (names,) = args
        return SelectorPolicy(lambda: OrderSelector(names.split(",")))
    if mode == "setorder":
        (coroutines,) = args
        return SetOrderPolicy(coroutines.split(","))
    raise SystemExit(f"stock_replay: no mode {mode!r}")


if __name__ == "__main__":
    mode, *arguments, program = sys.argv[1:]
    asyncio.set_event_loop_policy(policy_for(mode, arguments))
    sys.modules["miniloop"] = stand_in_for_miniloop()
    print(f"running {program} on asyncio ({type(asyncio.new_event_loop()).__module__})",
          file=sys.stderr)
    sys.argv = [program]
    try:
        runpy.run_path(program, run_name="__main__")
    except SystemExit as done:
        sys.exit(done.code)
