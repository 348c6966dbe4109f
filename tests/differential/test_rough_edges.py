"""What other people's test suites tripped over, as small programs on both backends.

Each program here is the reduced form of a library's test that failed on
miniloop (a task factory checked with isinstance, a proxy that hangs an
attribute on a task, a task awaiting itself twice, a future of another
loop), run on asyncio and on miniloop; the transcripts must be equal.
"""

from __future__ import annotations

import asyncio
import pickle
from typing import Any

import pytest

import miniloop
from tests.differential.harness import Say


async def isinstance_checks(aio: Any, say: Say) -> None:
    # uvloop's and anyio's suites check the task factory's product this way.
    loop = aio.get_running_loop()
    task = aio.current_task()
    made = loop.create_task(aio.sleep(0))
    future = loop.create_future()
    gathered = aio.gather(made)
    for name, obj in (("current", task), ("created", made), ("future", future),
                      ("gather", gathered)):
        say(name, isinstance(obj, asyncio.Task), isinstance(obj, asyncio.Future),
            asyncio.isfuture(obj))
    await gathered


async def attributes_on_tasks_and_futures(aio: Any, say: Say) -> None:
    # A websocket library's test proxy writes its own attribute on a task.
    task = aio.current_task()
    task.created_at = "then"
    future = aio.get_running_loop().create_future()
    future.note = 42
    say(task.created_at, future.note)


async def awaiting_itself_twice(aio: Any, say: Say) -> None:
    async def selfish() -> None:
        me = aio.current_task()
        for attempt in (1, 2):
            try:
                await me
            except RuntimeError as exc:
                say(attempt, str(exc).split(":")[0])

    await aio.get_running_loop().create_task(selfish(), name="selfish")


async def a_future_of_another_loop(aio: Any, say: Say) -> None:
    other = (miniloop.Loop() if aio is miniloop else asyncio.new_event_loop())
    try:
        alien = other.create_future()

        async def wait_for_alien() -> None:
            await alien

        task = aio.get_running_loop().create_task(wait_for_alien(), name="t")
        try:
            await task
        except RuntimeError as exc:
            say(str(exc).split(" attached")[0].split("got Future")[0].strip()[:9],
                "attached to a different loop" in str(exc))
    finally:
        other.close()


PROGRAMS = [isinstance_checks, attributes_on_tasks_and_futures, awaiting_itself_twice,
            a_future_of_another_loop]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_same_transcript(both_backends: Any, program: Any) -> None:
    transcript = both_backends.run(program)
    assert transcript.same, transcript.diff
    assert transcript["asyncio"], "the program printed nothing"


def test_a_miniloop_task_stays_itself_under_the_asyncio_class() -> None:
    async def main() -> Any:
        task = miniloop.current_task()
        assert isinstance(task, asyncio.Task) and isinstance(task, miniloop.Task)
        assert type(task).__module__.startswith("miniloop.")
        assert repr(task).startswith("<Task pending name=")
        with pytest.raises(TypeError, match="cannot pickle 'Task' object"):
            pickle.dumps(task)
        future = miniloop.get_running_loop().create_future()
        assert not isinstance(future, asyncio.Task)
        with pytest.raises(TypeError, match="cannot pickle 'Future' object"):
            pickle.dumps(future)
        return True

    for plain in (True, False):
        assert miniloop.run(main(), loop_factory=lambda plain=plain: miniloop.Loop(plain=plain))


def test_the_different_loop_message_names_the_stop_callback_as_asyncio_does() -> None:
    loop = miniloop.Loop()
    other = miniloop.Loop()
    try:
        alien = other.create_future()

        async def wait() -> None:
            await alien

        with pytest.raises(RuntimeError) as caught:
            loop.run_until_complete(wait())
        assert "_run_until_complete_cb()" in str(caught.value)
    finally:
        loop.close()
        other.close()
