"""Queue, PriorityQueue, LifoQueue: the same transcript on asyncio and on miniloop,
including bounded queues with several blocked putters and getters, and
waiters cancelled just after being woken."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.differential.harness import Say
from tests.differential.sync_backends import run_everywhere, shown


async def turns(aio: Any, n: int) -> None:
    """Let the loop run ``n`` times around."""
    for _ in range(n):
        await aio.sleep(0)


async def queue_basics_and_reprs(aio: Any, say: Say) -> None:
    queue = aio.Queue()
    say(str(queue), shown(queue), queue.qsize(), queue.empty(), queue.full(), queue.maxsize)
    await queue.put(1)
    queue.put_nowait([2, "two"])
    say(str(queue), queue.qsize(), queue.empty())
    say("got", await queue.get(), "then", queue.get_nowait(), str(queue))
    queue.task_done()
    say(str(queue))
    queue.task_done()
    try:
        queue.task_done()
    except ValueError as exc:
        say("ValueError:", exc)
    try:
        queue.get_nowait()
    except aio.QueueEmpty as exc:
        say("QueueEmpty", exc.args)
    say("join with nothing unfinished returns:", await queue.join())


async def bounded_queue_with_blocked_putters_and_getters(aio: Any, say: Say) -> None:
    queue = aio.Queue(maxsize=2)

    async def putter(name: str, item: int) -> None:
        say(name, "puts", item, "full:", queue.full())
        await queue.put(item)
        say(name, "put", item, str(queue))

    async def getter(name: str) -> None:
        say(name, "gets; qsize:", queue.qsize())
        item = await queue.get()
        say(name, "got", item, str(queue))
        queue.task_done()

    putters = [aio.create_task(putter(f"p{i}", i)) for i in range(5)]
    await turns(aio, 2)
    say("blocked putters:", str(queue), queue.full())
    try:
        queue.put_nowait(99)
    except aio.QueueFull as exc:
        say("QueueFull", exc.args)
    getters = [aio.create_task(getter(f"g{i}")) for i in range(7)]
    await turns(aio, 4)
    say("blocked getters:", str(queue), queue.qsize())
    await queue.put(5)
    await queue.put(6)  # full again: main itself waits for a getter
    await aio.gather(*putters, *getters)
    say("all done:", str(queue), queue.empty())
    await queue.join()
    say("joined")


async def woken_getter_cancelled_passes_the_item_on(aio: Any, say: Say) -> None:
    queue = aio.Queue()

    async def getter(name: str) -> None:
        try:
            say(name, "got", await queue.get())
        except aio.CancelledError:
            say(name, "cancelled;", str(queue))
            raise

    tasks = [aio.create_task(getter(name)) for name in "abc"]
    await aio.sleep(0)
    say(str(queue))
    queue.put_nowait("x")  # wakes a ...
    tasks[0].cancel()  # ... who is cancelled before it runs: b gets "x"
    await aio.gather(tasks[0], tasks[1], return_exceptions=True)
    say("c still waits:", not tasks[2].done(), str(queue))
    tasks[2].cancel("bye")
    try:
        await tasks[2]
    except aio.CancelledError as exc:
        say("c:", exc.args, str(queue))


async def woken_putter_cancelled_passes_the_slot_on(aio: Any, say: Say) -> None:
    queue = aio.Queue(1)
    queue.put_nowait("first")

    async def putter(name: str) -> None:
        try:
            await queue.put(name)
            say(name, "put;", str(queue))
        except aio.CancelledError:
            say(name, "cancelled; full:", queue.full())
            raise

    tasks = [aio.create_task(putter(name)) for name in "abc"]
    await aio.sleep(0)
    say(str(queue))
    say("took", queue.get_nowait())  # wakes a ...
    tasks[0].cancel()  # ... who gives its slot to b
    tasks[2].cancel()  # c is cancelled while still waiting
    await aio.gather(*tasks, return_exceptions=True)
    say([task.cancelled() for task in tasks], str(queue))


async def a_quicker_getter_steals_the_item(aio: Any, say: Say) -> None:
    # A woken getter has not received the item: it retries when it runs,
    # and someone who called get_nowait first leaves it waiting again.
    queue = aio.Queue()
    slow = aio.create_task(queue.get())
    await aio.sleep(0)
    queue.put_nowait("item")
    say("stolen:", queue.get_nowait(), str(queue))
    await aio.sleep(0)
    say("slow still waits:", not slow.done(), str(queue))
    queue.put_nowait("another")
    say("slow gets", await slow)


async def join_waits_for_every_task_done(aio: Any, say: Say) -> None:
    queue = aio.Queue()
    for item in range(3):
        queue.put_nowait(item)

    async def joiner(name: str) -> None:
        await queue.join()
        say(name, "joined;", str(queue))

    joiners = [aio.create_task(joiner(name)) for name in "ab"]
    while not queue.empty():
        item = await queue.get()
        await aio.sleep(0)
        say("done with", item, str(queue))
        queue.task_done()
    await aio.gather(*joiners)


async def priority_and_lifo_orders(aio: Any, say: Say) -> None:
    priority = aio.PriorityQueue()
    for item in [(3, "c"), (1, "a"), (2, "b"), (1, "a0")]:
        priority.put_nowait(item)
    say(str(priority))
    say([priority.get_nowait() for _ in range(4)])
    lifo = aio.LifoQueue(maxsize=3)
    for item in "xyz":
        await lifo.put(item)
    say(str(lifo), lifo.full())
    waiting = aio.create_task(lifo.put("w"))
    await aio.sleep(0)
    say(lifo.get_nowait(), str(lifo))
    await waiting
    say([lifo.get_nowait() for _ in range(3)], str(lifo))


async def queue_generic_alias_and_maxsize_zero(aio: Any, say: Say) -> None:
    alias = aio.Queue[int]
    say(type(alias).__name__, alias.__args__)
    queue = aio.Queue(maxsize=-1)  # 0 or less: unbounded
    for item in range(100):
        queue.put_nowait(item)
    say(queue.full(), queue.qsize(), queue.maxsize)


async def shutdown_wakes_everyone(aio: Any, say: Say) -> None:
    # 3.13+: a shut-down queue refuses puts, and gets once it is empty.
    queue = aio.Queue(1)
    queue.put_nowait("kept")

    async def attempt(name: str, operation: Any) -> None:
        try:
            say(name, "->", await operation)
        except aio.QueueShutDown:
            say(name, "-> QueueShutDown;", str(queue))

    putter = aio.create_task(attempt("put", queue.put("blocked")))
    await aio.sleep(0)
    queue.shutdown()
    say("shut down:", str(queue))
    await putter
    await attempt("get", queue.get())
    await attempt("get again", queue.get())
    try:
        queue.put_nowait(1)
    except aio.QueueShutDown:
        say("put_nowait: QueueShutDown")

    second = aio.Queue()
    second.put_nowait("a")
    second.put_nowait("b")
    getter_queue = aio.Queue()
    getters = [aio.create_task(attempt(f"g{i}", getter_queue.get())) for i in range(2)]
    await aio.sleep(0)
    joiner = aio.create_task(second.join())
    await aio.sleep(0)
    second.shutdown(immediate=True)
    getter_queue.shutdown(immediate=True)
    say("immediate:", str(second), second.qsize())
    await aio.gather(*getters, joiner)
    say("join released by immediate shutdown:", joiner.done())


PROGRAMS = [
    queue_basics_and_reprs,
    bounded_queue_with_blocked_putters_and_getters,
    woken_getter_cancelled_passes_the_item_on,
    woken_putter_cancelled_passes_the_slot_on,
    a_quicker_getter_steals_the_item,
    join_waits_for_every_task_done,
    priority_and_lifo_orders,
    queue_generic_alias_and_maxsize_zero,
]
if sys.version_info >= (3, 13):
    PROGRAMS.append(shutdown_wakes_everyone)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda program: program.__name__)
def test_same_transcript_everywhere(both_backends: Any, program: Any) -> None:
    transcript = run_everywhere(both_backends, program)
    assert transcript.same, transcript.diff
    assert not any(line.startswith("raised:") for line in transcript["miniloop"]), \
        transcript["miniloop"]


# --- the asyncq demo, through python -m compat --------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def compare_asyncq(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m compat [OPTIONS] demos.asyncq ARGS``, from the project's root."""
    env = dict(os.environ)
    env.pop("MINILOOP_COMPAT_BACKEND", None)
    return subprocess.run([sys.executable, "-m", "compat", "--timeout", "60", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)


@pytest.mark.parametrize("args", [
    ("demos.asyncq",),  # what a reader runs: both backends at once
    ("demos.asyncq", "-p", "1", "-c", "2", "--tick", "0.15", "--seed", "3"),
])
def test_asyncq_prints_the_same_on_both_backends(args: tuple[str, ...]) -> None:
    # The demo's tasks never wake closer than a lane apart (demos/asyncq.py),
    # which keeps the transcript exact unless the machine stalls one run for
    # longer than that. A stall is not a difference between the backends: on
    # a difference, run once more before calling it one.
    for _attempt in range(2):
        done = compare_asyncq(*args)
        if done.returncode == 0:
            break
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout.splitlines()
    assert any(line.startswith("same output:") and line.endswith("in the same order")
               for line in out), done.stdout
    assert any("queue.join() returned" in line for line in out)
    assert any("is cancelled while waiting for an item" in line for line in out)
