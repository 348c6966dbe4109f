"""Event, Lock, Condition, Semaphore, BoundedSemaphore, Barrier: the same transcript on
asyncio and on miniloop, including the corners where a woken waiter is cancelled."""

from __future__ import annotations

from typing import Any

import pytest

from tests.differential.harness import Say
from tests.differential.sync_backends import run_everywhere, shown


async def turns(aio: Any, n: int) -> None:
    """Let the loop run ``n`` times around."""
    for _ in range(n):
        await aio.sleep(0)


# --- Event -----------------------------------------------------------------------


async def event_wakes_every_waiter(aio: Any, say: Say) -> None:
    event = aio.Event()
    say(shown(event), event.is_set())

    async def waiter(name: str) -> None:
        say(name, "waits")
        result = await event.wait()
        say(name, "woke with", result, "is_set", event.is_set())

    tasks = [aio.create_task(waiter(name)) for name in "abc"]
    await aio.sleep(0)
    say(shown(event))
    tasks[1].cancel()
    await aio.sleep(0)
    say("b cancelled:", tasks[1].cancelled(), shown(event))
    event.set()
    event.set()  # a second set changes nothing
    say("after set:", shown(event))
    # Cleared before the waiters ran: they were woken already and still return.
    event.clear()
    await turns(aio, 2)
    say("after clear:", shown(event))
    late = aio.create_task(waiter("d"))
    await aio.sleep(0)
    say("d waits:", shown(event), late.done())
    event.set()
    say("wait on a set event returns at once:", await event.wait())
    await late
    say(shown(event))


async def event_waiter_cancelled_with_a_message(aio: Any, say: Say) -> None:
    event = aio.Event()
    task = aio.create_task(event.wait())
    await aio.sleep(0)
    task.cancel("enough")
    try:
        await task
    except aio.CancelledError as exc:
        say("cancelled with", exc.args, shown(event))


# --- Lock ------------------------------------------------------------------------


async def lock_is_fair_under_contention(aio: Any, say: Say) -> None:
    lock = aio.Lock()

    async def worker(name: str, hold: int) -> None:
        say(name, "wants it; locked:", lock.locked())
        async with lock as target:
            say(name, "has it; as-target:", target, shown(lock))
            await turns(aio, hold)
        say(name, "released; locked:", lock.locked())

    await aio.gather(worker("a", 2), worker("b", 0), worker("c", 1), worker("d", 0))
    say(shown(lock))


async def lock_newcomer_queues_behind_a_woken_waiter(aio: Any, say: Say) -> None:
    lock = aio.Lock()
    await lock.acquire()

    async def waiter(name: str) -> None:
        await lock.acquire()
        say(name, "acquired")
        await aio.sleep(0)
        lock.release()
        say(name, "released")

    task = aio.create_task(waiter("b"))
    await aio.sleep(0)
    lock.release()  # b is woken but has not run yet
    say("released with a waiter woken; locked:", lock.locked(), shown(lock))
    await lock.acquire()  # main may not jump ahead of b: it queues
    say("main acquired after b; b done:", task.done())
    lock.release()


async def lock_woken_waiter_cancelled_passes_it_on(aio: Any, say: Say) -> None:
    lock = aio.Lock()
    await lock.acquire()

    async def waiter(name: str) -> None:
        try:
            async with lock:
                say(name, "has the lock")
                await aio.sleep(0)
        except aio.CancelledError:
            say(name, "cancelled; locked:", lock.locked())
            raise

    b = aio.create_task(waiter("b"))
    c = aio.create_task(waiter("c"))
    await aio.sleep(0)
    say(shown(lock))
    lock.release()  # wakes b ...
    b.cancel()  # ... which is cancelled before it can run: c must get the lock
    await aio.gather(b, c, return_exceptions=True)
    say("b cancelled:", b.cancelled(), "c done:", c.done(), shown(lock))


