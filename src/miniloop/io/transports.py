"""Transports: a socket that reads by itself and tells a protocol.

``sock_recv`` makes a task ask for bytes. A *transport* turns that around:
it keeps the socket registered with the selector for as long as the
connection lives, reads whatever arrives, and hands it to a *protocol*
object through callbacks. The protocol never waits; it is told:

    connection_made(transport)   once, first
    data_received(data)          each time bytes arrive
    eof_received()               the peer will send no more
    connection_lost(exc)         once, last (None: a clean close)

Writing goes the other way. ``transport.write(data)`` never blocks and
never fails on the spot: it tries ``send`` right away, and whatever the
kernel would not take waits in a buffer that the transport drains when
the selector says "writable". A buffer that only grows is a memory leak,
so the transport watches its size: above the *high-water mark* it calls
``protocol.pause_writing()``, and once drained below the *low-water mark*,
``protocol.resume_writing()``. Streams turn that into ``await drain()``.
Reading has the same valve the other way round: ``pause_reading()`` takes
the socket out of the selector, so the kernel buffer fills and TCP slows
the sender down.

Every callback order and error message here is asyncio's, because
programs (and aiohttp) depend on them.

Read next: ``tls.py`` (the same transport interface, encrypted), then
``servers.py`` and ``connections.py`` (where transports come from).
"""

from __future__ import annotations

import asyncio
import asyncio.trsock
import collections
import itertools
import os
import socket
import sys
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from miniloop.contract.reporting import logger
from miniloop.io.readiness import READ, WRITE
from miniloop.io.sockets import WOULD_BLOCK

# After this many writes to a lost connection, each further one logs a warning.
CONNECTION_LOST_WRITES_BEFORE_WARNING = 5

# How many buffers one sendmsg() call may gather.
try:
    _IOV_MAX = os.sysconf("SC_IOV_MAX")
except (AttributeError, OSError, ValueError):  # pragma: no cover - exotic systems
    _IOV_MAX = 0


def set_result_unless_cancelled(future: Any, result: object) -> None:
    """Complete ``future`` unless its awaiter gave up on it."""
    if not future.cancelled():
        future.set_result(result)


def _unsent_part(data: Any, sent: int) -> Any:
    # What goes into a write buffer must not change under our feet: bytes
    # are immutable and can be shared (a memoryview skips the copy), but a
    # caller's bytearray may be reused for the next message, so we copy it.
    if isinstance(data, bytes):
        return memoryview(data)[sent:] if sent else data
    return bytes(memoryview(data)[sent:])


def disable_nagle(sock: socket.socket) -> None:
    """Send small writes at once instead of waiting to batch them (TCP only)."""
    if (sock.family in (socket.AF_INET, socket.AF_INET6)
            and sock.type == socket.SOCK_STREAM and sock.proto == socket.IPPROTO_TCP):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


AnyClass = TypeVar("AnyClass", bound=type)


def shown_as(asyncio_name: str) -> Callable[[AnyClass], AnyClass]:
    """Class decorator: reprs and error reports show asyncio's name for the class.

    Programs see a transport's class name: in its repr, and in the loop's
    error reports ("transport: <_SelectorSocketTransport fd=7 read=polling
    ...>"), which tests compare and logs are searched for. So the class
    answers to asyncio's name there, while the source and imports keep a
    readable one (``SocketTransport``).
    """

    def rename(cls: AnyClass) -> AnyClass:
        cls.__name__ = cls.__qualname__ = asyncio_name
        return cls

    return rename


