"""Streams: ``await reader.readline()`` on top of protocols and transports.

Protocols are told about bytes; most programs would rather *ask* for them.
Streams are the adapter between the two styles:

* ``StreamReaderProtocol`` is an ordinary protocol. Its ``data_received``
  appends the bytes to a ``StreamReader``'s buffer (``feed_data``) and, if a
  task is parked waiting for data, wakes it by completing a future.
* ``StreamReader.read``/``readline``/``readexactly``/``readuntil`` take
  bytes from that buffer, parking the task (``_wait_for_data``) only
  while the buffer cannot satisfy them.
* ``StreamWriter.write`` is ``transport.write``. ``await drain()`` is the
  flow-control valve: it parks the task while the transport has paused the
  protocol (its write buffer is above the high-water mark).

The reader applies the same valve to incoming data: once its buffer holds
more than twice its ``limit``, it pauses the transport's reading, and it
resumes it once a read brings the buffer back under the limit. So a slow
consumer makes TCP slow the sender down instead of eating memory.

``open_connection`` and ``start_server`` just put the three together on
top of ``loop.create_connection`` and ``loop.create_server``.

Writing tries the socket first (``transport.write`` sends at once and
buffers only what the kernel refuses). Reading does not: a task that finds
the buffer empty parks right away instead of trying one more ``recv``.
In request/response traffic the peer's answer is almost never there yet,
so that extra system call fails nearly every time; measured on the echo
benchmark it cost 8%. The transport reads the moment the selector says
the socket is readable, which is as early as the bytes can be had.

Read next: ``processes.py`` (the same adapter for a child's pipes).
"""

from __future__ import annotations

import asyncio
import collections
import sys
import traceback
import warnings
import weakref
from asyncio import IncompleteReadError, LimitOverrunError
from collections.abc import Awaitable, Callable
from typing import Any

from miniloop.contract.reporting import logger
from miniloop.core.events import get_running_loop, loop_for_new_future
from miniloop.core.primitives import sleep
from miniloop.core.tasks import iscoroutine

DEFAULT_LIMIT = 2 ** 16  # 64 KiB: the longest line readline() accepts

ClientConnected = Callable[["StreamReader", "StreamWriter"], Awaitable[None] | None]


def stream_classes(loop: Any) -> tuple[type[StreamReader], type[StreamReaderProtocol],
                                       type[StreamWriter]]:
    """The reader, protocol and writer classes of ``loop``'s streams.

    These, unless the loop names classes of its own with the same
    behaviour (``stream_classes``: the fast loop does, ``fast/streams.py``).
    """
    return getattr(loop, "stream_classes", None) or (StreamReader, StreamReaderProtocol,
                                                      StreamWriter)


async def open_connection(host: Any = None, port: Any = None, *, limit: int = DEFAULT_LIMIT,
                          **kwds: Any) -> tuple[StreamReader, StreamWriter]:
    """Connect to ``host``:``port``; a ``(reader, writer)`` pair (``kwds`` go to
    ``loop.create_connection``)."""
    loop = get_running_loop()
    reader_class, protocol_class, writer_class = stream_classes(loop)
    reader = reader_class(limit=limit, loop=loop)
    protocol = protocol_class(reader, loop=loop)
    transport, _ = await loop.create_connection(lambda: protocol, host, port, **kwds)
    writer = writer_class(transport, protocol, reader, loop)
    return reader, writer


async def start_server(client_connected_cb: ClientConnected, host: Any = None,
                       port: Any = None, *, limit: int = DEFAULT_LIMIT, **kwds: Any) -> Any:
    """Serve on ``host``:``port``; call ``client_connected_cb(reader, writer)`` per client.

    If the callback is a coroutine function, each call runs as a task.
    """
    loop = get_running_loop()
    reader_class, protocol_class, _ = stream_classes(loop)

    def factory() -> StreamReaderProtocol:
        reader = reader_class(limit=limit, loop=loop)
        return protocol_class(reader, client_connected_cb, loop=loop)

    return await loop.create_server(factory, host, port, **kwds)


