"""The loop meter: turns counted at the clock, virtual time that never goes back, stock loops."""

from __future__ import annotations

import asyncio
import time

import miniloop
from miniloop.tools.loopmeter import LoopMeter, MeteredRealClock, MeteredVirtualClock
from miniloop.tools.pytest_plugin import file_stem


async def sleep_and_measure(delay: float) -> float:
    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.sleep(delay)
    return loop.time() - start


def test_each_turn_of_a_loop_passes_its_clock_once() -> None:
    meter = LoopMeter()
    with asyncio.Runner(loop_factory=lambda: miniloop.Loop(clock=MeteredRealClock(meter))) as r:
        r.run(sleep_and_measure(0))
        turns = meter.counts.turns
        assert turns > 0
        r.run(sleep_and_measure(0))
    assert meter.counts.turns > turns


def test_virtual_clocks_start_where_the_latest_one_got_to() -> None:
    meter = LoopMeter()
    first = miniloop.Loop(clock=MeteredVirtualClock(meter))
    start = first.time()
    assert start >= time.monotonic() - 1  # like asyncio's loop.time(), near monotonic()
    first.run_until_complete(asyncio.sleep(3600))
    second = miniloop.Loop(clock=MeteredVirtualClock(meter))
    assert second.time() >= first.time() >= start + 3600
    assert meter.counts.virtual_seconds >= 3600
    first.close()
    second.close()


def test_a_sleep_never_measures_shorter_than_itself_at_large_clock_readings() -> None:
    meter = LoopMeter()
    meter.latest_virtual_time = 1234567.891  # a few weeks of uptime: rounding bites
    loop = miniloop.Loop(clock=MeteredVirtualClock(meter))
    for delay in (0.1, 0.2, 0.3, 1.7, 1e-3):
        for _ in range(20):
            assert loop.run_until_complete(sleep_and_measure(delay)) >= delay
    loop.close()


def test_asyncio_loops_are_noticed_once_each_while_the_meter_is_on() -> None:
    meter = LoopMeter()
    asyncio.SelectorEventLoop().close()
    assert meter.counts.stock_loops == 0
    meter.start()
    try:
        for _ in range(2):
            loop = asyncio.SelectorEventLoop()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()
        miniloop.Loop().close()
    finally:
        meter.stop()
    asyncio.SelectorEventLoop().close()
    assert meter.counts.stock_loops == 2


def test_test_ids_become_file_names() -> None:
    assert file_stem("tests/test_x.py::TestY::test_z[a/b-1]") == \
        "tests_test_x.py__TestY__test_z_a_b-1"
    long_id = "test_x.py::test_" + "y" * 300
    assert len(file_stem(long_id)) < 150
    assert file_stem(long_id) != file_stem(long_id + "z")
