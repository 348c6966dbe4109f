"""futures.py: the box, its callbacks, and what it frees.

The public behaviour is compared with asyncio in
tests/differential/test_futures_tasks.py (and CPython's own test_futures
runs on miniloop's Future through tests/cpython). These tests pin what is
miniloop's own: how a parked task is stored, what tracebacks show, and
that nothing stays alive longer than it should.
"""

from __future__ import annotations

import gc
import reprlib
import sys
import traceback
import types
import weakref
from typing import Any
from unittest import mock

import pytest

import miniloop
from miniloop import Future, InvalidStateError


@pytest.fixture
def loop() -> Any:
    loop = miniloop.Loop()
    yield loop
    loop.close()


def test_a_future_starts_pending_and_is_filled_once(loop: Any) -> None:
    fut = Future(loop=loop)
    assert not fut.done() and not fut.cancelled() and fut.get_loop() is loop
    with pytest.raises(InvalidStateError, match=r"Result is not set\."):
        fut.result()
    with pytest.raises(InvalidStateError, match=r"Exception is not set\."):
        fut.exception()
    fut.set_result(1)
    with pytest.raises(InvalidStateError, match="invalid state"):
        fut.set_result(2)
    assert fut.result() == 1 and fut.exception() is None


def test_a_future_without_a_loop_takes_the_running_one(loop: Any) -> None:
    async def make() -> Any:
        return Future()

    assert loop.run_until_complete(make()).get_loop() is loop


def test_callbacks_run_one_turn_after_the_future_is_done(loop: Any) -> None:
    fut = loop.create_future()
    seen: list[Any] = []
    fut.add_done_callback(seen.append)
    fut.set_result("x")
    assert seen == []  # not run by set_result
    loop._run_once()
    assert seen == [fut]


def test_remove_done_callback_counts_every_registration(loop: Any) -> None:
    fut = loop.create_future()
    fut.add_done_callback(print)
    fut.add_done_callback(repr)
    fut.add_done_callback(print)
    assert fut.remove_done_callback(print) == 2
    assert fut.remove_done_callback(print) == 0
    assert [callback for callback, _ in fut._callbacks] == [repr]


def test_a_parked_task_is_stored_as_itself(loop: Any) -> None:
    fut = loop.create_future()

    async def waiter() -> Any:
        return await fut

    task = loop.create_task(waiter())
    loop._run_once()
    # On the fast loop a parked task is kept as itself: no bound method, no
    # Handle. On the plain loop it is its bound _wakeup. Both read the same.
    if loop.plain:
        assert fut._callbacks[0][0] == task._wakeup
    else:
        assert fut._callbacks == [(task, None)]
    assert "cb=[Task.task_wakeup()]" in repr(fut)
    fut.add_done_callback(repr)  # registered later: runs later
    assert "cb=[Task.task_wakeup(), repr()]" in repr(fut)
    fut.set_result(7)
    assert loop._ready[-1]._callback is repr
    assert loop._ready[-2] is task or loop._ready[-2]._callback == task._wakeup
    assert loop.run_until_complete(task) == 7


def test_a_parked_task_keeps_its_place_among_callbacks(loop: Any) -> None:
    fut = loop.create_future()
    order: list[str] = []

    async def waiter(name: str) -> None:
        await fut
        order.append(name)

    fut.add_done_callback(lambda _: order.append("callback before"))
    first = loop.create_task(waiter("first task"))
    loop._run_once()  # parks after a callback: it joins the list
    assert len(fut._callbacks) == 2
    fut.remove_done_callback(fut._callbacks[0][0])
    second = loop.create_task(waiter("second task"))
    loop._run_once()
    fut.add_done_callback(lambda _: order.append("callback after"))
    fut.set_result(None)
    loop.run_until_complete(miniloop.gather(first, second))
    assert order == ["first task", "second task", "callback after"]


def test_a_future_subclass_gets_its_add_done_callback_called(loop: Any) -> None:
    calls: list[str] = []

    class Watched(Future[Any]):
        def add_done_callback(self, fn: Any, *, context: Any = None) -> None:
            calls.append(getattr(fn, "__name__", "?"))
            super().add_done_callback(fn, context=context)

    fut = Watched(loop=loop)

    async def waiter() -> Any:
        return await fut

    task = loop.create_task(waiter())
    loop._run_once()
    assert calls == ["_wakeup"]
    fut.set_result("sub")
    assert loop.run_until_complete(task) == "sub"


