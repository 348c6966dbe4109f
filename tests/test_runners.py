"""runners.py: run and Runner, their options, and Ctrl-C.

The shared behaviour is compared with asyncio in
tests/differential/test_lifecycle.py; these tests pin miniloop's extras
(``clock=``) and the Ctrl-C details that need a process of their own.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import miniloop
from miniloop import Runner, VirtualClock
from tests.children import hear_ctrl_c


async def loop_time_after_sleeping(seconds: float) -> float:
    await miniloop.sleep(seconds)
    return miniloop.get_running_loop().time()


def test_run_on_virtual_time() -> None:
    assert miniloop.run(loop_time_after_sleeping(3600), clock=VirtualClock()) == 3600.0


def test_run_with_a_loop_factory() -> None:
    made: list[Any] = []

    def factory() -> Any:
        made.append(miniloop.Loop(clock=VirtualClock(start=10)))
        return made[-1]

    assert miniloop.run(loop_time_after_sleeping(1), loop_factory=factory) == 11.0
    assert made[0].is_closed()


def test_a_runner_takes_a_factory_or_a_clock_not_both() -> None:
    with pytest.raises(ValueError, match="loop_factory or a clock"):
        Runner(loop_factory=miniloop.Loop, clock=VirtualClock())


def test_the_runners_loop_is_asyncios_current_loop_while_it_lives() -> None:
    with Runner() as runner:
        assert asyncio.get_event_loop() is runner.get_loop()
    asyncio.set_event_loop_policy(None)


def test_run_closes_the_loop_and_shuts_the_pool_down() -> None:
    loops: list[Any] = []

    async def main() -> None:
        loop = miniloop.get_running_loop()
        loops.append(loop)
        await loop.run_in_executor(None, sum, [1, 2])

    miniloop.run(main())
    [loop] = loops
    assert loop.is_closed() and loop._default_executor is None


def test_the_sigint_handler_is_restored_after_run() -> None:
    before = signal.getsignal(signal.SIGINT)
    seen: list[Any] = []

    async def main() -> None:
        seen.append(signal.getsignal(signal.SIGINT))

    miniloop.run(main())
    assert seen[0] is not before and signal.getsignal(signal.SIGINT) is before


def test_a_custom_sigint_handler_is_left_alone() -> None:
    def custom(signum: int, frame: Any) -> None:
        pass

    previous = signal.signal(signal.SIGINT, custom)
    try:
        async def main() -> Any:
            return signal.getsignal(signal.SIGINT)

        assert miniloop.run(main()) is custom
    finally:
        signal.signal(signal.SIGINT, previous)


TWICE = textwrap.dedent("""
    import os, signal, sys
    import miniloop

    async def main():
        try:
            await miniloop.sleep(30)
        except miniloop.CancelledError:
            print("cancelled once; refusing to stop", flush=True)
            os.kill(os.getpid(), signal.SIGINT)  # the second Ctrl-C
            await miniloop.sleep(30)

    loop = miniloop.Loop()
    loop.call_later(0.05, os.kill, os.getpid(), signal.SIGINT)
    try:
        miniloop.run(main(), loop_factory=lambda: loop)
    except KeyboardInterrupt:
        print("KeyboardInterrupt", flush=True)
""")


def test_a_second_ctrl_c_interrupts_at_once(tmp_path: Path) -> None:
    script = tmp_path / "twice.py"
    script.write_text(TWICE)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=30, cwd=Path(__file__).resolve().parents[1])
    assert done.stdout == "cancelled once; refusing to stop\nKeyboardInterrupt\n", done.stderr


def test_ctrl_c_outside_the_main_thread_is_not_intercepted() -> None:
    import threading

    results: list[Any] = []

    def in_thread() -> None:
        async def main() -> Any:
            return signal.getsignal(signal.SIGINT)

        results.append(miniloop.run(main()))

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert results == [signal.default_int_handler]


@pytest.mark.skipif(os.name != "posix", reason="signals to a child process")
def test_ctrl_c_ends_in_keyboard_interrupt_after_cleanup(tmp_path: Path) -> None:
    script = tmp_path / "once.py"
    script.write_text(textwrap.dedent("""
        import miniloop

        async def main():
            try:
                print("ready", flush=True)
                await miniloop.sleep(30)
            finally:
                print("cleaned up", flush=True)

        miniloop.run(main())
    """))
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parents[1],
                             preexec_fn=hear_ctrl_c)
    assert child.stdout is not None and child.stdout.readline() == "ready\n"
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    assert out == "cleaned up\n"
    assert err.strip().endswith("KeyboardInterrupt")
    assert child.returncode == -signal.SIGINT  # re-raised as the signal, as Python does
