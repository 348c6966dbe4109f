"""Write ``start(coro)``: drive a coroutine yourself, the way a Task does.

A coroutine cannot run itself. Write ``start(coro)``, which drives one on
the running loop and returns a future that gets the coroutine's outcome
(what ``asyncio.create_task(coro)`` does, without the Task class)::

    def start(coro):
        loop = asyncio.get_running_loop()
        outcome = loop.create_future()
        ...                          # schedule the first step with loop.call_soon
        return outcome

One *step* sends into the coroutine (``coro.send(None)``, or
``coro.throw(error)``) and looks at what comes out:

    it yielded None         it only gives way: step again on the next turn (call_soon)
    it yielded a future     park: add a done callback that steps again, at once
    StopIteration(value)    it returned: outcome.set_result(value)
    any other exception     it failed: outcome.set_exception(error)

When a parked-on future is done, its done callback runs (one turn after the
future got its result). If the future failed, throw its exception into the
coroutine; otherwise send None, and ``await`` inside the coroutine picks up
the result by itself.

The checker runs the same coroutines with ``loop.create_task`` and with your
``start``, and compares everything they say, turn by turn.
"""

from __future__ import annotations

import asyncio
from typing import Any

from miniloop.exercises.checker import Exercise, Say, Scenario, run_on_asyncio, ticker


def asyncio_start(coro: Any) -> Any:
    """The truth: asyncio's own Task."""
    return asyncio.get_running_loop().create_task(coro)



async def starts_next_turn(start: Any, say: Say) -> None:
    """The first step runs on the next turn, not inside start()."""

    async def job() -> str:
        say("job runs")
        return "job's result"

    outcome = start(job())
    say("start() returned")
    say("awaited:", await outcome)


async def result_and_error(start: Any, say: Say) -> None:
    """What the coroutine returns or raises reaches whoever awaits the future."""

    async def add(a: int, b: int) -> int:
        return a + b

    async def fail() -> None:
        raise ValueError("no luck")

    say("2 + 3 =", await start(add(2, 3)))
    try:
        await start(fail())
    except ValueError as error:
        say("caught", repr(error))


async def gives_way(start: Any, say: Say) -> None:
    """A bare yield (sleep(0)) gives way for one turn: two driven coroutines alternate."""

    async def walker(name: str) -> None:
        for step in range(3):
            say(name, step)
            await asyncio.sleep(0)

    first, second = start(walker("a")), start(walker("b"))
    await first
    await second
    say("both done")


async def wakes_when_done(start: Any, say: Say) -> None:
    """A coroutine awaiting a future wakes when that future gets its result."""
    loop = asyncio.get_running_loop()
    box = loop.create_future()

    async def waiter() -> None:
        say("waiter waits")
        say("waiter got", await box)

    async def filler() -> None:
        await asyncio.sleep(0)
        say("filler sets the result")
        box.set_result(42)
        say("filler goes on")

    await asyncio.gather(start(waiter()), start(filler()))


async def wakes_on_the_right_turn(start: Any, say: Say) -> None:
    """The woken coroutine steps inside the done callback: one turn after set_result."""
    loop = asyncio.get_running_loop()
    box = loop.create_future()

    async def waiter() -> None:
        await box
        say("waiter resumes")

    waiting = start(waiter())
    await asyncio.sleep(0)
    box.set_result(None)
    await ticker(say, 4)
    await waiting


async def failure_thrown_in(start: Any, say: Say) -> None:
    """A future that fails raises its exception inside the awaiting coroutine."""
    loop = asyncio.get_running_loop()
    box = loop.create_future()
    loop.call_soon(box.set_exception, KeyError("missing"))

    async def waiter() -> str:
        try:
            await box
        except KeyError as error:
            say("waiter caught", repr(error))
            await asyncio.sleep(0)
            return "recovered"
        return "not caught"

    say("outcome:", await start(waiter()))


EXERCISE = Exercise(
    chapter=3,
    slug="task",
    title="start(coro), a task in twenty lines",
    name="start",
    reference_label="loop.create_task",
    reference=lambda: asyncio_start,
    scenarios=(
        Scenario("the first step runs on the next turn", starts_next_turn,
                 "start() must not step the coroutine itself: loop.call_soon(step)."),
        Scenario("a result or an exception reaches the awaiter", result_and_error,
                 "catch StopIteration (its .value is the result) and any other "
                 "exception, and put them in the outcome future."),
        Scenario("a bare yield gives way for one turn", gives_way,
                 "if the coroutine yielded None, schedule the next step with "
                 "loop.call_soon(step)."),
        Scenario("a coroutine awaiting a future wakes when it is done", wakes_when_done,
                 "if it yielded a future, call future.add_done_callback(wake_up); "
                 "wake_up steps the coroutine again."),
        Scenario("the woken coroutine runs one turn after set_result", wakes_on_the_right_turn,
                 "the done callback already runs one turn late: step right away inside "
                 "it, do not call_soon another step."),
        Scenario("a failed future raises inside the coroutine", failure_thrown_in,
                 "in the done callback, if future.exception() is not None, step with "
                 "coro.throw(that exception) instead of coro.send(None)."),
    ),
    run=run_on_asyncio,
    module=__name__,
)