def test_set_exception_takes_a_class_and_refuses_stop_iteration(loop: Any) -> None:
    fut = loop.create_future()
    fut.set_exception(KeyError)
    assert isinstance(fut.exception(), KeyError)
    stop = loop.create_future()
    if sys.version_info >= (3, 13):
        stop.set_exception(StopIteration("s"))
        assert isinstance(stop.exception(), RuntimeError)
        assert isinstance(stop.exception().__cause__, StopIteration)
    else:
        with pytest.raises(TypeError, match="StopIteration interacts badly"):
            stop.set_exception(StopIteration("s"))


def test_cancel_keeps_the_message(loop: Any) -> None:
    fut = loop.create_future()
    assert fut.cancel("because")
    assert not fut.cancel()
    with pytest.raises(miniloop.CancelledError) as raised:
        fut.result()
    assert raised.value.args == ("because",)


def test_log_traceback_can_only_be_cleared(loop: Any) -> None:
    fut = loop.create_future()
    fut.set_exception(ValueError())
    assert fut._log_traceback is True
    with pytest.raises(ValueError, match="can only be set to False"):
        fut._log_traceback = True
    fut._log_traceback = False
    assert fut._log_traceback is False


def test_an_unretrieved_exception_is_reported_when_the_future_dies(loop: Any) -> None:
    reports: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda loop, context: reports.append(context))
    fut = loop.create_future()
    fut.set_exception(KeyError("lost"))
    del fut
    assert [r["message"] for r in reports] == ["Future exception was never retrieved"]
    seen = loop.create_future()
    seen.set_exception(KeyError("seen"))
    seen.exception()
    del seen
    assert len(reports) == 1


def test_a_failed_future_and_its_exception_are_freed_without_the_gc(loop: Any) -> None:
    # No reference cycle through our frames: plain reference counting
    # frees the future and the exception, as with asyncio's C futures.
    class Marker(Exception):
        pass

    box = [loop.create_future()]

    async def waiter() -> None:
        try:
            await box[0]
        except Marker:
            pass

    task = loop.create_task(waiter())
    loop._run_once()
    box[0].set_exception(Marker())
    exc_ref = weakref.ref(box[0].exception())
    fut_ref = weakref.ref(box[0])
    gc.disable()
    try:
        loop.run_until_complete(task)
        box.clear()
        assert fut_ref() is None and exc_ref() is None
    finally:
        gc.enable()


def test_awaiting_a_failed_future_shows_one_frame_of_ours(loop: Any) -> None:
    fut = loop.create_future()
    fut.set_exception(ValueError("v"))

    async def waiter() -> list[str]:
        try:
            await fut
        except ValueError as exc:
            return [frame.name for frame in traceback.extract_tb(exc.__traceback__)]
        return []

    # The plain Future's __await__ is a generator; the fast one is its own
    # iterator, so the one frame of ours is its __next__.
    ours = "__await__" if loop.plain else "__next__"
    assert loop.run_until_complete(waiter()) == ["waiter", ours]


def test_await_outside_a_task_is_refused(loop: Any) -> None:
    fut = loop.create_future()
    iterator = fut.__await__()
    assert next(iterator) is fut
    with pytest.raises(RuntimeError, match="await wasn't used with future"):
        next(iterator)
    fut.cancel()


def test_future_is_a_generic_alias_and_isfuture_is_duck_typed() -> None:
    assert isinstance(Future[int], types.GenericAlias)
    assert miniloop.isfuture(mock.Mock(spec=Future))

    class Duck:
        _asyncio_future_blocking = False

    class NotYet:
        _asyncio_future_blocking = None

    assert miniloop.isfuture(Duck()) and not miniloop.isfuture(NotYet())
    assert not miniloop.isfuture(Duck)  # the class itself is no future


def test_reprs(loop: Any) -> None:
    fut = loop.create_future()
    assert repr(fut) == "<Future pending>"

    def on_done(f: Any) -> None:
        pass

    fut.add_done_callback(on_done)
    assert repr(fut).startswith("<Future pending cb=[test_reprs.<locals>.on_done() at ")
    fut.set_result("x" * 100)
    assert repr(fut) == f"<Future finished result={reprlib.repr('x' * 100)}>"
    failed = loop.create_future()
    failed.set_exception(KeyError("k"))
    assert repr(failed) == "<Future finished exception=KeyError('k')>"
    failed.exception()
