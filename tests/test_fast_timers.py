"""fast/timers.py: timers armed, cancelled, compared and forgotten in one frame.

Each speed-up is pinned against the plain loop (and the fast loop without
it): the same timer object, the same heap, the same count of cancelled
timers, the same transcript. ``TimedLoop`` is the fast loop with the
mixin on top, as ``assembly.py`` stacks it.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from typing import Any

import pytest

import miniloop
from miniloop.assembly import FastLoop, Loop
from miniloop.contract import objects
from miniloop.fast import timers
from miniloop.fast.loop import FastLoopMixin
from tests.fast_checks import (
    LoopMaker,
    Program,
    Say,
    assert_same_on,
    plain_loop,
    skip_in_plain_mode,
    slot_values,
)

pytestmark = skip_in_plain_mode


TimedLoop: Any = FastLoop  # assembly.py stacks the mixin on the fast loop


def test_the_fast_loop_has_the_mixin() -> None:
    assert issubclass(TimedLoop, timers.TimersMixin)


class UntimedLoop(FastLoopMixin, Loop):
    """The fast loop of fast/loop.py alone: what the mixin's timers are compared with."""


LOOPS: dict[str, LoopMaker] = {
    "plain": plain_loop,
    "fast": UntimedLoop,
    "timed": TimedLoop,
}


def assert_same_everywhere(program: Program, *, real_time: bool = False) -> list[str]:
    """The transcript of ``program`` on the plain loop, checked equal on the other two."""
    return assert_same_on(LOOPS, program, real_time=real_time)


def test_the_timed_loop_is_the_fast_loop_with_the_mixin_first() -> None:
    loop = TimedLoop()
    try:
        assert not loop.plain and isinstance(loop, FastLoopMixin)
        mro = type(loop).__mro__
        assert mro.index(timers.TimersMixin) < mro.index(FastLoopMixin)
    finally:
        loop.close()


# --- call_at and call_later -----------------------------------------------------------------


def test_call_at_makes_the_timer_the_fast_loop_makes() -> None:
    fast, timed = UntimedLoop(), TimedLoop()
    try:
        context = contextvars.copy_context()
        made = [loop.call_at(12.5, print, "x", context=context) for loop in (fast, timed)]
        assert type(made[0]) is objects.TimerHandle and type(made[1]) is timers.TimerHandle
        mine, theirs = slot_values(made[1]), slot_values(made[0])
        assert mine.pop("_loop") is timed and theirs.pop("_loop") is fast
        assert mine == theirs
        assert [entry[:2] for entry in timed._timers] == [entry[:2] for entry in fast._timers]
        assert timed._timers[0][2] is made[1]
        # No context given: a copy of the caller's, as on the fast loop.
        assert timed.call_later(1, print)._context is not context
    finally:
        fast.close()
        timed.close()


def test_call_at_asks_any_other_clock_for_the_order() -> None:
    loop = TimedLoop(clock=miniloop.VirtualClock())
    try:
        first, second = loop.call_at(5, print), loop.call_at(5, print)
        assert (first._order, second._order) != (0, 0)
        assert [entry[1] for entry in sorted(loop._timers)] == [first._order, second._order]
    finally:
        loop.close()


@pytest.mark.parametrize("state", ["debug", "closed", "watched", "no time"])
def test_call_at_takes_the_plain_steps_when_it_must(state: str) -> None:
    loop = TimedLoop()
    heard: list[str] = []
    try:
        if state == "debug":
            loop.set_debug(True)
            assert loop.call_at(1, print)._source_traceback  # the plain steps remember it
        elif state == "closed":
            loop.close()
            with pytest.raises(RuntimeError, match="Event loop is closed"):
                loop.call_at(1, print)
        elif state == "watched":
            class Watcher:
                def __getattr__(self, moment: str) -> Any:
                    return lambda *args: heard.append(moment)

            loop.observer = Watcher()
            loop.call_at(1, print).cancel()
            assert heard == ["timer_armed", "timer_cancelled"]
        else:
            plain = miniloop.Loop(plain=True)
            try:
                with pytest.raises(TypeError) as expected:
                    plain.call_later(None, print)  # type: ignore[arg-type]
            finally:
                plain.close()
            with pytest.raises(TypeError) as raised:
                loop.call_later(None, print)
            assert str(raised.value) == str(expected.value)
    finally:
        loop.observer = None
        loop.close()


# --- cancelling ---------------------------------------------------------------------------------


def cancelled_state(make_loop: Callable[..., Any], debug: bool = False) -> list[Any]:
    loop = make_loop()
    try:
        loop.set_debug(debug)
        now = loop.time()
        armed, fired = loop.call_at(now + 100, str, "armed"), loop.call_at(now - 1, str, "fired")
        loop._run_once()  # 'fired' leaves the heap (and runs)
        fired.cancel()  # no longer in the heap: not counted
        armed.cancel()
        armed.cancel()  # twice: counted once
        return [loop._cancelled_timers, armed.cancelled(), armed._callback, armed._args,
                fired._callback, repr(armed).split(" when=")[0], len(loop._timers)]
    finally:
        loop.close()


