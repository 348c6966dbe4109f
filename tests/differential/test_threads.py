"""Threads: the thread pool, and calling into the loop from other threads.

Programs run on asyncio, on miniloop, and with asyncio's functions on
miniloop's loop. Threads only ever hand results back; what the transcript
records happens on the loop's thread, in an order fixed by the program.
"""

from __future__ import annotations

import concurrent.futures
import sys
import threading
import time
import warnings
from typing import Any

import pytest

from tests.differential.harness import Say


def slow_square(x: int, delay: float = 0.005) -> int:
    time.sleep(delay)
    return x * x


def fail_in_thread() -> None:
    raise ValueError("from the pool")


async def run_in_executor_results(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    future = loop.run_in_executor(None, slow_square, 7)
    say("a loop future:", aio.isfuture(future), future.get_loop() is loop)
    say("result", await future)
    results = await aio.gather(*(loop.run_in_executor(None, slow_square, i) for i in range(4)))
    say("gathered", results)
    try:
        await loop.run_in_executor(None, fail_in_thread)
    except ValueError as exc:
        say("exception crosses over:", repr(exc))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        say("own pool:", await loop.run_in_executor(pool, slow_square, 3))


async def default_executor(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    names: list[str] = []
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="mine")
    loop.set_default_executor(pool)
    await loop.run_in_executor(None, lambda: names.append(threading.current_thread().name))
    say("ran in the default pool set:", names[0].startswith("mine"))
    try:
        loop.set_default_executor(concurrent.futures.ProcessPoolExecutor())
    except TypeError as exc:
        say("TypeError:", exc)
    await loop.shutdown_default_executor()
    try:
        loop.run_in_executor(None, print)
    except RuntimeError as exc:
        say("after shutdown:", exc)
    say("pool shut down:", pool._shutdown)


async def to_thread_calls(aio: Any, say: Say) -> None:
    say("to_thread:", await aio.to_thread(slow_square, 5))
    say("keyword arguments:", await aio.to_thread(slow_square, 2, delay=0.001))
    try:
        await aio.to_thread(fail_in_thread)
    except ValueError as exc:
        say("raises:", repr(exc))
    say("other thread:", await aio.to_thread(threading.current_thread) is not
        threading.current_thread())


async def call_soon_threadsafe_wakes_the_loop(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    woken = loop.create_future()

    def from_thread() -> None:
        time.sleep(0.02)
        loop.call_soon_threadsafe(woken.set_result, "woken by a thread")

    thread = threading.Thread(target=from_thread)
    thread.start()
    # Nothing else is scheduled: the loop sleeps in its selector until the
    # thread's write to the self-pipe wakes it.
    say(await woken)
    thread.join()


async def run_coroutine_threadsafe_both_ways(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()

    async def add(a: int, b: int) -> int:
        await aio.sleep(0.001)
        return a + b

    async def fails() -> None:
        raise KeyError("inside")

    async def forever() -> None:
        await aio.sleep(10)

    outcomes: list[str] = []

    def from_thread() -> None:
        future = aio.run_coroutine_threadsafe(add(2, 3), loop)
        outcomes.append(f"is a concurrent future: {isinstance(future, concurrent.futures.Future)}")
        outcomes.append(f"result {future.result(timeout=5)}")
        failing = aio.run_coroutine_threadsafe(fails(), loop)
        try:
            failing.result(timeout=5)
        except KeyError as exc:
            outcomes.append(f"raises {exc!r}")
        hanging = aio.run_coroutine_threadsafe(forever(), loop)
        time.sleep(0.01)
        outcomes.append(f"cancel from the thread: {hanging.cancel()}")
        try:
            hanging.result(timeout=5)
        except concurrent.futures.CancelledError:
            outcomes.append("cancelled")

    await aio.to_thread(from_thread)
    for line in outcomes:
        say(line)
    try:
        aio.run_coroutine_threadsafe(42, loop)
    except TypeError as exc:
        say("TypeError:", exc)


async def wrap_future_follows(aio: Any, say: Say) -> None:
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        done = pool.submit(slow_square, 6)
        wrapped = aio.wrap_future(done)
        say("wrapped:", aio.isfuture(wrapped), await wrapped)
        failing = aio.wrap_future(pool.submit(fail_in_thread))
        try:
            await failing
        except ValueError as exc:
            say("raises", repr(exc))
        loop_future = aio.get_running_loop().create_future()
        say("a loop future is returned as is:", aio.wrap_future(loop_future) is loop_future)
        loop_future.cancel()
        blocker = threading.Event()
        running = pool.submit(blocker.wait, 5)
        queued = pool.submit(slow_square, 1)
        wrapped_queued = aio.wrap_future(queued)
        wrapped_queued.cancel()
        await aio.sleep(0)
        say("cancelling the wrapper cancels the queued job:", queued.cancelled())
        blocker.set()
        running.result()
        concurrently_cancelled = concurrent.futures.Future()
        follower = aio.wrap_future(concurrently_cancelled)
        concurrently_cancelled.cancel()
        try:
            await follower
        except aio.CancelledError:
            say("a cancelled concurrent future cancels the follower")


async def executor_shutdown_timeout(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    loop.run_in_executor(None, time.sleep, 0.05)
    await aio.sleep(0.001)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await loop.shutdown_default_executor(timeout=0.01)
    say("warned:", [str(w.message) for w in caught])


PROGRAMS = [
    run_in_executor_results, default_executor, to_thread_calls,
    call_soon_threadsafe_wakes_the_loop, run_coroutine_threadsafe_both_ways,
    wrap_future_follows,
]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_same_transcript(both_backends: Any, program: Any) -> None:
    transcript = both_backends.run(program)
    assert transcript.same, transcript.diff
    assert not any(line.startswith(("raised:", "handler:")) for line in transcript["asyncio"])


@pytest.mark.skipif(sys.version_info < (3, 12), reason="the timeout argument is 3.12+")
def test_shutdown_default_executor_gives_up_after_timeout(both_backends: Any) -> None:
    transcript = both_backends.run(executor_shutdown_timeout)
    assert transcript.same, transcript.diff
    if sys.version_info >= (3, 13):
        warned = "['The executor did not finishing joining its threads within 0.01 seconds.']"
    else:  # 3.12 waits for the pool first, and only then applies the timeout
        warned = "[]"
    assert transcript["miniloop"] == [f"warned: {warned}"]
