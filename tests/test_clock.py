"""Clocks: real time stays asyncio's; virtual time jumps, exactly, and keeps order."""

from __future__ import annotations

import asyncio
import math
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import miniloop
from miniloop.core.clock import RealClock, new_clock
from miniloop.tools.virtualclock import VirtualClock


def run_virtual(main: Any) -> Any:
    return miniloop.run(main, clock=VirtualClock())


def test_a_virtual_clock_starts_where_it_is_told_and_only_moves_forward() -> None:
    clock = VirtualClock(5.0)
    assert clock.time() == 5.0
    clock.advance(2.5)
    assert clock.time() == 7.5
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        VirtualClock(-1)


def test_loop_time_moves_by_exactly_the_sleeps() -> None:
    stamps: list[float] = []

    async def main() -> None:
        loop = miniloop.get_running_loop()
        for delay in (1, 0.5, 0.25, 3600):
            await miniloop.sleep(delay)
            stamps.append(loop.time())

    run_virtual(main())
    assert stamps == [1.0, 1.5, 1.75, 3601.75]


def test_three_counters_take_one_virtual_second() -> None:
    lines: list[str] = []

    async def count(n: int) -> None:
        lines.append(f"One {n}")
        await miniloop.sleep(1)
        lines.append(f"Two {n} at {miniloop.get_running_loop().time()}")

    async def main() -> None:
        await miniloop.gather(count(1), count(2), count(3))

    run_virtual(main())
    assert lines == ["One 1", "One 2", "One 3",
                     "Two 1 at 1.0", "Two 2 at 1.0", "Two 3 at 1.0"]


def test_equal_deadlines_fire_in_the_order_they_were_armed() -> None:
    # Under real time these would get distinct deadlines in arming order;
    # under virtual time they are equal, and must keep that order anyway.
    fired: list[int] = []

    async def main() -> None:
        loop = miniloop.get_running_loop()
        when = loop.time() + 1
        for number in range(40):
            loop.call_at(when, fired.append, number)
        await miniloop.sleep(2)

    run_virtual(main())
    assert fired == list(range(40))


def test_sleeps_armed_in_later_turns_that_end_together_keep_arming_order() -> None:
    order: list[str] = []

    async def sleeper(name: str, first: float, second: float) -> None:
        await miniloop.sleep(first)
        await miniloop.sleep(second)
        order.append(name)

    async def main() -> None:
        # All end at t=2: "late" arms its last timer at t=1.5, after the
        # others, so under real time it would be due last.
        await miniloop.gather(sleeper("late", 1.5, 0.5), sleeper("early", 1, 1),
                              sleeper("first", 0.5, 1.5))

    run_virtual(main())
    assert order == ["first", "early", "late"]


def test_a_real_clock_orders_equal_deadlines_as_asyncio_does() -> None:
    # The real-clock path must stay asyncio's: same heap, same tie order.
    async def arm_equal_timers() -> list[int]:
        loop = asyncio.get_running_loop()
        fired: list[int] = []
        when = loop.time() + 0.01
        for number in range(25):
            loop.call_at(when, fired.append, number)
        for number in range(25, 30):
            loop.call_at(when - 0.001 * (number % 2), fired.append, number)
        await asyncio.sleep(0.03)
        return fired

    on_asyncio = asyncio.run(arm_equal_timers())
    on_miniloop = asyncio.Runner(loop_factory=miniloop.Loop).run(arm_equal_timers())
    assert on_miniloop == on_asyncio


def test_timers_far_in_the_future_still_come_due() -> None:
    # Beyond 2**23 s a nanosecond is lost in float rounding: the clock must
    # still land where the timer counts as due, or the loop would spin.
    stamps: list[float] = []

    async def main() -> None:
        loop = miniloop.get_running_loop()
        await miniloop.sleep(1e9)
        stamps.append(loop.time())
        fired = loop.create_future()
        loop.call_at(loop.time(), fired.set_result, "due now")
        stamps.append(await fired)

    run_virtual(main())
    assert stamps[0] >= 1e9
    assert stamps[1] == "due now"


