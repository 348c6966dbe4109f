"""Write ``pause(turns)``: a coroutine made of a plain generator.

Write it without ``async`` or ``await``: a generator function, decorated
with ``types.coroutine``. It gives way to the other tasks ``turns`` times,
one turn of the event loop each time, then returns ``turns``::

    @types.coroutine
    def pause(turns):
        ...

    async def main():
        waited = await pause(3)     # three turns go by; waited == 3

The checker compares it with the same thing written with asyncio's own
``sleep(0)`` (``for _ in range(turns): await asyncio.sleep(0)``): other
tasks must see exactly the same turns go by, ``pause(0)`` must not give way
at all, the value must come back, and a task cancelled during a pause must
see the CancelledError.

What to know: a task drives its coroutine with ``send(None)``. Whatever the
coroutine yields travels up to the task. A bare ``yield`` (None) means "I
have nothing to wait for, just let the others run": the task comes back to
it on the next turn. ``return value`` in a generator ends it with
``StopIteration(value)``, which ``await`` turns into the value. And
``task.cancel()`` arrives as ``CancelledError`` thrown in at the ``yield``.
"""

from __future__ import annotations

import asyncio
import inspect
import types
from typing import Any

from miniloop.exercises.checker import Exercise, Say, Scenario, run_on_asyncio, ticker


async def asyncio_pause(turns: int) -> int:
    """The truth: ``turns`` turns given away with asyncio's own ``sleep(0)``."""
    for _ in range(turns):
        await asyncio.sleep(0)
    return turns


async def _walker(pause: Any, say: Say, name: str, steps: int) -> None:
    for step in range(steps):
        say(name, "step", step)
        await pause(1)
    say(name, "done")


async def take_turns(pause: Any, say: Say) -> None:
    """Two walkers pausing one turn at a time interleave, step for step."""
    await asyncio.gather(_walker(pause, say, "a", 3), _walker(pause, say, "b", 2))


async def returns_turns(pause: Any, say: Say) -> None:
    """``await pause(3)`` gives back 3."""
    say("pause(3) returned", await pause(3))
    say("pause(0) returned", await pause(0))



async def counts_turns(pause: Any, say: Say) -> None:
    """A ticker says one line a turn: pause(2) must last exactly two of them."""

    async def pauser() -> None:
        say("pauser starts")
        await pause(2)
        say("pauser resumes")

    await asyncio.gather(ticker(say, 4), pauser())


async def zero_gives_no_way(pause: Any, say: Say) -> None:
    """pause(0) returns without letting anyone else run."""

    async def pauser() -> None:
        say("before pause(0)")
        await pause(0)
        say("after pause(0)")

    await asyncio.gather(pauser(), ticker(say, 2))


async def cancelled_while_paused(pause: Any, say: Say) -> None:
    """task.cancel() during a pause arrives as CancelledError in the pausing task."""

    async def sleeper() -> None:
        try:
            await pause(10)
        except asyncio.CancelledError:
            say("the pausing task sees CancelledError")
            raise
        say("the pause ended normally (it should not have)")

    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        say("the task ended cancelled")


async def inside_a_generator(pause: Any, say: Say) -> None:
    """Another generator-based coroutine can ``yield from`` it."""

    @types.coroutine
    def outer() -> Any:
        got = yield from pause(2)
        return got * 10

    say("outer returned", await outer())


def _must_be_a_generator_function(pause: Any) -> str | None:
    if inspect.iscoroutinefunction(pause):
        return ("pause is an `async def` function. Write it as a plain generator "
                "(a `def` with `yield` in it), decorated with @types.coroutine.")
    if not inspect.isgeneratorfunction(inspect.unwrap(pause)):
        return "pause must be a generator function: a `def` with a `yield` in its body."
    return None


EXERCISE = Exercise(
    chapter=1,
    slug="pause",
    title="pause(turns), a coroutine made of a plain generator",
    name="pause",
    reference_label="asyncio.sleep(0) in a loop",
    reference=lambda: asyncio_pause,
    scenarios=(
        Scenario("two tasks pausing one turn at a time take turns", take_turns,
                 "each `yield` hands control back for exactly one turn; a task that "
                 "pauses once per step alternates with another that does the same."),
        Scenario("pause(3) returns 3, pause(0) returns 0", returns_turns,
                 "`return turns` at the end of the generator: await hands you that value."),
        Scenario("pause(2) lasts exactly two turns of the loop", counts_turns,
                 "one bare `yield` per turn: `for _ in range(turns): yield`."),
        Scenario("pause(0) does not give way at all", zero_gives_no_way,
                 "with turns == 0 the generator must not yield even once."),
        Scenario("a task cancelled while paused sees CancelledError", cancelled_while_paused,
                 "cancel() throws CancelledError into the generator at its `yield`; "
                 "do not catch it (or re-raise it if you do)."),
        Scenario("another generator can `yield from` it", inside_a_generator,
                 "pause must be a generator-based coroutine (@types.coroutine), "
                 "so that `yield from pause(2)` works and returns 2."),
    ),
    run=run_on_asyncio,
    module=__name__,
    precheck=_must_be_a_generator_function,
)
