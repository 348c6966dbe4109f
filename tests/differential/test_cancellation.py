"""Cancellation, every which way: the same transcript on asyncio, on
miniloop, and on asyncio's functions over miniloop's loop.

Most programs here order their events by turns of the loop (``sleep(0)``),
which is exact on every backend; the few that need time keep their events
at least one quantum (Q) apart.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from tests.differential.harness import Say

Q = 0.02


def check(both_backends: Any, program: Any) -> list[str]:
    transcript = both_backends.run(program)
    assert transcript.same, transcript.diff
    return list(transcript["asyncio"])


def outcome(task: Any) -> str:
    """How a finished task ended, as one printable word or two."""
    if task.cancelled():
        try:
            task.result()
        except BaseException as exc:
            return f"cancelled{exc.args!r}"
    exc = task.exception()
    return f"raised {exc!r}" if exc is not None else f"returned {task.result()!r}"


# --- what a cancelled task waits on ---------------------------------------------------


async def cancel_while_waiting_on_a_future(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    fut = loop.create_future()

    async def waiter() -> None:
        try:
            await fut
        except aio.CancelledError as exc:
            say("waiter got CancelledError", exc.args)
            raise

    task = aio.create_task(waiter())
    await aio.sleep(0)
    say("cancel() says", task.cancel("because"), "cancelling", task.cancelling())
    say("the future is cancelled at once:", fut.cancelled())
    await aio.sleep(0)
    say("task:", outcome(task), "future:", outcome(fut))


async def cancel_while_waiting_on_a_task(aio: Any, say: Say) -> None:
    async def inner() -> str:
        try:
            await aio.sleep(1)
        except aio.CancelledError as exc:
            say("inner cancelled", exc.args)
            raise
        return "inner done"

    async def outer(child: Any) -> str:
        try:
            return await child  # type: ignore[no-any-return]
        except aio.CancelledError as exc:
            say("outer cancelled", exc.args)
            raise

    child = aio.create_task(inner())
    task = aio.create_task(outer(child))
    await aio.sleep(0)
    task.cancel("stop")
    say("child cancelling right away:", child.cancelling())
    for _ in range(3):
        await aio.sleep(0)
    say("outer:", outcome(task), "inner:", outcome(child))


async def cancel_while_waiting_on_a_task_that_refuses(aio: Any, say: Say) -> None:
    # The inner task swallows the cancellation and returns: the outer task
    # then gets the value, and its own cancellation is lost (only counted).
    async def stubborn() -> str:
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            say("inner refuses")
        return "inner value"

    async def outer(child: Any) -> str:
        value = await child
        say("outer carries on with", value, "cancelling", aio.current_task().cancelling())
        await aio.sleep(0)
        return "outer finished"

    child = aio.create_task(stubborn())
    task = aio.create_task(outer(child))
    await aio.sleep(0)
    task.cancel()
    await aio.sleep(Q)
    say("outer:", outcome(task))


async def cancel_while_waiting_on_a_gather(aio: Any, say: Say) -> None:
    events: list[str] = []

    async def child(n: int) -> int:
        try:
            await aio.sleep(n)
        except aio.CancelledError as exc:
            events.append(f"child {n} cancelled {exc.args}")
            raise
        return n

    async def waiter() -> Any:
        return await aio.gather(child(1), child(2))

    task = aio.create_task(waiter())
    await aio.sleep(0)
    await aio.sleep(0)  # the children have started
    task.cancel("gather stop")
    for _ in range(4):
        await aio.sleep(0)
    say(events, "waiter:", outcome(task))


async def cancel_while_waiting_on_a_shield(aio: Any, say: Say) -> None:
    async def work() -> str:
        await aio.sleep(Q)
        return "work done"

    inner = aio.create_task(work())

    async def waiter() -> Any:
        try:
            return await aio.shield(inner)
        except aio.CancelledError as exc:
            say("waiter cancelled", exc.args, "inner running:", not inner.done())
            raise

    task = aio.create_task(waiter())
    await aio.sleep(0)
    task.cancel("shielded")
    await aio.sleep(0)
    say("waiter:", outcome(task))
    say("inner:", await inner)

    # The shielded work cancelled by someone else: the waiter is cancelled too.
    inner = aio.create_task(work())
    task = aio.create_task(waiter())
    await aio.sleep(0)
    inner.cancel("from elsewhere")
    for _ in range(3):
        await aio.sleep(0)
    say("waiter when the work itself is cancelled:", outcome(task))


# --- when a task is cancelled ------------------------------------------------------------


async def cancel_before_the_first_step(aio: Any, say: Say) -> None:
    started: list[bool] = []

    async def body() -> None:
        started.append(True)

    task = aio.create_task(body())
    say("first cancel", task.cancel("early"), "second", task.cancel("later"),
        "cancelling", task.cancelling())
    await aio.sleep(0)
    say("body ran:", bool(started), "task:", outcome(task))
    say("cancel a done task:", task.cancel(), "cancelling", task.cancelling())


async def cancel_while_ready(aio: Any, say: Say) -> None:
    # The future is done and the task is already queued to resume: the
    # cancellation still wins, at that very await.
    loop = aio.get_running_loop()
    fut = loop.create_future()

    async def waiter() -> str:
        try:
            value = await fut
        except aio.CancelledError:
            say("cancelled although the future had a result:", fut.result())
            raise
        return f"got {value}"

    task = aio.create_task(waiter())
    await aio.sleep(0)
    fut.set_result("value")
    task.cancel()
    await aio.sleep(0)
    say("task:", outcome(task))


async def catch_and_carry_on(aio: Any, say: Say) -> None:
    async def resilient() -> str:
        me = aio.current_task()
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            say("caught; cancelling", me.cancelling())
        await aio.sleep(0)
        say("a later await works")
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            say("caught again; cancelling", me.cancelling(), "uncancel ->", me.uncancel())
        say("after uncancel", me.uncancel(), me.uncancel())
        return "survived"

    task = aio.create_task(resilient())
    await aio.sleep(0)
    task.cancel()
    await aio.sleep(0)
    await aio.sleep(0)
    task.cancel()
    say("result:", await task, "cancelling", task.cancelling())


async def task_cancels_itself(aio: Any, say: Say) -> None:
    async def at_next_await() -> str:
        aio.current_task().cancel("self")
        say("still running after cancel()")
        await aio.sleep(0)
        return "not reached"

    async def without_awaiting() -> str:
        aio.current_task().cancel("self, then return")
        return "returned anyway?"

    for body in (at_next_await, without_awaiting):
        task = aio.create_task(body())
        await aio.sleep(0)
        await aio.sleep(0)
        say(body.__name__, outcome(task))


async def cancel_during_cleanup(aio: Any, say: Say) -> None:
    async def careful() -> None:
        try:
            await aio.sleep(1)
        finally:
            say("cleaning up")
            try:
                await aio.sleep(1)
            except aio.CancelledError as exc:
                say("cleanup interrupted", exc.args)
                raise

    task = aio.create_task(careful())
    await aio.sleep(0)
    task.cancel("first")
    await aio.sleep(0)
    task.cancel("second")
    await aio.sleep(0)
    say("task:", outcome(task), "cancelling", task.cancelling())


async def cancel_messages_down_a_chain(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    fut = loop.create_future()

    async def bottom() -> None:
        await fut

    async def middle(task: Any) -> None:
        await task

    low = aio.create_task(bottom())
    high = aio.create_task(middle(low))
    await aio.sleep(0)
    high.cancel("from the top")
    for _ in range(3):
        await aio.sleep(0)
    say("future:", outcome(fut), "low:", outcome(low), "high:", outcome(high))
    try:
        await high
    except aio.CancelledError as exc:
        say("awaiting it raises", exc.args, "context", type(exc.__context__).__name__)


async def uncancel_withdraws_a_request(aio: Any, say: Say) -> None:
    # cancel() then uncancel() before the task runs: 3.13 withdraws the
    # request entirely; 3.11/3.12 still deliver the CancelledError.
    async def body() -> str:
        await aio.sleep(0)
        return "ran to the end"

    task = aio.create_task(body())
    task.cancel()
    say("uncancel ->", task.uncancel())
    await aio.sleep(0)
    await aio.sleep(0)
    say("task:", outcome(task))


# --- gather's cancellation rules --------------------------------------------------------------


async def gather_outer_cancelled(aio: Any, say: Say) -> None:
    for return_exceptions in (False, True):
        events: list[str] = []

        async def child(n: int, events: list[str] = events) -> int:
            try:
                await aio.sleep(1)
            except aio.CancelledError:
                events.append(f"child {n} cancelled")
                raise
            return n

        outer = aio.gather(child(1), child(2), return_exceptions=return_exceptions)
        await aio.sleep(0)
        say("cancel() ->", outer.cancel("outer msg"))
        try:
            say("result", await outer)
        except aio.CancelledError as exc:
            say("return_exceptions", return_exceptions, "raises CancelledError", exc.args, events)


async def gather_child_cancelled(aio: Any, say: Say) -> None:
    async def slow(n: int) -> int:
        await aio.sleep(n * Q)
        return n

    first = aio.create_task(slow(1))
    second = aio.create_task(slow(3))
    outer = aio.gather(first, second)
    await aio.sleep(0)
    first.cancel("only this child")
    try:
        await outer
    except aio.CancelledError as exc:
        say("outer fails with the child's cancellation", exc.args,
            "outer.cancelled()", outer.cancelled(), "sibling still running", not second.done())
    say("sibling finishes:", await second)

    first = aio.create_task(slow(1))
    outer = aio.gather(first, slow(2), return_exceptions=True)
    await aio.sleep(0)
    first.cancel("collected")
    results = await outer
    say("collected:", [type(r).__name__ + repr(getattr(r, "args", r)) for r in results])


async def gather_after_failure(aio: Any, say: Say) -> None:
    async def fails() -> None:
        await aio.sleep(0)
        raise ValueError("first")

    async def slow() -> str:
        await aio.sleep(Q)
        return "slow done"

    survivor = aio.create_task(slow())
    outer = aio.gather(fails(), survivor)
    try:
        await outer
    except ValueError as exc:
        say("failed with", exc, "cancel() afterwards ->", outer.cancel())
    say("the sibling was not cancelled:", await survivor)


async def gather_done_children_cancel(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    fut = loop.create_future()
    outer = aio.gather(fut)
    fut.set_result("x")
    say("cancel with every child done ->", outer.cancel(), "outer done", outer.done())
    say(await outer)

    done = loop.create_future()
    done.set_result("ready")
    failed = loop.create_future()
    failed.set_exception(KeyError("early"))
    outer = aio.gather(done, failed)
    # 3.12+ looks at children that are already done right away.
    say("outer done at once:", outer.done())
    try:
        await outer
    except KeyError as exc:
        say("raised", repr(exc))

    task = aio.create_task(aio.sleep(0, "twice"))
    say("the same child twice:", await aio.gather(task, task))
    say("nothing:", await aio.gather())


async def gather_cancelled_after_children_finish(aio: Any, say: Say) -> None:
    # All children finished in this turn but the outer future has not heard
    # yet: cancelling it reports False, and the results still arrive.
    loop = aio.get_running_loop()
    futs = [loop.create_future() for _ in range(2)]
    outer = aio.gather(*futs)
    for i, fut in enumerate(futs):
        fut.set_result(i)
    say("cancel() ->", outer.cancel())
    say("results:", await outer)

    # One child cancelled, the others cancelled by cancelling the outer
    # future: the CancelledError raised is the last child's.
    async def sleeper() -> None:
        await aio.sleep(1)

    children = [aio.create_task(sleeper(), name=f"child-{i}") for i in range(3)]
    outer = aio.gather(*children, return_exceptions=True)
    await aio.sleep(0)
    children[1].cancel("one child")
    outer.cancel("all")
    try:
        await outer
    except aio.CancelledError as exc:
        say("raised", exc.args)


# --- counting cancellations: timeouts and task groups --------------------------------------------


async def cancelling_counts_with_timeouts(aio: Any, say: Say) -> None:
    task = aio.current_task()
    try:
        async with aio.timeout(0):
            say("inside, cancelling", task.cancelling())
            await aio.sleep(1)
    except TimeoutError:
        say("after the timeout, cancelling", task.cancelling())

    async def victim() -> None:
        me = aio.current_task()
        try:
            async with aio.timeout(10):
                await aio.sleep(1)
        except aio.CancelledError:
            say("victim: the outside cancel passes through the timeout; cancelling",
                me.cancelling())
            raise

    v = aio.create_task(victim())
    await aio.sleep(0)
    v.cancel()
    await aio.sleep(0)
    say("victim:", outcome(v))

    async def timed_out_then_cancelled() -> None:
        me = aio.current_task()
        try:
            async with aio.timeout(0):
                try:
                    await aio.sleep(1)
                finally:
                    me.cancel("outside, during the timeout's unwinding")
        except TimeoutError:
            say("not reached: two requests, only one was the timeout's")
        except aio.CancelledError as exc:
            say("CancelledError kept", exc.args, "cancelling", me.cancelling())
            raise

    t = aio.create_task(timed_out_then_cancelled())
    for _ in range(3):
        await aio.sleep(0)
    say("task:", outcome(t))


async def cancelling_counts_with_task_groups(aio: Any, say: Say) -> None:
    async def fails() -> None:
        await aio.sleep(0)
        raise ValueError("child failed")

    async def parent() -> None:
        me = aio.current_task()
        try:
            async with aio.TaskGroup() as group:
                group.create_task(fails())
                try:
                    await aio.sleep(1)
                except aio.CancelledError:
                    say("body cancelled by the group; cancelling", me.cancelling())
                    raise
        except ExceptionGroup:
            say("after the group, cancelling", me.cancelling())
        await aio.sleep(0)
        say("the parent carries on")

    task = aio.create_task(parent())
    await task
    say("parent:", outcome(task))

    async def parent_waiting_in_exit() -> None:
        me = aio.current_task()
        try:
            async with aio.TaskGroup() as group:
                group.create_task(fails())
        except ExceptionGroup:
            # 3.11/3.12 forget to take back the group's cancel request here.
            say("failure while waiting in __aexit__; cancelling", me.cancelling())

    task = aio.create_task(parent_waiting_in_exit())
    await task


async def timeout_inside_task_group_child(aio: Any, say: Say) -> None:
    async def child_with_timeout() -> str:
        try:
            async with aio.timeout(Q):
                await aio.sleep(1)
        except TimeoutError:
            return "child timed out and recovered"
        return "no timeout"

    async with aio.TaskGroup() as group:
        task = group.create_task(child_with_timeout())
    say(task.result(), "cancelling", aio.current_task().cancelling())


async def nested_timeouts_inside_cancelled_task(aio: Any, say: Say) -> None:
    async def nested() -> None:
        async with aio.timeout(10):
            async with aio.timeout(10):
                await aio.sleep(1)

    task = aio.create_task(nested())
    await aio.sleep(0)
    task.cancel("outside")
    await aio.sleep(0)
    say("outside cancel through two timeouts:", outcome(task))


# --- wait_for and cancellation ------------------------------------------------------------------


async def wait_for_cancel_message(aio: Any, say: Say) -> None:
    async def sleeper() -> None:
        try:
            await aio.sleep(1)
        except aio.CancelledError as exc:
            say("inner sees", exc.args)
            raise

    async def waiter() -> None:
        await aio.wait_for(sleeper(), 10)

    task = aio.create_task(waiter())
    await aio.sleep(0)
    await aio.sleep(0)
    task.cancel("message")
    for _ in range(4):
        await aio.sleep(0)
    say("waiter:", outcome(task))


async def wait_for_timeout_with_stubborn_inner(aio: Any, say: Say) -> None:
    async def stubborn() -> str:
        for _ in range(2):
            try:
                await aio.sleep(1)
            except aio.CancelledError:
                say("swallowed")
        return "stubborn result"

    async def waiter() -> Any:
        return await aio.wait_for(stubborn(), 10)

    task = aio.create_task(waiter())
    await aio.sleep(0)
    await aio.sleep(0)
    task.cancel()
    await aio.sleep(0)
    await aio.sleep(0)
    task.cancel()
    for _ in range(4):
        await aio.sleep(0)
    say("waiter:", outcome(task) if task.done() else "still waiting")
    if not task.done():
        task.cancel()
        await aio.sleep(0)
        try:
            await task
        except BaseException as exc:
            say("finally", type(exc).__name__)


async def wait_for_none_and_zero_with_cancel(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    fut = loop.create_future()

    async def waiter() -> Any:
        return await aio.wait_for(fut, None)

    task = aio.create_task(waiter())
    await aio.sleep(0)
    task.cancel()
    await aio.sleep(0)
    say("wait_for(fut, None) cancelled:", outcome(task), "future:", outcome(fut))

    async def returns_when_cancelled() -> str:
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            return "returned on cancel"
        return "slept"

    inner = aio.create_task(returns_when_cancelled())
    await aio.sleep(0)
    say("wait_for(task, 0):", await aio.wait_for(inner, 0))


PROGRAMS = [
    cancel_while_waiting_on_a_future, cancel_while_waiting_on_a_task,
    cancel_while_waiting_on_a_task_that_refuses, cancel_while_waiting_on_a_gather,
    cancel_while_waiting_on_a_shield, cancel_before_the_first_step, cancel_while_ready,
    catch_and_carry_on, task_cancels_itself, cancel_during_cleanup,
    cancel_messages_down_a_chain, uncancel_withdraws_a_request,
    gather_outer_cancelled, gather_child_cancelled, gather_after_failure,
    gather_done_children_cancel, gather_cancelled_after_children_finish,
    cancelling_counts_with_timeouts, cancelling_counts_with_task_groups,
    timeout_inside_task_group_child, nested_timeouts_inside_cancelled_task,
    wait_for_cancel_message, wait_for_timeout_with_stubborn_inner,
    wait_for_none_and_zero_with_cancel,
]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_same_transcript(both_backends: Any, program: Any) -> None:
    lines = check(both_backends, program)
    assert lines, "the program said nothing"
    assert not any(line.startswith("raised:") for line in lines), lines


# Where the versions part ways, pin what each one does (the differential
# test above already demands that miniloop agrees with asyncio).
VERSION_MARKERS = {
    uncancel_withdraws_a_request: (
        "task: returned 'ran to the end'" if sys.version_info >= (3, 13)
        else "task: cancelled()"),
    gather_done_children_cancel: (
        f"outer done at once: {sys.version_info >= (3, 12)}"),
    cancelling_counts_with_task_groups: (
        "failure while waiting in __aexit__; cancelling "
        f"{0 if sys.version_info >= (3, 13) else 1}"),
}


@pytest.mark.parametrize("program", list(VERSION_MARKERS), ids=lambda p: p.__name__)
def test_version_specific_behaviour(both_backends: Any, program: Any) -> None:
    lines = check(both_backends, program)
    assert VERSION_MARKERS[program] in lines, lines
