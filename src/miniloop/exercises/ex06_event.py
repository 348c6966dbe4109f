"""Write ``Event``: a flag that tasks can wait for.

An event is a line of waiting futures with a flag in front of it. Write a
class ``Event`` with asyncio's four methods::

    is_set()       the flag
    set()          raise the flag, and wake every task waiting
    clear()        lower the flag: later waits will block again
    await wait()   return True at once if the flag is up; otherwise wait for set()

Waiting is: make a future with the running loop's ``create_future()``,
put it in the line, await it. Waking is: ``set_result`` on every future in
the line that is not done yet (one of them may have been cancelled).

The checker compares it with ``asyncio.Event``: who wakes, in which order,
on which turn, and what happens to a waiter that gives up.
"""

from __future__ import annotations

import asyncio
from typing import Any

from miniloop.exercises.checker import Exercise, Say, Scenario, run_on_asyncio, turns


async def _waiter(event: Any, say: Say, name: str) -> None:
    say(name, "waits")
    result = await event.wait()
    say(name, "wakes up, wait() returned", result)


async def set_wakes_everyone(make_event: Any, say: Say) -> None:
    """set() wakes every waiter, in the order they started waiting."""
    event = make_event()
    waiters = [asyncio.create_task(_waiter(event, say, name)) for name in ("a", "b", "c")]
    await turns(2)
    say("is_set before set():", event.is_set())
    event.set()
    say("is_set after set():", event.is_set())
    await asyncio.gather(*waiters)


async def already_set(make_event: Any, say: Say) -> None:
    """wait() on a set event returns True at once, without giving way."""
    event = make_event()
    event.set()

    async def ticker() -> None:
        for tick in range(3):
            say("tick", tick)
            await asyncio.sleep(0)

    async def late_waiter() -> None:
        say("late waiter waits")
        say("late waiter got", await event.wait())
        say("late waiter goes on")

    await asyncio.gather(late_waiter(), ticker())


async def clear_blocks_again(make_event: Any, say: Say) -> None:
    """After clear(), wait() blocks until the next set()."""
    event = make_event()
    event.set()
    event.clear()
    say("is_set after clear():", event.is_set())
    waiter = asyncio.create_task(_waiter(event, say, "w"))
    await turns(3)
    say("still waiting:", not waiter.done())
    event.set()
    await waiter


async def set_then_clear(make_event: Any, say: Say) -> None:
    """set() then clear() at once: the tasks already waiting still wake up."""
    event = make_event()
    waiters = [asyncio.create_task(_waiter(event, say, name)) for name in ("a", "b")]
    await turns(1)
    event.set()
    event.clear()
    done, pending = await asyncio.wait(waiters, timeout=0.05)
    say("woken:", len(done), "still waiting:", len(pending))


async def cancelled_waiter(make_event: Any, say: Say) -> None:
    """A waiter that is cancelled does not stop the others from waking."""
    event = make_event()
    quitter = asyncio.create_task(_waiter(event, say, "quitter"))
    stayer = asyncio.create_task(_waiter(event, say, "stayer"))
    await turns(1)
    quitter.cancel()
    await turns(1)
    event.set()
    await stayer
    say("quitter cancelled:", quitter.cancelled())


async def set_twice(make_event: Any, say: Say) -> None:
    """set() on a set event changes nothing; the waiters wake once."""
    event = make_event()
    waiter = asyncio.create_task(_waiter(event, say, "w"))
    await turns(1)
    event.set()
    event.set()
    await waiter
    say("is_set:", event.is_set())


EXERCISE = Exercise(
    chapter=6,
    slug="event",
    title="Event, a flag tasks can wait for",
    name="Event",
    reference_label="asyncio.Event",
    reference=lambda: asyncio.Event,
    scenarios=(
        Scenario("set() wakes every waiter, first come first served", set_wakes_everyone,
                 "keep the waiting futures in a list (or deque) in the order wait() was "
                 "called; set() sets the result of each."),
        Scenario("wait() on a set event returns True at once", already_set,
                 "if the flag is up, `return True` before making any future: no await, "
                 "so no turn is given away."),
        Scenario("after clear(), wait() blocks again", clear_blocks_again,
                 "clear() only lowers the flag; wait() checks the flag first."),
        Scenario("set() then clear(): tasks already waiting still wake", set_then_clear,
                 "a woken waiter must not look at the flag again: once its future is "
                 "done, wait() returns True."),
        Scenario("a cancelled waiter does not stop the others", cancelled_waiter,
                 "when waking, skip futures that are already done (a cancelled waiter's "
                 "future is cancelled); remove the waiter's future from the line in a "
                 "`finally` when wait() ends."),
        Scenario("set() twice wakes the waiters once", set_twice,
                 "set() on a raised flag does nothing (and a future cannot be given "
                 "a result twice)."),
    ),
    run=run_on_asyncio,
    module=__name__,
)
