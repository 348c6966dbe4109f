"""timeout, wait_for, wait, as_completed, TaskGroup, shield: the same
transcript on asyncio, on miniloop, and on asyncio's functions over
miniloop's loop.

Time is real on asyncio, so every program keeps events that must happen in
a given order at least one quantum (Q) apart, or orders them by turns of
the loop (``sleep(0)``), or makes them share one deadline exactly
(``timeout_at``/``call_at`` with the same ``when``), which every backend
resolves in the same turn and the same order.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

import pytest

from tests.differential.harness import Say

Q = 0.02  # the time quantum between events that must stay ordered


def check(both_backends: Any, program: Any) -> list[str]:
    transcript = both_backends.run(program)
    assert transcript.same, transcript.diff
    return list(transcript["asyncio"])


def name_of(exc: BaseException | None) -> str:
    return "None" if exc is None else type(exc).__name__


# --- timeout and timeout_at -------------------------------------------------------


async def timeout_expires(aio: Any, say: Say) -> None:
    task = aio.current_task()
    try:
        async with aio.timeout(Q) as cm:
            say("entered", repr(cm).startswith("<Timeout [active] when="), cm.expired())
            await aio.sleep(1)
            say("not reached")
    except TimeoutError as exc:
        say("TimeoutError from", name_of(exc.__cause__), exc.__suppress_context__)
        say("expired", cm.expired(), repr(cm))
    say("cancelling() afterwards", task.cancelling())


async def timeout_not_reached(aio: Any, say: Say) -> None:
    async with aio.timeout(10) as cm:
        await aio.sleep(0)
    say("expired", cm.expired(), repr(cm))
    async with aio.timeout(None) as forever:
        say("no deadline", forever.when(), repr(forever))
        await aio.sleep(Q)
    say("still no deadline", forever.expired(), repr(forever))


async def timeout_rescheduling(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    async with aio.timeout(None) as cm:
        cm.reschedule(loop.time() + 10)
        say("moved later", cm.when() is not None and cm.when() > loop.time())
        cm.reschedule(None)
        say("taken away", cm.when())
        await aio.sleep(Q)
    say("ran to the end", cm.expired())
    try:
        async with aio.timeout(10) as cm:
            cm.reschedule(loop.time() + Q)
            await aio.sleep(1)
    except TimeoutError:
        say("earlier deadline fired", cm.expired())
    try:
        async with aio.timeout(10) as cm:
            cm.reschedule(loop.time() - 1)  # overdue: fires on the next turn
            say("overdue, expired yet?", cm.expired())
            await aio.sleep(0)
            say("not reached: the timeout runs before our next step")
    except TimeoutError:
        say("overdue deadline fired", cm.expired())


async def timeout_misuse(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    fresh = aio.timeout(1)
    try:
        fresh.reschedule(loop.time())
    except RuntimeError as exc:
        say("reschedule before entering:", exc)
    async with aio.timeout(1) as finished:
        try:
            async with finished:
                pass
        except RuntimeError as exc:
            say("enter twice:", exc)
    try:
        finished.reschedule(None)
    except RuntimeError as exc:
        say("after exit:", exc)
    try:
        async with aio.timeout(0) as expired:
            await aio.sleep(1)
    except TimeoutError:
        pass
    try:
        expired.reschedule(None)
    except RuntimeError as exc:
        say("after expiry:", exc)
    async with aio.timeout(0) as expiring:
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            try:
                expiring.reschedule(None)
            except RuntimeError as exc:
                say("while expiring:", exc)
    say("swallowed the cancellation, so no TimeoutError; expired", expiring.expired())
    say("repr while created", repr(aio.timeout_at(None)))

    # Entering outside any task: from a plain callback.
    outcome = loop.create_future()

    def enter_from_callback() -> None:
        coro = aio.timeout(1).__aenter__()
        try:
            coro.send(None)
        except RuntimeError as exc:
            outcome.set_result(str(exc))

    loop.call_soon(enter_from_callback)
    say("outside a task:", await outcome)


async def timeout_at_in_the_past(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    try:
        async with aio.timeout_at(loop.time() - 5) as cm:
            say("inside, expired:", cm.expired())
            await aio.sleep(0)
    except TimeoutError:
        say("expired at once", cm.expired())
    try:
        async with aio.timeout(-1):
            say("a negative delay enters too")
            await aio.sleep(Q)
    except TimeoutError:
        say("and expires on the next turn")


async def timeout_swallowed_inside(aio: Any, say: Say) -> None:
    task = aio.current_task()
    async with aio.timeout(Q) as cm:
        try:
            await aio.sleep(1)
        except aio.CancelledError as exc:
            say("block caught", name_of(exc), "cancelling", task.cancelling())
        say("block carries on, expired", cm.expired())
    say("left normally, cancelling", task.cancelling(), "expired", cm.expired())


async def timeout_with_a_different_error(aio: Any, say: Say) -> None:
    try:
        async with aio.timeout(Q):
            try:
                await aio.sleep(1)
            finally:
                raise ValueError("clean-up failed")
    except ValueError as exc:
        # 3.13 threads a TimeoutError into the context chain; 3.11/3.12 do not.
        say("ValueError; context", name_of(exc.__context__),
            "then", name_of(exc.__context__ and exc.__context__.__context__))


async def nested_timeouts(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    async with aio.timeout(10) as outer:
        try:
            async with aio.timeout(Q) as inner:
                await aio.sleep(1)
        except TimeoutError:
            say("inner fired:", inner.expired(), "outer:", outer.expired())
        await aio.sleep(0)
    say("outer left normally", outer.expired())

    try:
        async with aio.timeout(Q) as outer:
            try:
                async with aio.timeout(10) as inner:
                    await aio.sleep(1)
            except TimeoutError:
                say("not reached: the inner timeout must not claim the outer one")
    except TimeoutError:
        say("outer fired:", outer.expired(), "inner:", inner.expired())

    deadline = loop.time() + Q
    try:
        async with aio.timeout_at(deadline) as outer:
            try:
                async with aio.timeout_at(deadline) as inner:
                    await aio.sleep(1)
            except TimeoutError:
                say("equal deadlines: the inner one reports")
    except TimeoutError:
        say("equal deadlines: the outer one reports;", inner.expired(), outer.expired())
    say("cancelling", aio.current_task().cancelling())


async def timeout_and_outside_cancel_in_one_turn(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    deadline = loop.time() + Q

    async def guarded() -> str:
        try:
            async with aio.timeout_at(deadline):
                await aio.sleep(1)
        except TimeoutError:
            return "TimeoutError (wrong: someone else cancelled too)"
        return "returned"

    task = aio.create_task(guarded())
    await aio.sleep(0)  # the task has entered its timeout block
    loop.call_at(deadline, task.cancel, "from outside")
    try:
        say(await task)
    except aio.CancelledError as exc:
        say("cancelled, message", exc.args, "cancelling", task.cancelling())


async def timeout_versus_completion_in_one_turn(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    for completes_first in (True, False):
        deadline = loop.time() + Q
        fut = loop.create_future()

        def complete(fut: Any = fut) -> None:
            if not fut.done():
                fut.set_result("value")

        if completes_first:
            loop.call_at(deadline, complete)
        try:
            async with aio.timeout_at(deadline) as cm:
                if not completes_first:
                    loop.call_at(deadline, complete)
                say("got", await fut)
        except TimeoutError:
            say("TimeoutError; future", "cancelled" if fut.cancelled() else "done",
                "expired", cm.expired())


async def timeout_around_a_task_group(aio: Any, say: Say) -> None:
    async def sleeper(n: int) -> None:
        await aio.sleep(n)

    try:
        async with aio.timeout(Q):
            async with aio.TaskGroup() as group:
                group.create_task(sleeper(1))
                group.create_task(sleeper(2))
    except TimeoutError:
        say("the group's cancellation became TimeoutError")

    async def fails_when_cancelled() -> None:
        try:
            await aio.sleep(1)
        finally:
            raise ValueError("cleanup")

    try:
        async with aio.timeout(Q):
            async with aio.TaskGroup() as group:
                group.create_task(fails_when_cancelled())
    except BaseException as exc:
        members = getattr(exc, "exceptions", [])
        say("raised", name_of(exc), [repr(e) for e in members],
            "contexts", [name_of(e.__context__) for e in members])


# --- wait_for -------------------------------------------------------------------------


async def wait_for_basics(aio: Any, say: Say) -> None:
    async def value_after(delay: float, value: str) -> str:
        await aio.sleep(delay)
        return value

    say("in time:", await aio.wait_for(value_after(0, "quick"), 10))
    say("no timeout:", await aio.wait_for(value_after(Q, "none"), None))
    try:
        await aio.wait_for(value_after(1, "slow"), Q)
    except TimeoutError as exc:
        say("too slow:", name_of(exc), "from", name_of(exc.__cause__))

    async def fails() -> None:
        await aio.sleep(0)
        raise KeyError("inner")

    try:
        await aio.wait_for(fails(), 10)
    except KeyError as exc:
        say("inner error comes through:", repr(exc))


async def wait_for_runs_coroutines_where(aio: Any, say: Say) -> None:
    # 3.11 wraps the coroutine in a task of its own; 3.12+ awaits it in place.
    main = aio.current_task()

    async def which_task() -> bool:
        return aio.current_task() is main

    say("runs in the caller's task:", await aio.wait_for(which_task(), 10))
    say("with no timeout:", await aio.wait_for(which_task(), None))


async def wait_for_zero(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    started = []

    async def body() -> str:
        started.append(True)
        return "ran"

    for timeout in (0, -1):
        try:
            say(await aio.wait_for(body(), timeout))
        except TimeoutError as exc:
            say("timeout", timeout, "TimeoutError from", name_of(exc.__cause__),
                "body started:", bool(started))
    done = loop.create_future()
    done.set_result("already")
    say("a done future passes:", await aio.wait_for(done, 0))
    pending = loop.create_future()
    try:
        await aio.wait_for(pending, 0)
    except TimeoutError:
        say("a pending future is cancelled:", pending.cancelled())

    async def refuses() -> str:
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            return "refused"
        return "slept"

    stubborn = aio.create_task(refuses())
    await aio.sleep(0)
    say("zero timeout, stubborn task:", await aio.wait_for(stubborn, 0))


async def wait_for_inner_suppresses_cancellation(aio: Any, say: Say) -> None:
    async def stubborn() -> str:
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            say("inner swallowed the cancellation")
            await aio.sleep(0)
            return "kept going"
        return "slept"

    try:
        say("result:", await aio.wait_for(stubborn(), Q))
    except TimeoutError:
        say("TimeoutError")
    say("cancelling", aio.current_task().cancelling())

    async def fails_on_cancel() -> None:
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            raise RuntimeError("could not stop cleanly")

    try:
        await aio.wait_for(fails_on_cancel(), Q)
    except RuntimeError as exc:
        say("inner's error on cancellation:", exc)
    except TimeoutError:
        say("TimeoutError")


async def wait_for_cancelled_from_outside(aio: Any, say: Say) -> None:
    inner_events = []

    async def inner() -> str:
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            inner_events.append("inner cancelled")
            raise
        return "done"

    async def waiter() -> str:
        return await aio.wait_for(inner(), 10)

    task = aio.create_task(waiter())
    await aio.sleep(Q)
    task.cancel("stop waiting")
    try:
        await task
    except aio.CancelledError as exc:
        say("waiter cancelled", exc.args, inner_events)


async def wait_for_completion_and_cancel_in_one_step(aio: Any, say: Say) -> None:
    # The future completes and the waiting task is cancelled in the same
    # step. 3.11's wait_for returns the result and drops the cancellation;
    # 3.12+ delivers the cancellation.
    loop = aio.get_running_loop()
    fut = loop.create_future()

    async def waiter() -> str:
        result = await aio.wait_for(fut, 10)
        return f"returned {result}, cancelling {aio.current_task().cancelling()}"

    task = aio.create_task(waiter())
    await aio.sleep(0)
    fut.set_result("value")
    task.cancel()
    try:
        say(await task)
    except aio.CancelledError:
        say("cancelled")


async def wait_for_on_a_task_that_is_shielded(aio: Any, say: Say) -> None:
    async def work() -> str:
        await aio.sleep(2 * Q)
        return "finished anyway"

    task = aio.create_task(work())
    try:
        await aio.wait_for(aio.shield(task), Q)
    except TimeoutError:
        say("timed out; task cancelled?", task.cancelled())
    say(await task)


# --- wait ---------------------------------------------------------------------------------


async def wait_modes(aio: Any, say: Say) -> None:
    async def value_after(n: int) -> int:
        await aio.sleep(n * Q)
        return n

    async def fails_after(n: int) -> None:
        await aio.sleep(n * Q)
        raise ValueError(n)

    def names(tasks: set[Any]) -> list[str]:
        return sorted(t.get_name() for t in tasks)

    one = aio.create_task(value_after(1), name="one")
    three = aio.create_task(value_after(3), name="three")
    done, pending = await aio.wait([one, three], return_when=aio.FIRST_COMPLETED)
    say("first completed:", names(done), names(pending))
    done, pending = await aio.wait({one, three})
    say("all completed:", names(done), names(pending))

    bad = aio.create_task(fails_after(1), name="bad")
    slow = aio.create_task(value_after(4), name="slow")
    done, pending = await aio.wait([bad, slow], return_when=aio.FIRST_EXCEPTION)
    say("first exception:", names(done), names(pending), repr(bad.exception()))
    done, pending = await aio.wait([slow], timeout=Q)
    say("timeout:", names(done), names(pending), slow.cancelled())
    done, pending = await aio.wait([slow], return_when=aio.FIRST_EXCEPTION)
    say("first exception, none raised:", names(done), names(pending))


async def wait_on_already_done(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    ready = loop.create_future()
    ready.set_result(1)
    failed = loop.create_future()
    failed.set_exception(ValueError("x"))
    cancelled = loop.create_future()
    cancelled.cancel()
    for mode in (aio.FIRST_COMPLETED, aio.FIRST_EXCEPTION, aio.ALL_COMPLETED):
        done, pending = await aio.wait([ready, failed, cancelled], return_when=mode)
        say(mode, len(done), len(pending))
    failed.exception()  # whether wait looked at it depended on set order

    # FIRST_EXCEPTION looks at a failure only while others are still pending.
    for partner in (None, loop.create_future()):
        lonely = loop.create_future()
        lonely.set_exception(ValueError("looked at?"))
        done, pending = await aio.wait(
            [lonely] if partner is None else [lonely, partner],
            return_when=aio.FIRST_EXCEPTION)
        say("with partner:", partner is not None, len(done), len(pending))
        del lonely, done, pending
        gc.collect()
        say("dropped the failed future")
    ticks = []

    async def ticker() -> None:
        for i in range(4):
            ticks.append(i)
            await aio.sleep(0)

    tick_task = aio.create_task(ticker())
    await aio.sleep(0)
    await aio.wait([ready])
    say("turns a wait on a done future takes:", ticks)
    await tick_task


async def wait_argument_errors(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    fut = loop.create_future()
    fut.set_result(None)

    async def coro() -> None:
        pass

    attempts = [
        ("a future", lambda: aio.wait(fut)),
        ("nothing", lambda: aio.wait([])),
        ("a bad mode", lambda: aio.wait([fut], return_when="SOMETIMES")),
        ("a coroutine inside", lambda: aio.wait([fut, made.append(coro()) or made[-1]])),
        ("an empty iterator", lambda: aio.wait(iter([]))),
    ]
    made: list[Any] = []
    for label, attempt in attempts:
        try:
            await attempt()
        except (TypeError, ValueError, AssertionError) as exc:
            say(label, "->", name_of(exc), exc)
    for coroutine in made:
        coroutine.close()
    bare = coro()
    try:
        await aio.wait(bare)
    except TypeError as exc:
        say("a bare coroutine ->", exc)
    bare.close()
    try:
        done, pending = await aio.wait(f for f in [fut])
        say("a generator of futures works:", len(done), len(pending))
    except TypeError as exc:
        say("3.11 takes a generator for a coroutine:", exc)


async def wait_cancelled_leaves_futures_alone(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    fut = loop.create_future()

    async def waiter() -> None:
        await aio.wait([fut])

    task = aio.create_task(waiter())
    await aio.sleep(0)
    task.cancel()
    try:
        await task
    except aio.CancelledError:
        say("waiter cancelled; the future is untouched:", fut.done())
    fut.set_result("later")
    done, _ = await aio.wait([fut])
    say("and can still be waited for:", [f.result() for f in done])


# --- as_completed ---------------------------------------------------------------------------


async def as_completed_order(aio: Any, say: Say) -> None:
    async def value_after(n: int) -> int:
        await aio.sleep(n * Q)
        return n

    tasks = [aio.create_task(value_after(n)) for n in (3, 1, 2)]
    for next_one in aio.as_completed(tasks):
        say("next:", await next_one)

    async def fails() -> None:
        await aio.sleep(Q)
        raise ValueError("late failure")

    for next_one in aio.as_completed([aio.create_task(fails())]):
        try:
            await next_one
        except ValueError as exc:
            say("failure arrives as raised:", exc)


async def as_completed_timeout(aio: Any, say: Say) -> None:
    async def value_after(n: int) -> int:
        await aio.sleep(n * Q)
        return n

    tasks = [aio.create_task(value_after(n)) for n in (1, 5)]
    try:
        for next_one in aio.as_completed(tasks, timeout=3 * Q):
            say("next:", await next_one)
    except TimeoutError as exc:
        say("timed out:", name_of(exc), "slow task still running:", not tasks[1].done())
    tasks[1].cancel()
    await aio.sleep(0)


async def as_completed_concurrent_awaits(aio: Any, say: Say) -> None:
    # Several coroutines of one as_completed awaited at once: the arrivals
    # are handed out in the order the takers started waiting.
    async def value_after(n: int) -> int:
        await aio.sleep(n * Q)
        return n

    tasks = [aio.create_task(value_after(n)) for n in (2, 1, 3)]
    takers = list(aio.as_completed(tasks))
    results = await aio.gather(*takers)
    say("gathered in taker order:", results)


async def as_completed_taker_cancelled(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    futs = [loop.create_future() for _ in range(2)]
    first, second = list(aio.as_completed(futs))
    first_task = aio.create_task(first)
    second_task = aio.create_task(second)
    await aio.sleep(0)
    futs[0].set_result("a")
    first_task.cancel()  # woken with an item it will never take: passes it on
    await aio.sleep(0)
    say("second taker got:", await second_task)
    say("first taker cancelled:", first_task.cancelled())
    futs[1].set_result("b")


async def as_completed_lazy_or_eager(aio: Any, say: Say) -> None:
    # 3.11/3.12: a generator, so nothing happens before the first step;
    # 3.13: checks and starts at once.
    started = []

    async def body() -> None:
        started.append(True)

    try:
        iterator = aio.as_completed(aio.get_running_loop().create_future())
        say("no complaint yet")
        next(iter(iterator))
    except TypeError as exc:
        say("TypeError:", exc)
    iterator = aio.as_completed([body()])
    await aio.sleep(0)
    say("started before iterating:", bool(started))
    for next_one in iterator:
        await next_one
    say("started after iterating:", bool(started))
    say("nothing to do:", list(aio.as_completed([])))


@pytest.mark.skipif(sys.version_info < (3, 13), reason="async iteration is new in 3.13")
def test_as_completed_async_iteration_yields_the_originals(both_backends: Any) -> None:
    async def program(aio: Any, say: Say) -> None:
        async def value_after(n: int) -> int:
            await aio.sleep(n * Q)
            return n

        tasks = [aio.create_task(value_after(n)) for n in (2, 1)]
        async for fut in aio.as_completed(tasks):
            say("original:", fut in tasks, "result", fut.result())
        loop = aio.get_running_loop()
        slow = loop.create_future()
        try:
            async for _fut in aio.as_completed([slow], timeout=Q):
                say("not reached")
        except TimeoutError:
            say("async iteration times out too")
        try:
            aio.as_completed(slow)
        except TypeError as exc:
            say(exc)

    lines = check(both_backends, program)
    assert lines[:2] == ["original: True result 1", "original: True result 2"]


# --- TaskGroup --------------------------------------------------------------------------------


async def group_happy_path(aio: Any, say: Say) -> None:
    async def value_after(n: int) -> int:
        await aio.sleep(n * Q)
        say("child", n, "done")
        return n

    async with aio.TaskGroup() as group:
        say(repr(group))
        first = group.create_task(value_after(2), name="second-to-finish")
        second = group.create_task(value_after(1))
        say(repr(group), first.get_name())
    say("after the block:", first.result(), second.result(), repr(group))


async def group_failure_cancels_siblings_and_body(aio: Any, say: Say) -> None:
    cancelled: list[str] = []

    async def sleeper(name: str) -> None:
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            cancelled.append(name)
            raise

    async def fails(n: int) -> None:
        await aio.sleep(n * Q)
        raise ValueError(f"child {n}")

    task = aio.current_task()
    try:
        async with aio.TaskGroup() as group:
            group.create_task(sleeper("a"))
            group.create_task(sleeper("b"))
            group.create_task(fails(1))
            try:
                await aio.sleep(1)
            except aio.CancelledError:
                say("the body was cancelled; cancelling", task.cancelling(), repr(group))
                raise
    except ExceptionGroup as eg:
        say("group:", eg.message, [repr(e) for e in eg.exceptions])
    say("siblings cancelled:", sorted(cancelled), "cancelling", task.cancelling())


async def group_several_failures(aio: Any, say: Say) -> None:
    async def fails_at_once(tag: str) -> None:
        raise ValueError(tag)

    async def fails_on_cancel() -> None:
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            raise KeyError("while cancelling")

    try:
        async with aio.TaskGroup() as group:
            group.create_task(fails_on_cancel())
            await aio.sleep(0)
            group.create_task(fails_at_once("x"))
            group.create_task(fails_at_once("y"))
    except* ValueError as eg:
        say("ValueErrors:", sorted(str(e) for e in eg.exceptions))
    except* KeyError as eg:
        say("KeyErrors:", [repr(e) for e in eg.exceptions])


async def group_body_raises(aio: Any, say: Say) -> None:
    cancelled: list[str] = []

    async def sleeper() -> None:
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            cancelled.append("child")
            raise

    try:
        async with aio.TaskGroup() as group:
            group.create_task(sleeper())
            await aio.sleep(0)
            raise ZeroDivisionError("body")
    except ExceptionGroup as eg:
        say("body error grouped:", [repr(e) for e in eg.exceptions], cancelled)


async def group_cancelled_from_outside(aio: Any, say: Say) -> None:
    children: list[str] = []

    async def child(name: str) -> None:
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            children.append(name)
            raise

    async def parent() -> None:
        async with aio.TaskGroup() as group:
            group.create_task(child("x"))
            group.create_task(child("y"))
            await aio.sleep(1)

    task = aio.create_task(parent())
    await aio.sleep(Q)
    task.cancel("outside")
    try:
        await task
    except aio.CancelledError as exc:
        say("parent cancelled", exc.args, sorted(children))

    async def parent_waiting_in_exit() -> None:
        async with aio.TaskGroup() as group:
            group.create_task(child("z"))
        say("not reached")

    task = aio.create_task(parent_waiting_in_exit())
    await aio.sleep(Q)
    task.cancel()
    try:
        await task
    except aio.CancelledError:
        say("cancelled while waiting in __aexit__", children[-1])


async def group_outside_cancel_and_child_error(aio: Any, say: Say) -> None:
    # The parent is cancelled from outside and a child fails in the same
    # turn: the errors win; 3.13 then keeps the outside cancellation pending
    # (it strikes at the next await), 3.11/3.12 leave cancelling() at 1.
    results: list[str] = []

    async def fails_at_once() -> None:
        raise ValueError("child")

    async def parent() -> None:
        try:
            async with aio.TaskGroup() as group:
                group.create_task(fails_at_once())
                await aio.sleep(1)
        except ExceptionGroup as eg:
            results.append(f"group {[repr(e) for e in eg.exceptions]}")
            results.append(f"cancelling {aio.current_task().cancelling()}")
        try:
            await aio.sleep(0)
            results.append("next await went through")
        except aio.CancelledError:
            results.append("next await cancelled")
            raise

    task = aio.create_task(parent())
    await aio.sleep(0)  # the parent is in its block; the child runs next turn
    task.cancel()
    try:
        await task
        results.append("parent returned")
    except aio.CancelledError:
        results.append("parent cancelled")
    say(results)

    async def fails() -> None:
        await aio.sleep(Q)
        raise ValueError("child")

    async def parent_cancelled_after_failure() -> None:
        loop = aio.get_running_loop()
        async with aio.TaskGroup() as group:
            group.create_task(fails())
            try:
                await aio.sleep(1)
            finally:
                # ...or while the group is already aborting.
                loop.call_soon(aio.current_task().cancel)
                await aio.sleep(0)

    task = aio.create_task(parent_cancelled_after_failure())
    try:
        await task
    except ExceptionGroup as eg:
        say("errors:", [repr(e) for e in eg.exceptions], "task cancelling", task.cancelling())
    except aio.CancelledError:
        say("cancelled")


async def group_misuse(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()

    async def nothing() -> None:
        pass

    group = aio.TaskGroup()
    coro = nothing()
    try:
        group.create_task(coro)
    except RuntimeError as exc:
        say(exc)
    coro.close()
    async with group:
        try:
            async with group:
                pass
        except RuntimeError as exc:
            say(exc)
    coro = nothing()
    try:
        group.create_task(coro)
    except RuntimeError as exc:
        say(exc)
    coro.close()

    async def failing() -> None:
        raise ValueError("x")

    late: list[str] = []
    try:
        async with aio.TaskGroup() as aborting:
            aborting.create_task(failing())
            try:
                await aio.sleep(1)
            except aio.CancelledError:
                coro = nothing()
                try:
                    aborting.create_task(coro)
                except RuntimeError as exc:
                    late.append(str(exc))
                coro.close()
                raise
    except ExceptionGroup:
        say(late)

    outcome = loop.create_future()

    def enter_from_callback() -> None:
        try:
            aio.TaskGroup().__aenter__().send(None)
        except RuntimeError as exc:
            outcome.set_result(str(exc))

    loop.call_soon(enter_from_callback)
    say(await outcome)


async def nested_groups(aio: Any, say: Say) -> None:
    cancelled: list[str] = []

    async def sleeper(name: str) -> None:
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            cancelled.append(name)
            raise

    async def fails() -> None:
        await aio.sleep(Q)
        raise ValueError("deep")

    async def inner_group() -> None:
        async with aio.TaskGroup() as inner:
            inner.create_task(sleeper("inner sibling"))
            inner.create_task(fails())

    try:
        async with aio.TaskGroup() as outer:
            outer.create_task(sleeper("outer sibling"))
            outer.create_task(inner_group())
    except ExceptionGroup as eg:
        inner_eg = eg.exceptions[0]
        say("outer group of", [type(e).__name__ for e in eg.exceptions],
            "holding", [repr(e) for e in inner_eg.exceptions])  # type: ignore[attr-defined]
    say("cancelled:", sorted(cancelled), "cancelling", aio.current_task().cancelling())

    try:
        async with aio.TaskGroup() as outer:
            async with aio.TaskGroup() as inner:
                inner.create_task(fails())
                outer.create_task(sleeper("outer child"))
                await aio.sleep(1)
    except ExceptionGroup as eg:
        say("body-nested:", [type(e).__name__ for e in eg.exceptions])


async def group_children_create_children(aio: Any, say: Say) -> None:
    async def spawner(group: Any, depth: int) -> int:
        await aio.sleep(0)
        if depth:
            group.create_task(spawner(group, depth - 1))
        say("depth", depth)
        return depth

    async with aio.TaskGroup() as group:
        group.create_task(spawner(group, 3))
    say("all done")
    late = spawner(group, 0)
    try:
        group.create_task(late)
    except RuntimeError as exc:
        say(exc)
    late.close()


async def group_base_error(aio: Any, say: Say) -> None:
    async def fails() -> None:
        await aio.sleep(0)
        raise ValueError("ordinary")

    try:
        async with aio.TaskGroup() as group:
            group.create_task(fails())
            await aio.sleep(0)
            raise SystemExit(3)
    except SystemExit as exc:
        say("SystemExit raised alone:", exc.code)


async def group_child_done_before_aexit(aio: Any, say: Say) -> None:
    async def quick() -> str:
        return "quick"

    async with aio.TaskGroup() as group:
        task = group.create_task(quick())
        await aio.sleep(0)
        await aio.sleep(0)
        say("child done inside the block:", task.done(), repr(group))
    say(task.result())


# --- shield -------------------------------------------------------------------------------------


async def shield_protects_inner(aio: Any, say: Say) -> None:
    async def work() -> str:
        await aio.sleep(2 * Q)
        say("inner finished")
        return "result"

    inner = aio.create_task(work())

    async def caller() -> str:
        return await aio.shield(inner)  # type: ignore[no-any-return]

    outer_task = aio.create_task(caller())
    await aio.sleep(Q)
    outer_task.cancel()
    try:
        await outer_task
    except aio.CancelledError:
        say("caller cancelled; inner cancelled?", inner.cancelled())
    say("inner result:", await inner)


async def shield_passes_outcomes(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    done = loop.create_future()
    done.set_result(1)
    say("a done future comes back as is:", aio.shield(done) is done)

    async def fails() -> None:
        await aio.sleep(0)
        raise ValueError("inner failed")

    try:
        await aio.shield(fails())
    except ValueError as exc:
        say("error passes through:", exc)

    pending = loop.create_future()
    outer = aio.shield(pending)
    say("outer is a new future:", outer is not pending)
    pending.cancel()
    await aio.sleep(0)
    say("inner cancelled, outer cancelled:", outer.cancelled())

    inner = loop.create_future()
    outer = aio.shield(inner)
    outer.cancel()
    await aio.sleep(0)
    inner.set_exception(KeyError("nobody listens"))
    await aio.sleep(0)
    say("outer cancelled first: the shield stopped listening, so the error is lost")


async def shield_then_catch(aio: Any, say: Say) -> None:
    async def work() -> str:
        await aio.sleep(Q)
        return "finished"

    inner = aio.create_task(work())

    async def caller() -> str:
        try:
            return await aio.shield(inner)  # type: ignore[no-any-return]
        except aio.CancelledError:
            say("caller caught the cancellation; waits for the inner task anyway")
            return await inner  # type: ignore[no-any-return]

    task = aio.create_task(caller())
    await aio.sleep(0)
    task.cancel()
    say(await task, "cancelling", task.cancelling())


PROGRAMS = [
    timeout_expires, timeout_not_reached, timeout_rescheduling, timeout_misuse,
    timeout_at_in_the_past, timeout_swallowed_inside, timeout_with_a_different_error,
    nested_timeouts, timeout_and_outside_cancel_in_one_turn,
    timeout_versus_completion_in_one_turn, timeout_around_a_task_group,
    wait_for_basics, wait_for_runs_coroutines_where, wait_for_zero,
    wait_for_inner_suppresses_cancellation, wait_for_cancelled_from_outside,
    wait_for_completion_and_cancel_in_one_step, wait_for_on_a_task_that_is_shielded,
    wait_modes, wait_on_already_done, wait_argument_errors,
    wait_cancelled_leaves_futures_alone,
    as_completed_order, as_completed_timeout, as_completed_concurrent_awaits,
    as_completed_taker_cancelled, as_completed_lazy_or_eager,
    group_happy_path, group_failure_cancels_siblings_and_body, group_several_failures,
    group_body_raises, group_cancelled_from_outside, group_outside_cancel_and_child_error,
    group_misuse, nested_groups, group_children_create_children, group_base_error,
    group_child_done_before_aexit,
    shield_protects_inner, shield_passes_outcomes, shield_then_catch,
]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_same_transcript(both_backends: Any, program: Any) -> None:
    lines = check(both_backends, program)
    assert lines, "the program said nothing"
    assert not any(line.startswith("raised:") for line in lines), lines


# Where the versions part ways, pin what each one does (the differential
# test above already demands that miniloop agrees with asyncio).
AT_LEAST_312 = sys.version_info >= (3, 12)
AT_LEAST_313 = sys.version_info >= (3, 13)
VERSION_MARKERS = {
    wait_for_completion_and_cancel_in_one_step: (
        "cancelled" if AT_LEAST_312 else "returned value, cancelling 1"),
    wait_for_runs_coroutines_where: f"runs in the caller's task: {AT_LEAST_312}",
    timeout_with_a_different_error: (
        "ValueError; context TimeoutError then CancelledError" if AT_LEAST_313
        else "ValueError; context CancelledError then None"),
    group_outside_cancel_and_child_error: str(
        ["group [\"ValueError('child')\"]", "cancelling 1"]
        + (["next await cancelled", "parent cancelled"] if AT_LEAST_313
           else ["next await went through", "parent returned"])),
    as_completed_lazy_or_eager: f"started before iterating: {AT_LEAST_313}",
    wait_argument_errors: (
        "a generator of futures works: 1 0" if AT_LEAST_312
        else "3.11 takes a generator for a coroutine: expect a list of futures, not generator"),
}


@pytest.mark.parametrize("program", list(VERSION_MARKERS), ids=lambda p: p.__name__)
def test_version_specific_behaviour(both_backends: Any, program: Any) -> None:
    lines = check(both_backends, program)
    assert VERSION_MARKERS[program] in lines, lines
