"""Random programs over the whole toolkit print the same on asyncio and miniloop.

Hypothesis writes small programs out of these steps, nested inside one
another: sleeps (some of zero seconds), failures, tasks spawned, joined,
awaited and cancelled from outside, a task cancelling itself, a body that
catches its cancellation and carries on (maybe calling ``uncancel``),
``gather`` (with or without ``return_exceptions``), ``wait`` in its three
modes with or without a timeout, ``wait_for`` (no timeout, zero, or some),
``timeout_at`` blocks (some moved with ``reschedule``), a timeout racing a
completion set for the very same instant, ``shield``, ``TaskGroup``,
``as_completed``, and the shared ``Lock``, ``Event`` and ``Queue``. Every
step says what it does and what came of it; the transcripts of asyncio,
miniloop, and asyncio's functions on miniloop's loop must be equal.

On asyncio, time is real, so the programs are built so that what they
print cannot depend on scheduling jitter:

* Time is counted in quanta (Q). Every timed event (a sleep's wake-up, a
  deadline, a cancel from outside) is given its own instant, a whole number
  of quanta from the start, never used before: the program asks for
  "``n`` quanta from now" and the instant is moved on to the next free one
  if taken. Between two timed events there is a whole quantum, far longer
  than the turns of the loop each one sets off.
* "Now" is the last instant that passed (loop time in quanta, rounded down
  with a margin for lateness),
  and each event aims at its instant on the loop's clock, so lateness never
  piles up.
* Zero-length sleeps stay: they order by turns, which every backend must
  get exactly right. The one deliberate tie (a timeout and a completion
  armed for the same instant with ``timeout_at``/``call_at``) is ordered by
  the timer heap, which must also agree.
* Where asyncio's own order depends on memory addresses (it keeps task
  groups' children and ``wait``'s futures in sets), the program does not
  print in that order: cancelled group members are listed sorted, and
  ``wait``'s sets are printed sorted.
* Every failure is retrieved, so "exception was never retrieved" reports
  cannot come and go with the garbage collector; the collector is run at a
  fixed point at the end of each run.

miniloop runs on virtual time here (the same instants, reached at once);
a smaller test runs it on real time too, with the timeouts tied to
completions at one exact instant. ``--run-slow`` runs thousands.
"""

from __future__ import annotations

import gc
import itertools
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

import miniloop
from tests.differential.harness import KINDS, Program, Say, Transcripts, run_one

Q = 0.02  # seconds in a quantum, the distance between two timed events
ATTEMPTS = 3  # a difference must show up this many times in a row to count

# --- the steps a program is made of ----------------------------------------------------------


@dataclass(frozen=True)
class Body:
    """Steps run one after another; failures of a step are caught and reported."""

    label: str
    steps: tuple[Any, ...]


@dataclass(frozen=True)
class Sleep:
    label: str
    units: int  # 0: sleep(0), one turn


@dataclass(frozen=True)
class Fail:
    label: str


@dataclass(frozen=True)
class Spawn:
    """create_task(body); joined at the end of the enclosing body."""

    label: str
    body: Body
    stubborn: bool  # swallows one cancellation and returns


@dataclass(frozen=True)
class AwaitSpawned:
    """``await`` the last task this body spawned (its cancellation comes through)."""

    label: str


@dataclass(frozen=True)
class CancelSpawned:
    """After ``units`` quanta, cancel the last task this body spawned."""

    label: str
    units: int


@dataclass(frozen=True)
class CancelSelf:
    label: str


@dataclass(frozen=True)
class CatchCancel:
    label: str
    body: Body
    uncancel: bool


@dataclass(frozen=True)
class Gather:
    label: str
    bodies: tuple[Body, ...]
    return_exceptions: bool


@dataclass(frozen=True)
class Wait:
    label: str
    bodies: tuple[Body, ...]
    mode: str
    timeout: int | None


