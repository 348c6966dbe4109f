"""Exploring schedules: the orders a real machine could give one asyncio program.

One thread runs every task, yet asyncio programs have races. A task that
reads a value, awaits, and writes it back has let the whole world run in
between; which part of the world ran there depends on timing: how long
each step took, when a reply came back, how long a thread job ran. On a
developer's machine the timing is always about the same, so the same
order comes up every time; in production it does not.

A *schedule* here is one seeded choice of that timing. It runs on virtual
time (``virtualclock.py``) and varies only what a real machine varies:

    a ready entry starts late          as if the steps before it took longer
    IO arrives late                    network latency, a slow peer
    ready descriptors in another order the kernel's order, not the program's
    a thread job takes longer          the pool is busy, the job is slow
    equal deadlines in another order   asyncio's heap does not promise one
    tasks taken from a set in another  asyncio keeps a TaskGroup's tasks,
      order                            all_tasks() and wait()'s answers in
                                       sets, ordered by the tasks' hashes,
                                       which come from memory addresses

and never what asyncio guarantees: callbacks scheduled for one turn run
in the order they were scheduled, a timer never fires early, a task steps
once at a time, a done future's callbacks run in the order they were added.

The search is not a uniform random walk. Most ordering bugs need one or
two things to go wrong at the right moment, and nothing else; so each
schedule picks a few *change points* among the run's decisions (the idea of
probabilistic concurrency testing) and perturbs only those, and a delay
is drawn to land just past the deadline of a timer that is pending, where
timeouts and timers decide races. A schedule that breaks the program is
then shrunk to the fewest perturbations that still break it.

A schedule is named by its seed; ``SEED:3,17`` keeps only the
perturbations of decisions 3 and 17 (what shrinking reports). Everything
here watches the loop through declared seams: the clock the loop is given,
its observer, ``new_loop_watchers`` and the loop's default executor.

    python -m miniloop --explore 200 prog.py    # explore.py: explore
    python -m miniloop --seed 41:7 prog.py      # replay one schedule: seeded()

Read next: ``../__main__.py``, the command line that offers both.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import dataclasses
import functools
import itertools
import json
import math
import os
import random
import selectors
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from miniloop.contract import versions
from miniloop.contract.watching import Observer, set_orders, unwatch, watch
from miniloop.core import clock
from miniloop.core.clock import MAX_SLEEP, Events
from miniloop.core.observer import new_loop_watchers
from miniloop.tools.describe import (
    callback_name,
    coroutine_name,
    describe_ready_entry,
    task_name,
    task_stepped_by,
)
from miniloop.tools.virtualclock import VirtualClock

# Where a seeded run writes what it did, for the exploring parent to read.
RECORD_VARIABLE = "MINILOOP_EXPLORE_RECORD"

# The kinds of decision a schedule takes: when a ready entry starts, when
# IO arrives, the order of ready descriptors, how long a thread job takes,
# the order of equal deadlines, the order of tasks taken from a set. A
# seed's low 24 bits hold four bits a kind:
# 0 leaves that kind alone, b puts its change points among the first 2**b
# decisions of the kind. The explorer picks them to fit the program (a run
# of the plain schedule counts its decisions of each kind).
KINDS = ("late", "io", "order", "job", "tie", "set")
HORIZON_BITS = 4

# No perturbation makes anything later than this: a margin of more than a
# second is taken as safe (a machine that stalls longer has other problems).
MAX_LATE = 1.0

READ, WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE


class ScheduleError(ValueError):
    """A seed that cannot be read."""


@dataclasses.dataclass(frozen=True)
class Perturbation:
    """One thing a schedule changed: at which decision, of what kind, how."""

    index: int
    kind: str  # one of KINDS
    text: str
    details: dict[str, Any] = dataclasses.field(default_factory=dict)


def parse_seed(text: str) -> tuple[int, frozenset[int] | None]:
    """``"41"`` -> (41, None): every perturbation; ``"41:3,17"`` -> only decisions 3 and 17."""
    number, colon, kept = text.partition(":")
    try:
        seed = int(number, 0)
        keep = None if not colon else frozenset(int(i) for i in kept.split(",") if i.strip())
    except ValueError:
        raise ScheduleError(f"--seed {text!r}: a seed is a number, "
                            "optionally followed by :decision,decision,...") from None
    if seed < 0:
        raise ScheduleError(f"--seed {text!r}: a seed is 0 or more")
    return seed, keep


def seed_text(seed: int, keep: Sequence[int] | None = None) -> str:
    """The inverse of parse_seed."""
    return str(seed) if keep is None else f"{seed}:{','.join(map(str, sorted(keep)))}"


class Schedule:
    """The decisions of one run, drawn from one seed, shared by every loop of the run.

    Every decision point gets the next index. A few indices, drawn from the
    seed, are change points; only there does the schedule depart from the
    plain order (seed 0 has none: it is plain virtual time). ``keep``
    limits the departures to the listed indices, which is how a schedule
    is shrunk without changing how the others are drawn.
    """

    def __init__(self, seed: int, keep: frozenset[int] | None = None) -> None:
        self.seed = seed
        self.keep = keep
        self.rng = random.Random(seed)
        self.decisions = 0  # every decision, of any kind: what ``keep`` lists
        self.counts = dict.fromkeys(KINDS, 0)  # the decisions of each kind
        self.applied: list[Perturbation] = []
        self.change_points: dict[str, set[int]] = {kind: set() for kind in KINDS}
        for number, kind in enumerate(KINDS):
            bits = seed >> (HORIZON_BITS * number) & (2 ** HORIZON_BITS - 1)
            if bits:
                count = self.rng.choice((1, 1, 1, 2, 2, 3))
                self.change_points[kind] = {self.rng.randrange(2 ** bits) for _ in range(count)}

    def decide(self, kind: str) -> bool:
        """Take the next decision; True if the schedule departs from the plain order here."""
        index = self.decisions
        self.decisions += 1
        number = self.counts[kind]
        self.counts[kind] += 1
        if number not in self.change_points[kind]:
            return False
        return self.keep is None or index in self.keep

    def note(self, kind: str, text: str, **details: Any) -> None:
        """Record the departure just decided."""
        self.applied.append(Perturbation(self.decisions - 1, kind, text, details))

    def delay(self, now: float, deadlines: Sequence[float]) -> tuple[float, str]:
        """How late something happens, and why: usually just past a pending deadline."""
        ahead = sorted(when for when in deadlines if now < when < now + MAX_LATE)[:4]
        if ahead and self.rng.random() < 0.8:
            when = self.rng.choice(ahead)
            late = min(MAX_LATE, (when - now) * (1 + self.rng.random() / 100) + 1e-6)
            return late, f"just past the timer due at {when:.6g}"
        late = 10 ** self.rng.uniform(-4, 0)
        return late, "a random delay"

    def record(self) -> dict[str, Any]:
        """What happened, as JSON for the parent."""
        return {"seed": self.seed, "decisions": self.decisions, "counts": self.counts,
                "applied": [dataclasses.asdict(p) for p in self.applied]}


class SocketNames:
    """Names a program's TCP sockets by their part in it, the same on any loop.

    A descriptor's number depends on the loop (its selector and self-pipe
    take numbers too), so a report also names each TCP socket the loop
    watches by what it is to the program: ``listener#1``, the first
    listening socket watched; ``client#2`` and ``server#2``, the connecting
    and the accepting end of connection 2, connections numbered in the
    order the loop first watched either end. A replay on another loop
    finds the socket by that name (``tests/explore/stock_replay.py``).
    """

    def __init__(self) -> None:
        self._names: dict[int, str] = {}  # fd -> its name
        self._numbers: dict[tuple[str, Any], int] = {}  # (listener, address) -> its number
        self._counts = {"listener": 0, "connection": 0}
        self._listening_ports: set[int] = set()

    def watched(self, fileobj: Any) -> None:
        """The loop watches ``fileobj``: name it anew (its number may be a new socket's)."""
        fd = fileobj if isinstance(fileobj, int) else fileobj.fileno()
        part = self._part(fd)
        if part is None:
            self._names.pop(fd, None)
            return
        role, address = part
        if role == "listener":
            self._listening_ports.add(address[1])
        counted = "listener" if role == "listener" else "connection"
        number = self._numbers.get((counted, address))
        if number is None:
            number = self._counts[counted] = self._counts[counted] + 1
            self._numbers[counted, address] = number
        self._names[fd] = f"{role}#{number}"

    def name(self, fd: int) -> str | None:
        """``client#2``, or None for a descriptor that is no TCP socket the loop watched."""
        return self._names.get(fd)

    def _part(self, fd: int) -> tuple[str, Any] | None:
        # A connection is known by its connecting end's address: the
        # accepting end's peer. (A connecting end may have no peer yet.)
        try:
            sock = socket.socket(fileno=fd)  # borrowed: detached below, never closed
        except (OSError, ValueError):
            return None  # a pipe, not a socket
        try:
            if sock.type != socket.SOCK_STREAM or sock.family not in (socket.AF_INET,
                                                                       socket.AF_INET6):
                return None
            local = sock.getsockname()
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                return "listener", local
            if local[1] in self._listening_ports:
                return "server", sock.getpeername()
            return "client", local
        except OSError:
            return None
        finally:
            sock.detach()


class ExploringClock(VirtualClock):
    """Virtual time whose timing comes from a Schedule (late IO, thread jobs, ties)."""

    __slots__ = ("_arrivals", "_held", "_jobs", "_timers", "schedule", "sockets")

    def __init__(self, schedule: Schedule) -> None:
        super().__init__()
        self.schedule = schedule
        self.sockets = SocketNames()  # the Explorer tells it what the loop watches
        self._arrivals: dict[tuple[object, int], int] = {}  # (socket, event) -> readinesses
        self._held: dict[tuple[int, int], float] = {}  # (fd, event) -> when it may arrive
        self._jobs: list[_Job] = []
        self._timers: list[Any] = []  # armed timers, for delays that cross a deadline

    # --- what the observer tells the clock ---------------------------------------------

    def pending_deadlines(self) -> list[float]:
        """The deadlines of the timers still armed (forgetting the rest)."""
        now = self._now
        self._timers = [t for t in self._timers if not t.cancelled() and t.when() > now]
        return [t.when() for t in self._timers]

    def arming_order(self) -> int:
        """Arming order, except that a change point puts a timer before earlier ties."""
        order = super().arming_order()
        if self.schedule.decide("tie"):
            self.schedule.note("tie", f"t={self._now:.6g}: timer number {order} comes due "
                               "before the timers armed earlier for the same time")
            return -order - 1
        return order

    # --- thread jobs --------------------------------------------------------------------

    def add_job(self, job: _Job) -> None:
        """A thread job was submitted now: decide how long it takes (0 unless perturbed)."""
        job.due = self._now
        if self.schedule.decide("job"):
            late, why = self.schedule.delay(self._now, self.pending_deadlines())
            job.due += late
            self.schedule.note("job", f"t={self._now:.6g}: thread job {job.name} takes "
                               f"{late:.6g} s ({why})", job=job.name, delay=late)
        self._jobs.append(job)

    def _finish_jobs(self, selector: selectors.BaseSelector) -> bool:
        """Hand over the outcome of every job due by now; False if the world interrupted."""
        for job in sorted((j for j in self._jobs if j.due <= self._now), key=lambda j: j.due):
            while not job.inner.done():
                # The job runs for real. If it calls back into the loop
                # meanwhile (run_coroutine_threadsafe), let the loop run that.
                concurrent.futures.wait([job.inner], timeout=0.01)
                if not job.inner.done() and selector.select(0):
                    return False
            self._jobs.remove(job)
            job.hand_over()
        return True

    # --- IO -------------------------------------------------------------------------------

    def _poll(self, selector: selectors.BaseSelector) -> Events:
        """The ready descriptors whose readiness has arrived by now, in the schedule's order."""
        now = self._now
        events = selector.select(0)
        seen: set[tuple[int, int]] = set()
        arrived: Events = []
        self_pipe = _self_pipe(self._loop)
        for key, mask in events:
            mask_now = 0
            for event in (READ, WRITE):
                if not mask & event:
                    continue
                slot = (key.fd, event)
                seen.add(slot)
                if slot not in self._held:
                    self._held[slot] = now + self._io_latency(key.fd, event, self_pipe)
                if self._held[slot] <= now:
                    mask_now |= event
            if mask_now:
                arrived.append((key, mask_now))
        for slot in list(self._held):
            if slot not in seen or self._held[slot] <= now:
                del self._held[slot]  # gone, or delivered: its next readiness is news
        if len(arrived) > 1 and self.schedule.decide("order"):
            before = list(arrived)
            self.schedule.rng.shuffle(arrived)
            if arrived == before:  # a change point changes something
                arrived.reverse()
            names = [self.sockets.name(key.fd) for key, _ in arrived]
            order = ", ".join(self._fd_text(key.fd) for key, _ in arrived)
            self.schedule.note("order", f"t={now:.6g}: ready descriptors in the order {order}",
                               fds=[key.fd for key, _ in arrived], sockets=names)
        return arrived

    def _io_latency(self, fd: int, event: int, self_pipe: int | None) -> float:
        if fd == self_pipe:
            return 0.0
        name = self.sockets.name(fd)
        slot = (name or fd, event)
        arrival = self._arrivals[slot] = self._arrivals.get(slot, 0) + 1
        if not self.schedule.decide("io"):
            return 0.0
        late, why = self.schedule.delay(self._now, self.pending_deadlines())
        what = "readable" if event == READ else "writable"
        # The details say which socket, by its part in the program, and
        # which of its readinesses (1: the first time it became ready).
        self.schedule.note("io", f"t={self._now:.6g}: {self._fd_text(fd)} becomes {what} "
                           f"{late:.6g} s late ({why})", fd=fd, delay=late, socket=name,
                           event=what, arrival=arrival)
        return late

    def _fd_text(self, fd: int) -> str:
        name = self.sockets.name(fd)
        return f"fd {fd}" if name is None else f"fd {fd} ({name})"

    # --- the wait ---------------------------------------------------------------------

    def wait(self, selector: selectors.BaseSelector, deadline: float | None) -> Events:
        """Like the virtual clock's wait, but IO and thread jobs arrive when the schedule says."""
        if deadline == math.inf:
            deadline = None
        if not self._finish_jobs(selector):
            return self._poll(selector)
        events = self._poll(selector)
        if deadline is not None and deadline <= self._now:
            self._make_due(deadline)
            return events
        if events:
            return events
        wake = [when for when in self._held.values()] + [job.due for job in self._jobs]
        if deadline is not None:
            wake.append(deadline)
        if not wake or (not self._jobs and not self._held and self._outside_work_pending()):
            return self._wait_for_the_world(selector, deadline)
        next_moment = min(wake)
        if deadline is not None and next_moment >= deadline:
            self._make_due(deadline)
        else:
            self._now = max(self._now, next_moment)
        self._finish_jobs(selector)
        return self._poll(selector)

    def _wait_for_the_world(self, selector: selectors.BaseSelector,
                            deadline: float | None) -> Events:
        # Only something outside the loop's control can wake it (another
        # thread, a peer process, a signal): wait for it for real. A run
        # that gets here may not replay exactly, and the explorer says so.
        start = time.monotonic()
        timeout = None if deadline is None else min(deadline - self._now, MAX_SLEEP)
        if selector.select(timeout):
            self._now += time.monotonic() - start
            return self._poll(selector)
        if deadline is not None:
            self._make_due(deadline)
        return []


def _self_pipe(loop: Any) -> int | None:
    ssock = getattr(loop, "_ssock", None)  # the core loop alone has no self-pipe
    return ssock.fileno() if ssock is not None else None


class _Job:
    """A thread job whose outcome the loop sees when the schedule says it is done."""

    def __init__(self, inner: concurrent.futures.Future[Any], name: str) -> None:
        self.inner = inner
        self.outer: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.name = name
        self.due = 0.0

    def hand_over(self) -> None:
        # On the loop's thread, at a moment the schedule chose: the loop's
        # future follows the outer one (wrap_future), so it learns it now.
        if not self.outer.set_running_or_notify_cancel():
            return
        exc = self.inner.exception() if not self.inner.cancelled() else None
        if self.inner.cancelled():
            self.outer.set_exception(concurrent.futures.CancelledError())
        elif exc is not None:
            self.outer.set_exception(exc)
        else:
            self.outer.set_result(self.inner.result())


def _job_name(fn: Any, args: tuple[Any, ...]) -> str:
    # to_thread submits partial(context.run, func, ...): name func.
    while isinstance(fn, functools.partial):
        fn, args = fn.func, fn.args + args
    if isinstance(getattr(fn, "__self__", None), contextvars.Context) and args:
        fn = args[0]
    return f"{callback_name(fn)}()"


class ExploringExecutor(concurrent.futures.ThreadPoolExecutor):
    """A loop's default thread pool whose jobs finish, for the loop, at the schedule's time."""

    def __init__(self, exploring_clock: ExploringClock) -> None:
        super().__init__(thread_name_prefix="asyncio")
        self._clock = exploring_clock

    def submit(self, fn: Callable[..., Any], /, *args: Any,
               **kwargs: Any) -> concurrent.futures.Future[Any]:
        """Run ``fn`` in a thread now; its outcome reaches the loop when the schedule says."""
        job = _Job(super().submit(fn, *args, **kwargs), _job_name(fn, args))
        self._clock.add_job(job)
        return job.outer


class Explorer(Observer):
    """Watches one loop: makes ready entries start late at the schedule's change points."""

    def __init__(self, loop: Any, exploring_clock: ExploringClock) -> None:
        self.loop = loop
        self.clock = exploring_clock
        self.started = False

    def turn_started(self) -> None:
        if not self.started:
            self.started = True
            # The loop's default pool becomes one whose jobs the schedule
            # times (unless the program chose its own pool already).
            if hasattr(self.loop, "set_default_executor") and getattr(
                    self.loop, "_default_executor", None) is None:
                self.loop.set_default_executor(ExploringExecutor(self.clock))

    def io_watched(self, fileobj: Any, event: int, handle: Any) -> None:
        self.clock.sockets.watched(fileobj)

    def timer_armed(self, timer: Any) -> None:
        timers = self.clock._timers
        timers.append(timer)
        if len(timers) % 1024 == 0:
            self.clock.pending_deadlines()  # forget the timers that fired or were cancelled

    def running(self, entry: Any) -> None:
        schedule = self.clock.schedule
        if not schedule.decide("late"):
            return
        now = self.clock.time()
        late, why = schedule.delay(now, self.clock.pending_deadlines())
        self.clock.advance(late)
        what = describe_ready_entry(entry)
        details: dict[str, Any] = {}
        task = task_stepped_by(entry)
        if task is not None:
            details = {"task": task_name(task), "coroutine": coroutine_name(task),
                       "step": _steps_taken(task) + 1}
            what = f"{what} (its step {details['step']})"
        schedule.note("late", f"t={now:.6g}: {what}, starts {late:.6g} s late ({why})",
                      delay=late, **details)


# Steps counted per task, for the descriptions (a task's own counter is not ours to read).
_steps: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def _steps_taken(task: Any) -> int:
    return _steps.get(task, 0)


def _task_factory(schedule: Schedule) -> Callable[..., Any]:
    """A task factory that gives each task a hash of the schedule's.

    A set of tasks (asyncio's TaskGroup, all_tasks, wait's done and
    pending) is ordered by the tasks' hashes, which are their addresses
    in memory: an order that differs from machine to machine, and from
    run to run. Here a task's hash is its number of birth, so that a seed
    replays the same orders; a task born at a change point gets a random
    hash instead, which moves it to another place in every set.
    """
    born = itertools.count()

    def make_task(loop: Any, coro: Any, **options: Any) -> Any:
        rehashed: Any = _rehashed(loop.task_class)
        task = rehashed.__new__(rehashed)
        task._set_hash = next(born)
        moved = schedule.decide("set")
        if moved:
            task._set_hash = schedule.rng.getrandbits(60)
        task.__init__(coro, loop=loop, **options)  # (it joins asyncio's set of all tasks)
        if moved:
            schedule.note("set", f"{task_name(task)} {coroutine_name(task)} sits elsewhere "
                          "in every set of tasks (another hash)")
        return task
    return make_task


_rehashed_classes: dict[type, type] = {}


def _rehashed(task_class: type) -> type:
    # A subclass that differs only in its hash (and keeps the class's name).
    rehashed = _rehashed_classes.get(task_class)
    if rehashed is None:
        members: dict[str, Any] = {
            "__slots__": ("_set_hash",), "__hash__": lambda task: task._set_hash,
            "__module__": task_class.__module__, "__qualname__": task_class.__qualname__}
        if versions.RENAMES_FACTORY_TASKS_TO_NONE:
            # 3.13.0 names a factory's task None; the explorer's tasks keep
            # the names they would have had without a factory.
            members["set_name"] = _keep_default_name
        rehashed = type(task_class.__name__, (task_class,), members)
        _rehashed_classes[task_class] = rehashed
    return rehashed


def _keep_default_name(task: Any, value: object) -> None:
    if value is not None:
        base: Any = type(task).__mro__[1]
        base.set_name(task, value)


def _set_order(schedule: Schedule) -> Callable[[list[Any]], list[Any]]:
    def order(tasks: list[Any]) -> list[Any]:
        if len(tasks) < 2 or not schedule.decide("set"):
            return tasks
        shuffled = list(tasks)
        schedule.rng.shuffle(shuffled)
        if shuffled == tasks:  # a change point changes something
            shuffled.reverse()
        names = ", ".join(task_name(task) for task in shuffled)
        schedule.note("set", f"tasks taken from a set in the order {names}",
                      coroutines=[coroutine_name(task) for task in shuffled])
        return shuffled
    return order


class _StepCounter(Observer):
    def step_started(self, task: Any) -> None:
        _steps[task] = _steps.get(task, 0) + 1


@contextlib.contextmanager
def seeded(seed_spec: str) -> Iterator[Schedule]:
    """Run every loop made inside the block on the schedule ``seed_spec`` names."""
    seed, keep = parse_seed(seed_spec)
    schedule = Schedule(seed, keep)
    counter = _StepCounter()
    watched: list[tuple[Any, Observer]] = []

    def new_clock() -> ExploringClock:
        return ExploringClock(schedule)

    def watch_new_loop(loop: Any) -> None:
        exploring_clock = getattr(loop, "_clock", None)
        if isinstance(exploring_clock, ExploringClock):
            if hasattr(loop, "set_task_factory") and loop.get_task_factory() is None:
                loop.set_task_factory(_task_factory(schedule))
            explorer = Explorer(loop, exploring_clock)
            for observer in (counter, explorer):
                watch(loop, observer)
                watched.append((loop, observer))

    previous = clock.set_clock_factory(new_clock)
    new_loop_watchers.insert(0, watch_new_loop)  # first: a trace then logs the late times
    set_orders.append(order := _set_order(schedule))
    try:
        yield schedule
    finally:
        set_orders.remove(order)
        new_loop_watchers.remove(watch_new_loop)
        clock.set_clock_factory(previous)
        for loop, observer in watched:
            unwatch(loop, observer)
        _steps.clear()
        for perturbation in schedule.applied:  # what made this run differ from the plain one
            print(f"miniloop: schedule {seed_spec}, decision {perturbation.index}: "
                  f"{perturbation.text}", file=sys.stderr)
        record_path = os.environ.get(RECORD_VARIABLE)
        if record_path:
            with open(record_path, "w", encoding="utf-8") as record:
                json.dump(schedule.record(), record)


# --- exploring: many runs, each in a fresh process ----------------------------------------


@dataclasses.dataclass
class Run:
    """One run of the program under one schedule."""

    seed: str
    stdout: str
    status: int | str  # the exit status, or "timeout"
    stderr: str
    counts: dict[str, int]  # the decisions of each kind it took
    applied: list[dict[str, Any]]

    @property
    def outcome(self) -> tuple[str, int | str]:
        """What the report groups runs by."""
        return self.stdout, self.status


@dataclasses.dataclass
class ScheduleRunner:
    """Runs the program once per schedule, each time in a fresh process."""

    command: list[str]  # python -m miniloop [OPTIONS] (without --explore, --seed)
    program: list[str]  # TARGET ARGS
    timeout: float = 60.0
    workers: int = max(1, min(8, os.cpu_count() or 1))

    def run(self, seed: str) -> Run:
        """Run the program once under ``seed``; what it printed, and what the schedule did."""
        status: int | str
        with tempfile.TemporaryDirectory(prefix="miniloop-explore-") as folder:
            record_path = os.path.join(folder, "record.json")
            env = dict(os.environ, **{RECORD_VARIABLE: record_path})
            try:
                done = subprocess.run([*self.command, "--seed", seed, *self.program],
                                      capture_output=True, text=True, env=env,
                                      stdin=subprocess.DEVNULL, timeout=self.timeout)
                stdout, stderr, status = done.stdout, done.stderr, done.returncode
            except subprocess.TimeoutExpired as late:
                stdout = _text(late.stdout)
                stderr, status = _text(late.stderr), "timeout"
            record: dict[str, Any] = {}
            with contextlib.suppress(OSError, ValueError):
                with open(record_path, encoding="utf-8") as file:
                    record = json.load(file)
        return Run(seed, stdout, status, stderr, dict(record.get("counts", {})),
                   list(record.get("applied", [])))

    def run_all(self, seeds: Sequence[str]) -> list[Run]:
        """Run the program under each seed, a few at a time."""
        with concurrent.futures.ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(self.run, seeds))


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode(errors="replace")


