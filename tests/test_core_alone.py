"""The teaching core runs on its own: ``CoreLoop`` and ``core/runners.py: run``.

A learner who reads only ``core/`` should be able to run what they read.
These programs use nothing but the core's loop, futures, tasks, sleep,
gather and run (no contract, no fast layer), and check that it keeps the
promises the core's docstrings make: FIFO turns, timers in deadline order,
leftover tasks cancelled and cleaned up at the end, errors reported, not lost.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from miniloop.core import primitives
from miniloop.core.events import CancelledError, get_running_loop
from miniloop.core.loop import CoreLoop
from miniloop.core.runners import cancel_all_tasks, new_loop, run
from miniloop.tools.virtualclock import VirtualClock


def core_loop() -> CoreLoop:
    return CoreLoop(clock=VirtualClock())


def test_run_drives_a_program_to_its_result_on_the_core_loop() -> None:
    said: list[str] = []

    async def count(name: str, naps: int) -> str:
        for _ in range(naps):
            said.append(name)
            await primitives.sleep(1)
        return name

    async def main() -> list[Any]:
        assert type(get_running_loop()) is CoreLoop
        return await primitives.gather(count("a", 2), count("b", 1))

    assert run(main(), loop_factory=core_loop) == ["a", "b"]
    assert said == ["a", "b", "a"]


def test_sleep_zero_lets_the_others_run_in_turn() -> None:
    said: list[str] = []

    async def polite(name: str) -> None:
        for turn in range(2):
            said.append(f"{name}{turn}")
            await primitives.sleep(0)

    async def main() -> None:
        await primitives.gather(polite("a"), polite("b"))

    run(main(), loop_factory=core_loop)
    assert said == ["a0", "b0", "a1", "b1"]


def test_run_cancels_the_tasks_left_and_lets_them_clean_up() -> None:
    cleaned: list[str] = []
    made: list[CoreLoop] = []

    async def forever() -> None:
        try:
            await primitives.sleep(3600)
        except CancelledError:
            cleaned.append("cancelled")
            raise

    async def main() -> str:
        primitives.create_task(forever())
        await primitives.sleep(0)
        return "done"

    def factory() -> CoreLoop:
        made.append(core_loop())
        return made[-1]

    assert run(main(), loop_factory=factory) == "done"
    assert cleaned == ["cancelled"]
    assert made[0].is_closed()


def test_a_leftover_task_that_fails_on_the_way_out_is_reported(
        caplog: pytest.LogCaptureFixture) -> None:
    async def stubborn() -> None:
        try:
            await primitives.sleep(3600)
        except CancelledError:
            raise ValueError("cleaning up went wrong") from None

    async def main() -> None:
        primitives.create_task(stubborn())
        await primitives.sleep(0)

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        run(main(), loop_factory=core_loop)
    assert "unhandled exception during asyncio.run() shutdown" in caplog.text
    assert "cleaning up went wrong" in caplog.text


def test_run_refuses_what_it_cannot_run() -> None:
    with pytest.raises(ValueError, match="a coroutine was expected"):
        run(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a loop_factory or a clock"):
        new_loop(core_loop, VirtualClock())

    async def nested() -> None:
        coro = primitives.sleep(0)
        try:
            run(coro)
        finally:
            coro.close()

    with pytest.raises(RuntimeError, match="cannot be called from a running event loop"):
        run(nested(), loop_factory=core_loop)


def test_cancel_all_tasks_on_a_loop_with_none_does_nothing() -> None:
    loop = core_loop()
    try:
        cancel_all_tasks(loop)
        assert not loop.is_running()
    finally:
        loop.close()
