"""Write ``sleep(delay, result=None)`` from a timer and a future.

``asyncio.sleep`` is not magic: it is a future that a timer fills. Write
your own::

    async def sleep(delay, result=None):
        ...

using only the running loop's ``create_future()`` and ``call_later()``:
make a future, ask the loop to set its result after ``delay`` seconds,
await it, and return ``result``.

Three details make it behave exactly like asyncio's:

* ``sleep(0)`` (or a negative delay) does not arm a timer at all: it gives
  way for exactly one turn, with a bare ``yield`` (a ``types.coroutine``
  generator that yields None once; see chapter 1);
* a sleeping task can be cancelled: the future is cancelled, and when the
  timer fires later it must not try to set the result of a cancelled future
  (that raises InvalidStateError, which the loop reports);
* better still, cancel the timer when the sleep ends early, so that the
  loop forgets it.

The checker compares it with ``asyncio.sleep`` in the same scenarios.
"""

from __future__ import annotations

import asyncio
from typing import Any

from miniloop.exercises.checker import Exercise, Say, Scenario, run_on_asyncio, ticker


async def wake_in_order(sleep: Any, say: Say) -> None:
    """Sleepers wake in the order of their delays, not of their starts."""

    async def sleeper(name: str, delay: float) -> None:
        await sleep(delay)
        say(name, "wakes")

    await asyncio.gather(sleeper("slow", 0.012), sleeper("quick", 0.004),
                         sleeper("middle", 0.008))


async def returns_result(sleep: Any, say: Say) -> None:
    """sleep returns its ``result`` argument (None by default)."""
    say("sleep(0.001) returned", await sleep(0.001))
    say("sleep(0.001, 'tea') returned", await sleep(0.001, "tea"))
    say("sleep(0, 'now') returned", await sleep(0, "now"))



async def zero_is_one_turn(sleep: Any, say: Say) -> None:
    """sleep(0) gives way for exactly one turn of the loop, and so does sleep(-1)."""

    async def napper() -> None:
        say("napper: sleep(0)")
        await sleep(0)
        say("napper: sleep(-1)")
        await sleep(-1)
        say("napper: awake")

    await asyncio.gather(napper(), ticker(say, 4))


async def cancelled_sleep(sleep: Any, say: Say) -> None:
    """Cancelling a sleeper: CancelledError now, and nothing goes wrong later."""

    async def sleeper() -> None:
        try:
            await sleep(0.005)
        except asyncio.CancelledError:
            say("sleeper cancelled")
            raise

    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        say("task ended cancelled")
    await asyncio.sleep(0.01)  # past the sleeper's deadline: its timer must not misfire
    say("later: all quiet")


async def sleeps_add_up(sleep: Any, say: Say) -> None:
    """Two sleeps in a row last at least as long as both together."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    await sleep(0.003)
    await sleep(0.003)
    say("at least 0.006 s went by:", loop.time() - started >= 0.006)


EXERCISE = Exercise(
    chapter=4,
    slug="sleep",
    title="sleep(delay), a timer and a future",
    name="sleep",
    reference_label="asyncio.sleep",
    reference=lambda: asyncio.sleep,
    scenarios=(
        Scenario("sleepers wake in the order of their delays", wake_in_order,
                 "loop.call_later(delay, callback, future, result) arms a timer that "
                 "fills the future; `return await future`."),
        Scenario("sleep returns its result argument", returns_result,
                 "set the future's result to `result`, and return what await gives you."),
        Scenario("sleep(0) and negative delays give way for exactly one turn",
                 zero_is_one_turn,
                 "for delay <= 0 arm no timer: `await` a types.coroutine generator that "
                 "does one bare `yield` (a timer would take two turns: one to fire, "
                 "one to wake the task)."),
        Scenario("a cancelled sleep raises CancelledError, and its timer does no harm",
                 cancelled_sleep,
                 "the timer's callback must check `if not future.cancelled()` before "
                 "set_result (and you can cancel the timer in a `finally`)."),
        Scenario("two sleeps in a row add up", sleeps_add_up,
                 "call_later takes a delay relative to now: loop.call_later(delay, ...)."),
    ),
    run=run_on_asyncio,
    module=__name__,
)
