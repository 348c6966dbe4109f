"""subprocesses.py: the child watcher (pidfd and thread), exit codes, virtual time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

import pytest

import miniloop
from miniloop.io import subprocesses
from miniloop.io.subprocesses import exit_code
from tests.io.fd_leaks import no_fd_leak


def test_exit_codes() -> None:
    assert exit_code(0) == 0
    assert exit_code(3 << 8) == 3
    assert exit_code(signal.SIGKILL) == -signal.SIGKILL


async def run_children() -> list[Any]:
    outcome = []
    for code in (0, 4):
        process = await miniloop.create_subprocess_exec(
            sys.executable, "-c", f"import sys; sys.exit({code})")
        outcome.append(await process.wait())
    shell = await miniloop.create_subprocess_shell("echo hi", stdout=subprocess.PIPE)
    outcome.append(await shell.communicate())
    return outcome


def test_the_pidfd_watcher() -> None:
    if not subprocesses.PIDFDS_WORK:
        pytest.skip("no pidfds on this system")
    with no_fd_leak():
        assert miniloop.run(run_children()) == [0, 4, (b"hi\n", None)]


def test_the_thread_watcher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocesses, "PIDFDS_WORK", False)
    with no_fd_leak():
        assert miniloop.run(run_children()) == [0, 4, (b"hi\n", None)]


def test_a_child_reaped_by_someone_else_is_still_reported() -> None:
    async def main() -> Any:
        process = await miniloop.create_subprocess_exec(sys.executable, "-c", "pass")
        popen = process._transport._proc
        popen.wait()  # Popen reaps the child behind the watcher's back
        return await process.wait()

    assert miniloop.run(main()) == 0


def test_virtual_time_waits_for_a_running_child() -> None:
    # A child may call back at any time: a virtual clock must not jump past it.
    async def main() -> Any:
        process = await miniloop.create_subprocess_exec(
            sys.executable, "-c", "import time; time.sleep(0.2)")
        try:
            await miniloop.wait_for(process.wait(), 3600)
        except TimeoutError:
            return "timed out"
        return process.returncode

    assert miniloop.run(main(), clock=miniloop.VirtualClock()) == 0


def test_closing_the_transport_kills_a_running_child() -> None:
    async def main() -> Any:
        process = await miniloop.create_subprocess_exec("sleep", "30")
        process._transport.close()
        return await process.wait()

    with no_fd_leak():
        assert miniloop.run(main()) == -signal.SIGKILL


def test_repr() -> None:
    async def main() -> list[str]:
        process = await miniloop.create_subprocess_exec(
            sys.executable, "-c", "pass", stdout=subprocess.PIPE)
        running = repr(process._transport)
        await process.communicate()
        return [running.replace(str(process.pid), "PID"),
                repr(process._transport).replace(str(process.pid), "PID")]

    running, finished = miniloop.run(main())
    assert running.startswith(
        "<_UnixSubprocessTransport pid=PID running stdout=<_UnixReadPipeTransport")
    assert finished.startswith("<_UnixSubprocessTransport closed pid=PID returncode=0")


def test_the_loop_closes_with_children_running() -> None:
    loop = miniloop.Loop()

    async def main() -> Any:
        return await miniloop.create_subprocess_exec("sleep", "0.2")

    process = loop.run_until_complete(main())
    loop.close()  # leaves the child running, as asyncio does, and closes its pidfd
    os.waitpid(process.pid, 0)
