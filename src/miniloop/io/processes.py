"""Processes: ``create_subprocess_exec`` with streams for the child's pipes.

``loop.subprocess_exec`` speaks protocols. Most programs want streams
instead: ``await proc.stdout.readline()``, ``proc.stdin.write(...)``,
``await proc.communicate(input)``, ``await proc.wait()``. This module is
the adapter, exactly as ``streams.py`` is for sockets: a protocol
(``SubprocessStreamProtocol``) that feeds one ``StreamReader`` per output
pipe and wraps stdin in a ``StreamWriter``, and a ``Process`` object that
holds them.

The one subtlety is when the transport may be closed: only once the
child has exited *and* every output pipe has reached EOF, so that no
output is lost.

Read next: back to ``__init__.py`` for the map of the IO wing.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

from miniloop.contract.reporting import logger
from miniloop.core.events import get_running_loop
from miniloop.core.primitives import gather
from miniloop.io.streams import DEFAULT_LIMIT, FlowControlMixin, StreamReader, StreamWriter

PIPE = subprocess.PIPE
STDOUT = subprocess.STDOUT
DEVNULL = subprocess.DEVNULL


class SubprocessStreamProtocol(FlowControlMixin, asyncio.SubprocessProtocol):
    """Feeds the child's stdout/stderr into StreamReaders; stdin is a StreamWriter."""

    def __init__(self, limit: int, loop: Any) -> None:
        super().__init__(loop=loop)
        self._limit = limit
        self.stdin: StreamWriter | None = None
        self.stdout: StreamReader | None = None
        self.stderr: StreamReader | None = None
        self._transport: Any = None
        self._process_exited = False
        self._pipe_fds: list[int] = []  # output pipes not at EOF yet
        self._stdin_closed = self._loop.create_future()

    def __repr__(self) -> str:
        info = [type(self).__name__]
        for name in ("stdin", "stdout", "stderr"):
            stream = getattr(self, name)
            if stream is not None:
                info.append(f"{name}={stream!r}")
        return f"<{' '.join(info)}>"

    def connection_made(self, transport: Any) -> None:
        """Make the streams for the pipes the child has."""
        self._transport = transport
        for fd, name in ((1, "stdout"), (2, "stderr")):
            pipe = transport.get_pipe_transport(fd)
            if pipe is not None:
                reader = StreamReader(limit=self._limit, loop=self._loop)
                reader.set_transport(pipe)
                setattr(self, name, reader)
                self._pipe_fds.append(fd)
        stdin = transport.get_pipe_transport(0)
        if stdin is not None:
            self.stdin = StreamWriter(stdin, protocol=self, reader=None, loop=self._loop)

    def _reader_for(self, fd: int) -> StreamReader | None:
        return self.stdout if fd == 1 else self.stderr if fd == 2 else None

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        """Output from the child: into its reader."""
        reader = self._reader_for(fd)
        if reader is not None:
            reader.feed_data(data)

    def pipe_connection_lost(self, fd: int, exc: BaseException | None) -> None:
        """A pipe closed: EOF for an output, wait_closed() for stdin."""
        if fd == 0:
            if self.stdin is not None:
                self.stdin.close()
            self.connection_lost(exc)
            if exc is None:
                self._stdin_closed.set_result(None)
            else:
                self._stdin_closed.set_exception(exc)
                # Nobody has to call wait_closed(): do not report the error as lost.
                self._stdin_closed._log_traceback = False
            return
        reader = self._reader_for(fd)
        if reader is not None:
            if exc is None:
                reader.feed_eof()
            else:
                reader.set_exception(exc)
        if fd in self._pipe_fds:
            self._pipe_fds.remove(fd)
        self._maybe_close_transport()

    def process_exited(self) -> None:
        """The child exited."""
        self._process_exited = True
        self._maybe_close_transport()

    def _maybe_close_transport(self) -> None:
        if not self._pipe_fds and self._process_exited:
            self._transport.close()
            self._transport = None

    def _get_close_waiter(self, stream: Any) -> Any:
        if stream is self.stdin:
            return self._stdin_closed
        return None


