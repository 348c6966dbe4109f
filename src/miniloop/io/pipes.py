"""Pipes: transports for the two ends of an OS pipe.

A pipe is one-way, so there are two transports: one that reads (and
delivers ``data_received``, then ``eof_received`` when the writer closes
its end) and one that writes (with the same buffering and flow control as
a socket transport). They work on anything the selector can watch that
is a pipe, a socket or a character device (a terminal, say); regular
files are refused, because a file is always "ready" and would spin the
loop.

One trick: how does the *writing* end learn that the reader went away?
Writing would fail with EPIPE, but only when we write. So the write
transport also watches its descriptor for *readability*: on a pipe's
write end that only ever fires when the other end is closed.

These transports are what ``subprocesses.py`` uses for a child's stdin,
stdout and stderr.

Read next: ``subprocesses.py``.
"""

from __future__ import annotations

import asyncio
import errno
import os
import stat
import sys
import warnings
from collections.abc import Callable
from typing import Any

from miniloop.contract.reporting import logger
from miniloop.io.readiness import READ, WRITE
from miniloop.io.sockets import WOULD_BLOCK, SocketsMixin
from miniloop.io.transports import (
    CONNECTION_LOST_WRITES_BEFORE_WARNING,
    FlowControl,
    set_result_unless_cancelled,
    shown_as,
)


def _describe(transport: Any, pipe: Any, fd: int | None, closing: bool, event: int) -> list[str]:
    info = [type(transport).__name__]
    if pipe is None:
        info.append("closed")
    elif closing:
        info.append("closing")
    info.append(f"fd={fd}")
    loop = transport._loop
    if pipe is not None and loop is not None and not loop.is_closed() and fd is not None:
        info.append("polling" if loop._is_watched(fd, event) else "idle")
    elif pipe is not None:
        info.append("open")
    else:
        info.append("closed")
    return info


@shown_as("_UnixReadPipeTransport")
class ReadPipeTransport(asyncio.ReadTransport):
    """The reading end of a pipe, driving a protocol.

    asyncio contract: ``asyncio.ReadTransport`` is inherited as an interface.
    """

    max_size = 256 * 1024  # how much one read() may return

    _pipe: Any = None  # read by __del__ even if __init__ failed

    def __init__(self, loop: Any, pipe: Any, protocol: Any, waiter: Any = None,
                 extra: dict[str, Any] | None = None) -> None:
        self._extra: dict[str, Any] = {} if extra is None else dict(extra)
        self._extra["pipe"] = pipe  # asyncio.BaseTransport.get_extra_info reads _extra
        self._loop = loop
        self._pipe = pipe
        self._fileno: int | None = pipe.fileno()
        self._protocol = protocol
        self._closing = False
        self._paused = False
        mode = os.fstat(self._fileno).st_mode
        if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)):
            self._pipe = self._fileno = self._protocol = None
            raise ValueError("Pipe transport is for pipes/sockets only.")
        os.set_blocking(self._fileno, False)
        loop.call_soon(self._protocol.connection_made, self)
        loop.call_soon(self._start_reading)  # only once the protocol knows
        if waiter is not None:
            loop.call_soon(set_result_unless_cancelled, waiter, None)

    def __repr__(self) -> str:
        return f"<{' '.join(_describe(self, self._pipe, self._fileno, self._closing, READ))}>"

    def _start_reading(self) -> None:
        if self.is_reading():
            self._loop._watch(self._fileno, READ, self._read_ready)

    def _read_ready(self) -> None:
        # Through the loop's scratch buffer, as socket reads (see sockets.py).
        scratch = self._loop._read_scratch
        try:
            nbytes = os.readv(self._fileno, (scratch[:self.max_size],))  # type: ignore[arg-type]
        except WOULD_BLOCK:
            return
        except OSError as exc:
            self._fatal_error(exc, "Fatal read error on pipe transport")
            return
        if nbytes:
            self._protocol.data_received(bytes(scratch[:nbytes]))
            return
        # The writer closed its end.
        if self._loop.get_debug():
            logger.info("%r was closed by peer", self)
        self._closing = True
        self._loop._unwatch(self._fileno, READ)
        self._loop.call_soon(self._protocol.eof_received)
        self._loop.call_soon(self._call_connection_lost, None)

    def is_reading(self) -> bool:
        """True unless paused or closing."""
        return not self._paused and not self._closing

    def pause_reading(self) -> None:
        """Stop reading. Idempotent."""
        if not self.is_reading():
            return
        self._paused = True
        self._loop._unwatch(self._fileno, READ)
        if self._loop.get_debug():
            logger.debug("%r pauses reading", self)

    def resume_reading(self) -> None:
        """Read again. Idempotent."""
        if self._closing or not self._paused:
            return
        self._paused = False
        self._loop._watch(self._fileno, READ, self._read_ready)
        if self._loop.get_debug():
            logger.debug("%r resumes reading", self)

    def set_protocol(self, protocol: Any) -> None:
        """Deliver future events to ``protocol``."""
        self._protocol = protocol

    def get_protocol(self) -> Any:
        """The protocol events go to."""
        return self._protocol

    def is_closing(self) -> bool:
        """True once closing started."""
        return self._closing

    def close(self) -> None:
        """Stop reading and close the pipe (connection_lost(None) follows)."""
        if not self._closing:
            self._close(None)

    def __del__(self, _warn: Any = warnings.warn) -> None:
        if self._pipe is not None:
            _warn(f"unclosed transport {self!r}", ResourceWarning, source=self)
            self._pipe.close()

    def _fatal_error(self, exc: BaseException, message: str = "Fatal error on pipe transport"
                     ) -> None:
        if isinstance(exc, OSError) and exc.errno == errno.EIO:
            # EIO: the terminal at the other end went away. Not a bug.
            if self._loop.get_debug():
                logger.debug("%r: %s", self, message, exc_info=True)
        else:
            self._loop.call_exception_handler({
                "message": message,
                "exception": exc,
                "transport": self,
                "protocol": self._protocol,
            })
        self._close(exc)

    def _close(self, exc: BaseException | None) -> None:
        self._closing = True
        self._loop._unwatch(self._fileno, READ)
        self._loop.call_soon(self._call_connection_lost, exc)

    def _call_connection_lost(self, exc: BaseException | None) -> None:
        try:
            self._protocol.connection_lost(exc)
        finally:
            self._pipe.close()
            self._pipe = None
            self._protocol = None
            self._loop = None


