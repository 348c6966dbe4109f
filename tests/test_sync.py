"""miniloop.toolkit.sync: what the differential tests cannot show on their own.

Loop binding across two loops, reprs compared with asyncio's own objects,
constructor errors, shared exception classes, and virtual time.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

import miniloop
from miniloop.toolkit import sync

SYNC_NAMES = ["Barrier", "BoundedSemaphore", "Condition", "Event", "Lock", "Semaphore"]


def without_addresses(text: str) -> str:
    return re.sub(r"0x[0-9a-f]+", "0x?", text)


def make(module: Any, name: str) -> Any:
    return getattr(module, name)(2) if name in {"Barrier", "BoundedSemaphore"} else \
        getattr(module, name)()


@pytest.mark.parametrize("name", SYNC_NAMES)
def test_repr_reads_like_asyncios(name: str) -> None:
    ours, theirs = make(miniloop, name), make(asyncio, name)
    assert without_addresses(repr(ours)) == without_addresses(repr(theirs))
    assert str(ours) == repr(ours)
    assert f"{id(ours):#x}" in repr(ours)


def test_a_subclass_shows_its_own_name() -> None:
    class MyLock(miniloop.Lock):
        pass

    text = repr(MyLock())
    assert text.startswith(f"<{__name__}.test_a_subclass_shows_its_own_name.<locals>.MyLock object")
    assert text.endswith(" [unlocked]>")


@pytest.mark.parametrize("name", SYNC_NAMES)
def test_the_loop_argument_is_refused_as_asyncio_does(name: str) -> None:
    messages = []
    for module in (asyncio, miniloop):
        with pytest.raises(TypeError) as caught:
            getattr(module, name)(loop=None)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


def test_exception_classes_are_asyncios() -> None:
    assert miniloop.BrokenBarrierError is asyncio.BrokenBarrierError
    assert issubclass(miniloop.BrokenBarrierError, RuntimeError)


def binding_error(module: Any, run: Any) -> str:
    """Make a lock wait on one loop, then on another; return the second loop's error."""
    lock = module.Lock()

    async def contend() -> None:
        await lock.acquire()
        waiter = module.create_task(lock.acquire())
        await module.sleep(0)
        lock.release()
        await waiter
        lock.release()

    run(contend())
    lock._locked = True  # so that the second loop has to wait

    async def wait_again() -> str:
        try:
            await lock.acquire()
        except RuntimeError as exc:
            return str(exc)
        return "no error"

    return without_addresses(run(wait_again()))


def test_an_object_binds_to_the_first_loop_it_waits_on() -> None:
    theirs = binding_error(asyncio, asyncio.run)
    ours = binding_error(miniloop, miniloop.run)
    assert ours.replace("asyncio.locks", "X") == theirs.replace("asyncio.locks", "X")
    assert ours == "<asyncio.locks.Lock object at 0x? [locked]> is bound to a different event loop"


def test_no_binding_without_waiting() -> None:
    # Uncontended use never asks for a loop, so it works on any loop, as in asyncio.
    lock, event = miniloop.Lock(), miniloop.Event()

    async def use() -> None:
        async with lock:
            event.set()
        await event.wait()

    miniloop.run(use())
    asyncio.run(use())
    assert lock._loop is None and event._loop is None


def test_binds_to_the_running_loop() -> None:
    event = miniloop.Event()

    async def wait_briefly() -> Any:
        waiter = miniloop.create_task(event.wait())
        await miniloop.sleep(0)
        event.set()
        await waiter
        return miniloop.get_running_loop()

    loop = miniloop.run(wait_briefly())
    assert event._loop is loop


def test_condition_accepts_asyncios_lock_on_miniloops_loop() -> None:
    async def main() -> list[str]:
        cond = miniloop.Condition(asyncio.Lock())
        seen: list[str] = []

        async def waiter() -> None:
            async with cond:
                await cond.wait()
                seen.append("notified")

        task = asyncio.create_task(waiter())
        await asyncio.sleep(0)
        async with cond:
            cond.notify_all()
        await task
        return seen

    with asyncio.Runner(loop_factory=miniloop.Loop) as runner:
        assert runner.run(main()) == ["notified"]


def test_lock_and_semaphore_under_virtual_time() -> None:
    clock = miniloop.VirtualClock()
    lock = miniloop.Lock()
    sem = miniloop.Semaphore(2)
    log: list[tuple[str, float]] = []

    async def worker(name: str) -> None:
        async with sem, lock:
            await miniloop.sleep(10)
            log.append((name, miniloop.get_running_loop().time()))

    async def main() -> None:
        await miniloop.gather(*(worker(name) for name in "abc"))

    miniloop.run(main(), clock=clock)
    assert [(name, round(at)) for name, at in log] == [("a", 10), ("b", 20), ("c", 30)]


def test_barrier_states_in_its_repr() -> None:
    async def main() -> list[str]:
        barrier = miniloop.Barrier(2)
        states = [repr(barrier)]
        first = miniloop.create_task(barrier.wait())
        await miniloop.sleep(0)
        states.append(repr(barrier))
        second = miniloop.create_task(barrier.wait())
        await miniloop.sleep(0)
        states.append(repr(barrier))  # tripped: the first party has not left yet
        await miniloop.gather(first, second)
        states.append(repr(barrier))
        await barrier.abort()
        states.append(repr(barrier))
        return [re.sub(r".*\[(.*)\]>", r"\1", state) for state in states]

    assert miniloop.run(main()) == [
        "filling, waiters:0/2", "filling, waiters:1/2", "draining, waiters:0/2",
        "filling, waiters:0/2", "broken",
    ]


def test_sync_objects_are_miniloops_own() -> None:
    for name in SYNC_NAMES:
        cls = getattr(miniloop, name)
        assert cls is getattr(sync, name)
        assert not issubclass(cls, getattr(asyncio, name))