@dataclass(frozen=True)
class WaitFor:
    label: str
    body: Body
    timeout: int | None  # None: no timeout; 0: give up at once


@dataclass(frozen=True)
class TimeoutBlock:
    label: str
    units: int | None
    reschedule: int | None
    body: Body


@dataclass(frozen=True)
class Race:
    """A timeout and a completion armed for the very same instant."""

    label: str
    completion_first: bool


@dataclass(frozen=True)
class Shield:
    label: str
    body: Body


@dataclass(frozen=True)
class Leaf:
    """A task group's member: sleeps, then maybe fails; silent when cancelled."""

    label: str
    units: int
    fails: bool


@dataclass(frozen=True)
class Group:
    label: str
    leaves: tuple[Leaf, ...]
    body: Body


@dataclass(frozen=True)
class AsCompleted:
    label: str
    bodies: tuple[Body, ...]
    timeout: int | None


@dataclass(frozen=True)
class LockUse:
    label: str
    units: int


@dataclass(frozen=True)
class EventSet:
    label: str
    clear_after: bool


@dataclass(frozen=True)
class EventWait:
    label: str
    units: int  # gives up after this many quanta


@dataclass(frozen=True)
class QueuePut:
    label: str
    units: int


@dataclass(frozen=True)
class QueueGet:
    label: str
    units: int


# --- running a program ----------------------------------------------------------------------------


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}{exc.args!r}"


def outcome(task: Any) -> str:
    """How a finished task ended; retrieves its exception."""
    if task.cancelled():
        return "cancelled"
    exc = task.exception()
    return f"raised {describe(exc)}" if exc is not None else f"returned {task.result()!r}"