async def open_unix_connection(path: Any = None, *, limit: int = DEFAULT_LIMIT,
                               **kwds: Any) -> tuple[StreamReader, StreamWriter]:
    """``open_connection`` for a Unix domain socket at ``path``."""
    loop = get_running_loop()
    reader_class, protocol_class, writer_class = stream_classes(loop)
    reader = reader_class(limit=limit, loop=loop)
    protocol = protocol_class(reader, loop=loop)
    transport, _ = await loop.create_unix_connection(lambda: protocol, path, **kwds)
    writer = writer_class(transport, protocol, reader, loop)
    return reader, writer


async def start_unix_server(client_connected_cb: ClientConnected, path: Any = None, *,
                            limit: int = DEFAULT_LIMIT, **kwds: Any) -> Any:
    """``start_server`` on a Unix domain socket at ``path``."""
    loop = get_running_loop()
    reader_class, protocol_class, _ = stream_classes(loop)

    def factory() -> StreamReaderProtocol:
        reader = reader_class(limit=limit, loop=loop)
        return protocol_class(reader, client_connected_cb, loop=loop)

    return await loop.create_unix_server(factory, path, **kwds)


class FlowControlMixin(asyncio.Protocol):
    """Protocol half of ``drain()``: remembers whether writing is paused.

    asyncio contract: ``asyncio.Protocol`` is inherited as an interface.
    """

    def __init__(self, loop: Any = None) -> None:
        self._loop = loop_for_new_future() if loop is None else loop
        self._paused = False
        self._drain_waiters: collections.deque[Any] = collections.deque()
        self._connection_lost = False

    def pause_writing(self) -> None:
        """The transport's buffer went over the high-water mark."""
        assert not self._paused
        self._paused = True
        if self._loop.get_debug():
            logger.debug("%r pauses writing", self)

    def resume_writing(self) -> None:
        """The transport's buffer drained: wake every drain()."""
        assert self._paused
        self._paused = False
        if self._loop.get_debug():
            logger.debug("%r resumes writing", self)
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)

    def connection_lost(self, exc: BaseException | None) -> None:
        """Wake drain()s that wait for a buffer that will never drain now."""
        self._connection_lost = True
        if not self._paused:
            return
        for waiter in self._drain_waiters:
            if not waiter.done():
                if exc is None:
                    waiter.set_result(None)
                else:
                    waiter.set_exception(exc)

    async def _drain_helper(self) -> None:
        if self._connection_lost:
            raise ConnectionResetError("Connection lost")
        if not self._paused:
            return
        waiter = self._loop.create_future()
        self._drain_waiters.append(waiter)
        try:
            await waiter
        finally:
            self._drain_waiters.remove(waiter)

    def _get_close_waiter(self, stream: Any) -> Any:
        raise NotImplementedError


