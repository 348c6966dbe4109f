"""tasks.py (and eager.py): stepping, parking, cancelling, naming.

Compared with asyncio in tests/differential/ (and by CPython's own
test_tasks, pointed at miniloop.Task through tests/cpython); these tests
pin miniloop's own mechanics and its deliberate differences.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import types
from typing import Any

import pytest

import miniloop
from miniloop import Task


@pytest.fixture
def loop() -> Any:
    loop = miniloop.Loop()
    yield loop
    loop.close()


async def returns(value: Any) -> Any:
    return value


def test_the_first_step_runs_on_the_next_turn(loop: Any) -> None:
    started: list[bool] = []

    async def work() -> None:
        started.append(True)

    task = Task(work(), loop=loop)
    assert started == [] and not task.done()
    loop._run_once()
    assert started == [True] and task.done()


def test_a_bare_yield_takes_one_turn(loop: Any) -> None:
    steps: list[int] = []

    async def polite() -> None:
        for n in range(3):
            steps.append(n)
            await miniloop.sleep(0)

    task = loop.create_task(polite())
    for expected in ([0], [0, 1], [0, 1, 2]):
        loop._run_once()
        assert steps == expected
    loop._run_once()
    assert task.done()


def test_a_task_needs_a_miniloop_loop_and_a_coroutine(loop: Any) -> None:
    asyncio_loop = asyncio.new_event_loop()
    try:
        coro = returns(1)
        with pytest.raises(TypeError, match="needs a miniloop loop"):
            Task(coro, loop=asyncio_loop)
        coro.close()
    finally:
        asyncio_loop.close()
    with pytest.raises(TypeError, match="a coroutine was expected, got 1"):
        Task(1, loop=loop)  # type: ignore[arg-type]


def test_names_are_numbered_and_can_change(loop: Any) -> None:
    task = Task(returns(1), loop=loop)
    number = int(task.get_name().removeprefix("Task-"))
    third = loop.create_task(returns(3))  # the fast task formats its name only when asked
    assert third.get_name() == f"Task-{number + 1}"
    task.set_name("renamed")
    assert task.get_name() == "renamed"
    named = Task(returns(2), loop=loop, name=42)
    assert named.get_name() == "42"
    loop.run_until_complete(miniloop.gather(task, named, third))


def test_generator_based_coroutines_run(loop: Any) -> None:
    # A deliberate extension on 3.12+, where asyncio refuses them: the
    # genbased demo drives types.coroutine generators on miniloop.
    @types.coroutine
    def old_style() -> Any:
        yield from miniloop.sleep(0)
        return "generator"

    assert loop.run_until_complete(Task(old_style(), loop=loop)) == "generator"
    assert asyncio.iscoroutine(old_style()) is (sys.version_info < (3, 12))


def test_plain_generators_count_as_coroutines_only_on_3_11() -> None:
    def plain() -> Any:
        yield

    assert miniloop.iscoroutine(plain()) is (sys.version_info < (3, 12))
    assert miniloop.iscoroutine(plain()) is asyncio.iscoroutine(plain())


def test_cancel_before_the_first_step(loop: Any) -> None:
    ran: list[bool] = []

    async def never() -> None:
        ran.append(True)

    task = loop.create_task(never())
    assert task.cancel("early") and task.cancelling() == 1
    with pytest.raises(miniloop.CancelledError) as raised:
        loop.run_until_complete(task)
    assert ran == [] and task.cancelled() and raised.value.args == ("early",)


def test_cancel_cancels_the_awaited_future_and_keeps_it(loop: Any) -> None:
    fut = loop.create_future()

    async def waiter() -> None:
        await fut

    task = loop.create_task(waiter())
    loop._run_once()
    assert task._fut_waiter is fut
    task.cancel()
    assert fut.cancelled()
    with pytest.raises(miniloop.CancelledError):
        loop.run_until_complete(task)


def test_a_task_may_refuse_cancellation_and_uncancel(loop: Any) -> None:
    async def stubborn() -> str:
        try:
            await miniloop.sleep(10)
        except miniloop.CancelledError:
            miniloop.current_task().uncancel()
            await miniloop.sleep(0)
            return "carried on"
        return "not cancelled"

    task = loop.create_task(stubborn())
    loop.run_until_complete(miniloop.sleep(0))
    task.cancel()
    assert loop.run_until_complete(task) == "carried on"
    assert task.cancelling() == 0


def test_uncancel_withdraws_a_pending_request_on_3_13(loop: Any) -> None:
    async def work() -> str:
        return "ran"

    task = loop.create_task(work())
    task.cancel()
    assert task.uncancel() == 0
    if sys.version_info >= (3, 13):
        assert loop.run_until_complete(task) == "ran"
    else:  # before 3.13 the request stays armed
        with pytest.raises(miniloop.CancelledError):
            loop.run_until_complete(task)


def test_a_step_on_a_finished_task_is_reported(loop: Any) -> None:
    reports: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda loop, context: reports.append(context))

    async def slow() -> str:
        await miniloop.sleep(0.001)
        return "late"

    coro = slow()
    task = loop.create_task(coro)
    miniloop.Future.set_result(task, "early")  # behind the task's back
    assert loop.run_until_complete(task) == "early"
    [report] = reports
    # (Task._run() on the fast loop, where the task is its own ready entry;
    # Task._step() on the plain one, where a Handle runs the step.)
    assert report["message"].startswith(("Exception in callback Task._run()",
                                          "Exception in callback Task._step()"))
    handle = report["handle"]
    assert "already done" in str(report["exception"])
    assert handle is task or handle._callback == task._step
    coro.close()


def test_repr_and_stack_of_a_parked_task(loop: Any) -> None:
    fut = loop.create_future()

    async def parked() -> None:
        await fut

    task = loop.create_task(parked(), name="parked")
    loop._run_once()
    assert repr(task).startswith("<Task pending name='parked' coro=<test_repr_and_stack_of_")
    assert repr(task).endswith("wait_for=<Future pending cb=[Task.task_wakeup()]>>")
    assert [f.f_code.co_name for f in task.get_stack()] == ["parked"]
    task.cancel()
    assert repr(task).startswith("<Task cancelling name='parked'")
    with pytest.raises(miniloop.CancelledError):
        loop.run_until_complete(task)


def test_awaiting_a_future_of_another_loop_is_refused(loop: Any) -> None:
    other = miniloop.Loop()
    try:
        foreign = other.create_future()

        async def confused() -> None:
            await foreign

        with pytest.raises(RuntimeError, match="attached to a different loop"):
            loop.run_until_complete(confused())
    finally:
        other.close()


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are 3.12+")
def test_an_eager_task_runs_inside_create_task_as_the_current_task(loop: Any) -> None:
    seen: list[Any] = []

    async def eager_body() -> str:
        seen.append(miniloop.current_task())
        return "now"

    async def creator() -> tuple[Any, Any]:
        me = miniloop.current_task()
        task = Task(eager_body(), loop=loop, eager_start=True)
        assert miniloop.current_task() is me  # restored after the eager step
        return task, me

    task, creator_task = loop.run_until_complete(creator())
    assert seen == [task] and task.result() == "now"
    assert task.get_coro() is None  # finished at birth: let go of the coroutine
    assert creator_task.done()


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are 3.12+")
def test_an_eager_task_that_waits_becomes_a_normal_task(loop: Any) -> None:
    async def waits() -> str:
        await miniloop.sleep(0)
        return "later"

    async def creator() -> tuple[bool, bool, str]:
        loop.set_task_factory(miniloop.eager_task_factory)
        task = loop.create_task(waits())
        loop.set_task_factory(None)
        registered = task in miniloop.all_tasks()
        return task.done(), registered, await task

    assert loop.run_until_complete(creator()) == (False, True, "later")


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are 3.12+")
def test_the_eager_factory_on_an_asyncio_loop_says_to_use_asyncio_s() -> None:
    aio_loop = asyncio.new_event_loop()
    aio_loop.set_task_factory(miniloop.eager_task_factory)
    main = returns("never")
    try:
        with pytest.raises(TypeError, match=(
                r"^miniloop\.eager_task_factory makes tasks for miniloop's loops, not for "
                r"asyncio\.\w+\.\w+; on asyncio's own loops, use asyncio\.eager_task_factory$")):
            aio_loop.run_until_complete(main)
        assert inspect.getcoroutinestate(main) == inspect.CORO_CLOSED  # no "never awaited"
    finally:
        aio_loop.close()


def test_ensure_future_wraps_awaitables_and_checks_loops(loop: Any) -> None:
    fut = loop.create_future()
    assert miniloop.ensure_future(fut, loop=loop) is fut
    other = miniloop.Loop()
    try:
        with pytest.raises(ValueError, match="different loop"):
            miniloop.ensure_future(fut, loop=other)
    finally:
        other.close()
    with pytest.raises(TypeError, match=r"An asyncio\.Future, a coroutine or an awaitable"):
        miniloop.ensure_future(42, loop=loop)
    fut.cancel()
