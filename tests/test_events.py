"""events.py: the running loop and the current task, shared with asyncio."""

from __future__ import annotations

import asyncio
import asyncio.events as aio_events
import asyncio.tasks as aio_tasks
from typing import Any

import pytest

import miniloop
from miniloop.core import events


def test_no_running_loop_outside_run() -> None:
    with pytest.raises(RuntimeError, match="no running event loop"):
        miniloop.get_running_loop()
    with pytest.raises(RuntimeError, match="no running event loop"):
        miniloop.current_task()
    with pytest.raises(RuntimeError, match="no running event loop"):
        miniloop.all_tasks()


def test_asyncio_and_miniloop_agree_on_the_running_loop_and_task() -> None:
    async def main() -> tuple[bool, bool, bool]:
        loop = miniloop.get_running_loop()
        task = miniloop.current_task()
        return (asyncio.get_running_loop() is loop, asyncio.current_task() is task,
                asyncio.all_tasks() == miniloop.all_tasks())

    assert miniloop.run(main()) == (True, True, True)


def test_current_task_of_another_loop_is_none() -> None:
    other = miniloop.Loop()
    try:
        async def main() -> Any:
            return miniloop.current_task(other)

        assert miniloop.run(main()) is None
    finally:
        other.close()


def test_all_tasks_takes_any_registered_task_like_object() -> None:
    class TaskLike:
        def __init__(self, loop: Any) -> None:
            self._loop = loop  # no get_loop(): asyncio falls back to _loop

        def done(self) -> bool:
            return False

    async def main() -> bool:
        loop = miniloop.get_running_loop()
        fake = TaskLike(loop)
        aio_tasks._register_task(fake)
        try:
            return fake in miniloop.all_tasks()
        finally:
            aio_tasks._unregister_task(fake)

    assert miniloop.run(main())


def test_new_event_loop_makes_a_miniloop_loop_with_options() -> None:
    loop = miniloop.new_event_loop(clock=miniloop.VirtualClock(start=5))
    try:
        assert isinstance(loop, miniloop.Loop) and loop.time() == 5
    finally:
        loop.close()


def test_the_default_loop_factory_can_be_replaced() -> None:
    made: list[Any] = []
    previous = events._default_loop_factory

    def factory(**options: Any) -> Any:
        made.append(options)
        return miniloop.Loop(**options)

    events.set_default_loop_factory(factory)
    try:
        loop = miniloop.new_event_loop()
        loop.close()
    finally:
        events.set_default_loop_factory(previous)
    assert made == [{}]


def test_the_running_loop_goes_wherever_asyncio_looks_now() -> None:
    # CPython's own tests swap asyncio's C slot for its pure-Python twin;
    # a running miniloop loop must then be found in the twin.
    saved = (aio_events._get_running_loop, aio_events._set_running_loop,
             aio_events.get_running_loop)
    aio_events._set_running_loop = aio_events._py__set_running_loop
    aio_events._get_running_loop = aio_events._py__get_running_loop
    aio_events.get_running_loop = aio_events._py_get_running_loop
    try:
        loop = miniloop.Loop()

        async def main() -> bool:
            return aio_events.get_running_loop() is loop

        assert loop.run_until_complete(main())
        assert aio_events._py__get_running_loop() is None
        loop.close()
    finally:
        (aio_events._get_running_loop, aio_events._set_running_loop,
         aio_events.get_running_loop) = saved


def test_the_shared_exception_classes_are_asyncios() -> None:
    assert miniloop.CancelledError is asyncio.CancelledError
    assert miniloop.InvalidStateError is asyncio.InvalidStateError
    assert miniloop.TimeoutError is asyncio.TimeoutError
