"""fast/primitives.py: sleep and gather do what the core's do, with fewer objects.

Each scenario runs three ways and must print the same transcript: the
core's sleep and gather on the plain loop, the core's on the fast loop,
and the fast ones on the fast loop. Then a few tests pin the shape of the
fast versions (a sleep's future is its own timer; a gather is its own
ready entry), which is where their savings come from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

import miniloop
from miniloop.core import primitives as core_primitives
from miniloop.fast import primitives as fast_primitives
from tests.fast_checks import skip_in_plain_mode

pytestmark = skip_in_plain_mode

Scenario = Callable[[Any, Any, Callable[[str], None]], Coroutine[Any, Any, Any]]
WAYS = {
    "core on plain": (True, core_primitives),
    "core on fast": (False, core_primitives),
    "fast on fast": (False, fast_primitives),
}


def transcript(scenario: Scenario, plain: bool, impl: Any,
               caplog: pytest.LogCaptureFixture) -> list[str]:
    lines: list[str] = []
    loop = miniloop.Loop(plain=plain, clock=miniloop.VirtualClock())

    def say(text: str) -> None:
        lines.append(f"{loop.time():.3f} {text}")

    caplog.clear()
    try:
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            outcome = loop.run_until_complete(scenario(impl.sleep, impl.gather, say))
            lines.append(f"returned {outcome!r}")
    except BaseException as exc:  # the scenario's own failure is part of its transcript
        lines.append(f"raised {exc!r}")
    finally:
        loop.close()
    import gc

    gc.collect()
    lines += [record.getMessage().splitlines()[0] for record in caplog.records]
    return lines


def assert_same(scenario: Scenario, caplog: pytest.LogCaptureFixture) -> list[str]:
    seen = {way: transcript(scenario, plain, impl, caplog)
            for way, (plain, impl) in WAYS.items()}
    first = seen["core on plain"]
    for way, lines in seen.items():
        assert lines == first, f"{way} differs:\n{lines}\n{first}"
    return first


async def sleepers(sleep: Any, gather: Any, say: Any) -> Any:
    async def nap(name: str, delay: float) -> str:
        got = await sleep(delay, name)
        say(f"{name} woke with {got!r}")
        return got

    loop = miniloop.get_running_loop()
    loop.call_later(0.5, say, "timer at 0.5")
    results = await gather(nap("a", 1), nap("b", 0.5), nap("c", 0), nap("d", -1), nap("e", 0.5))
    say(f"zero sleep returns {await sleep(0, 'z')!r}")
    return results


async def cancelled_sleeper(sleep: Any, gather: Any, say: Any) -> Any:
    async def nap() -> None:
        try:
            await sleep(3600)
        except miniloop.CancelledError:
            say("nap cancelled")
            raise

    loop = miniloop.get_running_loop()
    task = loop.create_task(nap())
    await sleep(1)
    task.cancel("enough")
    try:
        await task
    except miniloop.CancelledError as exc:
        say(f"awaiter sees {exc!r}")
    say(f"timers left: {len(loop._timers)}, cancelled: {loop._cancelled_timers}")
    return task.cancelled()


async def nan_sleep(sleep: Any, gather: Any, say: Any) -> Any:
    await sleep(float("nan"))


async def failing_children(sleep: Any, gather: Any, say: Any) -> Any:
    async def ok(value: int, delay: float) -> int:
        await sleep(delay)
        return value

    async def boom(delay: float) -> int:
        await sleep(delay)
        raise ValueError(f"boom after {delay}")

    collected = await gather(ok(1, 0.1), boom(0.2), ok(3, 0), return_exceptions=True)
    say(f"collected {collected!r}")
    try:
        await gather(ok(1, 0.3), boom(0.1), boom(0.2))
    except ValueError as exc:
        say(f"first failure {exc!r}")
    await sleep(1)  # the second boom fails later; nobody looks: gather marked it seen
    return "done"


async def cancelled_gather(sleep: Any, gather: Any, say: Any) -> Any:
    async def ok(value: int, delay: float) -> int:
        await sleep(delay)
        return value

    loop = miniloop.get_running_loop()
    children = [loop.create_task(ok(i, i)) for i in range(1, 4)]
    outer = gather(*children, return_exceptions=True)
    await sleep(1.5)
    say(f"outer cancel: {outer.cancel('stop')}")
    try:
        await outer
    except miniloop.CancelledError as exc:
        say(f"outer raised {exc!r}")
    say(f"children: {[child.cancelled() or child.result() for child in children]}")
    inner = loop.create_task(ok(9, 1))
    partly = gather(inner, ok(8, 2))
    await sleep(0.5)
    inner.cancel()
    try:
        await partly
    except miniloop.CancelledError:
        say("a cancelled child cancels the gather")
    return "done"


async def shared_and_done_children(sleep: Any, gather: Any, say: Any) -> Any:
    async def ok(value: int) -> int:
        await sleep(0.1)
        return value

    loop = miniloop.get_running_loop()
    done = loop.create_future()
    done.set_result("ready")
    coro = ok(2)
    task = loop.create_task(ok(5))
    results = await gather(ok(1), coro, coro, done, task, task)
    say(f"results {results!r}")
    say(f"nested {await gather(gather(ok(1), ok(2)), gather(ok(3)))!r}")
    say(f"empty {await gather()!r}")
    return results


async def repr_while_sleeping(sleep: Any, gather: Any, say: Any) -> Any:
    async def nap() -> None:
        await sleep(10)

    loop = miniloop.get_running_loop()
    task = loop.create_task(nap())
    await sleep(0)
    await sleep(0)
    text = repr(task)
    say(text[text.index("wait_for="):])
    task.cancel()
    return await gather(task, return_exceptions=True)


async def debug_mode_midway(sleep: Any, gather: Any, say: Any) -> Any:
    async def nap(delay: float) -> float:
        await sleep(delay)
        return delay

    loop = miniloop.get_running_loop()
    pending = gather(nap(1), nap(2))
    await sleep(0.5)
    loop.set_debug(True)  # a watcher arrives while the sleeps are armed
    results = await pending
    loop.set_debug(False)
    return results


@pytest.mark.parametrize("scenario", [sleepers, cancelled_sleeper, nan_sleep, failing_children,
                                      cancelled_gather, shared_and_done_children,
                                      repr_while_sleeping, debug_mode_midway])
def test_the_fast_sleep_and_gather_do_what_the_core_s_do(
        scenario: Scenario, caplog: pytest.LogCaptureFixture) -> None:
    assert_same(scenario, caplog)


def test_equal_deadlines_keep_the_heap_s_order_with_alarms_and_timers() -> None:
    class StepClock:  # time moves only by whole seconds: deadlines armed together are equal
        resolution = 1e-9

        def __init__(self) -> None:
            self.now = 0.0

        def time(self) -> float:
            return self.now

        def wait(self, selector: Any, deadline: float | None) -> Any:
            if deadline is not None and deadline > self.now:
                self.now = deadline  # nothing to wait for but the next timer
            return selector.select(0)

        def attach(self, loop: object) -> None:
            pass

        def arming_order(self) -> int:
            return 0

    def woken(impl: Any) -> list[str]:
        order: list[str] = []
        loop = miniloop.Loop(clock=StepClock())  # type: ignore[arg-type]

        async def nap(name: str) -> None:
            await impl.sleep(1)
            order.append(name)

        async def main() -> None:
            for i in range(6):
                loop.call_later(1, order.append, f"timer {i}")
                loop.create_task(nap(f"task {i}"))
            await impl.sleep(2)

        try:
            loop.run_until_complete(main())
        finally:
            loop.close()
        return order

    assert woken(fast_primitives) == woken(core_primitives)


def test_a_fast_sleep_is_its_own_timer_and_a_fast_gather_its_own_ready_entry() -> None:
    loop = miniloop.Loop()

    async def nap() -> None:
        await fast_primitives.sleep(3600)

    async def trivial() -> int:
        return 1

    async def main() -> None:
        task = loop.create_task(nap())
        await fast_primitives.sleep(0)
        waited = task._fut_waiter
        assert loop._timers[0][2] is waited and waited.when() == loop._timers[0][0]
        assert type(waited).__name__ == "Future"  # as asyncio's reprs name it
        outer = fast_primitives.gather(trivial())
        await fast_primitives.sleep(0)  # the child finished: the outer is the ready entry
        assert loop._ready[-1] is outer
        assert await outer == [1]
        task.cancel()
        await fast_primitives.gather(task, return_exceptions=True)
        assert loop._timers == [] and loop._cancelled_timers == 0  # forgotten, as a timer is

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


def test_on_a_plain_loop_the_fast_sleep_takes_the_core_s_steps() -> None:
    loop = miniloop.Loop(plain=True)

    async def main() -> Any:
        sleeping = loop.create_task(fast_primitives.sleep(3600))
        await fast_primitives.sleep(0)
        waited = sleeping._fut_waiter
        timer = loop._timers[0][2]
        sleeping.cancel()
        return type(waited).__module__, type(timer).__name__

    try:
        assert loop.run_until_complete(main()) == ("miniloop.contract.objects", "TimerHandle")
    finally:
        loop.close()


def awaited_code(task: Any) -> list[str]:
    """The qualified names along a parked task's await chain, outermost first."""
    names = []
    awaited = task.get_coro()
    while awaited is not None:
        code = getattr(awaited, "cr_code", None) or getattr(awaited, "gi_code", None)
        if code is None:
            break
        names.append(f"{code.co_filename.rsplit('/', 2)[-2]}.{code.co_qualname}")
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return names


@pytest.mark.parametrize("delay", [0, 3600])
def test_miniloop_sleep_on_a_plain_loop_runs_the_core_s_own_sleep(delay: float) -> None:
    # What a learner reads is what runs: miniloop.sleep hands a plain loop
    # over to core/primitives.py (sleep(0) to its next_turn), and keeps its
    # own steps for fast loops only.
    chains = {}
    for plain in (True, False):
        loop = miniloop.Loop(plain=plain)

        async def main() -> list[str]:
            sleeping = miniloop.create_task(miniloop.sleep(delay))
            await miniloop.sleep(0)  # the sleeper took its first step: it parked, or yielded
            chain = awaited_code(sleeping)
            sleeping.cancel()
            await miniloop.gather(sleeping, return_exceptions=True)
            return chain

        try:
            chains[plain] = loop.run_until_complete(main())
        finally:
            loop.close()
    core_call = "core.next_turn" if delay == 0 else "core.sleep"
    assert core_call in chains[True]
    assert not any(name.startswith("core.") for name in chains[False])
    assert miniloop.sleep is fast_primitives.sleep and miniloop.gather is fast_primitives.gather