class Run:
    """One run of a program on one backend: its clock, shared objects and say()."""

    def __init__(self, aio: Any, say: Say) -> None:
        self.aio = aio
        self.say = say
        self.loop = aio.get_running_loop()
        self.start = self.loop.time()
        self.used: set[int] = set()
        self.registry: list[tuple[str, Any]] = []  # every task we spawn, in order
        self.lock = aio.Lock()
        self.event = aio.Event()
        self.queue = aio.Queue(maxsize=1)

    # time, in quanta

    def now(self) -> int:
        # A timer never fires early, only late: count an instant as passed
        # from a fifth of a quantum before it, and allow 80% of a quantum of
        # lateness (a busy machine) before the count would move on.
        return math.floor((self.loop.time() - self.start) / Q + 0.2)

    def stamp(self) -> str:
        return f"@{self.now()}"

    def allocate(self, units: int) -> float:
        """The loop time of a fresh instant at least ``units`` (>= 1) quanta from now."""
        instant = self.now() + max(units, 1)
        while instant in self.used:
            instant += 1
        self.used.add(instant)
        return self.start + instant * Q

    def delay(self, units: int) -> float:
        """Seconds from now to a fresh instant ``units`` quanta away."""
        return self.allocate(units) - self.loop.time()

    async def sleep(self, units: int) -> None:
        if units == 0:
            await self.aio.sleep(0)
        else:
            await self.aio.sleep(self.delay(units))

    # bodies and steps

    def spawn(self, label: str, coro: Any) -> Any:
        task = self.aio.create_task(coro)
        self.registry.append((label, task))
        return task

    async def body(self, body: Body) -> str:
        aio, say = self.aio, self.say
        spawned: list[tuple[str, Any]] = []
        say(body.label, "begins", self.stamp())
        try:
            for step in body.steps:
                try:
                    await self.step(step, spawned)
                except (ValueError, TimeoutError) as exc:
                    say(body.label, "caught", describe(exc), self.stamp())
                except ExceptionGroup as group:
                    say(body.label, "caught group",
                        sorted(describe(exc) for exc in group.exceptions), self.stamp())
            for label, task in spawned:
                if not task.done():
                    await aio.wait([task])
                say(body.label, "joined", label, outcome(task))
        except aio.CancelledError as exc:
            say(body.label, "cancelled", exc.args, self.stamp())
            raise
        say(body.label, "ends", self.stamp())
        return body.label

    async def stubborn(self, spawn: Spawn) -> str:
        try:
            return await self.body(spawn.body)
        except self.aio.CancelledError:
            self.say(spawn.label, "refuses to stop", self.stamp())
            await self.aio.sleep(0)
            return "refused"

    async def step(self, step: Any, spawned: list[tuple[str, Any]]) -> None:
        aio, say = self.aio, self.say
        label = step.label
        if isinstance(step, Sleep):
            await self.sleep(step.units)
            say(label, "woke", self.stamp())
        elif isinstance(step, Fail):
            say(label, "fails")
            raise ValueError(label)
        elif isinstance(step, Spawn):
            coro = self.stubborn(step) if step.stubborn else self.body(step.body)
            spawned.append((label, self.spawn(label, coro)))
            say(label, "spawned")
        elif isinstance(step, AwaitSpawned):
            if not spawned:
                say(label, "nothing to await")
                return
            name, task = spawned[-1]
            say(label, "awaits", name)
            say(label, "got", await task, self.stamp())
        elif isinstance(step, CancelSpawned):
            if not spawned:
                say(label, "nothing to cancel")
                return
            await self.sleep(step.units)
            name, task = spawned[-1]
            say(label, "cancels", name, "->", task.cancel(label), self.stamp())
        elif isinstance(step, CancelSelf):
            say(label, "cancels its own task ->", aio.current_task().cancel(label))
        elif isinstance(step, CatchCancel):
            try:
                await self.body(step.body)
            except aio.CancelledError as exc:
                me = aio.current_task()
                say(label, "caught the cancellation", exc.args, "cancelling", me.cancelling())
                if step.uncancel:
                    say(label, "uncancel ->", me.uncancel())
        elif isinstance(step, Gather):
            results = await aio.gather(*(self.body(each) for each in step.bodies),
                                       return_exceptions=step.return_exceptions)
            say(label, "gathered", [describe(r) if isinstance(r, BaseException) else r
                                    for r in results], self.stamp())
        elif isinstance(step, Wait):
            tasks = {self.spawn(each.label, self.body(each)): each.label for each in step.bodies}
            timeout = None if step.timeout is None else self.delay(step.timeout)
            done, pending = await aio.wait(list(tasks), timeout=timeout, return_when=step.mode)
            say(label, "waited", step.mode, "done", sorted(tasks[t] for t in done),
                "pending", sorted(tasks[t] for t in pending), self.stamp())
        elif isinstance(step, WaitFor):
            timeout = step.timeout if step.timeout in (None, 0) else self.delay(step.timeout)
            try:
                say(label, "got", await aio.wait_for(self.body(step.body), timeout), self.stamp())
            except TimeoutError:
                say(label, "timed out", self.stamp())
        elif isinstance(step, TimeoutBlock):
            deadline = None if step.units is None else self.allocate(step.units)
            try:
                async with aio.timeout_at(deadline) as block:
                    if step.reschedule is not None:
                        block.reschedule(self.allocate(step.reschedule))
                    await self.body(step.body)
                say(label, "in time, expired", block.expired(), self.stamp())
            except TimeoutError:
                say(label, "timed out", block.expired(), self.stamp())
        elif isinstance(step, Race):
            await self.race(step)
        elif isinstance(step, Shield):
            inner = self.spawn(step.body.label, self.body(step.body))
            say(label, "got", await aio.shield(inner), self.stamp())
        elif isinstance(step, Group):
            await self.group(step)
        elif isinstance(step, AsCompleted):
            tasks = [self.spawn(each.label, self.body(each)) for each in step.bodies]
            timeout = None if step.timeout is None else self.delay(step.timeout)
            for next_one in aio.as_completed(tasks, timeout=timeout):
                try:
                    say(label, "next", await next_one, self.stamp())
                except ValueError as exc:
                    say(label, "next raised", describe(exc), self.stamp())
        else:
            await self.sync_step(step)

    async def race(self, step: Race) -> None:
        loop, aio, say = self.loop, self.aio, self.say
        instant = self.allocate(1)
        fut = loop.create_future()

        def complete() -> None:
            if not fut.done():
                fut.set_result(step.label)

        if step.completion_first:
            loop.call_at(instant, complete)
        try:
            async with aio.timeout_at(instant):
                if not step.completion_first:
                    loop.call_at(instant, complete)
                say(step.label, "got", await fut, self.stamp())
        except TimeoutError:
            state = "cancelled" if fut.cancelled() else "done" if fut.done() else "pending"
            say(step.label, "timed out; the future is", state, self.stamp())

    async def group(self, step: Group) -> None:
        aio, say = self.aio, self.say
        cancelled: list[str] = []

        async def leaf(leaf: Leaf) -> str:
            try:
                await self.sleep(leaf.units)
            except aio.CancelledError:
                cancelled.append(leaf.label)  # asyncio's cancel order is by address
                raise
            say(leaf.label, "woke", self.stamp())
            if leaf.fails:
                raise ValueError(leaf.label)
            return leaf.label

        try:
            async with aio.TaskGroup() as group:
                for each in step.leaves:
                    group.create_task(leaf(each))
                await self.body(step.body)
            say(step.label, "group done", self.stamp())
        finally:
            if cancelled:
                say(step.label, "members cancelled", sorted(cancelled))

    async def sync_step(self, step: Any) -> None:
        aio, say = self.aio, self.say
        label = step.label
        if isinstance(step, LockUse):
            say(label, "wants the lock")
            async with self.lock:
                say(label, "has the lock", self.stamp())
                await self.sleep(step.units)
            say(label, "released the lock")
        elif isinstance(step, EventSet):
            self.event.set()
            if step.clear_after:
                self.event.clear()
            say(label, "set the event", "and cleared it" if step.clear_after else "")
        elif isinstance(step, EventWait):
            try:
                async with aio.timeout_at(self.allocate(step.units)):
                    await self.event.wait()
                say(label, "saw the event", self.stamp())
            except TimeoutError:
                say(label, "gave up on the event", self.stamp())
        elif isinstance(step, QueuePut):
            try:
                async with aio.timeout_at(self.allocate(step.units)):
                    await self.queue.put(label)
                say(label, "put an item", self.stamp())
            except TimeoutError:
                say(label, "gave up putting", self.stamp())
        elif isinstance(step, QueueGet):
            try:
                async with aio.timeout_at(self.allocate(step.units)):
                    item = await self.queue.get()
                say(label, "got item", item, self.stamp())
            except TimeoutError:
                say(label, "gave up getting", self.stamp())
        else:  # pragma: no cover - the generator makes nothing else
            raise AssertionError(f"unknown step {step!r}")