class StreamReaderProtocol(FlowControlMixin, asyncio.Protocol):
    """The protocol that feeds a StreamReader (and, for servers, starts the handler)."""

    _source_traceback: Any = None

    def __init__(self, stream_reader: StreamReader | None,
                 client_connected_cb: ClientConnected | None = None, loop: Any = None) -> None:
        super().__init__(loop=loop)
        # Weak: an abandoned reader may be garbage collected, and then its
        # connection is closed instead of leaking.
        self._stream_reader_wr: weakref.ref[StreamReader] | None = None
        if stream_reader is not None:
            self._stream_reader_wr = weakref.ref(stream_reader)
            self._source_traceback = stream_reader._source_traceback
        if client_connected_cb is not None:
            # A server's reader: nobody else holds it until the handler runs.
            self._strong_reader = stream_reader
        self._reject_connection = False
        self._stream_writer: StreamWriter | None = None
        self._task: Any = None
        self._transport: Any = None
        self._client_connected_cb = client_connected_cb
        self._over_ssl = False
        self._closed = self._loop.create_future()

    @property
    def _stream_reader(self) -> StreamReader | None:
        if self._stream_reader_wr is None:
            return None
        return self._stream_reader_wr()

    def _replace_transport(self, transport: Any) -> None:
        self._transport = transport
        self._over_ssl = transport.get_extra_info("sslcontext") is not None

    def _replace_writer(self, writer: StreamWriter) -> None:
        self._stream_writer = writer
        self._replace_transport(writer.transport)

    def connection_made(self, transport: Any) -> None:
        """Attach the reader; on a server, create the writer and run the handler."""
        if self._reject_connection:
            context: dict[str, Any] = {
                "message": ("An open stream was garbage collected prior to "
                            "establishing network connection; "
                            'call "stream.close()" explicitly.'),
            }
            if self._source_traceback:
                context["source_traceback"] = self._source_traceback
            self._loop.call_exception_handler(context)
            transport.abort()
            return
        self._transport = transport
        reader = self._stream_reader
        if reader is not None:
            reader.set_transport(transport)
        self._over_ssl = transport.get_extra_info("sslcontext") is not None
        if self._client_connected_cb is None:
            return
        writer = stream_classes(self._loop)[2](transport, self, reader, self._loop)
        if sys.version_info < (3, 13):
            self._stream_writer = writer
        result = self._client_connected_cb(reader, writer)  # type: ignore[arg-type]
        if iscoroutine(result):
            loop = self._loop

            # (Named `callback` inside connection_made, like asyncio's: the
            # name shows in the loop's error messages.)
            def callback(task: Any) -> None:
                # A handler that failed leaves its connection closed, and its
                # error reported: nobody awaits the handler's task. Before
                # 3.13, asyncio asked a cancelled handler for its exception
                # too, which raises CancelledError here and is reported as a
                # failed callback; we do the same.
                if task.cancelled() and sys.version_info >= (3, 13):
                    transport.close()
                    return
                exc = task.exception()
                if exc is not None:
                    loop.call_exception_handler({
                        "message": "Unhandled exception in client_connected_cb",
                        "exception": exc,
                        "transport": transport,
                    })
                    transport.close()

            self._task = loop.create_task(result)
            self._task.add_done_callback(callback)
        self._strong_reader = None

    def connection_lost(self, exc: BaseException | None) -> None:
        """EOF (or the error) for the reader; wake wait_closed() and drain()."""
        reader = self._stream_reader
        if reader is not None:
            if exc is None:
                reader.feed_eof()
            else:
                reader.set_exception(exc)
        if not self._closed.done():
            if exc is None:
                self._closed.set_result(None)
            else:
                self._closed.set_exception(exc)
        super().connection_lost(exc)
        self._stream_reader_wr = None
        self._stream_writer = None
        self._task = None
        self._transport = None

    def data_received(self, data: bytes) -> None:
        """Into the reader's buffer."""
        reader = self._stream_reader
        if reader is not None:
            reader.feed_data(data)

    def eof_received(self) -> bool:
        """The peer is done sending; we may still write (True keeps it open)."""
        reader = self._stream_reader
        if reader is not None:
            reader.feed_eof()
        # Over TLS, keeping a half-open connection is not possible (and
        # saying True would only earn a warning).
        return not self._over_ssl

    def _get_close_waiter(self, stream: Any) -> Any:
        return self._closed

    def __del__(self) -> None:
        # An error stored in _closed was delivered to whoever cared (or
        # nobody did): do not report it as lost.
        closed = getattr(self, "_closed", None)
        if closed is not None and closed.done() and not closed.cancelled():
            closed.exception()