async def lock_waiter_cancelled_before_release(aio: Any, say: Say) -> None:
    lock = aio.Lock()
    await lock.acquire()
    order: list[str] = []

    async def waiter(name: str) -> None:
        async with lock:
            order.append(name)

    b = aio.create_task(waiter("b"))
    c = aio.create_task(waiter("c"))
    await aio.sleep(0)
    b.cancel()  # b's future is cancelled; b's task has not run yet
    lock.release()  # the head of the line is b's cancelled future: nobody is woken now
    say("after release:", shown(lock))
    await aio.gather(b, c, return_exceptions=True)
    say("order:", order, "b cancelled:", b.cancelled())


async def lock_all_waiters_cancelled_lets_a_newcomer_in(aio: Any, say: Say) -> None:
    lock = aio.Lock()
    await lock.acquire()
    b = aio.create_task(lock.acquire())
    await aio.sleep(0)
    b.cancel()
    lock.release()
    # Only a cancelled waiter is queued: main takes the lock without waiting.
    acquire = aio.create_task(lock.acquire())
    await aio.sleep(0)
    say("newcomer got it in one turn:", acquire.done(), "b:", b.cancelled(), shown(lock))
    lock.release()


async def lock_errors_and_cancel_messages(aio: Any, say: Say) -> None:
    lock = aio.Lock()
    try:
        lock.release()
    except RuntimeError as exc:
        say("RuntimeError:", exc)
    await lock.acquire()
    waiter = aio.create_task(lock.acquire())
    await aio.sleep(0)
    waiter.cancel("stop waiting")
    try:
        await waiter
    except aio.CancelledError as exc:
        say("waiter cancelled:", exc.args, shown(lock))
    lock.release()
    say(shown(lock))


# --- Semaphore -------------------------------------------------------------------


async def semaphore_serves_in_order(aio: Any, say: Say) -> None:
    sem = aio.Semaphore(2)
    say(shown(sem))

    async def worker(name: str, hold: int) -> None:
        async with sem:
            say(name, "in;", shown(sem), "locked:", sem.locked())
            await turns(aio, hold)
        say(name, "out")

    holds = {"a": 2, "b": 0, "c": 1, "d": 0, "e": 3}
    await aio.gather(*(worker(name, hold) for name, hold in holds.items()))
    say(shown(sem))


async def semaphore_newcomers_wait_behind_woken_waiters(aio: Any, say: Say) -> None:
    # Permits released while a woken waiter has not run yet are not up for
    # grabs: newcomers queue, and the woken waiter hands permits on when it
    # runs (one on 3.11 and 3.12, as many as there are on 3.13).
    sem = aio.Semaphore(0)

    async def waiter(name: str, delay: int) -> None:
        await turns(aio, delay)
        say(name, "tries; locked:", sem.locked())
        await sem.acquire()
        say(name, "acquired;", shown(sem))

    async def ticker() -> None:
        # Marks the loop's turns, so the transcript shows *when* each waiter
        # was woken, not only in which order.
        for tick in range(6):
            say("turn", tick)
            await aio.sleep(0)

    a = aio.create_task(waiter("a", 0))
    newcomers = [aio.create_task(waiter(name, 1)) for name in "bc"]
    await aio.sleep(0)
    for _ in range(3):
        sem.release()
    say("three releases, a woken:", shown(sem), "locked:", sem.locked())
    await aio.gather(a, *newcomers, ticker())
    say(shown(sem))
    sem.release()
    d = aio.create_task(waiter("d", 0))
    await aio.sleep(0)
    say("d did not wait:", d.done(), shown(sem))
    await d