class TransportSocket(asyncio.trsock.TransportSocket):
    """What ``get_extra_info("socket")`` gives out: a socket you cannot break.

    The transport owns the socket; closing it or making it blocking behind
    the transport's back would wreck the connection. This view offers the
    harmless operations only (options, names, shutdown). Its repr is
    asyncio's, word for word, because programs print it.

    asyncio contract: ``asyncio.trsock.TransportSocket`` is inherited as an
    interface (programs check ``isinstance``); every method is defined here.
    """

    __slots__ = ()

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    @property
    def family(self) -> int:
        """The socket's address family."""
        return self._sock.family

    @property
    def type(self) -> int:
        """The socket's type (stream, datagram)."""
        return self._sock.type

    @property
    def proto(self) -> int:
        """The socket's protocol number."""
        return self._sock.proto

    def __repr__(self) -> str:
        text = (f"<asyncio.TransportSocket fd={self.fileno()}, family={self.family!s}, "
                f"type={self.type!s}, proto={self.proto}")
        if self.fileno() != -1:
            for label, method in (("laddr", self.getsockname), ("raddr", self.getpeername)):
                try:
                    address = method()
                except OSError:
                    continue
                if address:
                    text = f"{text}, {label}={address}"
        return f"{text}>"

    def __getstate__(self) -> Any:
        raise TypeError("Cannot serialize asyncio.TransportSocket object")

    def fileno(self) -> int:
        """The descriptor number."""
        return self._sock.fileno()

    def dup(self) -> socket.socket:
        """A new, independent socket object for the same connection."""
        return self._sock.dup()

    def get_inheritable(self) -> bool:
        """Whether child processes inherit the descriptor."""
        return self._sock.get_inheritable()

    def shutdown(self, how: int) -> None:
        """Shut down one or both directions of the connection."""
        self._sock.shutdown(how)

    def getsockopt(self, *args: Any, **kwargs: Any) -> Any:
        """Read a socket option."""
        return self._sock.getsockopt(*args, **kwargs)

    def setsockopt(self, *args: Any, **kwargs: Any) -> None:
        """Set a socket option."""
        self._sock.setsockopt(*args, **kwargs)

    def getpeername(self) -> Any:
        """The remote address."""
        return self._sock.getpeername()

    def getsockname(self) -> Any:
        """The local address."""
        return self._sock.getsockname()

    def getsockbyname(self) -> Any:
        """asyncio offers this name (it does not exist on sockets either)."""
        return self._sock.getsockbyname()  # type: ignore[attr-defined]

    def settimeout(self, value: float | None) -> None:
        """Only 0 is allowed: a transport's socket stays non-blocking."""
        if value == 0:
            return
        raise ValueError("settimeout(): only 0 timeout is allowed on transport sockets")

    def gettimeout(self) -> float:
        """Always 0: non-blocking."""
        return 0

    def setblocking(self, flag: bool) -> None:
        """Only False is allowed: a transport's socket stays non-blocking."""
        if not flag:
            return
        raise ValueError("setblocking(): transport sockets cannot be blocking")