def program_for(root: Body) -> Program:
    """The async program ``root`` describes, for the differential harness."""

    async def program(aio: Any, say: Say) -> None:
        run = Run(aio, say)
        main = run.spawn(root.label, run.body(root))
        await aio.wait([main])
        # Let every task the program left behind finish (none runs for ever).
        me = aio.current_task()
        while others := [task for task in aio.all_tasks() if task is not me]:
            await aio.wait(others)
        for label, task in run.registry:
            say(label, "ended:", outcome(task))
        gc.collect()  # any report of a lost exception comes now, on every backend

    return program


def run_everywhere(program: Program, *, real_time: bool) -> Transcripts:
    """Run on asyncio (real time) and on both miniloop kinds (virtual time unless told)."""
    result = Transcripts()
    for kind in KINDS:
        clock = None if kind == "asyncio" or real_time else miniloop.VirtualClock()
        gc.collect()
        gc.disable()  # the garbage collector runs where the program says, not at random
        try:
            result.lines[kind] = run_one(program, kind, clock=clock)
        finally:
            gc.enable()
    return result


def check_same_everywhere(root: Body, *, real_time: bool = False) -> Transcripts:
    program = program_for(root)
    for attempt in range(ATTEMPTS):
        transcripts = run_everywhere(program, real_time=real_time)
        if transcripts.same:
            if currently_in_test_context():
                event(f"agreed on attempt {attempt + 1}")
            return transcripts
        # A machine busy enough to stall the loop for half a quantum can
        # shift real time; a difference in behaviour shows up every time.
    raise AssertionError(f"{root}\n{transcripts.diff}")