async def semaphore_woken_waiter_cancelled_returns_the_permit(aio: Any, say: Say) -> None:
    sem = aio.Semaphore(0)
    results: list[str] = []

    async def waiter(name: str) -> None:
        try:
            await sem.acquire()
        except aio.CancelledError:
            results.append(f"{name} cancelled")
            raise
        results.append(f"{name} acquired")

    tasks = [aio.create_task(waiter(name)) for name in "abc"]
    await aio.sleep(0)
    sem.release()  # wakes a
    tasks[0].cancel()  # a gives the permit back: b gets it
    tasks[2].cancel()  # c is cancelled while waiting
    await aio.gather(*tasks, return_exceptions=True)
    say(results, shown(sem))


async def bounded_semaphore_refuses_extra_releases(aio: Any, say: Say) -> None:
    sem = aio.BoundedSemaphore(2)
    await sem.acquire()
    sem.release()
    try:
        sem.release()
    except ValueError as exc:
        say("ValueError:", exc, shown(sem))
    try:
        aio.Semaphore(-1)
    except ValueError as exc:
        say("ValueError:", exc)
    plain = aio.Semaphore(1)
    plain.release()
    say("a plain semaphore may go above its start:", shown(plain))


# --- Condition -------------------------------------------------------------------


async def condition_notify_wakes_in_order(aio: Any, say: Say) -> None:
    cond = aio.Condition()
    items: list[int] = []

    async def consumer(name: str) -> None:
        async with cond:
            got = await cond.wait_for(lambda: items)
            say(name, "sees", list(got), "and takes", items.pop(0), "locked:", cond.locked())

    tasks = [aio.create_task(consumer(name)) for name in "abcd"]
    await aio.sleep(0)
    say(shown(cond))
    async with cond:
        items.append(1)
        cond.notify()
        say("notified one:", shown(cond))
    await turns(aio, 3)
    async with cond:
        items.extend([2, 3])
        cond.notify(2)
    await turns(aio, 3)
    async with cond:
        items.append(4)
        cond.notify_all()
    await aio.gather(*tasks)
    say(shown(cond))


async def condition_notified_waiter_cancelled(aio: Any, say: Say) -> None:
    # Python 3.13 passes the notification on to b; earlier versions lose it.
    cond = aio.Condition()

    async def waiter(name: str) -> None:
        async with cond:
            try:
                await cond.wait()
                say(name, "notified")
            except aio.CancelledError:
                say(name, "cancelled while holding the lock:", cond.locked())
                raise

    a = aio.create_task(waiter("a"))
    b = aio.create_task(waiter("b"))
    await aio.sleep(0)
    async with cond:
        cond.notify(1)
        a.cancel()
    await turns(aio, 4)
    say("a cancelled:", a.cancelled(), "b done:", b.done(), shown(cond))
    async with cond:
        cond.notify_all()
    await b


async def condition_cancelled_while_reacquiring(aio: Any, say: Say) -> None:
    cond = aio.Condition()
    await cond.acquire()

    async def waiter() -> None:
        async with cond:
            await cond.wait()

    task = aio.create_task(waiter())
    await cond.wait_for(lambda: True)  # holds the lock; predicate true: no wait
    cond.release()
    await aio.sleep(0)
    await cond.acquire()
    cond.notify()
    await aio.sleep(0)  # the waiter wakes and queues for the lock we hold
    task.cancel("go away")
    await aio.sleep(0)
    say("waiter still re-acquiring:", not task.done(), shown(cond))
    cond.release()
    try:
        await task
    except aio.CancelledError as exc:
        # 3.13 re-raises the canceller's error; 3.11 and 3.12 a fresh one.
        say("waiter ended with CancelledError", exc.args)
    say(shown(cond))


async def condition_refuses_without_the_lock(aio: Any, say: Say) -> None:
    lock = aio.Lock()
    cond = aio.Condition(lock)
    for attempt in (cond.wait, cond.notify, cond.notify_all):
        try:
            result = attempt()
            if result is not None:
                await result
        except RuntimeError as exc:
            say("RuntimeError:", exc)
    await lock.acquire()
    say("shares its lock:", cond.locked(), shown(cond))
    lock.release()


