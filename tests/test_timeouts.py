"""timeouts.py: timeout, timeout_at, Timeout and wait_for, on virtual time.

With a virtual clock the loop jumps straight to the next timer, so these
tests can say *exactly* when things happen.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import miniloop
from miniloop import CancelledError, Timeout, VirtualClock


def run_virtual(main: Callable[[], Awaitable[Any]]) -> Any:
    async def wrapper() -> Any:
        return await main()

    return miniloop.run(wrapper(), clock=VirtualClock())


def test_a_timeout_fires_exactly_at_its_deadline() -> None:
    async def main() -> tuple[float, bool]:
        loop = miniloop.get_running_loop()
        try:
            async with miniloop.timeout(2.5) as cm:
                assert cm.when() == 2.5
                await miniloop.sleep(10)
        except TimeoutError:
            return loop.time(), cm.expired()
        raise AssertionError("no timeout")

    assert run_virtual(main) == (2.5, True)


def test_the_timeout_error_is_caused_by_the_cancellation() -> None:
    async def main() -> BaseException:
        try:
            async with miniloop.timeout(1):
                await miniloop.sleep(2)
        except TimeoutError as exc:
            return exc
        raise AssertionError("no timeout")

    exc = run_virtual(main)
    assert type(exc) is TimeoutError
    assert isinstance(exc.__cause__, CancelledError)
    assert exc.__suppress_context__


def test_repr_shows_state_and_rounded_deadline() -> None:
    async def main() -> list[str]:
        seen = []
        cm = miniloop.timeout_at(1.23456)
        seen.append(repr(cm))
        async with cm:
            seen.append(repr(cm))
        seen.append(repr(cm))
        return seen

    assert run_virtual(main) == [
        "<Timeout [created]>", "<Timeout [active] when=1.235>", "<Timeout [finished]>"]


def test_reschedule_later_earlier_and_away() -> None:
    async def main() -> list[float]:
        loop = miniloop.get_running_loop()
        fired_at = []
        async with miniloop.timeout(1) as cm:
            cm.reschedule(3)
            await miniloop.sleep(2)  # past the first deadline: nothing happens
            cm.reschedule(None)
            await miniloop.sleep(5)
        try:
            async with miniloop.timeout(10) as cm:
                cm.reschedule(loop.time() + 0.5)
                await miniloop.sleep(10)
        except TimeoutError:
            fired_at.append(loop.time())
        return [loop.time() - 0.5, *fired_at]

    before, fired = run_virtual(main)
    assert fired == before + 0.5 == 7.5


def test_an_overdue_deadline_fires_on_the_next_turn() -> None:
    async def main() -> list[str]:
        steps = []
        try:
            async with miniloop.timeout_at(-1):
                steps.append("entered")
                await miniloop.sleep(0)
                steps.append("not reached")
        except TimeoutError:
            steps.append("timeout")
        return steps

    assert run_virtual(main) == ["entered", "timeout"]


@pytest.mark.parametrize(("prepare", "message"), [
    ("fresh", "Timeout has not been entered"),
    ("finished", "Cannot change state of finished Timeout"),
    ("expired", "Cannot change state of expired Timeout"),
])
def test_reschedule_outside_the_block_is_refused(prepare: str, message: str) -> None:
    async def main() -> str:
        cm = Timeout(None)
        if prepare == "finished":
            async with cm:
                pass
        elif prepare == "expired":
            cm = Timeout(0)
            with pytest.raises(TimeoutError):
                async with cm:
                    await miniloop.sleep(1)
        with pytest.raises(RuntimeError) as caught:
            cm.reschedule(1)
        return str(caught.value)

    assert run_virtual(main) == message


def test_a_timeout_cannot_be_entered_twice() -> None:
    async def main() -> str:
        cm = miniloop.timeout(None)
        async with cm:
            with pytest.raises(RuntimeError) as caught:
                async with cm:
                    pass
        return str(caught.value)

    assert run_virtual(main) == "Timeout has already been entered"


def test_a_timeout_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="no running event loop"):
        miniloop.timeout(1)


def test_a_swallowed_timeout_leaves_the_block_normally() -> None:
    async def main() -> tuple[bool, int]:
        async with miniloop.timeout(1) as cm:
            try:
                await miniloop.sleep(5)
            except CancelledError:
                pass
        return cm.expired(), miniloop.current_task().cancelling()

    assert run_virtual(main) == (True, 0)


def test_an_outside_cancellation_is_not_mistaken_for_the_timeout() -> None:
    async def main() -> str:
        loop = miniloop.get_running_loop()

        async def guarded() -> str:
            async with miniloop.timeout_at(5.0):
                await miniloop.sleep(10)
            return "returned"

        task = miniloop.create_task(guarded())
        await miniloop.sleep(0)
        # The same deadline, after the timeout's timer in the heap: the task
        # is cancelled twice in one turn, and only one request is the timeout's.
        loop.call_at(5.0, task.cancel, "outside")
        try:
            await task
        except CancelledError:
            return f"cancelled at {loop.time()}, cancelling {task.cancelling()}"
        return "not cancelled"

    assert run_virtual(main) == "cancelled at 5.0, cancelling 1"


def test_equal_nested_deadlines_are_reported_by_the_outer_block() -> None:
    async def main() -> tuple[str, bool, bool]:
        try:
            async with miniloop.timeout_at(3) as outer:
                try:
                    async with miniloop.timeout_at(3) as inner:
                        await miniloop.sleep(10)
                except TimeoutError:
                    return "inner", inner.expired(), outer.expired()
        except TimeoutError:
            return "outer", inner.expired(), outer.expired()
        return "none", False, False

    assert run_virtual(main) == ("outer", True, True)


# --- wait_for ---------------------------------------------------------------------------------


def test_wait_for_returns_the_result_in_time() -> None:
    async def main() -> tuple[str, float]:
        value = await miniloop.wait_for(miniloop.sleep(2, "done"), 3)
        return value, miniloop.get_running_loop().time()

    assert run_virtual(main) == ("done", 2.0)


def test_wait_for_times_out_and_cancels_the_awaitable() -> None:
    async def main() -> tuple[float, bool]:
        loop = miniloop.get_running_loop()
        fut = loop.create_future()
        with pytest.raises(TimeoutError):
            await miniloop.wait_for(fut, 1.5)
        return loop.time(), fut.cancelled()

    assert run_virtual(main) == (1.5, True)


def test_wait_for_zero_never_starts_a_coroutine() -> None:
    started = []

    async def body() -> None:
        started.append(True)

    async def main() -> BaseException | None:
        try:
            await miniloop.wait_for(body(), 0)
        except TimeoutError as exc:
            return exc.__cause__
        return None

    assert isinstance(run_virtual(main), CancelledError)
    assert started == []


def test_wait_for_none_simply_awaits() -> None:
    async def main() -> tuple[str, float]:
        return await miniloop.wait_for(miniloop.sleep(100, "late"), None), \
            miniloop.get_running_loop().time()

    assert run_virtual(main) == ("late", 100.0)


def test_wait_for_returns_what_a_stubborn_inner_task_returns() -> None:
    async def stubborn() -> str:
        try:
            await miniloop.sleep(10)
        except CancelledError:
            return "kept"
        return "slept"

    async def main() -> str:
        return await miniloop.wait_for(stubborn(), 1)

    assert run_virtual(main) == "kept"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.11's wait_for makes a task")
def test_wait_for_on_311_runs_a_coroutine_in_its_own_task() -> None:
    async def main() -> bool:
        me = miniloop.current_task()

        async def which() -> bool:
            return miniloop.current_task() is me

        return await miniloop.wait_for(which(), 1)

    assert run_virtual(main) is False


@pytest.mark.skipif(sys.version_info < (3, 12), reason="3.12 rebuilt wait_for on timeout")
def test_wait_for_on_312_runs_a_coroutine_in_the_callers_task() -> None:
    async def main() -> bool:
        me = miniloop.current_task()

        async def which() -> bool:
            return miniloop.current_task() is me

        return await miniloop.wait_for(which(), 1)

    assert run_virtual(main) is True