class FlowControl:
    """Write-side flow control: pause the protocol above the high-water mark.

    The defaults are asyncio's: 64 KiB high, a quarter of that low.
    Subclasses provide ``get_write_buffer_size`` and ``_protocol``.
    """

    _loop: Any
    _protocol: Any

    def _init_flow_control(self, loop: Any) -> None:
        self._loop = loop
        self._protocol_paused = False
        self._set_write_buffer_limits()

    def get_write_buffer_size(self) -> int:
        """How many bytes wait to be sent."""
        raise NotImplementedError

    def _maybe_pause_protocol(self) -> None:
        if self.get_write_buffer_size() <= self._high_water or self._protocol_paused:
            return
        self._protocol_paused = True
        self._tell_protocol("pause_writing")

    def _maybe_resume_protocol(self) -> None:
        if self._protocol_paused and self.get_write_buffer_size() <= self._low_water:
            self._protocol_paused = False
            self._tell_protocol("resume_writing")

    def _tell_protocol(self, method: str) -> None:
        try:
            getattr(self._protocol, method)()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._loop.call_exception_handler({
                "message": f"protocol.{method}() failed",
                "exception": exc,
                "transport": self,
                "protocol": self._protocol,
            })

    def get_write_buffer_limits(self) -> tuple[int, int]:
        """``(low, high)`` water marks, in bytes."""
        return (self._low_water, self._high_water)

    def _set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        if high is None:
            high = 64 * 1024 if low is None else 4 * low
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError(f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
        self._high_water = high
        self._low_water = low

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        """Set the water marks (``high`` alone: low is a quarter of it)."""
        self._set_write_buffer_limits(high=high, low=low)
        self._maybe_pause_protocol()


class SocketTransportBase(FlowControl, asyncio.Transport):
    """What every socket transport shares: the protocol, extra info, pausing, closing.

    asyncio contract: ``asyncio.Transport`` is inherited as an interface (a
    datagram transport is one too, in asyncio's class tree).
    """

    max_size = 256 * 1024  # how much one recv() may return

    _sock: socket.socket | None = None  # read by __del__ even if __init__ failed

    def __init__(self, loop: Any, sock: socket.socket, protocol: Any,
                 extra: dict[str, Any] | None = None, server: Any = None) -> None:
        self._extra: dict[str, Any] = {} if extra is None else dict(extra)
        self._init_flow_control(loop)
        self._extra["socket"] = TransportSocket(sock)
        try:
            self._extra["sockname"] = sock.getsockname()
        except OSError:
            self._extra["sockname"] = None
        if "peername" not in self._extra:
            try:
                self._extra["peername"] = sock.getpeername()
            except OSError:
                self._extra["peername"] = None
        self._sock = sock
        self._sock_fd = sock.fileno()
        self._server = server
        self._buffer: collections.deque[Any] = collections.deque()
        self._buffer_size = 0
        self._conn_lost = 0  # >0 once connection_lost is scheduled; counts later writes
        self._closing = False
        self._paused = False  # pause_reading() was called
        self._protocol_connected = False
        self.set_protocol(protocol)
        if server is not None:
            server._attach(self)
        loop._transports[self._sock_fd] = self

    def _announce(self, waiter: Any) -> None:
        # Three turns, in asyncio's order: the protocol learns of the
        # connection; only then do we start reading; only then is the
        # creator (create_connection, the accept task) woken.
        loop = self._loop
        loop.call_soon(self._protocol.connection_made, self)
        loop.call_soon(self._start_reading)
        if waiter is not None:
            loop.call_soon(set_result_unless_cancelled, waiter, None)

    def __repr__(self) -> str:
        info = [type(self).__name__]
        if self._sock is None:
            info.append("closed")
        elif self._closing:
            info.append("closing")
        info.append(f"fd={self._sock_fd}")
        loop = self._loop
        if loop is not None and not loop.is_closed():
            info.append("read=polling" if loop._is_watched(self._sock_fd, READ) else "read=idle")
            state = "polling" if loop._is_watched(self._sock_fd, WRITE) else "idle"
            info.append(f"write=<{state}, bufsize={self.get_write_buffer_size()}>")
        return f"<{' '.join(info)}>"

    def set_protocol(self, protocol: Any) -> None:
        """Deliver future events to ``protocol``."""
        self._protocol = protocol
        self._protocol_connected = True

    def get_protocol(self) -> Any:
        """The protocol events go to."""
        return self._protocol

    # get_extra_info is asyncio.BaseTransport's, inherited: it reads
    # self._extra (``socket``, ``sockname``, ``peername``), and a program that
    # patches asyncio.Transport.get_extra_info reaches us as it reaches asyncio.

    def _read_ready(self) -> None:
        raise NotImplementedError

    def _start_reading(self) -> None:
        if self.is_reading():
            self._loop._watch(self._sock_fd, READ, self._read_ready)

    def is_reading(self) -> bool:
        """True unless reading is paused or the transport is closing."""
        return not self._closing and not self._paused

    def pause_reading(self) -> None:
        """Stop reading (the kernel buffers, then TCP slows the peer). Idempotent."""
        if not self.is_reading():
            return
        self._paused = True
        self._loop._unwatch(self._sock_fd, READ)
        if self._loop.get_debug():
            logger.debug("%r pauses reading", self)

    def resume_reading(self) -> None:
        """Start reading again. Idempotent."""
        if self._closing or not self._paused:
            return
        self._paused = False
        self._start_reading()
        if self._loop.get_debug():
            logger.debug("%r resumes reading", self)

    def get_write_buffer_size(self) -> int:
        """How many bytes wait in the buffer."""
        return self._buffer_size

    def _clear_buffer(self) -> None:
        self._buffer.clear()
        self._buffer_size = 0

    def _count_lost_write(self) -> None:
        if self._conn_lost >= CONNECTION_LOST_WRITES_BEFORE_WARNING:
            logger.warning("socket.send() raised exception.")
        self._conn_lost += 1

    # --- closing -----------------------------------------------------------------------------

    def is_closing(self) -> bool:
        """True once close() or abort() was called, or the connection failed."""
        return self._closing

    def close(self) -> None:
        """Stop reading, flush the buffer, then close (connection_lost(None)). Idempotent."""
        if self._closing:
            return
        self._closing = True
        self._loop._unwatch(self._sock_fd, READ)
        if not self._buffer:
            self._conn_lost += 1
            self._loop._unwatch(self._sock_fd, WRITE)
            self._loop.call_soon(self._call_connection_lost, None)

    def abort(self) -> None:
        """Close now, dropping anything not yet sent."""
        self._force_close(None)

    def _fatal_error(self, exc: BaseException, message: str = "Fatal error on transport") -> None:
        # Socket errors (a reset peer, say) are the connection's fate, not a
        # bug: they go to connection_lost only. Anything else is reported.
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
        self._force_close(exc)

    def _force_close(self, exc: BaseException | None) -> None:
        if self._conn_lost:
            return
        if self._buffer:
            self._clear_buffer()
            self._loop._unwatch(self._sock_fd, WRITE)
        if not self._closing:
            self._closing = True
            self._loop._unwatch(self._sock_fd, READ)
        self._conn_lost += 1
        self._loop.call_soon(self._call_connection_lost, exc)

    def _call_connection_lost(self, exc: BaseException | None) -> None:
        try:
            if self._protocol_connected:
                self._protocol.connection_lost(exc)
        finally:
            self._sock.close()  # type: ignore[union-attr]
            self._sock = None
            self._protocol = None
            self._loop = None
            server = self._server
            if server is not None:
                self._server = None
                server._detach(self)

    def __del__(self, _warn: Any = warnings.warn) -> None:
        if self._sock is not None:
            _warn(f"unclosed transport {self!r}", ResourceWarning, source=self)
            self._sock.close()
            server = getattr(self, "_server", None)
            if server is not None and sys.version_info >= (3, 13):
                server._detach(self)


@shown_as("_SelectorSocketTransport")
class SocketTransport(SocketTransportBase):
    """A connected stream socket (TCP or Unix) driving a protocol.

    asyncio contract: ``asyncio.Transport`` is inherited as an interface
    (so ``isinstance`` checks pass); every method is defined here except
    ``get_extra_info``, whose interface default is all a transport needs.
    """

    _start_tls_compatible = True  # loop.start_tls may wrap this transport
    _sendfile_mode = "native"  # loop.sendfile may use os.sendfile on our socket

    def __init__(self, loop: Any, sock: socket.socket, protocol: Any, waiter: Any = None,
                 extra: dict[str, Any] | None = None, server: Any = None) -> None:
        super().__init__(loop, sock, protocol, extra, server)
        self._eof = False  # write_eof() was called
        self._empty_waiter: Any = None  # sendfile waits on it for an empty buffer
        # Reads go through the loop's scratch buffer (see sockets.py).
        self._read_size = min(self.max_size, len(loop._read_scratch))
        disable_nagle(sock)
        self._announce(waiter)

    def set_protocol(self, protocol: Any) -> None:
        """Deliver future events to ``protocol``."""
        # A BufferedProtocol lends us its buffer (no bytes object per read).
        if isinstance(protocol, asyncio.BufferedProtocol):
            self._read_ready = self._read_into_protocol_buffer  # type: ignore[method-assign]
        else:
            self._read_ready = self._read_and_deliver  # type: ignore[method-assign]
        super().set_protocol(protocol)
        loop = self._loop
        if loop is not None and not self._closing and loop._is_watched(self._sock_fd, READ):
            # Reading already: the selector must call the new reader.
            loop._watch(self._sock_fd, READ, self._read_ready)

    # --- reading -----------------------------------------------------------------------

    def _read_and_deliver(self) -> None:
        if self._conn_lost:
            return
        scratch = self._loop._read_scratch
        try:
            nbytes = self._sock.recv_into(scratch, self._read_size)  # type: ignore[union-attr]
        except WOULD_BLOCK:
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal read error on socket transport")
            return
        if not nbytes:
            self._on_eof()
            return
        try:
            self._protocol.data_received(bytes(scratch[:nbytes]))
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal error: protocol.data_received() call failed.")

    def _read_into_protocol_buffer(self) -> None:
        if self._conn_lost:
            return
        try:
            buffer = self._protocol.get_buffer(-1)
            if not len(buffer):
                raise RuntimeError("get_buffer() returned an empty buffer")
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal error: protocol.get_buffer() call failed.")
            return
        try:
            nbytes = self._sock.recv_into(buffer)  # type: ignore[union-attr]
        except WOULD_BLOCK:
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal read error on socket transport")
            return
        if not nbytes:
            self._on_eof()
            return
        try:
            self._protocol.buffer_updated(nbytes)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal error: protocol.buffer_updated() call failed.")

    def _on_eof(self) -> None:
        if self._loop.get_debug():
            logger.debug("%r received EOF", self)
        try:
            keep_open = self._protocol.eof_received()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal error: protocol.eof_received() call failed.")
            return
        if keep_open:
            # The protocol may still write (a half-closed connection), but
            # there is nothing more to read.
            self._loop._unwatch(self._sock_fd, READ)
        else:
            self.close()

    # --- writing ------------------------------------------------------------------------

    def write(self, data: Any) -> None:
        """Send ``data`` now if the kernel takes it, else buffer it. Never blocks."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be a bytes-like object, "
                            f"not {type(data).__name__!r}")
        if self._eof:
            raise RuntimeError("Cannot call write() after write_eof()")
        if self._empty_waiter is not None:
            raise RuntimeError("unable to write; sendfile is in progress")
        if not data:
            return
        if self._conn_lost:
            self._count_lost_write()
            return
        if not self._buffer:
            # Nothing queued ahead of us: try the socket first.
            try:
                sent = self._sock.send(data)  # type: ignore[union-attr]
            except WOULD_BLOCK:
                sent = 0
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._fatal_error(exc, "Fatal write error on socket transport")
                return
            if sent == len(data):
                return
            self._loop._watch(self._sock_fd, WRITE, self._write_ready)
        else:
            sent = 0
        self._buffer.append(_unsent_part(data, sent))
        self._buffer_size += len(data) - sent
        self._maybe_pause_protocol()

    def writelines(self, list_of_data: Any) -> None:
        """Write several buffers (one system call for all of them if possible)."""
        if sys.version_info < (3, 12):
            self.write(b"".join(list_of_data))
            return
        if self._eof:
            raise RuntimeError("Cannot call writelines() after write_eof()")
        if self._empty_waiter is not None:
            raise RuntimeError("unable to writelines; sendfile is in progress")
        if not list_of_data:
            return
        was_empty = not self._buffer
        for data in list_of_data:
            if len(data):
                self._buffer.append(_unsent_part(data, 0))
                self._buffer_size += len(data)
        self._write_ready()
        # asyncio 3.12+ sends right away and does not check the high-water
        # mark here; neither do we.
        if self._buffer and was_empty and self._loop is not None:
            self._loop._watch(self._sock_fd, WRITE, self._write_ready)

    def _write_ready(self) -> None:
        # The selector says the socket can take more: send what is buffered.
        if self._conn_lost or not self._buffer:
            return
        buffer = self._buffer
        try:
            if len(buffer) == 1 or not _IOV_MAX:
                sent = self._sock.send(buffer[0])  # type: ignore[union-attr]
            else:
                sent = self._sock.sendmsg(  # type: ignore[union-attr]
                    itertools.islice(buffer, _IOV_MAX))
        except WOULD_BLOCK:
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._loop._unwatch(self._sock_fd, WRITE)
            self._clear_buffer()
            self._fatal_error(exc, "Fatal write error on socket transport")
            if self._empty_waiter is not None:
                self._empty_waiter.set_exception(exc)
            return
        self._drop_sent(sent)
        self._maybe_resume_protocol()  # the protocol may write more right here
        if not self._buffer:
            self._loop._unwatch(self._sock_fd, WRITE)
            if self._empty_waiter is not None:
                self._empty_waiter.set_result(None)
            if self._closing:
                self._call_connection_lost(None)
            elif self._eof:
                self._sock.shutdown(socket.SHUT_WR)  # type: ignore[union-attr]

    def _drop_sent(self, sent: int) -> None:
        buffer = self._buffer
        self._buffer_size -= sent
        while sent:
            first = buffer[0]
            if len(first) <= sent:
                sent -= len(first)
                buffer.popleft()
            else:
                buffer[0] = memoryview(first)[sent:]
                break

    def write_eof(self) -> None:
        """Half-close: send FIN once the buffer is flushed; reading goes on."""
        if self._closing or self._eof:
            return
        self._eof = True
        if not self._buffer:
            self._sock.shutdown(socket.SHUT_WR)  # type: ignore[union-attr]

    def can_write_eof(self) -> bool:
        """Stream sockets can half-close."""
        return True

    def _call_connection_lost(self, exc: BaseException | None) -> None:
        super()._call_connection_lost(exc)
        if self._empty_waiter is not None:
            self._empty_waiter.set_exception(ConnectionError("Connection is closed by peer"))

    # --- sendfile support ------------------------------------------------------------------------

    def _make_empty_waiter(self) -> Any:
        if self._empty_waiter is not None:
            raise RuntimeError("Empty waiter is already set")
        self._empty_waiter = self._loop.create_future()
        if not self._buffer:
            self._empty_waiter.set_result(None)
        return self._empty_waiter

    def _reset_empty_waiter(self) -> None:
        self._empty_waiter = None
