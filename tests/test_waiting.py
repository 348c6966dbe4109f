"""waiting.py: wait and as_completed, on virtual time."""

from __future__ import annotations

import concurrent.futures
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import miniloop
from miniloop import VirtualClock


def run_virtual(main: Callable[[], Awaitable[Any]]) -> Any:
    async def wrapper() -> Any:
        return await main()

    return miniloop.run(wrapper(), clock=VirtualClock())


async def value_after(delay: float, value: Any = None) -> Any:
    await miniloop.sleep(delay)
    return value


async def fail_after(delay: float) -> None:
    await miniloop.sleep(delay)
    raise ValueError(delay)


def test_the_modes_are_the_strings_concurrent_futures_uses() -> None:
    assert miniloop.FIRST_COMPLETED == concurrent.futures.FIRST_COMPLETED
    assert miniloop.FIRST_EXCEPTION == concurrent.futures.FIRST_EXCEPTION
    assert miniloop.ALL_COMPLETED == concurrent.futures.ALL_COMPLETED


@pytest.mark.parametrize(("mode", "woken_at", "done_count"), [
    (miniloop.FIRST_COMPLETED, 1.0, 1),
    (miniloop.FIRST_EXCEPTION, 2.0, 2),
    (miniloop.ALL_COMPLETED, 3.0, 3),
])
def test_wait_wakes_when_its_condition_is_met(mode: str, woken_at: float,
                                              done_count: int) -> None:
    async def main() -> tuple[float, int, int]:
        tasks = [miniloop.create_task(value_after(1)), miniloop.create_task(fail_after(2)),
                 miniloop.create_task(value_after(3))]
        done, pending = await miniloop.wait(tasks, return_when=mode)
        now = miniloop.get_running_loop().time()
        for task in pending:
            task.cancel()
        for task in done:
            if not task.cancelled():
                task.exception()
        return now, len(done), len(pending)

    assert run_virtual(main) == (woken_at, done_count, 3 - done_count)


def test_wait_with_a_timeout_returns_the_pending_ones_uncancelled() -> None:
    async def main() -> tuple[float, bool]:
        task = miniloop.create_task(value_after(10))
        done, pending = await miniloop.wait([task], timeout=2)
        assert not done and pending == {task}
        return miniloop.get_running_loop().time(), task.cancelled()

    assert run_virtual(main) == (2.0, False)


@pytest.mark.parametrize(("argument", "error", "message"), [
    ("future", TypeError, "expect a list of futures, not Future"),
    ("empty", ValueError, "Set of Tasks/Futures is empty."),
    ("mode", ValueError, "Invalid return_when value: NEVER"),
    ("coroutine inside", TypeError, "Passing coroutines is forbidden, use tasks explicitly."),
    ("empty iterator", AssertionError, "Set of Futures is empty."),
])
def test_wait_refuses_bad_arguments(argument: str, error: type[BaseException],
                                    message: str) -> None:
    async def main() -> None:
        fut = miniloop.get_running_loop().create_future()
        coro = value_after(0)
        calls = {
            "future": lambda: miniloop.wait(fut),
            "empty": lambda: miniloop.wait([]),
            "mode": lambda: miniloop.wait([fut], return_when="NEVER"),
            "coroutine inside": lambda: miniloop.wait([coro]),
            "empty iterator": lambda: miniloop.wait(iter(())),
        }
        try:
            with pytest.raises(error) as caught:
                await calls[argument]()
            assert str(caught.value) == message
        finally:
            coro.close()

    run_virtual(main)


def test_as_completed_gives_results_in_finishing_order() -> None:
    async def main() -> list[tuple[Any, float]]:
        loop = miniloop.get_running_loop()
        tasks = [miniloop.create_task(value_after(d, d)) for d in (3, 1, 2)]
        return [(await next_one, loop.time()) for next_one in miniloop.as_completed(tasks)]

    assert run_virtual(main) == [(1, 1.0), (2, 2.0), (3, 3.0)]


def test_as_completed_times_out_for_the_ones_left() -> None:
    async def main() -> list[Any]:
        outcomes: list[Any] = []
        slow = miniloop.create_task(value_after(10))
        for next_one in miniloop.as_completed([value_after(1, "quick"), slow], timeout=2):
            try:
                outcomes.append(await next_one)
            except TimeoutError:
                outcomes.append(("timeout", miniloop.get_running_loop().time()))
        slow.cancel()
        return outcomes

    assert run_virtual(main) == ["quick", ("timeout", 2.0)]


def test_as_completed_starts_coroutines_in_the_order_given() -> None:
    # Deliberate: asyncio starts them in the order of a set (by memory
    # address); miniloop keeps the caller's order, one of asyncio's orders.
    started: list[int] = []

    async def record(n: int) -> int:
        started.append(n)
        return n

    async def main() -> None:
        for next_one in miniloop.as_completed([record(n) for n in range(8)]):
            await next_one

    run_virtual(main)
    assert started == list(range(8))


@pytest.mark.skipif(sys.version_info < (3, 13), reason="async iteration is new in 3.13")
def test_as_completed_async_iteration_gives_the_original_tasks() -> None:
    async def main() -> list[bool]:
        tasks = [miniloop.create_task(value_after(d)) for d in (2, 1)]
        return [fut is tasks[1 - i] async for i, fut in _enumerate(miniloop.as_completed(tasks))]

    assert run_virtual(main) == [True, True]


async def _enumerate(iterator: Any) -> Any:
    index = 0
    async for item in iterator:
        yield index, item
        index += 1


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="a plain generator before 3.13")
def test_as_completed_before_313_checks_nothing_until_iterated() -> None:
    async def main() -> str:
        fut = miniloop.get_running_loop().create_future()
        iterator = miniloop.as_completed(fut)  # type: ignore[arg-type]
        with pytest.raises(TypeError) as caught:
            next(iter(iterator))
        return str(caught.value)

    assert run_virtual(main) == "expect an iterable of futures, not Future"


@pytest.mark.skipif(sys.version_info < (3, 13), reason="3.13 checks at once")
def test_as_completed_from_313_checks_at_once() -> None:
    async def main() -> str:
        fut = miniloop.get_running_loop().create_future()
        with pytest.raises(TypeError) as caught:
            miniloop.as_completed(fut)  # type: ignore[arg-type]
        return str(caught.value)

    assert run_virtual(main) == "expects an iterable of awaitables, not Future"