class StreamWriter:
    """The writing half of a stream: ``write`` now, ``await drain()`` to respect flow control."""

    def __init__(self, transport: Any, protocol: Any, reader: StreamReader | None,
                 loop: Any) -> None:
        self._transport = transport
        self._protocol = protocol
        assert reader is None or isinstance(reader, StreamReader)
        self._reader = reader
        self._loop = loop
        self._complete_fut = loop.create_future()
        self._complete_fut.set_result(None)

    def __repr__(self) -> str:
        info = [type(self).__name__, f"transport={self._transport!r}"]
        if self._reader is not None:
            info.append(f"reader={self._reader!r}")
        return f"<{' '.join(info)}>"

    @property
    def transport(self) -> Any:
        """The transport underneath."""
        return self._transport

    def write(self, data: Any) -> None:
        """Queue ``data`` for sending (it usually leaves at once)."""
        self._transport.write(data)

    def writelines(self, data: Any) -> None:
        """Queue several buffers."""
        self._transport.writelines(data)

    def write_eof(self) -> Any:
        """Half-close: no more writes; the peer sees EOF."""
        return self._transport.write_eof()

    def can_write_eof(self) -> bool:
        """True if the transport can half-close."""
        return self._transport.can_write_eof()  # type: ignore[no-any-return]

    def close(self) -> Any:
        """Close the transport (buffered data is still sent)."""
        return self._transport.close()

    def is_closing(self) -> bool:
        """True once the transport is closing or closed."""
        return self._transport.is_closing()  # type: ignore[no-any-return]

    async def wait_closed(self) -> None:
        """Wait until the connection is closed (raises the error that closed it)."""
        await self._protocol._get_close_waiter(self)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """The transport's extra info (``peername``, ``socket``, ``ssl_object``...)."""
        return self._transport.get_extra_info(name, default)

    async def drain(self) -> None:
        """Wait until the transport's write buffer is below its high-water mark.

        Raises the reader's error, or ConnectionResetError once the
        connection is lost.
        """
        if self._reader is not None:
            exc = self._reader._exception
            if exc is not None:
                raise exc
        if self._transport.is_closing():
            # Let connection_lost run first, so that a program writing in a
            # loop sees the connection die instead of writing into the void.
            await sleep(0)
        protocol = self._protocol
        # The common case, decided without another coroutine object:
        # writing is not paused and the connection is alive.
        try:
            flowing = not (protocol._paused or protocol._connection_lost)
        except AttributeError:  # a protocol of its own kind: let it decide
            flowing = False
        if not flowing:
            await protocol._drain_helper()

    async def start_tls(self, sslcontext: Any, *, server_hostname: str | None = None,
                        ssl_handshake_timeout: float | None = None,
                        ssl_shutdown_timeout: float | None = None) -> None:
        """Upgrade this connection to TLS in place (after draining what was written)."""
        server_side = self._protocol._client_connected_cb is not None
        protocol = self._protocol
        await self.drain()
        new_transport = await self._loop.start_tls(
            self._transport, protocol, sslcontext, server_side=server_side,
            server_hostname=server_hostname, ssl_handshake_timeout=ssl_handshake_timeout,
            ssl_shutdown_timeout=ssl_shutdown_timeout)
        self._transport = new_transport
        if sys.version_info >= (3, 13):
            protocol._replace_transport(new_transport)
        else:
            protocol._replace_writer(self)

    def __del__(self, warnings: Any = warnings) -> None:
        transport = getattr(self, "_transport", None)
        if transport is None or transport.is_closing():
            return
        if self._loop.is_closed():
            warnings.warn("loop is closed", ResourceWarning)
        else:
            self.close()
            warnings.warn(f"unclosed {self!r}", ResourceWarning)


