"""loop.py (and its mixins): callbacks, timers, running, stopping, closing.

The order of events and the messages are pinned against asyncio in
tests/differential/; these tests pin the loop's own mechanics: turns,
the timer heap, the self-pipe, debug mode, the exception handler.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import threading
import time
from typing import Any

import pytest

import miniloop
from miniloop import Handle, VirtualClock


@pytest.fixture
def loop() -> Any:
    loop = miniloop.Loop()
    yield loop
    loop.close()


def run_turns(loop: Any, turns: int) -> None:
    for _ in range(turns):
        loop._run_once()


def run_one_turn_without_sleeping(loop: Any) -> None:
    loop.call_soon(lambda: None)  # something ready: the loop polls, never sleeps
    loop._run_once()


def test_callbacks_run_in_order_and_new_ones_wait_a_turn(loop: Any) -> None:
    seen: list[str] = []

    def first() -> None:
        seen.append("first")
        loop.call_soon(seen.append, "scheduled by first")

    loop.call_soon(first)
    loop.call_soon(seen.append, "second")
    run_turns(loop, 1)
    assert seen == ["first", "second"]
    run_turns(loop, 1)
    assert seen == ["first", "second", "scheduled by first"]


def test_call_soon_passes_arguments_and_returns_a_handle(loop: Any) -> None:
    seen: list[tuple[int, int]] = []
    handle = loop.call_soon(lambda a, b: seen.append((a, b)), 1, 2)
    assert isinstance(handle, Handle) and not handle.cancelled()
    run_turns(loop, 1)
    assert seen == [(1, 2)]


def test_a_cancelled_handle_does_not_run_and_drops_its_callback(loop: Any) -> None:
    seen: list[int] = []
    handle = loop.call_soon(seen.append, 1)
    handle.cancel()
    handle.cancel()  # twice is fine
    run_turns(loop, 1)
    assert seen == [] and handle.cancelled()
    assert handle._callback is None and handle._args is None
    assert repr(handle) == "<Handle cancelled>"


def test_timers_fire_in_deadline_order_on_virtual_time() -> None:
    loop = miniloop.Loop(clock=VirtualClock())
    seen: list[tuple[str, float]] = []
    try:
        for name, delay in [("c", 3), ("a", 1), ("b", 2), ("a2", 1)]:
            loop.call_later(delay, lambda n=name: seen.append((n, loop.time())))
        loop.call_later(4, loop.stop)
        loop.run_forever()
    finally:
        loop.close()
    assert seen == [("a", 1.0), ("a2", 1.0), ("b", 2.0), ("c", 3.0)]


def test_call_at_and_call_later_refuse_none(loop: Any) -> None:
    with pytest.raises(TypeError, match="when cannot be None"):
        loop.call_at(None, print)
    with pytest.raises(TypeError, match="delay must not be None"):
        loop.call_later(None, print)


def test_timer_handles_compare_by_deadline_only_with_timers(loop: Any) -> None:
    early = loop.timer_class(1.0, print, (), loop)
    late = loop.timer_class(2.0, print, (), loop)
    twin = loop.timer_class(1.0, print, (), loop)
    assert early < late and late > early and early <= twin and early >= twin
    assert early == twin and hash(early) == hash(twin)
    with pytest.raises(TypeError):
        early < ()  # noqa: B015
    assert early.when() == 1.0
    assert repr(early).startswith("<TimerHandle when=1.0 print()")


def test_cancelled_timers_are_swept_out_of_a_big_heap(loop: Any) -> None:
    timers = [loop.call_later(100 + i, print) for i in range(200)]
    for timer in timers[:150]:
        timer.cancel()
    assert len(loop._timers) == 200 and loop._cancelled_timers == 150
    run_one_turn_without_sleeping(loop)
    assert len(loop._timers) == 50 and loop._cancelled_timers == 0
    assert all(not t._scheduled for t in timers[:150])


def test_a_cancelled_timer_at_the_head_is_dropped(loop: Any) -> None:
    first = loop.call_later(100, print)
    loop.call_later(200, print)
    first.cancel()
    run_one_turn_without_sleeping(loop)
    assert [entry[-1] for entry in loop._timers] != [first] and len(loop._timers) == 1


def test_a_task_is_its_own_ready_queue_entry(loop: Any) -> None:
    async def work() -> None:
        pass

    task = loop.create_task(work())
    if loop.plain:  # the plain loop wraps each step in a Handle
        assert loop._ready[-1]._callback == task._step
    else:
        assert loop._ready[-1] is task  # no Handle wraps it
    loop.run_until_complete(task)


def test_run_until_complete_returns_and_raises(loop: Any) -> None:
    async def value() -> int:
        return 5

    async def boom() -> None:
        raise KeyError("x")

    assert loop.run_until_complete(value()) == 5
    with pytest.raises(KeyError):
        loop.run_until_complete(boom())
    fut = loop.create_future()
    loop.call_soon(fut.set_result, "future")
    assert loop.run_until_complete(fut) == "future"


def test_stop_ends_run_forever_after_the_current_turn(loop: Any) -> None:
    seen: list[str] = []
    loop.call_soon(seen.append, "a")
    loop.call_soon(loop.stop)
    loop.call_soon(seen.append, "b")  # same turn as stop: still runs
    loop.run_forever()
    assert seen == ["a", "b"] and not loop.is_running()


def test_is_running_only_inside_run(loop: Any) -> None:
    seen: list[bool] = []
    loop.call_soon(lambda: seen.append(loop.is_running()))
    loop.call_soon(loop.stop)
    assert not loop.is_running()
    loop.run_forever()
    assert seen == [True] and not loop.is_running()


def test_another_thread_wakes_a_sleeping_loop(loop: Any) -> None:
    # Nothing is scheduled, so the loop sleeps in select() with no timeout;
    # only the self-pipe can wake it.
    fut = loop.create_future()
    threading.Timer(0.02, loop.call_soon_threadsafe, (fut.set_result, "woken")).start()
    assert loop.run_until_complete(fut) == "woken"


def test_close_releases_everything_and_is_final() -> None:
    loop = miniloop.Loop()
    loop.call_soon(print)
    loop.call_later(10, print)
    ssock = loop._ssock
    loop.close()
    assert loop.is_closed() and not loop._ready and not loop._timers
    assert ssock.fileno() == -1
    loop.close()
    with pytest.raises(RuntimeError, match="Event loop is closed"):
        loop.call_soon(print)


def test_an_unclosed_loop_warns_and_closes_when_collected() -> None:
    loop = miniloop.Loop()
    ssock = loop._ssock
    with pytest.warns(ResourceWarning, match="unclosed event loop <(Fast)?Loop running=False"):
        del loop
        gc.collect()
    assert ssock.fileno() == -1


def test_a_running_loop_cannot_be_closed(loop: Any) -> None:
    async def close_me() -> None:
        loop.close()

    with pytest.raises(RuntimeError, match="Cannot close a running event loop"):
        loop.run_until_complete(close_me())


def test_asyncgen_hooks_are_installed_only_while_running(loop: Any) -> None:
    before = sys.get_asyncgen_hooks()

    async def hooks() -> Any:
        return sys.get_asyncgen_hooks()

    inside = loop.run_until_complete(hooks())
    assert inside.firstiter == loop._asyncgen_firstiter_hook
    assert sys.get_asyncgen_hooks() == before


def test_shutdown_asyncgens_closes_them_all_at_once(loop: Any) -> None:
    closed: list[int] = []

    async def numbers(n: int) -> Any:
        try:
            yield n
            yield n
        finally:
            closed.append(n)

    generators = [numbers(n) for n in range(3)]

    async def start(generator: Any) -> None:
        await generator.__anext__()  # the first iteration registers it

    for generator in generators:
        loop.run_until_complete(start(generator))
    assert len(loop._asyncgens) == 3
    loop.run_until_complete(loop.shutdown_asyncgens())
    assert sorted(closed) == [0, 1, 2]
    late = numbers(9)
    with pytest.warns(ResourceWarning, match="after loop.shutdown_asyncgens"):
        loop.run_until_complete(start(late))
    loop.run_until_complete(late.aclose())


def test_the_repr_says_the_state(loop: Any) -> None:
    assert repr(loop) == f"<{type(loop).__name__} running=False closed=False debug=False>"


# --- the exception handler ------------------------------------------------------------


def test_a_failing_callback_is_reported_and_the_loop_goes_on(loop: Any) -> None:
    contexts: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda loop, context: contexts.append(context))

    def broken() -> None:
        raise ValueError("callback")

    handle = loop.call_soon(broken)
    loop.call_soon(loop.stop)
    loop.run_forever()
    [context] = contexts
    assert context["message"].startswith("Exception in callback "
                                         "test_a_failing_callback_is_reported_and_the_loop_goes_on"
                                         ".<locals>.broken() at ")
    assert context["handle"] is handle and isinstance(context["exception"], ValueError)


def test_keyboard_interrupt_from_a_callback_is_not_swallowed(loop: Any) -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    loop.call_soon(interrupt)
    with pytest.raises(KeyboardInterrupt):
        loop.run_forever()


def test_default_handler_logs_message_context_and_traceback(
        loop: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        try:
            raise ValueError("v")
        except ValueError as exc:
            loop.call_exception_handler({"message": "Something broke", "exception": exc,
                                         "answer": 42})
    [record] = caplog.records
    assert record.getMessage() == "Something broke\nanswer: 42"
    assert record.exc_info is not None and record.exc_info[0] is ValueError


def test_a_broken_custom_handler_falls_back_to_the_default(
        loop: Any, caplog: pytest.LogCaptureFixture) -> None:
    def broken(loop: Any, context: dict[str, Any]) -> None:
        raise RuntimeError("handler broke")

    loop.set_exception_handler(broken)
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        loop.call_exception_handler({"message": "original"})
    [record] = caplog.records
    assert record.getMessage().startswith("Unhandled error in exception handler\ncontext: ")
    assert "original" in record.getMessage()


def test_exception_handler_must_be_callable(loop: Any) -> None:
    with pytest.raises(TypeError, match="A callable object or None is expected"):
        loop.set_exception_handler(42)
    handler = lambda loop, context: None  # noqa: E731
    loop.set_exception_handler(handler)
    assert loop.get_exception_handler() is handler
    loop.set_exception_handler(None)
    assert loop.get_exception_handler() is None


@pytest.mark.skipif(sys.version_info < (3, 12), reason="3.12+ runs the handler in context")
def test_the_custom_handler_runs_in_the_culprits_context(loop: Any) -> None:
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="loop")
    seen: list[str] = []
    loop.set_exception_handler(lambda loop, context: seen.append(var.get()))
    context = contextvars.copy_context()
    context.run(var.set, "callback's")
    loop.call_soon(lambda: 1 / 0, context=context)
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert seen == ["callback's"]


# --- debug mode --------------------------------------------------------------------------


def test_debug_mode_reports_slow_callbacks(loop: Any, caplog: pytest.LogCaptureFixture) -> None:
    loop.set_debug(True)
    loop.slow_callback_duration = 0.01
    loop.call_soon(time.sleep, 0.02)
    loop.call_soon(loop.stop)
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        loop.run_forever()
    assert any(r.getMessage().startswith("Executing <Handle sleep(0.02)") for r in caplog.records)


def test_debug_mode_checks_callbacks_and_threads(loop: Any) -> None:
    loop.set_debug(True)

    async def coroutine_function() -> None:
        pass

    with pytest.raises(TypeError, match=r"coroutines cannot be used with call_soon\(\)"):
        loop.call_soon(coroutine_function)
    with pytest.raises(TypeError, match="a callable object was expected by call_at"):
        loop.call_later(1, 42)
    errors: list[BaseException] = []

    async def main() -> None:
        def from_thread() -> None:
            try:
                loop.call_soon(print)
            except RuntimeError as exc:
                errors.append(exc)

        thread = threading.Thread(target=from_thread)
        thread.start()
        thread.join()

    loop.run_until_complete(main())
    assert "Non-thread-safe operation" in str(errors[0])


def test_debug_mode_remembers_where_things_were_made(loop: Any) -> None:
    loop.set_debug(True)
    handle = loop.call_soon(print)
    timer = loop.call_later(1, print)
    fut = loop.create_future()
    here = (__file__, "test_debug_mode_remembers_where_things_were_made")
    for made in (handle, timer):
        assert (made._source_traceback[-1].filename, made._source_traceback[-1].name) == here
    # A future is made inside create_future, and says so (as asyncio's do).
    assert fut._source_traceback[-1].name == "create_future"
    assert (fut._source_traceback[-2].filename, fut._source_traceback[-2].name) == here
    assert "created at" in repr(handle)
    timer.cancel()
    assert repr(timer).startswith("<TimerHandle cancelled when=")
    assert "print()" in repr(timer)  # debug mode keeps what it was


def test_debug_mode_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONASYNCIODEBUG", "1")
    loop = miniloop.Loop()
    assert loop.get_debug() == (not sys.flags.ignore_environment)
    loop.close()


def test_asyncio_sees_the_loop_as_an_event_loop(loop: Any) -> None:
    assert isinstance(loop, asyncio.AbstractEventLoop)

    async def main() -> bool:
        return asyncio.get_running_loop() is loop

    assert loop.run_until_complete(main())


def test_a_closed_loop_frees_its_tasks(loop: Any) -> None:
    import weakref

    async def forever() -> None:
        await asyncio.sleep(100)

    task = loop.create_task(forever())
    loop.run_until_complete(asyncio.sleep(0))
    ref = weakref.ref(task)
    task.cancel()
    loop.run_until_complete(asyncio.sleep(0))
    del task
    gc.collect()
    assert ref() is None
