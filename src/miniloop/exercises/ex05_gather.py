"""Write ``gather(*aws, return_exceptions=False)``.

Run awaitables concurrently and collect their results, in the order they
were given (not the order they finished)::

    async def gather(*aws, return_exceptions=False):
        ...

    a, b = await gather(fetch("a"), fetch("b"))

What asyncio's gather does, and the checker compares:

* each coroutine becomes a task (``asyncio.ensure_future``); a task or
  future passed in is used as it is;
* ``gather()`` with nothing to wait for returns ``[]``;
* the first child to fail makes ``gather`` raise that exception *at once*,
  while the other children go on running;
* with ``return_exceptions=True`` failures are results like any other;
* a child cancelled by someone else counts as a failure (CancelledError);
* cancelling the task that awaits ``gather`` cancels every child, and the
  awaiting task sees CancelledError once the children have finished.

A good shape: one outer future, one done callback on every child that
counts finished children and completes the outer future at the right
moment, and a ``try``/``except CancelledError`` around awaiting it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from miniloop.exercises.checker import Exercise, Say, Scenario, run_on_asyncio, turns


async def _child(say: Say, name: str, steps: int, *, fails: bool = False) -> str:
    """Take ``steps`` turns, then return ``name`` (or raise ValueError(name))."""
    try:
        await turns(steps)
    except asyncio.CancelledError:
        say(name, "is cancelled")
        raise
    if fails:
        say(name, "fails")
        raise ValueError(name)
    say(name, "returns")
    return name



async def results_in_order(gather: Any, say: Say) -> None:
    """Results come back in the order given, whatever order the children finish in."""
    results = await gather(_child(say, "a", 6), _child(say, "b", 2), _child(say, "c", 4))
    say("results:", results)


async def nothing_to_gather(gather: Any, say: Say) -> None:
    """gather() with no arguments gives an empty list."""
    say("gather() gave", await gather())


async def tasks_and_futures(gather: Any, say: Say) -> None:
    """A task or a future passed in is awaited as it is, not wrapped again."""
    loop = asyncio.get_running_loop()
    task = asyncio.create_task(_child(say, "task", 2))
    box = loop.create_future()
    loop.call_soon(box.set_result, "box")
    results = await gather(task, box, _child(say, "coroutine", 1))
    say("results:", results)
    say("the task is done:", task.done())


async def first_failure(gather: Any, say: Say) -> None:
    """The first failure is raised at once; the other children keep running."""
    try:
        await gather(_child(say, "slow", 20), _child(say, "bad", 2, fails=True))
    except ValueError as error:
        say("caught", repr(error))
    await turns(25)
    say("end")


async def failures_as_results(gather: Any, say: Say) -> None:
    """With return_exceptions=True, failures are returned in their place."""
    results = await gather(_child(say, "a", 3), _child(say, "b", 1, fails=True),
                           return_exceptions=True)
    say("results:", [repr(result) for result in results])


async def child_cancelled(gather: Any, say: Say) -> None:
    """A child cancelled from outside makes gather raise CancelledError."""
    victim = asyncio.create_task(_child(say, "victim", 10))

    async def caller() -> None:
        try:
            await gather(victim, _child(say, "other", 12))
        except asyncio.CancelledError:
            say("caller sees CancelledError")

    calling = asyncio.create_task(caller())
    await turns(2)
    victim.cancel()
    await calling
    say("the caller itself was cancelled:", calling.cancelled())
    await turns(15)
    say("end")


async def caller_cancelled(gather: Any, say: Say) -> None:
    """Cancelling the task that awaits gather cancels every child, and waits for them."""

    async def caller() -> None:
        try:
            await gather(_child(say, "a", 10), _child(say, "b", 10))
        except asyncio.CancelledError:
            say("caller sees CancelledError")
            raise

    calling = asyncio.create_task(caller())
    await turns(3)
    calling.cancel()
    try:
        await calling
    except asyncio.CancelledError:
        say("the caller ended cancelled")


EXERCISE = Exercise(
    chapter=5,
    slug="gather",
    title="gather(*aws), many tasks, one result",
    name="gather",
    reference_label="asyncio.gather",
    reference=lambda: asyncio.gather,
    scenarios=(
        Scenario("results come back in the order given", results_in_order,
                 "make every child a task (asyncio.ensure_future) before awaiting "
                 "anything, so they all run at once; build the result list in "
                 "argument order."),
        Scenario("gather() with nothing gives []", nothing_to_gather,
                 "no children: return [] straight away."),
        Scenario("a task or future passed in is used as it is", tasks_and_futures,
                 "asyncio.ensure_future returns a future or task unchanged, and wraps "
                 "only coroutines."),
        Scenario("the first failure is raised at once; the others run on", first_failure,
                 "do not await the children one by one (a slow first child would hold "
                 "up the failure of the second): give each a done callback that fails "
                 "the outer future at the first failure, and do not cancel the others."),
        Scenario("return_exceptions=True returns failures as results", failures_as_results,
                 "with return_exceptions, a failed child's result is its exception "
                 "(child.exception())."),
        Scenario("a child cancelled from outside: gather raises CancelledError",
                 child_cancelled,
                 "child.cancelled() is a failure too: fail the outer future with "
                 "asyncio.CancelledError()."),
        Scenario("cancelling the caller cancels every child, then the caller",
                 caller_cancelled,
                 "when the await of the outer future raises CancelledError, cancel every "
                 "child, wait for them to finish (asyncio.wait), then re-raise."),
    ),
    run=run_on_asyncio,
    module=__name__,
)
