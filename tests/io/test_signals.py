"""signals.py: signals wake a sleeping loop; closing restores the defaults."""

from __future__ import annotations

import os
import signal
import threading

import pytest

import miniloop


def test_a_signal_wakes_a_loop_that_sleeps_without_timers() -> None:
    async def main() -> str:
        loop = miniloop.get_running_loop()
        got = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR1, got.set_result, "woken")
        # Nothing scheduled: the loop sleeps in select() with no timeout.
        threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGUSR1)).start()
        return await got  # type: ignore[no-any-return]

    assert miniloop.run(main()) == "woken"


def test_closing_the_loop_restores_default_handlers() -> None:
    loop = miniloop.Loop()
    loop.add_signal_handler(signal.SIGUSR2, print)
    assert signal.getsignal(signal.SIGUSR2) not in (signal.SIG_DFL, None)
    loop.close()
    assert signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL
    assert signal.set_wakeup_fd(-1) == -1  # nobody left it set


def test_only_the_main_thread_may_handle_signals() -> None:
    errors: list[BaseException] = []

    def in_thread() -> None:
        loop = miniloop.Loop()
        try:
            loop.add_signal_handler(signal.SIGUSR1, print)
        except RuntimeError as exc:
            errors.append(exc)
        finally:
            loop.close()

    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join()
    assert len(errors) == 1 and "main thread" in str(errors[0])


def test_a_cancelled_handle_removes_itself() -> None:
    async def main() -> bool:
        loop = miniloop.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, print)
        loop._signal_handlers[signal.SIGUSR1].cancel()
        os.kill(os.getpid(), signal.SIGUSR1)
        await miniloop.sleep(0.05)
        return signal.SIGUSR1 in loop._signal_handlers

    assert miniloop.run(main()) is False


@pytest.mark.parametrize("bad", [signal.SIGKILL, signal.SIGSTOP])
def test_uncatchable_signals(bad: int) -> None:
    loop = miniloop.Loop()
    try:
        with pytest.raises(RuntimeError, match=f"sig {bad} cannot be caught"):
            loop.add_signal_handler(bad, print)
        assert signal.set_wakeup_fd(-1) == -1
    finally:
        loop.close()