@pytest.mark.parametrize("debug", [False, True])
def test_a_timer_cancels_as_the_plain_one_does(debug: bool) -> None:
    plain = cancelled_state(LOOPS["plain"], debug)
    assert cancelled_state(LOOPS["timed"], debug) == plain == cancelled_state(LOOPS["fast"], debug)
    assert plain[:2] == [1, True]


def test_timers_with_one_deadline_come_due_in_the_plain_heap_s_order() -> None:
    def order(make_loop: Callable[..., Any]) -> list[int]:
        ran: list[int] = []
        loop = make_loop()
        try:
            now = loop.time()
            # Many equal deadlines (aiohttp rounds its timeouts up to the second),
            # some cancelled: the heap compares the timers themselves.
            handles = [loop.call_at(now - (i % 3), ran.append, i) for i in range(40)]
            for handle in handles[::7]:
                handle.cancel()
            loop._run_once()
            return ran
        finally:
            loop.close()

    plain = order(LOOPS["plain"])
    assert order(LOOPS["timed"]) == plain == order(LOOPS["fast"])
    assert len(plain) == 40 - len(range(0, 40, 7))


def test_a_fast_timer_compares_as_the_contract_s() -> None:
    loop = TimedLoop()
    try:
        early, late = loop.call_at(1.0, print), loop.call_at(2.0, print)
        same = loop.call_at(1.0, print)
        assert early < late and not late < early and not early < same
        assert early <= same and late > early and late >= early
        assert early == same and early != late  # asyncio's equality: when, callback, args
        assert early.__lt__(object()) is NotImplemented
    finally:
        loop.close()


# --- forgetting cancelled timers ----------------------------------------------------------------


@pytest.mark.parametrize("armed,cancelled", [(10, 3), (150, 60), (150, 120)])
def test_cancelled_timers_are_forgotten_as_the_fast_loop_forgets_them(armed: int,
                                                                      cancelled: int) -> None:
    def heap_after(make_loop: Callable[..., Any]) -> list[Any]:
        loop = make_loop()
        try:
            handles = [loop.call_at(1000.0 + i, print) for i in range(armed)]
            for handle in handles[:cancelled]:  # the earliest: the top of the heap
                handle.cancel()
            handles[-1].cancel()
            loop._forget_cancelled_timers()
            return [len(loop._timers), loop._cancelled_timers,
                    sum(handle._scheduled for handle in handles),
                    [entry[0] for entry in sorted(loop._timers)]]
        finally:
            loop.close()

    fast = heap_after(LOOPS["fast"])
    assert heap_after(LOOPS["timed"]) == fast
    assert fast[0] == armed - cancelled - (1 if cancelled > armed / 2 and armed > 100 else 0)


# --- whole programs -----------------------------------------------------------------------------


async def timeouts(say: Say) -> Any:
    loop = asyncio.get_running_loop()
    for limit in (0.5, 2.0):
        try:
            async with asyncio.timeout(1.0) as scope:
                await asyncio.sleep(limit)
                say(f"slept {limit} within {scope.when()!r}")
        except TimeoutError:
            say(f"{limit}: timed out")
    async with asyncio.timeout(5) as scope:
        scope.reschedule(loop.time() + 10)  # cancels the timer and arms another
        await asyncio.sleep(6)
        say("rescheduled: still running")
    try:
        await asyncio.wait_for(asyncio.sleep(3), 1)
    except TimeoutError:
        say("wait_for timed out")
    later = [loop.call_later(delay, say, f"later {delay}") for delay in (0.3, 0.1, 0.2, 0.1)]
    later[2].cancel()
    at = loop.call_at(loop.time() + 0.1, say, "at, same deadline")
    await asyncio.sleep(0.5)
    say(f"{at.cancelled()} {later[2].cancelled()} {loop._cancelled_timers}")
    return "done"


def test_timeouts_run_the_same_on_the_timed_loop() -> None:
    lines = assert_same_everywhere(timeouts)
    assert "1.0: timed out" not in lines and "2.0: timed out" in lines
    assert "later 0.2" not in lines and lines[-1] == "returned 'done'"


async def aiohttp_requests(say: Say) -> Any:
    aiohttp = pytest.importorskip("aiohttp")
    from aiohttp import web

    async def hello(request: Any) -> Any:
        return web.Response(text=f"hello {request.query.get('n')}")

    handler = web.Server(hello, access_log=None)  # aiohttp's low-level server
    listener = await asyncio.get_running_loop().create_server(handler, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]

    async def client(name: str) -> list[str]:
        got = []
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
            for n in range(3):
                async with session.get(f"http://127.0.0.1:{port}/?n={name}{n}") as response:
                    got.append(f"{response.status} {await response.text()}")
        return got

    for got in await asyncio.gather(client("a"), client("b")):
        say(repr(got))
    listener.close()
    await listener.wait_closed()
    await handler.shutdown()
    return "done"


def test_aiohttp_runs_the_same_on_the_timed_loop() -> None:
    lines = assert_same_everywhere(aiohttp_requests, real_time=True)
    assert "['200 hello a0', '200 hello a1', '200 hello a2']" in lines