class StreamReader:
    """A buffer of received bytes, and coroutines that wait for enough of them."""

    _source_traceback: Any = None

    def __init__(self, limit: int = DEFAULT_LIMIT, loop: Any = None) -> None:
        # The limit caps line length (a defence against endless lines) and,
        # doubled, the buffer size before reading is paused.
        if limit <= 0:
            raise ValueError("Limit cannot be <= 0")
        self._limit = limit
        self._loop = loop_for_new_future() if loop is None else loop
        self._buffer = bytearray()
        self._eof = False
        self._waiter: Any = None  # the future a read*() is parked on
        self._exception: BaseException | None = None
        self._transport: Any = None
        self._paused = False
        if self._loop.get_debug():
            self._source_traceback = traceback.extract_stack(sys._getframe(1))

    def __repr__(self) -> str:
        info = ["StreamReader"]
        if self._buffer:
            info.append(f"{len(self._buffer)} bytes")
        if self._eof:
            info.append("eof")
        if self._limit != DEFAULT_LIMIT:
            info.append(f"limit={self._limit}")
        if self._waiter:
            info.append(f"waiter={self._waiter!r}")
        if self._exception:
            info.append(f"exception={self._exception!r}")
        if self._transport:
            info.append(f"transport={self._transport!r}")
        if self._paused:
            info.append("paused")
        return f"<{' '.join(info)}>"

    # --- the protocol's side: bytes come in ------------------------------------------

    def exception(self) -> BaseException | None:
        """The error that ended the stream, if any."""
        return self._exception

    def set_exception(self, exc: BaseException) -> None:
        """End the stream with ``exc``: every read raises it."""
        self._exception = exc
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.cancelled():
                waiter.set_exception(exc)

    def _wakeup_waiter(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.cancelled():
                waiter.set_result(None)

    def set_transport(self, transport: Any) -> None:
        """Attach the transport (to pause and resume its reading)."""
        assert self._transport is None, "Transport already set"
        self._transport = transport

    def _maybe_resume_transport(self) -> None:
        if self._paused and len(self._buffer) <= self._limit:
            self._paused = False
            self._transport.resume_reading()

    def feed_eof(self) -> None:
        """The peer will send nothing more."""
        self._eof = True
        self._wakeup_waiter()

    def at_eof(self) -> bool:
        """True when EOF was received and the buffer is empty."""
        return self._eof and not self._buffer

    def feed_data(self, data: bytes) -> None:
        """Append received bytes; wake a parked reader; pause reading if too much."""
        assert not self._eof, "feed_data after feed_eof"
        if not data:
            return
        self._buffer.extend(data)
        self._wakeup_waiter()
        self._maybe_pause_transport()

    def _maybe_pause_transport(self) -> None:
        if (self._transport is not None and not self._paused
                and len(self._buffer) > 2 * self._limit):
            try:
                self._transport.pause_reading()
            except NotImplementedError:
                # This transport cannot pause: buffer everything instead.
                self._transport = None
            else:
                self._paused = True

    async def _wait_for_data(self, func_name: str) -> None:
        """Park until feed_data() or feed_eof() (resuming reading if it was paused)."""
        waiter = self._new_waiter(func_name)
        try:
            await waiter
        finally:
            self._waiter = None

    def _new_waiter(self, func_name: str) -> Any:
        """The future that ``func_name()`` parks on until data (or EOF) arrives."""
        # One waiter at a time: with two, which one would get the bytes?
        if self._waiter is not None:
            raise RuntimeError(f"{func_name}() called while another coroutine is "
                               f"already waiting for incoming data")
        assert not self._eof, "_wait_for_data after EOF"
        # Paused with too little data to satisfy us would wait for ever
        # (readexactly(n) with n above the limit, say).
        if self._paused:
            self._paused = False
            self._transport.resume_reading()
        self._waiter = self._loop.create_future()
        return self._waiter

    # --- the task's side: bytes go out ---------------------------------------------------

    async def readline(self) -> bytes:
        """Read up to and including b"\\n" (or what is left at EOF).

        A line longer than the limit raises ValueError; the line (or, with
        no newline in sight, the whole buffer) is discarded.
        """
        separator = b"\n"
        try:
            return await self.readuntil(separator)
        except IncompleteReadError as exc:
            return exc.partial
        except LimitOverrunError as exc:
            if self._buffer.startswith(separator, exc.consumed):
                del self._buffer[:exc.consumed + len(separator)]
            else:
                self._buffer.clear()
            self._maybe_resume_transport()
            raise ValueError(exc.args[0])

    async def readuntil(self, separator: Any = b"\n") -> bytes:
        """Read up to and including ``separator`` (3.13+: or any of a tuple of them).

        LimitOverrunError if the limit is reached first (the data stays in
        the buffer); IncompleteReadError at EOF without a separator (the
        data is in its ``partial``).
        """
        if isinstance(separator, tuple) and sys.version_info >= (3, 13):
            separators = sorted(separator, key=len)  # the shortest match wins
            if not separators:
                raise ValueError("Separator should contain at least one element")
        else:
            separators = [separator]
        shortest, longest = len(separators[0]), len(separators[-1])
        if shortest == 0:
            raise ValueError("Separator should be at least one-byte string")
        if self._exception is not None:
            raise self._exception

        # Bytes before `offset` are known to hold no separator, so each
        # search starts there instead of at the beginning again.
        offset = 0
        while True:
            buffer = self._buffer
            length = len(buffer)
            if length - offset >= shortest:
                match_start = match_end = -1
                for candidate in separators:
                    found = buffer.find(candidate, offset)
                    if found != -1 and (match_end == -1 or found + len(candidate) < match_end):
                        match_start, match_end = found, found + len(candidate)
                if match_end != -1:
                    break
                # A separator may straddle the end of what we have: keep
                # its possible beginning in the next search.
                offset = max(0, length + 1 - longest)
                if offset > self._limit:
                    raise LimitOverrunError(
                        "Separator is not found, and chunk exceed the limit", offset)
            # Check EOF only now: the last bytes may have completed a separator.
            if self._eof:
                chunk = bytes(self._buffer)
                self._buffer.clear()
                raise IncompleteReadError(chunk, None)
            await self._wait_for_data("readuntil")

        if match_start > self._limit:
            raise LimitOverrunError(
                "Separator is found, but chunk is longer than limit", match_start)
        return self._take(match_end)

    async def read(self, n: int = -1) -> bytes:
        """Read up to ``n`` bytes (as soon as any are there); all until EOF if ``n`` < 0."""
        if self._exception is not None:
            raise self._exception
        if n == 0:
            return b""
        if n < 0:
            # In limit-sized pieces, so that reading stays unpaused.
            blocks = []
            while True:
                block = await self.read(self._limit)
                if not block:
                    break
                blocks.append(block)
            return b"".join(blocks)
        if not self._buffer and not self._eof:
            await self._wait_for_data("read")
        return self._take(n)

    async def readexactly(self, n: int) -> bytes:
        """Read exactly ``n`` bytes; IncompleteReadError if EOF comes first."""
        if n < 0:
            raise ValueError("readexactly size can not be less than zero")
        if self._exception is not None:
            raise self._exception
        if n == 0:
            return b""
        while len(self._buffer) < n:
            if self._eof:
                incomplete = bytes(self._buffer)
                self._buffer.clear()
                raise IncompleteReadError(incomplete, n)
            await self._wait_for_data("readexactly")
        return self._take(n)

    def _take(self, n: int) -> bytes:
        """The first ``n`` bytes of the buffer (all of it, if fewer), taken out of it."""
        buffer = self._buffer
        if len(buffer) <= n:
            data = bytes(buffer)
            buffer.clear()
        else:
            data = bytes(memoryview(buffer)[:n])
            del buffer[:n]
        self._maybe_resume_transport()
        return data

    def __aiter__(self) -> StreamReader:
        return self

    async def __anext__(self) -> bytes:
        line = await self.readline()
        if line == b"":
            raise StopAsyncIteration
        return line


__all__ = [
    "DEFAULT_LIMIT", "FlowControlMixin", "IncompleteReadError", "LimitOverrunError",
    "StreamReader", "StreamReaderProtocol", "StreamWriter", "open_connection",
    "open_unix_connection", "start_server", "start_unix_server",
]
