"""Futures and tasks: every public method, every state, every message.

Each program runs on asyncio, on miniloop, and with asyncio's functions on
miniloop's loop; the transcripts must be equal. Tasks are given names
(asyncio numbers its default names across the whole process), and
garbage collection is forced where a message depends on it.
"""

from __future__ import annotations

import gc
import io
import sys
import types
from typing import Any

import pytest

from miniloop.assembly import plain_requested
from tests.differential.harness import Say


def outcome(call: Any) -> str:
    """What calling ``call()`` did: its result, or the exception it raised."""
    try:
        return f"-> {call()!r}"
    except BaseException as exc:
        return f"raises {exc!r}"


async def future_in_every_state(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    pending = loop.create_future()
    say("pending:", repr(pending), pending.done(), pending.cancelled())
    say("  result", outcome(pending.result), "exception", outcome(pending.exception))

    finished = loop.create_future()
    finished.set_result([1, 2])
    say("finished:", repr(finished), finished.done(), finished.cancelled())
    say("  result", outcome(finished.result), "exception", outcome(finished.exception))
    say("  set_result again", outcome(lambda: finished.set_result(3)))
    say("  set_exception again", outcome(lambda: finished.set_exception(ValueError())))
    say("  cancel", outcome(finished.cancel))

    failed = loop.create_future()
    failed.set_exception(KeyError("k"))
    say("failed:", repr(failed))
    say("  result", outcome(failed.result), "exception", outcome(failed.exception))

    from_class = loop.create_future()
    from_class.set_exception(ValueError)  # a class is instantiated
    say("exception class:", repr(from_class.exception()))

    cancelled = loop.create_future()
    say("cancel", outcome(lambda: cancelled.cancel("why")), "again", outcome(cancelled.cancel))
    say("cancelled:", repr(cancelled), cancelled.done(), cancelled.cancelled())
    say("  result", outcome(cancelled.result), "exception", outcome(cancelled.exception))
    say("  set_result", outcome(lambda: cancelled.set_result(1)))

    stop = loop.create_future()
    say("StopIteration", outcome(lambda: stop.set_exception(StopIteration())), stop.done())
    say("loop", stop.get_loop() is loop)


async def done_callbacks(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    fut = loop.create_future()

    def first(f: Any) -> None:
        say("first sees", f.result())

    def second(f: Any) -> None:
        say("second sees", f.result())

    fut.add_done_callback(first)
    fut.add_done_callback(second)
    fut.add_done_callback(first)
    say("removed", fut.remove_done_callback(first), "then", fut.remove_done_callback(first))
    fut.add_done_callback(first)
    say(repr(fut).split(" cb=")[0])
    fut.set_result("x")
    say("set; callbacks not run yet")
    await aio.sleep(0)
    say("one turn later")
    fut.add_done_callback(second)  # already done: runs soon, not now
    say("added after done")
    await aio.sleep(0)
    say("removing from a done future:", fut.remove_done_callback(second))


async def callback_sees_its_context(aio: Any, say: Say) -> None:
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="outer")
    loop = aio.get_running_loop()
    fut = loop.create_future()
    ctx = contextvars.copy_context()
    ctx.run(var.set, "inner")
    fut.add_done_callback(lambda f: say("default context:", var.get()))
    fut.add_done_callback(lambda f: say("given context:", var.get()), context=ctx)
    # An empty context is a context too (it is falsy: it has no variables).
    var.set("ours")
    fut.add_done_callback(lambda f: say("empty context:", var.get()),
                          context=contextvars.Context())
    fut.set_result(None)
    await aio.sleep(0)


async def awaiting_futures(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    fut = loop.create_future()
    loop.call_soon(fut.set_result, "filled")
    say("awaited", await fut)
    say("awaited again", await fut)
    failing = loop.create_future()
    loop.call_soon(failing.set_exception, ValueError("no"))
    try:
        await failing
    except ValueError as exc:
        say("raised", repr(exc))
    cancelled = loop.create_future()
    loop.call_soon(cancelled.cancel, "stop")
    try:
        await cancelled
    except aio.CancelledError as exc:
        say("cancelled", exc.args)


async def task_interface(aio: Any, say: Say) -> None:
    async def work(n: int) -> int:
        await aio.sleep(0)
        return n * 2

    task = aio.create_task(work(21), name="worker")
    say("name", task.get_name(), "coro", task.get_coro().__qualname__)
    say("pending", task.done(), task.cancelling(), outcome(task.result))
    task.set_name(42)
    say("renamed", repr(task.get_name()))
    get_context = getattr(task, "get_context", None)  # 3.12+
    say("context:", get_context and type(get_context()).__name__)
    say("set_result", outcome(lambda: task.set_result(1)))
    say("set_exception", outcome(lambda: task.set_exception(ValueError())))
    say("result", await task, task.done(), outcome(task.exception))
    say("is a future:", aio.isfuture(task), aio.isfuture(work), aio.isfuture(None))
    say("iscoroutine:", aio.iscoroutine(task.get_coro()), aio.iscoroutine(1))


async def task_reprs(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    fut = loop.create_future()

    async def waiter() -> str:
        return await fut

    task = aio.create_task(waiter(), name="waiter")
    say(repr(task))
    await aio.sleep(0)
    say(repr(task).replace(repr(fut), "<the future>"))
    say(repr(fut))
    task.cancel()
    say(repr(task).split(" wait_for=")[0])
    await aio.sleep(0)
    say(repr(task))
    done = aio.create_task(waiter(), name="done")
    fut2 = loop.create_future()
    fut2.set_result("value")

    async def returns() -> str:
        return "r" * 100

    long = aio.create_task(returns(), name="long")
    await long
    say(repr(long))
    done.cancel()
    await aio.sleep(0)


def own_frames(frames: list[Any]) -> list[str]:
    """Frame names, minus miniloop's Future.__await__ (see test_traceback_shows_await)."""
    return [f.f_code.co_name for f in frames if f.f_code.co_filename == __file__]


def own_lines(text: str) -> list[str]:
    """Printed traceback lines, minus the two of a frame in miniloop's futures.py
    (the plain Future's __await__, or the fast one's __next__)."""
    lines = text.splitlines()
    kept, skip = [], False
    for line in lines:
        if skip:
            skip = False
            continue
        if "miniloop/core/futures.py" in line or "miniloop/fast/futures.py" in line:
            skip = True
            continue
        kept.append(line.split(" (most recent")[0])
    return kept


async def task_stacks(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    fut = loop.create_future()

    async def inner() -> None:
        await fut

    async def outer() -> None:
        await inner()

    task = aio.create_task(outer(), name="stacked")
    await aio.sleep(0)
    say("suspended stack:", own_frames(task.get_stack()))
    say("limit 1:", own_frames(task.get_stack(limit=1)))
    out = io.StringIO()
    task.print_stack(file=out)
    say("print_stack:", *own_lines(out.getvalue()))
    fut.set_exception(ValueError("deep"))
    await aio.sleep(0)
    say("failed stack:", own_frames(task.get_stack()))
    out = io.StringIO()
    task.print_stack(file=out)
    say("print_stack:", *own_lines(out.getvalue()))
    task.exception()
    finished = aio.create_task(inner(), name="finished")
    await aio.sleep(0)
    out = io.StringIO()
    finished.print_stack(file=out)
    say("done stack:", own_frames(finished.get_stack()), *own_lines(out.getvalue()))
    finished.exception()


async def lost_errors_are_reported(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()

    async def boom() -> None:
        raise ValueError("nobody awaited me")

    task = aio.create_task(boom(), name="lost")
    await aio.sleep(0)
    say("task failed:", task.done())
    del task
    gc.collect()
    say("after the task was collected")

    fut = loop.create_future()
    fut.set_exception(KeyError("lost too"))
    del fut
    gc.collect()
    say("after the future was collected")

    seen = loop.create_future()
    seen.set_exception(KeyError("seen"))
    seen.exception()
    del seen
    gc.collect()
    say("a retrieved exception is not reported")

    async def forever() -> None:
        await loop.create_future()

    pending = aio.create_task(forever(), name="pending")
    await aio.sleep(0)
    del pending
    gc.collect()
    say("after a pending task was collected")


async def callback_errors_are_reported(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()

    def broken(x: int) -> None:
        raise ZeroDivisionError(x)

    loop.call_soon(broken, 1)
    loop.call_later(0.001, broken, 2)
    await aio.sleep(0.01)
    say("the loop carried on")

    def bad_handler(loop: Any, context: dict[str, Any]) -> None:
        raise RuntimeError("handler broke")

    previous = loop.get_exception_handler()
    loop.set_exception_handler(bad_handler)
    say("handler set:", loop.get_exception_handler() is bad_handler)
    loop.call_soon(broken, 3)
    await aio.sleep(0)
    loop.set_exception_handler(previous)
    say("set_exception_handler(1):", outcome(lambda: loop.set_exception_handler(1)))


async def handler_sees_the_culprit(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    previous = loop.get_exception_handler()
    contexts: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda loop, context: contexts.append(context))

    def broken() -> None:
        raise ValueError("cb")

    handle = loop.call_soon(broken)
    await aio.sleep(0)

    async def boom() -> None:
        raise KeyError("task")

    task = aio.create_task(boom(), name="culprit")
    await aio.sleep(0)
    del task
    gc.collect()
    loop.set_exception_handler(previous)
    for context in contexts:
        say(sorted(context), context["message"].split(" at ")[0], repr(context["exception"]))
    say("handle is ours:", contexts[0]["handle"] is handle)
    say("task key:", type(contexts[1].get("future")).__name__ in {"Task", "_asyncio.Task"})


async def default_handler_formats(aio: Any, say: Say) -> None:
    import logging

    loop = aio.get_running_loop()
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("asyncio")
    keep = Keep()
    logger.addHandler(keep)
    try:
        loop.default_exception_handler({"message": "plain"})
        loop.default_exception_handler({"message": "", "exception": ValueError("v"),
                                        "answer": 42})
        loop.default_exception_handler({})
    finally:
        logger.removeHandler(keep)
    for record in records:
        say(record.levelname, repr(record.getMessage()), bool(record.exc_info))


async def call_exception_handler_routes(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    loop.call_exception_handler({"message": "custom report", "exception": OSError(5, "io")})
    say("reported through the program's handler")


async def bad_awaits(aio: Any, say: Say) -> None:
    @types.coroutine
    def yields(value: Any) -> Any:
        yield value

    async def bad(value: Any) -> None:
        await yields(value)

    for value in (42, "text"):
        task = aio.create_task(bad(value), name="bad")
        try:
            await task
        except RuntimeError as exc:
            say("bad yield:", exc)

    async def itself() -> None:
        await aio.sleep(0)
        await task

    task = aio.create_task(itself(), name="self")
    try:
        await task
    except RuntimeError as exc:
        say(str(exc).split(":")[0])
    say("create_task(1):", outcome(lambda: aio.create_task(1)))
    coro = bad(0)
    say("ensure_future(1):", outcome(lambda: aio.ensure_future(1)))
    coro.close()


async def ensure_future_cases(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    fut = loop.create_future()
    say("a future as is:", aio.ensure_future(fut) is fut)

    async def seven() -> int:
        return 7

    task = aio.ensure_future(seven())
    say("a coroutine becomes a task:", aio.isfuture(task), await task)

    class Awaitable:
        def __await__(self) -> Any:
            yield from aio.sleep(0).__await__()
            return "awaitable"

    wrapped = aio.ensure_future(Awaitable())
    say("an awaitable is wrapped:", aio.isfuture(wrapped), await wrapped)
    fut.cancel()


async def task_factory(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    say("default factory:", loop.get_task_factory())
    made: list[str] = []

    def factory(loop: Any, coro: Any, **kwargs: Any) -> Any:
        made.append(coro.__qualname__ + (" with context" if "context" in kwargs else ""))
        return aio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(factory)
    say("set:", loop.get_task_factory() is factory)

    async def job() -> str:
        return "job done"

    say(await loop.create_task(job(), name="named"))
    task = loop.create_task(job(), name="again")
    say("name kept:", task.get_name())
    await task
    import contextvars

    await loop.create_task(job(), context=contextvars.copy_context())
    loop.set_task_factory(None)
    await loop.create_task(job())
    say("made:", made)
    say("set_task_factory(1):", outcome(lambda: loop.set_task_factory(1)))


async def eager_tasks(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()

    async def immediate() -> str:
        say("immediate runs")
        return "quick"

    async def waits() -> str:
        say("waits starts")
        await aio.sleep(0)
        say("waits resumes")
        return "slow"

    loop.set_task_factory(aio.eager_task_factory)
    say("before create")
    quick = loop.create_task(immediate(), name="quick")
    say("after create: done", quick.done(), quick.result())
    slow = loop.create_task(waits(), name="slow")
    say("after create: done", slow.done())
    say("current task in eager step:", await slow)
    loop.set_task_factory(None)
    custom = aio.create_eager_task_factory(aio.Task)
    loop.set_task_factory(custom)
    also = loop.create_task(immediate(), name="custom")
    say("custom factory:", also.done())
    loop.set_task_factory(None)
    inner_current: list[bool] = []

    async def who() -> None:
        inner_current.append(aio.current_task() is eager)

    eager = aio.Task(who(), loop=loop, name="direct", eager_start=True)
    say("Task(eager_start=True):", eager.done(), inner_current)
    say(sorted(t.get_name() for t in aio.all_tasks() if t.get_name() in {"quick", "slow"}))


async def current_and_all_tasks(aio: Any, say: Say) -> None:
    main = aio.current_task()
    say("main is current:", main is not None and main in aio.all_tasks())

    async def child() -> None:
        say("child is current:", aio.current_task() is not main)
        await aio.sleep(0)

    task = aio.create_task(child(), name="child")
    say("two tasks:", len(aio.all_tasks()))
    await task
    say("one task:", len(aio.all_tasks()))
    say("no running loop outside:", outcome(lambda: aio.current_task(None)) != "")


PROGRAMS = [
    future_in_every_state, done_callbacks, callback_sees_its_context, awaiting_futures,
    task_interface, task_reprs, task_stacks, lost_errors_are_reported,
    callback_errors_are_reported, handler_sees_the_culprit, default_handler_formats,
    call_exception_handler_routes, bad_awaits, ensure_future_cases, task_factory,
    current_and_all_tasks,
]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_same_transcript(both_backends: Any, program: Any) -> None:
    transcript = both_backends.run(program)
    assert transcript.same, transcript.diff
    assert len(transcript["asyncio"]) >= 2  # the program really ran


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are 3.12+")
def test_eager_tasks(both_backends: Any) -> None:
    transcript = both_backends.run(eager_tasks)
    assert transcript.same, transcript.diff
    assert "after create: done True quick" in transcript["miniloop"]


async def traceback_through_await(aio: Any, say: Say) -> None:
    import traceback

    loop = aio.get_running_loop()
    fut = loop.create_future()
    loop.call_soon(fut.set_exception, ValueError("v"))
    try:
        await fut
    except ValueError as exc:
        for frame in traceback.extract_tb(exc.__traceback__):
            say(frame.filename.rsplit("/", 1)[-1], frame.name)


def test_traceback_shows_await(both_backends: Any) -> None:
    # A deliberate difference of the plain loop: asyncio's futures are written
    # in C and add no frame to a traceback; the plain Future.__await__ is a
    # Python generator, so exactly one frame of it shows (as asyncio's
    # pure-Python futures show theirs). The fast Future is its own iterator:
    # an exception thrown in while it waits passes no frame of it, as in asyncio.
    transcript = both_backends.run(traceback_through_await)
    assert transcript["asyncio"] == ["test_futures_tasks.py traceback_through_await"]
    ours = ["futures.py __await__"] if plain_requested() else []
    assert transcript["miniloop"] == transcript["asyncio"] + ours


def test_lost_errors_reach_the_handler(both_backends: Any) -> None:
    lines = both_backends.run(lost_errors_are_reported)["miniloop"]
    assert lines[1].startswith("handler: Task exception was never retrieved ValueError")
    assert any(line.startswith("handler: Future exception was never retrieved KeyError")
               for line in lines)
    assert "handler: Task was destroyed but it is pending!" in lines