# --- Barrier ----------------------------------------------------------------------


async def barrier_rounds_and_indices(aio: Any, say: Say) -> None:
    barrier = aio.Barrier(3)
    say(shown(barrier), barrier.parties, barrier.n_waiting, barrier.broken)

    async def party(name: str) -> None:
        say(name, "arrives", barrier.n_waiting)
        index = await barrier.wait()
        say(name, "passes with index", index, shown(barrier))
        async with barrier as again:
            say(name, "second round index", again)

    tasks = [aio.create_task(party(name)) for name in "abc"]
    await aio.sleep(0)
    say(shown(barrier))
    await aio.gather(*tasks)
    say(shown(barrier))


async def barrier_arrivals_while_draining_wait_for_next_round(aio: Any, say: Say) -> None:
    barrier = aio.Barrier(2)

    async def party(name: str, delay: int) -> None:
        await turns(aio, delay)
        index = await barrier.wait()
        say(name, "index", index, shown(barrier))

    await aio.gather(party("a", 0), party("b", 0), party("c", 0), party("d", 1))
    say(shown(barrier))


async def barrier_abort_and_reset(aio: Any, say: Say) -> None:
    barrier = aio.Barrier(3)

    async def party(name: str) -> None:
        try:
            await barrier.wait()
        except aio.BrokenBarrierError as exc:
            say(name, type(exc).__name__, exc.args, isinstance(exc, RuntimeError))

    tasks = [aio.create_task(party(name)) for name in "ab"]
    await aio.sleep(0)
    say(shown(barrier))
    await barrier.abort()
    say("aborted:", shown(barrier), barrier.broken)
    await aio.gather(*tasks)
    await party("late")
    await barrier.reset()
    say("reset:", shown(barrier))
    tasks = [aio.create_task(party(name)) for name in "cd"]
    await aio.sleep(0)
    await barrier.reset()  # parties are waiting: they leave broken
    say("resetting:", shown(barrier))
    await aio.gather(*tasks)
    say("after:", shown(barrier))
    try:
        aio.Barrier(0)
    except ValueError as exc:
        say("ValueError:", exc)


async def barrier_cancelled_party(aio: Any, say: Say) -> None:
    barrier = aio.Barrier(2)
    first = aio.create_task(barrier.wait())
    await aio.sleep(0)
    say(shown(barrier))
    first.cancel()
    await aio.gather(first, return_exceptions=True)
    say("cancelled party left:", first.cancelled(), shown(barrier))
    results = await aio.gather(barrier.wait(), barrier.wait())
    say(results, shown(barrier))


PROGRAMS = [
    event_wakes_every_waiter,
    event_waiter_cancelled_with_a_message,
    lock_is_fair_under_contention,
    lock_newcomer_queues_behind_a_woken_waiter,
    lock_woken_waiter_cancelled_passes_it_on,
    lock_waiter_cancelled_before_release,
    lock_all_waiters_cancelled_lets_a_newcomer_in,
    lock_errors_and_cancel_messages,
    semaphore_serves_in_order,
    semaphore_newcomers_wait_behind_woken_waiters,
    semaphore_woken_waiter_cancelled_returns_the_permit,
    bounded_semaphore_refuses_extra_releases,
    condition_notify_wakes_in_order,
    condition_notified_waiter_cancelled,
    condition_cancelled_while_reacquiring,
    condition_refuses_without_the_lock,
    barrier_rounds_and_indices,
    barrier_arrivals_while_draining_wait_for_next_round,
    barrier_abort_and_reset,
    barrier_cancelled_party,
]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda program: program.__name__)
def test_same_transcript_everywhere(both_backends: Any, program: Any) -> None:
    transcript = run_everywhere(both_backends, program)
    assert transcript.same, transcript.diff
    assert not any(line.startswith("raised:") for line in transcript["miniloop"]), \
        transcript["miniloop"]
