"""A loop's whole life: run, Runner, shutdown, refusal to nest, close, Ctrl-C.

These programs run *outside* any loop (they call ``run`` themselves), so
they are plain functions ``program(aio, say)``, run three ways as in the
harness: asyncio; miniloop; asyncio's functions making miniloop loops
(through ``miniloop.use_miniloop()``, the event-loop policy).
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import miniloop
from tests.children import hear_ctrl_c
from tests.differential.harness import Say

Program = Callable[[Any, Say], None]
KINDS = ("asyncio", "miniloop", "asyncio-on-miniloop")


def run_everywhere(program: Program) -> dict[str, list[str]]:
    """The transcript of ``program`` on each backend."""
    transcripts = {}
    for kind in KINDS:
        lines: list[str] = []

        def say(*parts: object, lines: list[str] = lines) -> None:
            lines.append(" ".join(str(part) for part in parts))

        if kind == "asyncio-on-miniloop":
            miniloop.use_miniloop()
        try:
            program(miniloop if kind == "miniloop" else asyncio, say)
        except BaseException as exc:
            say("raised:", repr(exc))
        finally:
            asyncio.set_event_loop_policy(None)
            gc.collect()
        transcripts[kind] = lines
    return transcripts


def assert_same(transcripts: dict[str, list[str]]) -> list[str]:
    """All backends said the same; return what they said."""
    first = transcripts["asyncio"]
    for kind, lines in transcripts.items():
        assert lines == first, f"{kind} differs:\n{lines}\nasyncio:\n{first}"
    assert first, "the program said nothing"
    return first


def report_to(say: Say) -> Callable[[Any, dict[str, Any]], None]:
    def handler(loop: Any, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = re.sub(r" at 0x[0-9a-f]+", "", context["message"])  # addresses differ
        say("handler:", message, repr(exc) if exc is not None else "")
    return handler


# --- run: cleaning up after main ---------------------------------------------------


def leftovers_are_cancelled_and_awaited(aio: Any, say: Say) -> None:
    async def leftover() -> None:
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            say("leftover cancelled")
            await aio.sleep(0)  # clean-up may still await
            say("leftover cleaned up")
            raise

    async def main() -> str:
        aio.create_task(leftover())
        await aio.sleep(0)
        say("main returns")
        return "result"

    say("run returned", aio.run(main()))


def leftover_failing_during_shutdown(aio: Any, say: Say) -> None:
    async def stubborn() -> None:
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            raise ValueError("failed while cancelled") from None

    async def refuses() -> str:
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            say("refuses to be cancelled")
        return "kept going"

    async def main() -> None:
        aio.get_running_loop().set_exception_handler(report_to(say))
        aio.create_task(stubborn())
        aio.create_task(refuses())
        await aio.sleep(0)

    aio.run(main())
    say("run returned")


def async_generators_closed_last(aio: Any, say: Say) -> None:
    async def ticks() -> Any:
        try:
            for i in range(10):
                yield i
                await aio.sleep(0)
        finally:
            say("generator closes, loop running:", aio.get_running_loop().is_running())

    async def leftover() -> None:
        try:
            await aio.sleep(10)
        finally:
            say("leftover task cleans up")

    async def main() -> None:
        aio.create_task(leftover())
        generator = ticks()
        say("first tick", await generator.__anext__())
        main.generator = generator  # type: ignore[attr-defined]  (kept alive)

    aio.run(main())
    say("run returned")


def async_generator_that_fails_to_close(aio: Any, say: Say) -> None:
    async def bad() -> Any:
        try:
            yield 1
        finally:
            raise RuntimeError("cannot close")

    async def main() -> None:
        aio.get_running_loop().set_exception_handler(report_to(say))
        generator = bad()
        await generator.__anext__()
        main.generator = generator  # type: ignore[attr-defined]

    aio.run(main())
    say("run returned")


def abandoned_async_generator_is_finalized(aio: Any, say: Say) -> None:
    async def numbers() -> Any:
        try:
            yield 1
            yield 2
        finally:
            say("finalizer runs in a task:", aio.current_task() is not None)

    async def main() -> None:
        generator = numbers()
        await generator.__anext__()
        del generator
        gc.collect()
        say("dropped")
        await aio.sleep(0)
        await aio.sleep(0)
        say("main ends")

    aio.run(main())


def shutdown_asyncgens_by_hand(aio: Any, say: Say) -> None:
    async def forever() -> Any:
        try:
            while True:
                yield
        finally:
            say("closed by shutdown_asyncgens")

    loop = aio.new_event_loop()
    try:
        generator = forever()
        loop.run_until_complete(generator.__anext__())
        loop.run_until_complete(loop.shutdown_asyncgens())
        say("shut down; a second call is harmless")
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


def default_executor_is_shut_down(aio: Any, say: Say) -> None:
    def job() -> str:
        time.sleep(0.02)
        say("job finishes")
        return "job result"

    async def main() -> None:
        loop = aio.get_running_loop()
        loop.run_in_executor(None, job)
        await aio.sleep(0)
        say("main returns before the job")

    aio.run(main())
    say("run returned after the job")


# --- refusing to nest, closing ----------------------------------------------------------


def nesting_is_refused(aio: Any, say: Say) -> None:
    async def noop() -> None:
        pass

    async def main() -> None:
        loop = aio.get_running_loop()
        attempts = [
            ("run", lambda: aio.run(noop())),
            ("run_until_complete", lambda: loop.run_until_complete(noop())),
            ("Runner.run", lambda: aio.Runner().run(noop())),
            ("close", loop.close),
        ]
        if sys.version_info[:2] != (3, 13):
            # asyncio 3.13 refuses too, but its clean-up then forgets that
            # the loop is running (see test_run_forever_refused_cleanly).
            attempts.insert(2, ("run_forever", loop.run_forever))
        for name, attempt in attempts:
            try:
                attempt()
            except RuntimeError as exc:
                say(name, "refused:", exc)
        other = aio.new_event_loop()
        try:
            other.run_until_complete(noop())
        except RuntimeError as exc:
            say("another loop refused:", exc)
        finally:
            other.close()

    with_warnings_ignored(lambda: aio.run(main()))


def with_warnings_ignored(call: Callable[[], object]) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "never awaited"
        call()


def test_run_forever_refused_cleanly() -> None:
    # A deliberate difference from asyncio 3.13.0, whose run_forever runs its
    # clean-up even when its checks refuse to start, and so unregisters the
    # loop that *is* running. miniloop refuses without touching anything.
    async def main() -> tuple[str, bool, bool]:
        loop = miniloop.get_running_loop()
        try:
            loop.run_forever()
        except RuntimeError as exc:
            message = str(exc)
        return message, loop.is_running(), asyncio.get_running_loop() is loop

    assert miniloop.run(main()) == ("This event loop is already running", True, True)


def closed_loops(aio: Any, say: Say) -> None:
    loop = aio.new_event_loop()
    say("new loop:", loop.is_running(), loop.is_closed())
    loop.close()
    loop.close()  # twice is fine
    say("closed:", loop.is_closed())

    async def noop() -> None:
        pass

    coro = noop()
    for name, attempt in [
        ("call_soon", lambda: loop.call_soon(print)),
        ("call_later", lambda: loop.call_later(1, print)),
        ("call_soon_threadsafe", lambda: loop.call_soon_threadsafe(print)),
        ("run_forever", loop.run_forever),
        ("create_task", lambda: loop.create_task(coro)),
        ("run_until_complete", lambda: loop.run_until_complete(coro)),
        ("run_in_executor", lambda: loop.run_in_executor(None, print)),
    ]:
        try:
            attempt()
        except RuntimeError as exc:
            say(name, "->", exc)
    coro.close()


def stopped_before_done(aio: Any, say: Say) -> None:
    loop = aio.new_event_loop()
    try:
        fut = loop.create_future()
        loop.call_soon(loop.stop)
        try:
            loop.run_until_complete(fut)
        except RuntimeError as exc:
            say(exc)
        loop.call_soon(fut.set_result, "later")
        say("then:", loop.run_until_complete(fut))
        loop.stop()  # stop before running: the next run_forever does one turn
        loop.call_soon(say, "one turn runs")
        loop.run_forever()
        say("stopped at once")
    finally:
        loop.close()


def run_arguments(aio: Any, say: Say) -> None:
    for value in (1, None):
        try:
            aio.run(value)
        except (ValueError, TypeError) as exc:
            say(type(exc).__name__, exc)

    async def debug_mode() -> bool:
        return bool(aio.get_running_loop().get_debug())

    say("debug:", aio.run(debug_mode(), debug=True), aio.run(debug_mode(), debug=False))

    async def fails() -> None:
        raise KeyError("from main")

    try:
        aio.run(fails())
    except KeyError as exc:
        say("main's exception propagates:", repr(exc))

    async def exits() -> None:
        await aio.sleep(0)
        raise SystemExit(3)

    try:
        aio.run(exits())
    except SystemExit as exc:
        say("SystemExit propagates:", exc.code)


def runner_lifecycle(aio: Any, say: Say) -> None:
    import contextvars

    seen: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="unset")

    async def write() -> str:
        seen.set("written in the first run")
        return "first"

    async def read() -> str:
        return seen.get()

    with aio.Runner() as runner:
        loop = runner.get_loop()
        say(runner.run(write()), "|", runner.run(read()))
        say("same loop:", runner.get_loop() is loop, "running:", loop.is_running())
        other = contextvars.copy_context()
        say("given context:", runner.run(read(), context=other))
    say("closed loop:", loop.is_closed())
    coro = read()
    try:
        runner.run(coro)
    except RuntimeError as exc:
        say(exc)
    coro.close()
    try:
        runner.get_loop()
    except RuntimeError as exc:
        say(exc)
    runner.close()  # closing twice is fine
    debug_runner = aio.Runner(debug=True)
    say("debug runner:", debug_runner.get_loop().get_debug())
    debug_runner.close()


PROGRAMS = [
    leftovers_are_cancelled_and_awaited, leftover_failing_during_shutdown,
    async_generators_closed_last, async_generator_that_fails_to_close,
    abandoned_async_generator_is_finalized, shutdown_asyncgens_by_hand,
    default_executor_is_shut_down, nesting_is_refused, closed_loops, stopped_before_done,
    run_arguments, runner_lifecycle,
]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_same_transcript(program: Program) -> None:
    lines = assert_same(run_everywhere(program))
    assert not any(line.startswith("raised:") for line in lines), lines


def test_shutdown_order() -> None:
    lines = assert_same(run_everywhere(async_generators_closed_last))
    assert lines == ["first tick 0", "leftover task cleans up",
                     "generator closes, loop running: True", "run returned"]


def test_nested_runs_are_refused_with_asyncios_messages() -> None:
    lines = assert_same(run_everywhere(nesting_is_refused))
    assert lines[:2] == [
        "run refused: asyncio.run() cannot be called from a running event loop",
        "run_until_complete refused: This event loop is already running",
    ]
    assert ("Runner.run refused: Runner.run() cannot be called from a running event loop"
            in lines)
    assert "close refused: Cannot close a running event loop" in lines
    assert lines[-1] == ("another loop refused: "
                         "Cannot run the event loop while another loop is running")


# --- Ctrl-C -------------------------------------------------------------------------------

SIGINT_PROGRAM = textwrap.dedent("""
    import asyncio, sys
    if sys.argv[1] == "miniloop":
        import miniloop as aio
    else:
        aio = asyncio

    async def leftover():
        try:
            await aio.sleep(30)
        finally:
            print("leftover cleans up", flush=True)

    async def main():
        aio.create_task(leftover())
        print("ready", flush=True)
        try:
            await aio.sleep(30)
        except aio.CancelledError:
            print("main cancelled", flush=True)
            raise
        finally:
            print("main cleans up", flush=True)

    try:
        aio.run(main())
    except KeyboardInterrupt as exc:
        print("KeyboardInterrupt, context:", type(exc.__context__).__name__, flush=True)
        raise
""")


def interrupt(backend: str, tmp_path: Path) -> tuple[int, str, str]:
    script = tmp_path / "interrupted.py"
    script.write_text(SIGINT_PROGRAM)
    child = subprocess.Popen([sys.executable, str(script), backend], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parents[2],
                             preexec_fn=hear_ctrl_c)
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"
    os.kill(child.pid, signal.SIGINT)
    out, err = child.communicate(timeout=30)
    return child.returncode, out, err.strip().splitlines()[-1]


def test_ctrl_c_cancels_main_then_raises_keyboard_interrupt(tmp_path: Path) -> None:
    on_asyncio = interrupt("asyncio", tmp_path)
    on_miniloop = interrupt("miniloop", tmp_path)
    assert on_miniloop == on_asyncio
    assert on_asyncio[1] == ("main cancelled\nmain cleans up\nleftover cleans up\n"
                             "KeyboardInterrupt, context: CancelledError\n")
    assert on_asyncio[2] == "KeyboardInterrupt"
