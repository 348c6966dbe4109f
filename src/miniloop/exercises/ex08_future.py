"""Write ``Future``: a future that asyncio's own tasks accept.

asyncio does not check ``isinstance(x, asyncio.Future)``. A Task accepts
anything that keeps the *future protocol*, which is how miniloop's futures
(and uvloop's, and yours) can be awaited by asyncio's tasks and passed to
asyncio's functions. Write a class ``Future``, made with ``Future(loop=loop)``,
that keeps it:

    _asyncio_future_blocking   a class attribute (False): "I am a future".
                               __await__ sets it True just before it yields
                               itself; the task that receives it sets it False
    get_loop()                 the loop it belongs to
    done(), cancelled()        where it stands
    result(), exception()      the outcome (InvalidStateError while pending,
                               CancelledError once cancelled)
    set_result(value)          fill it; InvalidStateError if it is done
    set_exception(error)       the same, with an exception
    cancel(msg=None)           cancel it; False if it was already done
    add_done_callback(fn, *, context=None)
                               call fn(self) through loop.call_soon(fn, self,
                               context=context) once done (at once if it is)
    remove_done_callback(fn)   forget fn; return how many were removed
    __await__()                if not done: set the flag, ``yield self``;
                               then return self.result()

Each time the future is done (set_result, set_exception, cancel), every
registered callback is scheduled with ``loop.call_soon``: callbacks never
run inside set_result itself.

The checker awaits your futures from asyncio's tasks, hands them to
``asyncio.gather``, ``asyncio.wait_for`` and ``asyncio.isfuture``, and
compares everything with ``asyncio.Future``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from miniloop.exercises.checker import Exercise, Say, Scenario, run_on_asyncio, turns


def _new(make_future: Any) -> Any:
    return make_future(loop=asyncio.get_running_loop())



def _error_name(action: Any) -> str:
    try:
        action()
    except BaseException as error:  # the type is what this scenario compares
        return type(error).__name__
    return "no error"


async def awaited_by_a_task(make_future: Any, say: Say) -> None:
    """A task awaits the future; a callback fills it; the task gets the result."""
    future = _new(make_future)
    say("isfuture:", asyncio.isfuture(future))
    asyncio.get_running_loop().call_soon(future.set_result, 42)
    say("await gave", await future)
    say("done:", future.done(), "result:", future.result())


async def failing(make_future: Any, say: Say) -> None:
    """set_exception: the awaiting task gets the exception."""
    future = _new(make_future)
    asyncio.get_running_loop().call_soon(future.set_exception, KeyError("lost"))
    try:
        await future
    except KeyError as error:
        say("caught", repr(error))
    say("exception():", repr(future.exception()))


async def callbacks_run_later(make_future: Any, say: Say) -> None:
    """Done callbacks run on a later turn, in the order they were added, given the future."""
    future = _new(make_future)
    future.add_done_callback(lambda f: say("first callback, got the future:", f is future))
    future.add_done_callback(lambda f: say("second callback"))
    future.add_done_callback(say)  # added, then removed again
    say("removed:", future.remove_done_callback(say))
    future.set_result("x")
    say("set_result returned")
    await turns(1)
    say("a turn later")
    future.add_done_callback(lambda f: say("callback added when done"))
    await turns(1)
    say("end")


async def states_and_errors(make_future: Any, say: Say) -> None:
    """Pending, done, and the InvalidStateErrors in between."""
    future = _new(make_future)
    say("pending: done", future.done(), "cancelled", future.cancelled())
    say("result() while pending:", _error_name(future.result))
    say("exception() while pending:", _error_name(future.exception))
    future.set_result(1)
    say("set_result again:", _error_name(lambda: future.set_result(2)))
    say("set_exception now:", _error_name(lambda: future.set_exception(ValueError())))
    say("cancel() when done:", future.cancel())
    say("get_loop() is the running loop:", future.get_loop() is asyncio.get_running_loop())


async def done_already(make_future: Any, say: Say) -> None:
    """Awaiting a future that is already done returns at once, without giving way."""
    future = _new(make_future)
    future.set_result("ready")

    async def ticker() -> None:
        for tick in range(2):
            say("tick", tick)
            await asyncio.sleep(0)

    async def awaiter() -> None:
        say("awaiting a done future")
        say("got", await future)

    await asyncio.gather(awaiter(), ticker())


async def cancelling_the_task(make_future: Any, say: Say) -> None:
    """Cancelling a task that awaits the future cancels the future."""
    future = _new(make_future)

    async def waiter() -> None:
        try:
            await future
        except asyncio.CancelledError:
            say("waiter sees CancelledError")
            raise

    task = asyncio.create_task(waiter())
    await turns(1)
    task.cancel()
    await turns(2)
    say("future cancelled:", future.cancelled(), "task cancelled:", task.cancelled())
    say("result() now:", _error_name(future.result))


async def asyncio_functions(make_future: Any, say: Say) -> None:
    """asyncio.gather, asyncio.wait_for and asyncio.wait take it like their own."""
    loop = asyncio.get_running_loop()
    first, second = _new(make_future), _new(make_future)
    loop.call_soon(first.set_result, "one")
    loop.call_soon(second.set_result, "two")
    say("gather:", await asyncio.gather(first, second))
    slow = _new(make_future)
    try:
        await asyncio.wait_for(slow, 0.01)
    except TimeoutError:
        say("wait_for timed out; the future was cancelled:", slow.cancelled())
    third = _new(make_future)
    loop.call_soon(third.set_result, 3)
    done, pending = await asyncio.wait([third])
    say("wait:", len(done), "done,", len(pending), "pending")


EXERCISE = Exercise(
    chapter=8,
    slug="future",
    title="Future, a future asyncio's tasks accept",
    name="Future",
    reference_label="asyncio.Future",
    reference=lambda: asyncio.Future,
    scenarios=(
        Scenario("an asyncio task awaits it and gets the result", awaited_by_a_task,
                 "the class needs `_asyncio_future_blocking = False` (asyncio.isfuture "
                 "looks for it), get_loop(), add_done_callback(fn, *, context=None) and "
                 "an __await__ generator that yields self while pending."),
        Scenario("set_exception reaches the awaiting task", failing,
                 "result() raises the stored exception; exception() returns it."),
        Scenario("done callbacks run a turn later, in order", callbacks_run_later,
                 "set_result must not call the callbacks: it schedules each with "
                 "loop.call_soon(fn, self, context=context). A callback added once the "
                 "future is done is scheduled at once."),
        Scenario("pending, done, and InvalidStateError", states_and_errors,
                 "result()/exception() while pending and set_* when done raise "
                 "asyncio.InvalidStateError; cancel() on a done future returns False."),
        Scenario("awaiting a done future does not give way", done_already,
                 "__await__ yields only while pending; when done it just returns "
                 "self.result()."),
        Scenario("cancelling the awaiting task cancels the future", cancelling_the_task,
                 "Task.cancel() calls cancel(msg=...) on the future it waits on: "
                 "accept `msg`, mark the future cancelled and schedule the callbacks; "
                 "result() then raises asyncio.CancelledError."),
        Scenario("asyncio.gather, wait_for and wait accept it", asyncio_functions,
                 "these call get_loop(), add_done_callback, remove_done_callback, "
                 "cancel, cancelled, exception and result: all must behave."),
    ),
    run=run_on_asyncio,
    module=__name__,
)
