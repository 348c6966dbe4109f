"""miniloop.toolkit.queues: what the differential tests cannot show on their own.

Reprs next to asyncio's, generic aliases, the version-dependent shutdown,
storage hooks for subclasses, loop binding, and back-pressure in virtual time.
"""

from __future__ import annotations

import asyncio
import re
import sys
import types
from typing import Any

import pytest

import miniloop
from miniloop.toolkit import queues

QUEUE_NAMES = ["Queue", "PriorityQueue", "LifoQueue"]


def without_addresses(text: str) -> str:
    return re.sub(r"0x[0-9a-f]+", "0x?", text)


@pytest.mark.parametrize("name", QUEUE_NAMES)
def test_str_and_repr_read_like_asyncios(name: str) -> None:
    ours, theirs = getattr(miniloop, name)(3), getattr(asyncio, name)(3)
    for queue in (ours, theirs):
        queue.put_nowait(2)
        queue.put_nowait(1)
        queue.get_nowait()
    assert str(ours) == str(theirs)
    assert without_addresses(repr(ours)) == without_addresses(repr(theirs))


def test_queue_str_shows_items_and_unfinished_tasks() -> None:
    queue: miniloop.Queue[int] = miniloop.Queue()
    queue.put_nowait(1)
    assert str(queue) == "<Queue maxsize=0 _queue=[1] tasks=1>"


@pytest.mark.parametrize("name", QUEUE_NAMES)
def test_subscripting_gives_a_plain_generic_alias(name: str) -> None:
    alias = getattr(miniloop, name)[int]
    assert isinstance(alias, types.GenericAlias)
    assert alias.__origin__ is getattr(miniloop, name)


def test_exception_classes_are_asyncios() -> None:
    assert miniloop.QueueEmpty is asyncio.QueueEmpty
    assert miniloop.QueueFull is asyncio.QueueFull


@pytest.mark.skipif(sys.version_info < (3, 13), reason="shutdown is new in 3.13")
def test_shutdown_exists_on_313() -> None:
    assert miniloop.QueueShutDown is asyncio.QueueShutDown
    queue: miniloop.Queue[int] = miniloop.Queue()
    queue.shutdown()
    with pytest.raises(asyncio.QueueShutDown):
        queue.put_nowait(1)
    assert str(queue) == "<Queue maxsize=0 shutdown>"


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="before 3.13 only")
def test_no_shutdown_before_313() -> None:
    assert not hasattr(miniloop, "QueueShutDown")
    assert not hasattr(miniloop.Queue(), "shutdown")
    assert "QueueShutDown" not in queues.__all__


def test_subclasses_choose_their_storage() -> None:
    class SortedQueue(miniloop.Queue[int]):
        def _init(self, maxsize: int) -> None:
            self._queue = []

        def _put(self, item: int) -> None:
            self._queue.append(item)
            self._queue.sort(reverse=True)

        def _get(self) -> int:
            return self._queue.pop()  # type: ignore[no-any-return]

    queue = SortedQueue()
    for item in (5, 1, 3):
        queue.put_nowait(item)
    assert [queue.get_nowait() for _ in range(3)] == [1, 3, 5]


def test_a_queue_binds_to_the_first_loop_it_waits_on() -> None:
    queue: miniloop.Queue[int] = miniloop.Queue()

    async def wait_then_feed() -> None:
        getter = miniloop.create_task(queue.get())
        await miniloop.sleep(0)
        queue.put_nowait(1)
        await getter
        queue.task_done()

    miniloop.run(wait_then_feed())

    async def get_on_another_loop() -> str:
        try:
            await queue.get()
        except RuntimeError as exc:
            return str(exc)
        return "no error"

    assert without_addresses(miniloop.run(get_on_another_loop())) == (
        "<Queue at 0x? maxsize=0> is bound to a different event loop")


def test_back_pressure_in_virtual_time() -> None:
    # A fast producer and a slow consumer: with maxsize=2 the producer is
    # held back to the consumer's pace once the queue is full.
    clock = miniloop.VirtualClock()
    queue: miniloop.Queue[int] = miniloop.Queue(maxsize=2)
    put_at: list[int] = []

    async def producer() -> None:
        loop = miniloop.get_running_loop()
        start = loop.time()
        for item in range(5):
            await queue.put(item)
            put_at.append(round(loop.time() - start))

    async def consumer() -> None:
        for _ in range(5):
            await miniloop.sleep(1)
            await queue.get()
            queue.task_done()

    async def main() -> None:
        await miniloop.gather(producer(), consumer())
        await queue.join()

    miniloop.run(main(), clock=clock)
    assert put_at == [0, 0, 1, 2, 3]


def test_queues_work_on_asyncios_own_loop() -> None:
    async def main() -> list[Any]:
        queue: miniloop.LifoQueue[str] = miniloop.LifoQueue(1)
        putter = asyncio.create_task(queue.put("b"))
        await queue.put("a")  # never waits: the putter task has not run yet
        got = [await queue.get()]
        await putter
        got.append(await queue.get())
        got.append(type(putter).__module__)
        return got

    assert asyncio.run(main()) == ["a", "b", "_asyncio"]


def test_a_subclass_that_redefines_put_nowait_or_full_sees_them_called() -> None:
    # put() and get() skip their method calls only for the plain Queue: code
    # written for asyncio may override these and expect put()/get() to use them.
    calls: list[str] = []

    class Watched(miniloop.Queue[int]):
        def put_nowait(self, item: int) -> None:
            calls.append(f"put_nowait({item})")
            super().put_nowait(item)

        def full(self) -> bool:
            calls.append("full")
            return super().full()

        def get_nowait(self) -> int:
            calls.append("get_nowait")
            return super().get_nowait()

    async def main() -> int:
        queue = Watched(maxsize=2)
        await queue.put(7)
        return await queue.get()

    assert miniloop.run(main()) == 7
    assert calls == ["full", "put_nowait(7)", "full", "get_nowait"]
    assert miniloop.Queue._plain and miniloop.PriorityQueue._plain and not Watched._plain
