"""Virtual time tells the same story as real time, only instantly.

A program's transcript under miniloop's virtual clock must be the one
asyncio prints under real time; and under virtual time the loop's clock
reads exactly the sum of the sleeps that led there.

One kind of program is left out of the comparison, because real time has
no single story to tell about it: two timers due at the same virtual
instant but armed in different turns (one task sleeps 3, another sleeps 1
then 2). Under real time the second one is due a fraction of a millisecond
later, and whether both fire in the same turn depends on how late the
selector wakes up: asyncio itself prints either order from run to run.
Timers armed in the same turn (three tasks starting ``sleep(1)`` together)
are kept: real time fires them in arming order, and so must virtual time.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import miniloop
from miniloop.tools.trace import recording
from tests.differential.harness import Say, run_all, run_one

# Sleeps are whole multiples of this unit (exact in binary, so sums are
# exact floats), and large enough that real-time jitter cannot reorder
# deadlines that differ by at least one unit.
UNIT = 1 / 64


async def countasync(aio: Any, say: Say) -> None:
    async def count(n: int) -> None:
        say("One", n)
        await aio.sleep(2 * UNIT)
        say("Two", n)

    await aio.gather(count(1), count(2), count(3))


async def timeouts_and_equal_deadlines(aio: Any, say: Say) -> None:
    async def slow(name: str, units: int) -> str:
        await aio.sleep(units * UNIT)
        say(name, "finished")
        return name

    async def guarded(name: str, units: int, limit: int) -> None:
        try:
            say(name, "->", await aio.wait_for(slow(name, units), limit * UNIT))
        except TimeoutError:
            say(name, "timed out")

    await aio.gather(guarded("a", 1, 3), guarded("b", 4, 2), guarded("c", 2, 2),
                     slow("d", 2), slow("e", 3))
    event = aio.Event()

    async def waiter(name: str) -> None:
        await event.wait()
        say(name, "saw the event")

    waiters = [aio.create_task(waiter(name)) for name in "xyz"]
    await aio.sleep(UNIT)
    event.set()
    await aio.gather(*waiters)


async def many_equal_deadlines(aio: Any, say: Say) -> None:
    # Sixteen timers due at the same virtual instant: a heap left to itself
    # would not return them in the order they were armed.
    async def count(n: int) -> None:
        await aio.sleep(0 if n % 5 == 0 else 2 * UNIT)
        say("woke", n)
        await aio.sleep(UNIT)
        say("again", n)

    await aio.gather(*(count(n) for n in range(16)))


def test_many_equal_deadlines_fire_in_arming_order_as_under_real_time() -> None:
    transcripts = run_all(many_equal_deadlines, clock_factory=miniloop.VirtualClock)
    assert transcripts.same, transcripts.diff


def test_countasync_under_virtual_time_prints_what_asyncio_prints() -> None:
    transcripts = run_all(countasync, clock_factory=miniloop.VirtualClock)
    assert transcripts.same, transcripts.diff


def test_timeouts_under_virtual_time_print_what_asyncio_prints() -> None:
    transcripts = run_all(timeouts_and_equal_deadlines, clock_factory=miniloop.VirtualClock)
    assert transcripts.same, transcripts.diff


# --- random programs --------------------------------------------------------------------


@dataclass(frozen=True)
class Worker:
    """A task that sleeps a number of units (0: sleep(0)) between lines, maybe with children."""

    name: str
    sleeps: tuple[int, ...]
    children: tuple[Worker, ...] = ()


def workers(depth: int = 2) -> st.SearchStrategy[Worker]:
    sleeps = st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=3)
    if depth == 0:
        children: st.SearchStrategy[list[Worker]] = st.just([])
    else:
        children = st.lists(workers(depth - 1), max_size=2)
    return st.builds(lambda s, c: Worker("", tuple(s), tuple(c)), sleeps, children)


def named(worker: Worker, name: str = "w") -> Worker:
    kids = tuple(named(child, f"{name}.{index}") for index, child in enumerate(worker.children))
    return Worker(name, worker.sleeps, kids)


def program_for(root: Worker, stamps: list[tuple[str, float, Fraction]]) -> Any:
    """The worker tree as a program; ``stamps`` collects (name, loop time, expected)."""

    async def program(aio: Any, say: Say) -> None:
        loop = aio.get_running_loop()
        start = loop.time()

        async def run(worker: Worker, began: Fraction) -> None:
            elapsed = began
            for index, units in enumerate(worker.sleeps):
                await aio.sleep(units * UNIT)
                elapsed += Fraction(units) * Fraction(UNIT)
                say(worker.name, "after sleep", index)
                stamps.append((worker.name, loop.time() - start, elapsed))
            if worker.children:
                await aio.gather(*(run(child, elapsed) for child in worker.children))
                say(worker.name, "children done")

        await run(root, Fraction(0))

    return program


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workers().map(named))
def test_a_random_program_tells_the_same_story_under_virtual_time(root: Worker) -> None:
    real_stamps: list[tuple[str, float, Fraction]] = []
    virtual_stamps: list[tuple[str, float, Fraction]] = []
    with recording() as trace:
        before = len(trace.events)  # an outer recording may be sharing this trace
        on_virtual = run_one(program_for(root, virtual_stamps), "miniloop",
                             clock=miniloop.VirtualClock())
    armed_in: dict[float, set[int]] = {}
    for event in trace.events[before:]:
        if event.kind != "timer-armed":
            continue
        armed_in.setdefault(event.data["when"], set()).add(event.turn)
    assume(all(len(turns) == 1 for turns in armed_in.values()))  # see the module docstring
    on_asyncio = run_one(program_for(root, real_stamps), "asyncio")
    assert on_virtual == on_asyncio
    # Under virtual time the loop's clock is exactly the sum of the sleeps.
    for name, now, expected in virtual_stamps:
        assert now == float(expected), (name, now, expected)


def test_deep_sleep_chains_add_up_exactly() -> None:
    stamps: list[tuple[str, float, Fraction]] = []
    root = named(Worker("", (3, 0, 2), (Worker("", (1, 1, 1)), Worker("", (2, 3)))))
    run_one(program_for(root, stamps), "miniloop", clock=miniloop.VirtualClock())
    assert len(stamps) == 3 + 3 + 2
    assert all(now == float(expected) for _, now, expected in stamps)
