"""sendfile: a file down a transport, by the kernel if it can.

``os.sendfile`` copies from a file to a socket inside the kernel: the
bytes never visit Python. A transport can use it when it has a plain
socket and nothing else is in flight, so ``loop.sendfile`` first takes the
socket away from the transport for a while: it stops the transport
reading, waits until the transport's write buffer is empty (bytes written
earlier must arrive first), sends the file on the bare socket with
``sock_sendfile``, and hands the socket back.

When the kernel cannot help (a TLS transport encrypts in Python; some
files are not real files), the *fallback* reads the file in chunks in a
thread and writes them to the transport, pausing whenever the transport's
buffer is above its high-water mark, exactly like a well-behaved protocol
would. For the duration, a small stand-in protocol receives the
transport's flow-control calls.

Read next: ``unix.py``.
"""

from __future__ import annotations

import asyncio
from asyncio import SendfileNotAvailableError
from typing import Any

from miniloop.io.sockets import SocketsMixin

# The fallback reads the file in chunks of this size (asyncio's figure).
FALLBACK_CHUNK = 16 * 1024


class _SendfileFallbackProtocol(asyncio.Protocol):
    """Stands in for the transport's protocol while the fallback writes."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._protocol = transport.get_protocol()
        self._resume_reading_after = transport.is_reading()
        self._resume_writing_after = transport._protocol_paused
        transport.pause_reading()
        transport.set_protocol(self)
        self._writable: Any = (transport._loop.create_future()
                               if self._resume_writing_after else None)

    async def drain(self) -> None:
        """Wait until the transport can take more (or fail if it closed)."""
        if self._transport.is_closing():
            raise ConnectionError("Connection closed by peer")
        if self._writable is not None:
            await self._writable

    def connection_made(self, transport: Any) -> None:
        """Never expected: the connection exists already."""
        raise RuntimeError("Invalid state: connection should have been established already.")

    def connection_lost(self, exc: BaseException | None) -> None:
        """The connection died mid-file: fail the writer, tell the real protocol."""
        if self._writable is not None:
            self._writable.set_exception(
                exc if exc is not None else ConnectionError("Connection is closed by peer"))
        self._protocol.connection_lost(exc)

    def pause_writing(self) -> None:
        """The transport's buffer is full: drain() will wait."""
        if self._writable is None:
            self._writable = self._transport._loop.create_future()

    def resume_writing(self) -> None:
        """The transport's buffer drained: let drain() go on."""
        if self._writable is not None:
            self._writable.set_result(False)
            self._writable = None

    def data_received(self, data: bytes) -> None:
        """Never expected: reading is paused."""
        raise RuntimeError("Invalid state: reading should be paused")

    def eof_received(self) -> bool:
        """Never expected: reading is paused."""
        raise RuntimeError("Invalid state: reading should be paused")

    async def restore(self) -> None:
        """Give the transport back to its protocol, in the state we found it."""
        self._transport.set_protocol(self._protocol)
        if self._resume_reading_after:
            self._transport.resume_reading()
        if self._writable is not None:
            self._writable.cancel()  # nobody waits on it any more
        if self._resume_writing_after:
            self._protocol.resume_writing()


class SendfileMixin(SocketsMixin):
    """``loop.sendfile``."""

    async def sendfile(self, transport: Any, file: Any, offset: int = 0,
                       count: int | None = None, *, fallback: bool = True) -> int:
        """Send ``file`` (from ``offset``, ``count`` bytes or to the end) over ``transport``."""
        if transport.is_closing():
            raise RuntimeError("Transport is closing")
        mode = getattr(transport, "_sendfile_mode", None)
        if mode is None:
            raise RuntimeError(f"sendfile is not supported for transport {transport!r}")
        if mode == "native":
            try:
                return await self._sendfile_native(transport, file, offset, count)
            except SendfileNotAvailableError:
                if not fallback:
                    raise
        if not fallback:
            raise RuntimeError(f"fallback is disabled and native sendfile is not "
                               f"supported for transport {transport!r}")
        return await self._sendfile_by_writing(transport, file, offset, count)

    async def _sendfile_native(self, transport: Any, file: Any, offset: int,
                                  count: int | None) -> int:
        fd = transport._sock_fd
        # For the duration the socket is ours, not the transport's.
        del self._transports[fd]
        resume_reading = transport.is_reading()
        transport.pause_reading()
        await transport._make_empty_waiter()
        try:
            return await self.sock_sendfile(transport._sock, file, offset, count,
                                            fallback=False)
        finally:
            transport._reset_empty_waiter()
            if resume_reading:
                transport.resume_reading()
            self._transports[fd] = transport

    async def _sendfile_by_writing(self, transport: Any, file: Any, offset: int,
                                   count: int | None) -> int:
        if offset:
            file.seek(offset)
        chunk = min(count, FALLBACK_CHUNK) if count else FALLBACK_CHUNK
        buffer = bytearray(chunk)
        total = 0
        stand_in = _SendfileFallbackProtocol(transport)
        try:
            while True:
                if count:
                    chunk = min(count - total, chunk)
                    if chunk <= 0:
                        return total
                view = memoryview(buffer)[:chunk]
                read = await self.run_in_executor(None, file.readinto, view)
                if not read:
                    return total
                await stand_in.drain()
                transport.write(view[:read])
                total += read
        finally:
            if total > 0 and hasattr(file, "seek"):
                file.seek(offset + total)
            await stand_in.restore()