@shown_as("_UnixWritePipeTransport")
class WritePipeTransport(FlowControl, asyncio.Transport):
    """The writing end of a pipe, with a buffer and flow control.

    asyncio contract: ``asyncio.Transport`` is inherited as an interface, the
    whole of it, as asyncio's write pipe inherits it: ``pause_reading()``
    on a write pipe raises asyncio's NotImplementedError, not AttributeError.
    """

    _pipe: Any = None  # read by __del__ even if __init__ failed

    def __init__(self, loop: Any, pipe: Any, protocol: Any, waiter: Any = None,
                 extra: dict[str, Any] | None = None) -> None:
        self._extra: dict[str, Any] = {} if extra is None else dict(extra)
        self._init_flow_control(loop)
        self._extra["pipe"] = pipe  # asyncio.BaseTransport.get_extra_info reads _extra
        self._pipe = pipe
        self._fileno: int | None = pipe.fileno()
        self._protocol = protocol
        self._buffer = bytearray()
        self._conn_lost = 0
        self._closing = False  # close() or write_eof() was called
        mode = os.fstat(self._fileno).st_mode
        is_socket = stat.S_ISSOCK(mode)
        is_fifo = stat.S_ISFIFO(mode)
        if not (stat.S_ISCHR(mode) or is_fifo or is_socket):
            self._pipe = self._fileno = self._protocol = None
            raise ValueError("Pipe transport is only for pipes, sockets and character devices")
        os.set_blocking(self._fileno, False)
        loop.call_soon(self._protocol.connection_made, self)
        if is_socket or (is_fifo and not sys.platform.startswith("aix")):
            # Readable write end = the reader is gone (see the module doc).
            loop.call_soon(loop._watch, self._fileno, READ, self._read_ready)
        if waiter is not None:
            loop.call_soon(set_result_unless_cancelled, waiter, None)

    def __repr__(self) -> str:
        info = _describe(self, self._pipe, self._fileno, self._closing, WRITE)
        if self._pipe is not None and self._loop is not None and not self._loop.is_closed():
            info.append(f"bufsize={self.get_write_buffer_size()}")
        return f"<{' '.join(info)}>"

    def get_write_buffer_size(self) -> int:
        """How many bytes wait in the buffer."""
        return len(self._buffer)

    def _read_ready(self) -> None:
        # The other end of the pipe was closed.
        if self._loop.get_debug():
            logger.info("%r was closed by peer", self)
        if self._buffer:
            self._close(BrokenPipeError())
        else:
            self._close()

    def write(self, data: Any) -> None:
        """Write now if the pipe takes it, else buffer. Never blocks."""
        assert isinstance(data, (bytes, bytearray, memoryview)), repr(data)
        if isinstance(data, bytearray):
            data = memoryview(data)
        if not data:
            return
        if self._conn_lost or self._closing:
            if self._conn_lost >= CONNECTION_LOST_WRITES_BEFORE_WARNING:
                logger.warning("pipe closed by peer or os.write(pipe, data) raised exception.")
            self._conn_lost += 1
            return
        if not self._buffer:
            try:
                written = os.write(self._fileno, data)  # type: ignore[arg-type]
            except WOULD_BLOCK:
                written = 0
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._conn_lost += 1
                self._fatal_error(exc, "Fatal write error on pipe transport")
                return
            if written == len(data):
                return
            if written > 0:
                data = memoryview(data)[written:]
            self._loop._watch(self._fileno, WRITE, self._write_ready)
        self._buffer += data
        self._maybe_pause_protocol()

    def _write_ready(self) -> None:
        try:
            written = os.write(self._fileno, self._buffer)  # type: ignore[arg-type]
        except WOULD_BLOCK:
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._buffer.clear()
            self._conn_lost += 1
            self._loop._unwatch(self._fileno, WRITE)
            self._fatal_error(exc, "Fatal write error on pipe transport")
            return
        if written == len(self._buffer):
            self._buffer.clear()
            self._loop._unwatch(self._fileno, WRITE)
            self._maybe_resume_protocol()  # the protocol may write more here
            if self._closing:
                self._loop._unwatch(self._fileno, READ)
                self._call_connection_lost(None)
            return
        if written > 0:
            del self._buffer[:written]

    def can_write_eof(self) -> bool:
        """True: closing the write end is the EOF."""
        return True

    def write_eof(self) -> None:
        """Close the pipe once the buffer is flushed."""
        if self._closing:
            return
        assert self._pipe
        self._closing = True
        if not self._buffer:
            self._loop._unwatch(self._fileno, READ)
            self._loop.call_soon(self._call_connection_lost, None)

    def set_protocol(self, protocol: Any) -> None:
        """Deliver future events to ``protocol``."""
        self._protocol = protocol

    def get_protocol(self) -> Any:
        """The protocol events go to."""
        return self._protocol

    def is_closing(self) -> bool:
        """True once close() or write_eof() was called."""
        return self._closing

    def close(self) -> None:
        """Flush, then close the pipe (the reader sees EOF)."""
        if self._pipe is not None and not self._closing:
            self.write_eof()

    def __del__(self, _warn: Any = warnings.warn) -> None:
        if self._pipe is not None:
            _warn(f"unclosed transport {self!r}", ResourceWarning, source=self)
            self._pipe.close()

    def abort(self) -> None:
        """Close now, dropping the buffer."""
        self._close(None)

    def _fatal_error(self, exc: BaseException, message: str = "Fatal error on pipe transport"
                     ) -> None:
        if isinstance(exc, OSError):
            if self._loop.get_debug():
                logger.debug("%r: %s", self, message, exc_info=True)
        else:
            self._loop.call_exception_handler({
                "message": message,
                "exception": exc,
                "transport": self,
                "protocol": self._protocol,
            })
        self._close(exc)

    def _close(self, exc: BaseException | None = None) -> None:
        self._closing = True
        if self._buffer:
            self._loop._unwatch(self._fileno, WRITE)
        self._buffer.clear()
        self._loop._unwatch(self._fileno, READ)
        self._loop.call_soon(self._call_connection_lost, exc)

    def _call_connection_lost(self, exc: BaseException | None) -> None:
        try:
            self._protocol.connection_lost(exc)
        finally:
            self._pipe.close()
            self._pipe = None
            self._protocol = None
            self._loop = None


class PipesMixin(SocketsMixin):
    """``connect_read_pipe`` and ``connect_write_pipe``."""

    async def connect_read_pipe(self, protocol_factory: Callable[[], Any],
                                pipe: Any) -> tuple[Any, Any]:
        """Read from ``pipe`` (a file object) with a protocol: ``(transport, protocol)``."""
        protocol = protocol_factory()
        waiter = self.create_future()
        transport = ReadPipeTransport(self, pipe, protocol, waiter)
        try:
            await waiter
        except BaseException:
            transport.close()
            raise
        if self._debug:
            logger.debug("Read pipe %r connected: (%r, %r)", pipe.fileno(), transport, protocol)
        return transport, protocol

    async def connect_write_pipe(self, protocol_factory: Callable[[], Any],
                                 pipe: Any) -> tuple[Any, Any]:
        """Write to ``pipe`` (a file object) through a transport: ``(transport, protocol)``."""
        protocol = protocol_factory()
        waiter = self.create_future()
        transport = WritePipeTransport(self, pipe, protocol, waiter)
        try:
            await waiter
        except BaseException:
            transport.close()
            raise
        if self._debug:
            logger.debug("Write pipe %r connected: (%r, %r)", pipe.fileno(), transport, protocol)
        return transport, protocol