# Decisions of each kind in a small program, for seeds chosen without a plain run first.
TYPICAL_COUNTS = {"late": 64, "io": 16, "order": 2, "job": 2, "tie": 16, "set": 8}


def seeds_for(count: int, counts: dict[str, int] | None = None, master: int = 0) -> list[int]:
    """``count`` seeds whose horizons fit a run with ``counts`` decisions of each kind.

    Each seed perturbs one or more kinds, chosen at random among those the
    program has; a kind's horizon is about its number of decisions, so that
    each decision is about as likely as any other to be a change point.
    (A plain run's record gives ``counts``; without one, TYPICAL_COUNTS.)
    """
    counts = TYPICAL_COUNTS if counts is None else counts
    rng = random.Random(master)
    present = [kind for kind in KINDS if counts.get(kind, 0) > 0] or ["late"]
    seeds = []
    for _ in range(count):
        chosen = [kind for kind in present if rng.random() < 0.5] or [rng.choice(present)]
        low = 0
        for kind in chosen:
            fit = math.ceil(math.log2(max(2, counts.get(kind, 1))))
            bits = min(2 ** HORIZON_BITS - 1, max(1, fit + rng.choice((0, 0, 0, 1, -1))))
            low |= bits << (HORIZON_BITS * KINDS.index(kind))
        seeds.append(rng.getrandbits(20) << (HORIZON_BITS * len(KINDS)) | low)
    return seeds


