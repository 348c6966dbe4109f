"""Subprocesses, pipes and signals: the same transcript on asyncio and on miniloop."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from tests.differential.harness import Say
from tests.differential.test_io import run_and_compare

PY = sys.executable


def test_communicate_and_exit_codes(both_backends: Any) -> None:
    async def program(aio: Any, say: Say) -> None:
        pipe = aio.subprocess.PIPE
        proc = await aio.create_subprocess_exec(
            PY, "-c", "import sys; data = sys.stdin.read(); print(data.upper()); "
                      "print('to stderr', file=sys.stderr); sys.exit(3)",
            stdin=pipe, stdout=pipe, stderr=pipe)
        say("pid is an int:", isinstance(proc.pid, int), "returncode before:", proc.returncode)
        say(await proc.communicate(b"hello"))
        say("returncode:", proc.returncode, await proc.wait())
        proc = await aio.create_subprocess_shell("echo out; echo err >&2; exit 7",
                                                 stdout=pipe, stderr=aio.subprocess.STDOUT)
        say("shell:", await proc.communicate(), proc.returncode)
        proc = await aio.create_subprocess_exec(PY, "-c", "print('x' * 100000)",
                                                stdout=pipe, stdin=aio.subprocess.DEVNULL)
        out, err = await proc.communicate()
        say("big output:", len(out), err)

    run_and_compare(both_backends, program)


def test_reading_lines_kill_and_wait(both_backends: Any) -> None:
    async def program(aio: Any, say: Say) -> None:
        pipe = aio.subprocess.PIPE
        proc = await aio.create_subprocess_exec(
            PY, "-u", "-c", "import sys\nfor line in sys.stdin: print('echo', line.strip())",
            stdin=pipe, stdout=pipe)
        for word in ("one", "two"):
            proc.stdin.write(word.encode() + b"\n")
            await proc.stdin.drain()
            say(await proc.stdout.readline())
        proc.stdin.close()
        await proc.stdin.wait_closed()
        say("eof:", await proc.stdout.read(), "exit:", await proc.wait())
        sleeper = await aio.create_subprocess_exec("sleep", "30")
        sleeper.terminate()
        say("terminated:", await sleeper.wait())
        sleeper = await aio.create_subprocess_exec("sleep", "30")
        sleeper.send_signal(signal.SIGKILL)
        say("killed:", await sleeper.wait(), sleeper.returncode)
        try:
            sleeper.kill()
        except ProcessLookupError:
            say("kill after the end: ProcessLookupError")
        say("repr:", repr(sleeper) == f"<Process {sleeper.pid}>")
        lines = await aio.create_subprocess_shell("printf 'a\\nb\\nc'", stdout=pipe)
        say("lines:", [line async for line in lines.stdout], await lines.wait())

    run_and_compare(both_backends, program)


def test_subprocess_that_dies_early(both_backends: Any) -> None:
    async def program(aio: Any, say: Say) -> None:
        pipe = aio.subprocess.PIPE
        proc = await aio.create_subprocess_exec(PY, "-c", "import sys; sys.exit(5)", stdin=pipe,
                                                stdout=pipe)
        say("exit:", await proc.wait())
        proc.stdin.write(b"x" * 200_000)
        try:
            await proc.stdin.drain()
            say("drain returned")
        except (BrokenPipeError, ConnectionResetError) as exc:
            say("drain:", type(exc).__name__)
        say("stdout:", await proc.stdout.read())
        proc = await aio.create_subprocess_exec(PY, "-c", "import os; os._exit(9)", stdin=pipe,
                                                stdout=pipe, stderr=pipe)
        say("communicate ignores the broken pipe:", await proc.communicate(b"y" * 500_000),
            proc.returncode)
        try:
            await aio.create_subprocess_exec("/no/such/program")
        except FileNotFoundError as exc:
            say("no program:", type(exc).__name__, exc.errno)
        loop = aio.get_running_loop()
        for arguments in [{"universal_newlines": True}, {"bufsize": 1}, {"text": True},
                          {"encoding": "utf-8"}, {"errors": "strict"}, {"shell": True}]:
            try:
                await loop.subprocess_exec(aio.SubprocessProtocol, "true", **arguments)
            except ValueError as exc:
                say(exc)
        try:
            await loop.subprocess_shell(aio.SubprocessProtocol, ["true"])
        except ValueError as exc:
            say(exc)
        await aio.sleep(0)
        say("loop usable")

    run_and_compare(both_backends, program)


def test_subprocess_protocol_callbacks(both_backends: Any) -> None:
    async def program(aio: Any, say: Say) -> None:
        loop = aio.get_running_loop()
        done = loop.create_future()
        received: dict[int, bytes] = {1: b"", 2: b""}
        events: list[str] = []

        class Recording(aio.SubprocessProtocol):  # type: ignore[misc, name-defined]
            def connection_made(self, transport: Any) -> None:
                say("connection_made; pipes:",
                    [transport.get_pipe_transport(fd) is not None for fd in (0, 1, 2)])

            def pipe_data_received(self, fd: int, data: bytes) -> None:
                received[fd] += data

            def pipe_connection_lost(self, fd: int, exc: BaseException | None) -> None:
                events.append(f"pipe {fd} lost {exc}")

            def process_exited(self) -> None:
                events.append("process_exited")

            def connection_lost(self, exc: BaseException | None) -> None:
                say("connection_lost", exc, "after", sorted(events))
                done.set_result(None)

        transport, _ = await loop.subprocess_exec(
            Recording, PY, "-c", "import sys; sys.stdout.write(sys.stdin.read()); "
                                 "sys.stderr.write('e')")
        transport.get_pipe_transport(0).write(b"piped")
        transport.get_pipe_transport(0).close()
        await done
        say("received:", received, "returncode:", transport.get_returncode())
        say("closing:", transport.is_closing())
        transport.close()
        try:
            transport.kill()
        except ProcessLookupError:
            say("kill after close: ProcessLookupError")

    run_and_compare(both_backends, program)


def test_pipes(both_backends: Any) -> None:
    async def program(aio: Any, say: Say) -> None:
        loop = aio.get_running_loop()
        read_fd, write_fd = os.pipe()
        reader_done = loop.create_future()

        class Reader(aio.Protocol):  # type: ignore[misc, name-defined]
            def connection_made(self, transport: Any) -> None:
                say("reader connection_made")

            def data_received(self, data: bytes) -> None:
                say("reader data_received", data)

            def eof_received(self) -> None:
                say("reader eof_received")

            def connection_lost(self, exc: BaseException | None) -> None:
                say("reader connection_lost", exc)
                reader_done.set_result(None)

        class Writer(aio.Protocol):  # type: ignore[misc, name-defined]
            def connection_made(self, transport: Any) -> None:
                say("writer connection_made")

            def connection_lost(self, exc: BaseException | None) -> None:
                say("writer connection_lost", exc)

        read_transport, _ = await loop.connect_read_pipe(Reader, os.fdopen(read_fd, "rb"))
        write_transport, _ = await loop.connect_write_pipe(Writer, os.fdopen(write_fd, "wb"))
        say("pipe extra:", read_transport.get_extra_info("pipe") is not None)
        write_transport.write(b"through the pipe")
        await aio.sleep(0.02)
        read_transport.pause_reading()
        read_transport.pause_reading()
        say("reading:", read_transport.is_reading())
        write_transport.write(b" more")
        await aio.sleep(0.02)
        read_transport.resume_reading()
        await aio.sleep(0.02)
        say("can write eof:", write_transport.can_write_eof(),
            write_transport.get_write_buffer_size())
        write_transport.close()
        await reader_done
        import tempfile

        with tempfile.TemporaryFile() as regular:
            try:
                await loop.connect_read_pipe(aio.Protocol, regular)
            except ValueError as exc:
                say(exc)
        # The reader goes away first: the writer learns at once.
        read_fd, write_fd = os.pipe()
        write_transport, _ = await loop.connect_write_pipe(Writer, os.fdopen(write_fd, "wb"))
        os.close(read_fd)
        await aio.sleep(0.05)
        say("writer closing:", write_transport.is_closing())

    run_and_compare(both_backends, program)


def test_signal_handlers(both_backends: Any) -> None:
    async def program(aio: Any, say: Say) -> None:
        loop = aio.get_running_loop()
        got = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR1, lambda tag: got.set_result(tag), "usr1")
        os.kill(os.getpid(), signal.SIGUSR1)
        say("handler ran with:", await got)
        calls: list[int] = []
        loop.add_signal_handler(signal.SIGUSR2, calls.append, 2)
        loop.add_signal_handler(signal.SIGUSR2, calls.append, 22)  # replaces the first
        os.kill(os.getpid(), signal.SIGUSR2)
        await aio.sleep(0.05)
        say("replaced handler:", calls)
        say("removed:", loop.remove_signal_handler(signal.SIGUSR1),
            loop.remove_signal_handler(signal.SIGUSR1), loop.remove_signal_handler(signal.SIGUSR2))
        say("default again:", signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL)
        for bad, kind in [("USR1", TypeError), (0, ValueError), (signal.SIGKILL, RuntimeError)]:
            try:
                loop.add_signal_handler(bad, print)
            except kind as exc:
                say(type(exc).__name__, exc)

        async def coroutine_function() -> None:
            pass

        try:
            loop.add_signal_handler(signal.SIGUSR1, coroutine_function)
        except TypeError as exc:
            say(exc)

    run_and_compare(both_backends, program)