def test_an_endless_sleep_can_still_be_cancelled_by_a_timer() -> None:
    async def main() -> str:
        sleeper = miniloop.create_task(miniloop.sleep(math.inf))
        await miniloop.sleep(10)
        sleeper.cancel()
        try:
            await sleeper
        except miniloop.CancelledError:
            return f"cancelled at {miniloop.get_running_loop().time()}"
        return "not cancelled"

    assert run_virtual(main()) == "cancelled at 10.0"


def test_virtual_time_waits_for_threads_before_jumping() -> None:
    async def main() -> list[str]:
        loop = miniloop.get_running_loop()
        done: list[str] = []

        async def worker() -> None:
            await loop.run_in_executor(None, time.sleep, 0.02)
            done.append("thread")

        async def timer() -> None:
            await miniloop.sleep(100)
            done.append("timer")

        await miniloop.gather(worker(), timer())
        return done

    assert run_virtual(main()) == ["thread", "timer"]


def test_virtual_time_still_sees_io_that_is_ready() -> None:
    async def main() -> tuple[bytes, float]:
        loop = miniloop.get_running_loop()
        left, right = socket.socketpair()
        left.setblocking(False)
        right.setblocking(False)
        try:
            async def send_later() -> None:
                await miniloop.sleep(5)
                right.send(b"x")

            sender = miniloop.create_task(send_later())
            data = await loop.sock_recv(left, 1)
            await sender
            return data, loop.time()
        finally:
            left.close()
            right.close()

    assert run_virtual(main()) == (b"x", 5.0)


def test_virtual_time_counts_real_waits_for_other_threads() -> None:
    async def main() -> float:
        loop = miniloop.get_running_loop()
        woken = loop.create_future()
        threading.Timer(0.02, loop.call_soon_threadsafe, (woken.set_result, None)).start()
        await woken
        return float(loop.time())

    assert run_virtual(main()) > 0


def test_virtual_time_block_gives_new_loops_a_virtual_clock() -> None:
    assert isinstance(new_clock(), RealClock)
    with miniloop.virtual_time():
        loop = miniloop.Loop()
        try:
            assert isinstance(loop._clock, VirtualClock)
        finally:
            loop.close()
        with miniloop.virtual_time(start=100.0):
            assert new_clock().time() == 100.0
        assert new_clock().time() == 0.0
    assert isinstance(new_clock(), RealClock)


@miniloop.virtual_time()
def test_virtual_time_works_as_a_decorator_and_with_asyncio_runner() -> None:
    async def main() -> float:
        await asyncio.sleep(3600)
        return asyncio.get_running_loop().time()

    assert miniloop.run(main()) == 3600.0
    assert asyncio.Runner(loop_factory=miniloop.Loop).run(main()) == 3600.0


def test_the_command_line_runs_an_hour_of_sleep_in_virtual_time(tmp_path: Path) -> None:
    program = tmp_path / "hour.py"
    program.write_text(
        "import asyncio\n"
        "async def main():\n"
        "    loop = asyncio.get_running_loop()\n"
        "    await asyncio.sleep(3600)\n"
        "    print('slept until', loop.time())\n"
        "asyncio.run(main())\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "miniloop", "--virtual-time", str(program)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "slept until 3600.0\n"


def test_virtual_time_stays_a_float_after_a_timer_at_a_whole_number() -> None:
    async def main() -> float:
        loop = miniloop.get_running_loop()
        done = loop.create_future()
        loop.call_at(5, done.set_result, None)  # an int deadline, as asyncio allows
        await done
        return loop.time()

    now = miniloop.run(main(), clock=miniloop.VirtualClock())
    assert now == 5.0 and type(now) is float
