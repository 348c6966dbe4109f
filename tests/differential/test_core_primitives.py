"""sleep, gather, create_task: the same transcript on asyncio and on miniloop."""

from __future__ import annotations

from typing import Any

from tests.differential.harness import Say


async def three_counters(aio: Any, say: Say) -> None:
    async def count(n: int) -> int:
        say("One", n)
        await aio.sleep(0.01)
        say("Two", n)
        return n

    say("results", await aio.gather(count(1), count(2), count(3)))


async def sleep_zero_interleaves(aio: Any, say: Say) -> None:
    async def spinner(name: str) -> None:
        for i in range(3):
            say(name, i)
            await aio.sleep(0)

    await aio.gather(spinner("a"), spinner("b"))


async def gather_failure_and_return_exceptions(aio: Any, say: Say) -> None:
    async def fail(after: float) -> None:
        await aio.sleep(after)
        raise ValueError(f"after {after}")

    async def succeed() -> str:
        await aio.sleep(0.02)
        return "ok"

    try:
        await aio.gather(fail(0.01), succeed())
    except ValueError as exc:
        say("first failure wins:", exc)
    say(await aio.gather(fail(0.01), succeed(), return_exceptions=True))


async def create_task_runs_next_turn(aio: Any, say: Say) -> None:
    async def child() -> str:
        say("child runs")
        return "child result"

    task = aio.create_task(child())
    say("created; current task is main:", aio.current_task() is not task)
    await aio.sleep(0)
    say("after one turn, done:", task.done(), task.result())


def test_countasync_interleaves_the_same(both_backends: Any) -> None:
    transcript = both_backends.run(three_counters)
    assert transcript.same, transcript.diff
    assert transcript["miniloop"][:3] == ["One 1", "One 2", "One 3"]


def test_sleep_zero_takes_turns(both_backends: Any) -> None:
    transcript = both_backends.run(sleep_zero_interleaves)
    assert transcript.same, transcript.diff


def test_gather_failures(both_backends: Any) -> None:
    transcript = both_backends.run(gather_failure_and_return_exceptions)
    assert transcript.same, transcript.diff


def test_create_task_starts_on_the_next_turn(both_backends: Any) -> None:
    transcript = both_backends.run(create_task_runs_next_turn)
    assert transcript.same, transcript.diff