# --- drawing programs -----------------------------------------------------------------------------

MODES = ("FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED")


@st.composite
def programs(draw: st.DrawFn, max_steps: int = 12, max_depth: int = 3,
             sync: bool = True, races: bool = False) -> Body:
    """A random program: a Body whose steps may nest further bodies.

    ``races`` adds timeouts tied with completions at one exact instant:
    only for runs where miniloop is on real time too, since a virtual
    clock deliberately fires equal deadlines in the order they were armed
    (asyncio's heap may pick either).
    """
    numbers = itertools.count(1)
    budget = [max_steps]

    def name(prefix: str) -> str:
        return f"{prefix}{next(numbers)}"

    def units(low: int = 0) -> int:
        # Mostly short: time costs real seconds on asyncio.
        return draw(st.sampled_from([low, low, 1, 1, 2, 3]) if low == 0 else
                    st.integers(min_value=low, max_value=3))

    def maybe_units() -> int | None:
        return draw(st.one_of(st.none(), st.integers(min_value=1, max_value=4)))

    def bodies(depth: int, low: int = 1, high: int = 3) -> tuple[Body, ...]:
        return tuple(body(depth + 1) for _ in range(draw(st.integers(low, high))))

    def body(depth: int) -> Body:
        label = name("b")
        count = draw(st.integers(min_value=1, max_value=3))
        return Body(label, tuple(step(depth) for _ in range(count)))

    def step(depth: int) -> Any:
        budget[0] -= 1
        simple = ["sleep", "sleep", "fail", "cancel-self"] + (["race"] if races else [])
        if sync:
            simple += ["lock", "event-set", "event-wait", "put", "get"]
        nested = ["spawn", "await-spawned", "cancel-spawned", "catch-cancel", "gather",
                  "wait", "wait-for", "timeout", "shield", "group", "as-completed"]
        kinds = simple if depth >= max_depth or budget[0] <= 0 else simple + nested * 2
        kind = draw(st.sampled_from(kinds))
        label = name("s")
        if kind == "sleep":
            return Sleep(label, units())
        if kind == "fail":
            return Fail(label)
        if kind == "cancel-self":
            return CancelSelf(label)
        if kind == "race":
            return Race(label, draw(st.booleans()))
        if kind == "lock":
            return LockUse(label, units())
        if kind == "event-set":
            return EventSet(label, draw(st.booleans()))
        if kind == "event-wait":
            return EventWait(label, units(1))
        if kind == "put":
            return QueuePut(label, units(1))
        if kind == "get":
            return QueueGet(label, units(1))
        if kind == "spawn":
            return Spawn(label, body(depth + 1), draw(st.booleans()))
        if kind == "await-spawned":
            return AwaitSpawned(label)
        if kind == "cancel-spawned":
            return CancelSpawned(label, units())
        if kind == "catch-cancel":
            return CatchCancel(label, body(depth + 1), draw(st.booleans()))
        if kind == "gather":
            return Gather(label, bodies(depth), draw(st.booleans()))
        if kind == "wait":
            return Wait(label, bodies(depth), draw(st.sampled_from(MODES)), maybe_units())
        if kind == "wait-for":
            timeout = draw(st.one_of(st.none(), st.just(0), st.integers(1, 4)))
            return WaitFor(label, body(depth + 1), timeout)
        if kind == "timeout":
            return TimeoutBlock(label, maybe_units(),
                                draw(st.one_of(st.none(), st.integers(1, 4))), body(depth + 1))
        if kind == "shield":
            return Shield(label, body(depth + 1))
        if kind == "group":
            leaves = tuple(Leaf(name("l"), units(), draw(st.integers(0, 3)) == 0)
                           for _ in range(draw(st.integers(1, 3))))
            return Group(label, leaves, body(depth + 1))
        return AsCompleted(label, bodies(depth), maybe_units())

    return body(0)


