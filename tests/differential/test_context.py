"""Context variables: every task and callback runs in the context it was given.

A task runs in a copy of its creator's context (or in the one passed as
``context=``); callbacks run in a copy taken when they were scheduled (or
in ``context=``); errors are reported from inside the failing callback's
context (3.12+). The same transcript on asyncio and on miniloop.
"""

from __future__ import annotations

import contextvars
import sys
from typing import Any

import pytest

from tests.differential.harness import Say

request: contextvars.ContextVar[str] = contextvars.ContextVar("request", default="none")


async def tasks_get_copies(aio: Any, say: Say) -> None:
    request.set("main")

    async def child(name: str) -> str:
        say(name, "starts with", request.get())
        request.set(name)
        await aio.sleep(0)
        say(name, "still sees", request.get())
        return name

    first = aio.create_task(child("first"), name="first")
    request.set("main-later")  # after the copy: the child never sees it
    second = aio.create_task(child("second"), name="second")
    await aio.gather(first, second)
    say("main sees", request.get())


async def task_with_given_context(aio: Any, say: Say) -> None:
    context = contextvars.copy_context()
    context.run(request.set, "given")

    async def reader() -> None:
        say("task reads", request.get())
        request.set("changed by task")

    await aio.create_task(reader(), name="reader", context=context)
    say("the given context changed:", context[request], "main:", request.get())
    loop = aio.get_running_loop()
    await loop.create_task(reader(), context=context)
    say("loop.create_task(context=) too:", context[request])


async def callbacks_get_copies(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    request.set("at schedule time")
    loop.call_soon(lambda: say("call_soon sees", request.get()))
    loop.call_later(0.001, lambda: say("call_later sees", request.get()))
    loop.call_at(loop.time() + 0.002, lambda: say("call_at sees", request.get()))
    request.set("after scheduling")
    await aio.sleep(0.01)

    context = contextvars.copy_context()
    context.run(request.set, "explicit")

    def write_and_read(label: str) -> None:
        say(label, "sees", request.get())
        request.set(label)

    loop.call_soon(write_and_read, "call_soon(context=)", context=context)
    loop.call_later(0.001, write_and_read, "call_later(context=)", context=context)
    loop.call_at(loop.time() + 0.002, write_and_read, "call_at(context=)", context=context)
    loop.call_soon_threadsafe(write_and_read, "threadsafe(context=)", context=context)
    await aio.sleep(0.01)
    say("the explicit context ends with", context[request], "main:", request.get())


async def handle_context(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    context = contextvars.copy_context()
    handle = loop.call_soon(lambda: None, context=context)
    timer = loop.call_later(1, lambda: None)
    if sys.version_info >= (3, 12):  # Handle.get_context is 3.12+
        say("handle keeps its context:", handle.get_context() is context)
        say("a timer copies the current one:", timer.get_context() is not context)
    else:
        say("no get_context:", hasattr(handle, "get_context"))
    timer.cancel()
    await aio.sleep(0)


async def errors_reported_in_their_context(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(
        lambda loop, context: say("handler sees", request.get(), "for", context["message"][:22]))

    def broken() -> None:
        request.set("inside the callback")
        raise ValueError("cb")

    loop.call_soon(broken)
    await aio.sleep(0)

    async def failing() -> None:
        request.set("inside the task")
        raise ValueError("task")

    task = aio.create_task(failing(), name="failing")
    await aio.sleep(0)
    del task
    import gc

    gc.collect()
    loop.set_exception_handler(previous)


async def context_through_await_chains(aio: Any, say: Say) -> None:
    async def level(n: int) -> None:
        if n:
            request.set(f"level {n}")
            await level(n - 1)
            say("back at", n, "sees", request.get())
        else:
            await aio.sleep(0)

    await aio.create_task(level(3), name="chain")
    say("main unaffected:", request.get())


async def context_across_threads(aio: Any, say: Say) -> None:
    request.set("before to_thread")
    seen = await aio.to_thread(request.get)
    say("to_thread sees", seen)
    loop = aio.get_running_loop()
    say("run_in_executor sees", await loop.run_in_executor(None, request.get))


PROGRAMS = [
    tasks_get_copies, task_with_given_context, callbacks_get_copies, handle_context,
    context_through_await_chains, context_across_threads,
]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_same_transcript(both_backends: Any, program: Any) -> None:
    transcript = both_backends.run(program)
    assert transcript.same, transcript.diff
    assert not any(line.startswith("raised:") for line in transcript["asyncio"])


def test_errors_are_reported_in_their_context(both_backends: Any) -> None:
    transcript = both_backends.run(errors_reported_in_their_context)
    assert transcript.same, transcript.diff
    expected = "inside the callback" if sys.version_info >= (3, 12) else "none"
    assert transcript["miniloop"][0].startswith(f"handler sees {expected} for")


def test_to_thread_gets_a_copy(both_backends: Any) -> None:
    transcript = both_backends.run(context_across_threads)
    assert transcript["miniloop"] == [
        "to_thread sees before to_thread", "run_in_executor sees none"]