def shrink(explorer: ScheduleRunner, failing: Run, budget: int = 24) -> tuple[Run, bool]:
    """The failing run with the fewest perturbations that still give its outcome.

    Returns (the smallest run found, whether the failing seed replayed to the
    same outcome at all).
    """
    seed = int(failing.seed.partition(":")[0])
    indices = sorted({p["index"] for p in failing.applied})
    again = explorer.run(seed_text(seed, indices))
    if again.outcome != failing.outcome:
        return failing, False
    best = again
    runs = 1
    if len(indices) > 1:
        singles = explorer.run_all([seed_text(seed, [i]) for i in indices[:budget]])
        runs += len(singles)
        for single in singles:
            if single.outcome == failing.outcome:
                return single, True
        kept = list(indices)
        for index in indices:
            if runs >= budget or len(kept) == 1:
                break
            trial = explorer.run(seed_text(seed, [i for i in kept if i != index]))
            runs += 1
            if trial.outcome == failing.outcome:
                kept.remove(index)
                best = trial
    return best, True


# A report shows this many outcomes at most, and shrinks this many of them.
MOST_OUTCOMES_SHOWN = 12
MOST_OUTCOMES_SHRUNK = 4


def explore(runs: int, command: list[str], program: list[str], *,
            out: Any = None, timeout: float | None = None) -> int:
    """Run ``program`` under ``runs`` schedules; report the outcomes; 0 if only one."""
    out = sys.stdout if out is None else out
    explorer = ScheduleRunner(command, program)
    started = time.monotonic()
    baseline = explorer.run("0")
    elapsed = time.monotonic() - started
    explorer.timeout = timeout if timeout is not None else max(30.0, 20 * elapsed)
    if baseline.counts.get("io", 0):
        # A program that does IO may listen on a fixed port: two runs at
        # once would fight over it, and that is no outcome of a schedule.
        explorer.workers = 1
    seeds = [seed_text(s) for s in seeds_for(runs - 1, baseline.counts)]
    every = [baseline, *explorer.run_all(seeds)]
    groups: dict[tuple[str, int | str], list[Run]] = {}
    for run in every:
        groups.setdefault(run.outcome, []).append(run)
    replay = " ".join(["python -m miniloop", *_shown_options(command), "--seed"])
    program_text = " ".join(program)
    print(f"miniloop: explored {len(every)} schedules of {program_text}: "
          f"{len(groups)} outcome{'s' if len(groups) != 1 else ''}", file=out)
    for number, (outcome, members) in enumerate(groups.items(), 1):
        if number > MOST_OUTCOMES_SHOWN:
            print(f"\n... and {len(groups) - MOST_OUTCOMES_SHOWN} more outcomes", file=out)
            break
        first = members[0]
        stdout, status = outcome
        ending = (f"timed out after {explorer.timeout:.0f} s" if status == "timeout"
                  else f"exit status {status}")
        print(f"\noutcome {number}: {len(members)} run{'s' if len(members) != 1 else ''}, "
              f"{ending}, first seed {first.seed}"
              + (" (the plain schedule)" if first is baseline else ""), file=out)
        for line in _excerpt(stdout, first.stderr if status != 0 else ""):
            print(f"  | {line}", file=out)
        shown = first
        if first is not baseline and number <= MOST_OUTCOMES_SHRUNK + 1:
            shown = _report_shrunk(explorer, first, out)
        print(f"  replay: {replay} {shown.seed} {program_text}", file=out)
    if len(groups) > 1 and explorer.run("0").outcome != baseline.outcome:
        print("\nthe plain schedule itself gave another outcome when run again: the "
              "program escapes the loop's control, and its outcomes are not all the "
              "schedules' doing", file=out)
    return 0 if len(groups) == 1 else 1


def _report_shrunk(explorer: ScheduleRunner, first: Run, out: Any) -> Run:
    shown, replayed = shrink(explorer, first)
    if not replayed:
        print("  replaying this seed gave another outcome: the program escapes the loop's "
              "control (threads of its own, real network, real time, random numbers)", file=out)
        return first
    print(f"  shrunk to {len(shown.applied)} of {len(first.applied)} "
          "perturbations:", file=out)
    for perturbation in shown.applied:
        print(f"    decision {perturbation['index']}: {perturbation['text']}", file=out)
    return shown


def _shown_options(command: list[str]) -> list[str]:
    # The options after "-m miniloop", as the user would type them.
    if "miniloop" in command:
        return command[command.index("miniloop") + 1:]
    return []


def _excerpt(stdout: str, stderr: str, limit: int = 8) -> list[str]:
    lines = stdout.splitlines()
    if len(lines) > limit:
        lines = [*lines[:limit // 2], f"... ({len(lines) - limit} lines)", *lines[-limit // 2:]]
    tail = [line for line in stderr.splitlines()
            if line.strip() and not line.startswith("miniloop: schedule ")][-2:]
    return lines + [f"(stderr) {line}" for line in tail]
