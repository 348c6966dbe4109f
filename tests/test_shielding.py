"""shielding.py: shield, on virtual time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import miniloop
from miniloop import CancelledError, VirtualClock


def run_virtual(main: Callable[[], Awaitable[Any]]) -> Any:
    async def wrapper() -> Any:
        return await main()

    return miniloop.run(wrapper(), clock=VirtualClock())


def test_a_done_future_is_returned_as_is() -> None:
    async def main() -> bool:
        fut = miniloop.get_running_loop().create_future()
        fut.set_result(1)
        return miniloop.shield(fut) is fut

    assert run_virtual(main) is True


def test_the_caller_is_cancelled_but_the_work_finishes() -> None:
    async def main() -> tuple[bool, str, float]:
        work = miniloop.create_task(miniloop.sleep(2, "saved"))

        async def caller() -> Any:
            return await miniloop.shield(work)

        task = miniloop.create_task(caller())
        await miniloop.sleep(1)
        task.cancel()
        with pytest.raises(CancelledError):
            await task
        still_running = not work.done()
        return still_running, await work, miniloop.get_running_loop().time()

    assert run_virtual(main) == (True, "saved", 2.0)


def test_outcomes_pass_through() -> None:
    async def fails() -> None:
        await miniloop.sleep(1)
        raise KeyError("inner")

    async def main() -> tuple[Any, str]:
        value = await miniloop.shield(miniloop.sleep(1, "value"))
        with pytest.raises(KeyError) as caught:
            await miniloop.shield(fails())
        return value, str(caught.value)

    assert run_virtual(main) == ("value", "'inner'")


def test_cancelling_the_work_itself_cancels_the_shield() -> None:
    async def main() -> bool:
        inner = miniloop.get_running_loop().create_future()
        outer = miniloop.shield(inner)
        inner.cancel()
        await miniloop.sleep(0)
        return outer.cancelled()

    assert run_virtual(main) is True


def test_a_failure_after_the_caller_left_is_reported_as_lost() -> None:
    # Once the shield's outer future is cancelled it stops listening: if the
    # work fails later, nobody has seen the error, and the loop says so.
    reports: list[str] = []

    async def main() -> None:
        loop = miniloop.get_running_loop()
        loop.set_exception_handler(lambda loop, context: reports.append(context["message"]))
        work = loop.create_future()
        outer = miniloop.shield(work)
        outer.cancel()
        await miniloop.sleep(1)
        work.set_exception(ValueError("late"))
        del work
        await miniloop.sleep(0)

    run_virtual(main)
    assert reports == ["Future exception was never retrieved"]


def test_a_failure_in_the_same_turn_as_the_cancel_counts_as_seen() -> None:
    reports: list[str] = []

    async def main() -> None:
        loop = miniloop.get_running_loop()
        loop.set_exception_handler(lambda loop, context: reports.append(context["message"]))
        work = loop.create_future()
        outer = miniloop.shield(work)
        work.set_exception(ValueError("now"))
        outer.cancel()
        await miniloop.sleep(0)
        del work

    run_virtual(main)
    assert reports == []
