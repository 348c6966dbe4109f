"""asyncio's own objects and functions, running on miniloop's loop.

Libraries create ``asyncio.Task`` and ``asyncio.Future`` directly (aiohttp
does on 3.12+) and call asyncio's ``gather``, ``wait_for``, ``timeout``,
``TaskGroup``, ``Queue``, ``Lock``, ``shield`` and ``to_thread``. These
programs do exactly that, whatever ``aio`` is, and mix in ``aio``'s own
tasks and futures: on the miniloop backends, asyncio's objects then wait
on miniloop's and the other way round. The transcript must not change.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

from tests.differential.harness import Say


async def asyncio_task_created_directly(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    ours = loop.create_future()  # the loop's own future class

    async def waits_on_ours() -> str:
        say("asyncio task waits on a loop future")
        return await ours

    task = asyncio.Task(waits_on_ours(), name="direct")
    say("type is asyncio's:", type(task) is asyncio.Task, "loop:", task.get_loop() is loop)
    await aio.sleep(0)
    ours.set_result("filled")
    say("awaited by the main task ->", await task)
    say("current task inside:", await asyncio.Task(current_name(), name="named"))
    future = asyncio.Future()
    say("asyncio.Future gets the running loop:", future.get_loop() is loop)
    loop.call_soon(future.set_result, "asyncio future filled")

    async def ours_waits() -> Any:
        return await future

    say(await aio.create_task(ours_waits(), name="ours"))


async def current_name() -> str:
    return asyncio.current_task().get_name()


async def cancelling_across_kinds(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    inner = loop.create_future()

    async def waits() -> None:
        try:
            await inner
        except asyncio.CancelledError as exc:
            say("asyncio task cancelled through the loop future:", exc.args, inner.cancelled())
            raise

    task = asyncio.Task(waits(), name="waiter")
    await aio.sleep(0)
    task.cancel("stop")
    try:
        await task
    except asyncio.CancelledError:
        say("outer sees the cancellation:", task.cancelled())

    async def ours() -> None:
        await asyncio.sleep(10)

    mine = aio.create_task(ours(), name="mine")
    waiting_on_mine = asyncio.Task(wait_for_it(mine), name="on-mine")
    await aio.sleep(0)
    waiting_on_mine.cancel()
    await asyncio.sleep(0)
    say("cancelling the asyncio task cancels what it awaits:", mine.cancelled())
    say("and itself:", waiting_on_mine.cancelled())


async def wait_for_it(awaitable: Any) -> Any:
    return await awaitable


async def asyncio_combinators(aio: Any, say: Say) -> None:
    async def job(n: int, delay: float = 0.001) -> int:
        await asyncio.sleep(delay)
        return n

    say("gather:", await asyncio.gather(job(1), aio.create_task(job(2)), job(3, 0)))
    say("wait_for:", await asyncio.wait_for(job(4), timeout=1))
    try:
        await asyncio.wait_for(job(5, 1), timeout=0.005)
    except TimeoutError:
        say("wait_for timed out")
    done, pending = await asyncio.wait([aio.create_task(job(6)), asyncio.ensure_future(job(7))])
    say("wait:", sorted(t.result() for t in done), len(pending))
    order = [await f for f in asyncio.as_completed([job(8, 0.003), job(9, 0.001)])]
    say("as_completed:", order)
    shielded = aio.create_task(job(10, 0.002))
    outer = asyncio.ensure_future(asyncio.shield(shielded))
    await asyncio.sleep(0)
    outer.cancel()
    say("shield:", await shielded, outer.cancelled())


async def asyncio_timeouts_and_groups(aio: Any, say: Say) -> None:
    try:
        async with asyncio.timeout(0.005) as cm:
            await asyncio.sleep(1)
    except TimeoutError:
        say("timeout expired:", cm.expired())

    async def child(n: int) -> int:
        await asyncio.sleep(0.001 * n)
        if n == 3:
            raise ValueError("child 3")
        return n

    try:
        async with asyncio.TaskGroup() as group:
            for n in range(1, 5):
                group.create_task(child(n))
    except* ValueError as failures:
        say("TaskGroup failed with:", [str(e) for e in failures.exceptions])

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(child(n)) for n in (1, 2)]
    say("TaskGroup results:", [t.result() for t in tasks])


async def asyncio_sync_objects(aio: Any, say: Say) -> None:
    queue: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
    lock = asyncio.Lock()
    event = asyncio.Event()

    async def producer() -> None:
        for n in range(3):
            await queue.put(n)
            say("put", n)
        await queue.join()
        say("all consumed")

    async def consumer() -> None:
        while True:
            n = await queue.get()
            async with lock:
                say("got", n)
                await asyncio.sleep(0)
            queue.task_done()
            if n == 2:
                event.set()

    consumer_task = aio.create_task(consumer())
    await asyncio.gather(producer(), event.wait())
    consumer_task.cancel()
    semaphore = asyncio.Semaphore(1)
    condition = asyncio.Condition()
    async with semaphore, condition:
        say("locked:", semaphore.locked(), condition.locked())


async def asyncio_to_thread(aio: Any, say: Say) -> None:
    say("to_thread:", await asyncio.to_thread(sum, [1, 2, 3]))
    loop = aio.get_running_loop()
    say("run_in_executor:", await loop.run_in_executor(None, max, 4, 5))


async def asyncio_eager_factory(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    loop.set_task_factory(asyncio.eager_task_factory)

    async def immediate() -> str:
        say("runs inside create_task")
        return "eager"

    task = loop.create_task(immediate())
    say("done at once:", task.done(), task.result())
    say("gather of eager tasks:", await asyncio.gather(immediate(), immediate()))
    loop.set_task_factory(None)


async def asyncio_runner_functions(aio: Any, say: Say) -> None:
    say("running loop is aio's:", asyncio.get_running_loop() is aio.get_running_loop())
    say("get_event_loop inside:", asyncio.get_event_loop() is aio.get_running_loop())
    say("current task:", asyncio.current_task() is aio.current_task())
    say("all tasks:", asyncio.all_tasks() == aio.all_tasks())
    say("isfuture of the loop's future:", asyncio.isfuture(aio.get_running_loop().create_future()))
    coro = wait_for_it(None)
    say("iscoroutine:", asyncio.iscoroutine(coro), aio.iscoroutine(coro))
    coro.close()


PROGRAMS = [
    asyncio_task_created_directly, cancelling_across_kinds, asyncio_combinators,
    asyncio_timeouts_and_groups, asyncio_sync_objects, asyncio_to_thread,
    asyncio_runner_functions,
]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_same_transcript(both_backends: Any, program: Any) -> None:
    transcript = both_backends.run(program)
    assert transcript.same, transcript.diff
    assert not any(line.startswith(("raised:", "handler:")) for line in transcript["asyncio"])


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are 3.12+")
def test_asyncio_eager_task_factory(both_backends: Any) -> None:
    transcript = both_backends.run(asyncio_eager_factory)
    assert transcript.same, transcript.diff
    assert "done at once: True eager" in transcript["miniloop"]
