"""threads.py: the pool, wrap_future, chain_future, run_coroutine_threadsafe.

Behaviour shared with asyncio is compared in tests/differential/test_threads.py;
these tests pin the checks, the virtual-clock interplay and the helpers.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from typing import Any

import pytest

import miniloop
from miniloop import VirtualClock
from miniloop.toolkit.threads import chain_future


@pytest.fixture
def loop() -> Any:
    loop = miniloop.Loop()
    yield loop
    loop.close()


def test_run_in_executor_makes_a_default_pool_once(loop: Any) -> None:
    first = loop.run_in_executor(None, threading.get_ident)
    second = loop.run_in_executor(None, threading.get_ident)
    pool = loop._default_executor
    assert isinstance(pool, concurrent.futures.ThreadPoolExecutor)
    results = loop.run_until_complete(miniloop.gather(first, second))
    assert threading.get_ident() not in results
    assert loop._default_executor is pool


def test_run_in_executor_checks_callbacks_in_debug_mode(loop: Any) -> None:
    loop.set_debug(True)

    async def coroutine_function() -> None:
        pass

    with pytest.raises(TypeError, match=r"coroutines cannot be used with run_in_executor\(\)"):
        loop.run_in_executor(None, coroutine_function)


def test_shutdown_without_a_pool_is_a_no_op(loop: Any) -> None:
    loop.run_until_complete(loop.shutdown_default_executor())
    assert loop._default_executor is None
    with pytest.raises(RuntimeError, match="Executor shutdown has been called"):
        loop.run_in_executor(None, print)


def test_a_virtual_clock_waits_for_the_pool_instead_of_jumping() -> None:
    # The job takes real time; the timer is far away in virtual time. The
    # clock must not jump to the timer while a thread still works for us.
    async def main() -> tuple[str, bool]:
        loop = miniloop.get_running_loop()
        timer_fired: list[bool] = []
        loop.call_later(1000, timer_fired.append, True)
        result = await loop.run_in_executor(None, lambda: (time.sleep(0.02), "job")[1])
        return result, bool(timer_fired)

    assert miniloop.run(main(), clock=VirtualClock()) == ("job", False)


def test_wrap_future_asserts_its_argument(loop: Any) -> None:
    with pytest.raises(AssertionError, match=r"concurrent\.futures\.Future is expected"):
        miniloop.wrap_future(42, loop=loop)


def test_chain_future_checks_both_sides(loop: Any) -> None:
    fut = loop.create_future()
    with pytest.raises(TypeError, match="A future is required for source argument"):
        chain_future(1, fut)
    with pytest.raises(TypeError, match="A future is required for destination argument"):
        chain_future(fut, 1)
    fut.cancel()


def test_chain_future_between_loop_futures_and_cancellation_back(loop: Any) -> None:
    source, destination = loop.create_future(), loop.create_future()
    chain_future(source, destination)
    source.set_result("copied")
    assert loop.run_until_complete(destination) == "copied"
    source, destination = loop.create_future(), loop.create_future()
    chain_future(source, destination)
    destination.cancel()
    loop.run_until_complete(miniloop.sleep(0))
    assert source.cancelled()


def test_concurrent_exceptions_become_asyncio_ones(loop: Any) -> None:
    thread_side: concurrent.futures.Future[Any] = concurrent.futures.Future()
    mirror = miniloop.wrap_future(thread_side, loop=loop)
    thread_side.set_exception(concurrent.futures.InvalidStateError("x"))
    with pytest.raises(miniloop.InvalidStateError):
        loop.run_until_complete(mirror)


def test_run_coroutine_threadsafe_needs_a_coroutine(loop: Any) -> None:
    with pytest.raises(TypeError, match="A coroutine object is required"):
        miniloop.run_coroutine_threadsafe(42, loop)  # type: ignore[arg-type]


def test_run_coroutine_threadsafe_reports_a_failure_to_start(loop: Any) -> None:
    # The coroutine is fine, but the loop's task factory refuses it: the
    # thread-side future gets the error rather than hanging for ever.
    def refuse(loop: Any, coro: Any, **kwargs: Any) -> Any:
        coro.close()
        raise ValueError("factory refused")

    loop.set_task_factory(refuse)

    async def job() -> None:
        pass

    future = miniloop.run_coroutine_threadsafe(job(), loop)
    reports: list[str] = []
    loop.set_exception_handler(lambda loop, context: reports.append(context["message"]))
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert reports and reports[0].startswith("Exception in callback")
    with pytest.raises(ValueError, match="factory refused"):
        future.result(timeout=1)


def test_to_thread_runs_in_a_copy_of_the_context() -> None:
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")

    def read_and_write() -> str:
        value = var.get()
        var.set("written in the thread")
        return value

    async def main() -> tuple[str, str]:
        var.set("caller's")
        return await miniloop.to_thread(read_and_write), var.get()

    assert miniloop.run(main()) == ("caller's", "caller's")