def count_steps(root: Body) -> Iterator[str]:
    """The kinds of step in a program (for hypothesis' statistics)."""
    for step in root.steps:
        yield type(step).__name__
        for attr in ("body",):
            inner = getattr(step, attr, None)
            if isinstance(inner, Body):
                yield from count_steps(inner)
        for inner in getattr(step, "bodies", ()):
            yield from count_steps(inner)


COMMON: dict[str, Any] = {
    "deadline": None, "database": None, "suppress_health_check": [HealthCheck.too_slow]}


def assert_the_program_finished(root: Body, transcripts: Transcripts) -> None:
    lines = transcripts["asyncio"]
    assert any(line.startswith(f"{root.label} ended:") for line in lines), lines
    assert not any(line.startswith("raised:") for line in lines), lines


@settings(max_examples=30, **COMMON)
@given(programs())
def test_random_programs_print_the_same_on_every_backend(root: Body) -> None:
    for kind in set(count_steps(root)):
        event(kind)
    assert_the_program_finished(root, check_same_everywhere(root))


@settings(max_examples=8, **COMMON)
@given(programs(max_steps=8, races=True))
def test_random_programs_on_real_time_everywhere(root: Body) -> None:
    assert_the_program_finished(root, check_same_everywhere(root, real_time=True))


# CI runs a few hundred (--run-slow); a soak before a release runs thousands:
# MINILOOP_PROPERTY_EXAMPLES=3000 python -m pytest --run-slow -k many_random
@pytest.mark.slow
@settings(max_examples=int(os.environ.get("MINILOOP_PROPERTY_EXAMPLES", "300")), **COMMON)
@given(programs(max_steps=18, max_depth=4))
def test_many_random_programs(root: Body) -> None:
    for kind in set(count_steps(root)):
        event(kind)
    assert_the_program_finished(root, check_same_everywhere(root))


# --- the generator's promises, checked on fixed programs ---------------------------------------


def test_a_fixed_program_prints_what_it_should() -> None:
    root = Body("b0", (
        Spawn("s1", Body("b1", (Sleep("s2", 2), Fail("s3"))), stubborn=False),
        TimeoutBlock("s4", 1, None, Body("b2", (Sleep("s5", 3),))),
        CancelSpawned("s6", 0),
        Race("s7", completion_first=True),
    ))
    transcripts = check_same_everywhere(root, real_time=True)
    assert transcripts["asyncio"] == [
        "b0 begins @0",
        "s1 spawned",
        "b2 begins @0",
        "b1 begins @0",
        "b2 cancelled () @1",
        "s4 timed out True @1",
        "s6 cancels s1 -> True @1",
        "b1 cancelled ('s6',) @1",
        # Armed second, yet fired first: equal deadlines go in heap order.
        "s7 timed out; the future is cancelled @4",
        "b0 joined s1 cancelled",
        "b0 ends @4",
        "b0 ended: returned 'b0'",
        "s1 ended: cancelled",
    ]


def test_instants_are_never_shared() -> None:
    class FakeLoop:
        def time(self) -> float:
            return 0.0

    class FakeAio:
        Lock = Event = Queue = staticmethod(lambda **_: None)

        @staticmethod
        def get_running_loop() -> FakeLoop:
            return FakeLoop()

    run = Run(FakeAio(), lambda *parts: None)
    instants = [round(run.allocate(units) / Q) for units in (1, 1, 2, 0, 1)]
    assert instants == [1, 2, 3, 4, 5]