class Process:
    """A child process started by ``create_subprocess_exec``/``_shell``."""

    def __init__(self, transport: Any, protocol: SubprocessStreamProtocol, loop: Any) -> None:
        self._transport = transport
        self._protocol = protocol
        self._loop = loop
        self.stdin = protocol.stdin
        self.stdout = protocol.stdout
        self.stderr = protocol.stderr
        self.pid = transport.get_pid()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.pid}>"

    @property
    def returncode(self) -> int | None:
        """The exit code, once the child has exited (negative: killed by that signal)."""
        return self._transport.get_returncode()  # type: ignore[no-any-return]

    async def wait(self) -> int:
        """Wait for the child to exit; return its exit code."""
        return await self._transport._wait()  # type: ignore[no-any-return]

    def send_signal(self, signal: int) -> None:
        """Send ``signal`` to the child."""
        self._transport.send_signal(signal)

    def terminate(self) -> None:
        """Ask the child to stop (SIGTERM)."""
        self._transport.terminate()

    def kill(self) -> None:
        """Stop the child now (SIGKILL)."""
        self._transport.kill()

    async def _feed_stdin(self, input: bytes | None) -> None:
        debug = self._loop.get_debug()
        assert self.stdin is not None
        try:
            if input is not None:
                self.stdin.write(input)
                if debug:
                    logger.debug("%r communicate: feed stdin (%s bytes)", self, len(input))
            await self.stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            # The child stopped reading (or exited): that is its business.
            if debug:
                logger.debug("%r communicate: stdin got %r", self, exc)
        if debug:
            logger.debug("%r communicate: close stdin", self)
        self.stdin.close()

    async def _noop(self) -> None:
        return None

    async def _read_stream(self, fd: int) -> bytes:
        transport = self._transport.get_pipe_transport(fd)
        stream = self.stderr if fd == 2 else self.stdout
        assert stream is not None
        name = "stdout" if fd == 1 else "stderr"
        if self._loop.get_debug():
            logger.debug("%r communicate: read %s", self, name)
        output = await stream.read()
        if self._loop.get_debug():
            logger.debug("%r communicate: close %s", self, name)
        transport.close()
        return output

    async def communicate(self, input: bytes | None = None) -> tuple[Any, Any]:
        """Send ``input``, read stdout and stderr to the end, wait for the exit."""
        feeds_stdin = (self.stdin is not None if sys.version_info >= (3, 12)
                       else input is not None)
        stdin = self._feed_stdin(input) if feeds_stdin else self._noop()
        stdout = self._read_stream(1) if self.stdout is not None else self._noop()
        stderr = self._read_stream(2) if self.stderr is not None else self._noop()
        _, out, err = await gather(stdin, stdout, stderr)
        await self.wait()
        return (out, err)


async def create_subprocess_shell(cmd: Any, stdin: Any = None, stdout: Any = None,
                                  stderr: Any = None, limit: int = DEFAULT_LIMIT,
                                  **kwds: Any) -> Process:
    """Run ``cmd`` in the shell; a Process (pass ``stdout=PIPE`` etc. to get streams)."""
    loop = get_running_loop()
    transport, protocol = await loop.subprocess_shell(
        lambda: SubprocessStreamProtocol(limit=limit, loop=loop), cmd, stdin=stdin,
        stdout=stdout, stderr=stderr, **kwds)
    return Process(transport, protocol, loop)


async def create_subprocess_exec(program: Any, *args: Any, stdin: Any = None,
                                 stdout: Any = None, stderr: Any = None,
                                 limit: int = DEFAULT_LIMIT, **kwds: Any) -> Process:
    """Run ``program`` with ``args``; a Process (pass ``stdout=PIPE`` etc. to get streams)."""
    loop = get_running_loop()
    transport, protocol = await loop.subprocess_exec(
        lambda: SubprocessStreamProtocol(limit=limit, loop=loop), program, *args, stdin=stdin,
        stdout=stdout, stderr=stderr, **kwds)
    return Process(transport, protocol, loop)
