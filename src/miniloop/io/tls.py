"""TLS: encryption as a layer between a socket transport and a protocol.

Python's ``ssl`` module can encrypt without owning a socket: an
``SSLObject`` reads ciphertext from one in-memory buffer and writes
ciphertext to another (two ``ssl.MemoryBIO``). That makes TLS a plain
layer we can slot in between the two pieces we already have:

    socket transport  --ciphertext-->  TLSLayer  --plaintext-->  your protocol
    socket transport  <--ciphertext--  TLSLayer  <--plaintext--  your protocol
                                          |
                                     SSLTransport: what your protocol writes to

Towards the socket transport, ``TLSLayer`` is a protocol (it receives the
ciphertext with ``buffer_updated``). Towards your protocol it offers a
transport, ``SSLTransport``, with the same methods as a socket transport.
Everything TLS needs happens on the way through:

* **Handshake.** As soon as the socket connects, the layer calls
  ``do_handshake()``; it fails with "want read" until the peer's messages
  arrive, so each time ciphertext comes in we try again. Only when the
  handshake succeeds is *your* protocol told ``connection_made``: to it,
  the connection exists once it is secure. Certificate problems surface
  here, as ``ssl.SSLCertVerificationError`` from ``create_connection``.
* **Data.** Incoming ciphertext goes into the incoming buffer; every
  plaintext byte ``SSLObject.read`` can produce goes to ``data_received``.
  Your writes go through ``SSLObject.write``; what lands in the outgoing
  buffer is written to the socket transport.
* **Shutdown.** ``close()`` first delivers what was already received,
  then sends TLS's own goodbye (``close_notify``, via ``unwrap()``), waits
  for the peer's, and only then closes the socket.

Every step that waits on the peer (handshake, shutdown) has a timeout, so
a peer that stops talking cannot hold a connection for ever. States:

    UNWRAPPED -> DO_HANDSHAKE -> WRAPPED -> FLUSHING -> SHUTDOWN -> UNWRAPPED

The order of callbacks, the errors and their messages are asyncio's.

Read next: ``servers.py`` and ``connections.py``, which make TLS layers
when given ``ssl=``.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import ssl
import warnings
from typing import Any

from miniloop.contract.reporting import logger
from miniloop.io.sockets import SocketsMixin
from miniloop.io.transports import CONNECTION_LOST_WRITES_BEFORE_WARNING, SocketTransport

# asyncio's defaults, in seconds and kibibytes.
HANDSHAKE_TIMEOUT = 60.0
SHUTDOWN_TIMEOUT = 30.0
READ_HIGH_WATER_KIB = 256
WRITE_HIGH_WATER_KIB = 512

# "Not yet": the SSLObject needs more bytes from the peer first.
_TRY_LATER = (ssl.SSLWantReadError, ssl.SSLSyscallError)


class TLSState(enum.Enum):
    """Where the layer is in the life of a TLS session."""

    UNWRAPPED = "UNWRAPPED"
    DO_HANDSHAKE = "DO_HANDSHAKE"
    WRAPPED = "WRAPPED"
    FLUSHING = "FLUSHING"
    SHUTDOWN = "SHUTDOWN"


# The transitions allowed besides "anything -> UNWRAPPED".
_NEXT_STATE = {
    TLSState.UNWRAPPED: TLSState.DO_HANDSHAKE,
    TLSState.DO_HANDSHAKE: TLSState.WRAPPED,
    TLSState.WRAPPED: TLSState.FLUSHING,
    TLSState.FLUSHING: TLSState.SHUTDOWN,
}


class AppState(enum.Enum):
    """Which of the application protocol's callbacks have run."""

    INIT = "STATE_INIT"
    CON_MADE = "STATE_CON_MADE"
    EOF = "STATE_EOF"
    CON_LOST = "STATE_CON_LOST"


def water_marks(high: int | None, low: int | None, default_kib: int) -> tuple[int, int]:
    """``(high, low)`` from optional values; low defaults to a quarter of high."""
    if high is None:
        high = default_kib * 1024 if low is None else 4 * low
    if low is None:
        low = high // 4
    if not high >= low >= 0:
        raise ValueError(f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
    return high, low


def default_client_context(server_side: bool, server_hostname: str | None) -> ssl.SSLContext:
    """The context for ``ssl=True``: secure defaults (no host check without a name)."""
    if server_side:
        raise ValueError("Server side SSL needs a valid SSLContext")
    context = ssl.create_default_context()
    if not server_hostname:
        context.check_hostname = False
    return context


class SSLTransport(asyncio.Transport):
    """The transport the application protocol sees on a TLS connection.

    Named after Python's ``ssl`` module, like asyncio's: programs (and
    asyncio's tests) look for "ssl" in the class name of a TLS transport.
    asyncio contract: ``asyncio.Transport`` is inherited as an interface.
    """

    _start_tls_compatible = True
    _sendfile_mode = "fallback"  # the kernel cannot encrypt for us

    def __init__(self, loop: Any, layer: TLSLayer) -> None:
        self._loop = loop
        self._layer: TLSLayer | None = layer
        self._closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """TLS details (``sslcontext``, ``ssl_object``, ``peercert``, ``cipher``...),
        then whatever the socket transport knows."""
        return self._layer._get_extra_info(name, default) if self._layer else default

    def set_protocol(self, protocol: Any) -> None:
        """Deliver future plaintext events to ``protocol``."""
        assert self._layer is not None
        self._layer._set_app_protocol(protocol)

    def get_protocol(self) -> Any:
        """The application protocol."""
        return self._layer._app_protocol if self._layer else None

    def is_closing(self) -> bool:
        """True once closing has started (or the connection is gone)."""
        return self._closed

    def close(self) -> None:
        """Flush, send close_notify, then close the socket (connection_lost(None) follows)."""
        if not self._closed:
            self._closed = True
            if self._layer is not None:
                self._layer._start_shutdown()
        else:
            self._layer = None

    def __del__(self, _warn: Any = warnings.warn) -> None:
        if not getattr(self, "_closed", True):
            self._closed = True
            _warn("unclosed transport <asyncio._SSLProtocolTransport object>", ResourceWarning)

    def is_reading(self) -> bool:
        """True unless pause_reading() was called."""
        return self._layer is not None and not self._layer._app_reading_paused

    def pause_reading(self) -> None:
        """Stop delivering plaintext (it waits, still encrypted). Idempotent."""
        if self._layer is not None:
            self._layer._app_reading_paused = True

    def resume_reading(self) -> None:
        """Deliver plaintext again. Idempotent."""
        if self._layer is not None:
            self._layer._resume_app_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        """Water marks for this transport's write buffer (512 KiB high by default)."""
        assert self._layer is not None
        self._layer._set_write_buffer_limits(high, low)
        self._layer._control_app_writing()

    def get_write_buffer_limits(self) -> tuple[int, int]:
        """``(low, high)`` water marks."""
        assert self._layer is not None
        return (self._layer._outgoing_low_water, self._layer._outgoing_high_water)

    def get_write_buffer_size(self) -> int:
        """Plaintext waiting to be encrypted plus ciphertext waiting to be sent."""
        assert self._layer is not None
        return self._layer._get_write_buffer_size()

    def set_read_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        """Water marks for ciphertext received but not yet decrypted."""
        assert self._layer is not None
        self._layer._set_read_buffer_limits(high, low)
        self._layer._control_ssl_reading()

    def get_read_buffer_limits(self) -> tuple[int, int]:
        """``(low, high)`` water marks of the incoming side."""
        assert self._layer is not None
        return (self._layer._incoming_low_water, self._layer._incoming_high_water)

    def get_read_buffer_size(self) -> int:
        """Ciphertext received but not yet decrypted."""
        assert self._layer is not None
        return self._layer._incoming.pending

    @property
    def _ssl_protocol(self) -> TLSLayer | None:
        # asyncio contract: the name asyncio's own tests (and some
        # libraries) use to reach the layer under the transport.
        return self._layer

    def _test__append_write_backlog(self, data: bytes) -> None:
        # asyncio contract: a hook asyncio's tests use to queue data unsent.
        assert self._layer is not None
        self._layer._write_backlog.append(data)
        self._layer._write_buffer_size += len(data)

    @property
    def _protocol_paused(self) -> bool:
        # Read by the sendfile fallback, as on socket transports.
        return self._layer is not None and self._layer._app_writing_paused

    def write(self, data: Any) -> None:
        """Encrypt and send ``data`` (buffered until the handshake is done)."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data: expecting a bytes-like instance, got {type(data).__name__}")
        if not data:
            return
        assert self._layer is not None
        self._layer._write_appdata((data,))

    def writelines(self, list_of_data: Any) -> None:
        """Encrypt and send several buffers."""
        assert self._layer is not None
        self._layer._write_appdata(list_of_data)

    def write_eof(self) -> None:
        """Not possible over TLS (asyncio raises NotImplementedError too)."""
        # The interface default says the same, but asyncio's TLS transport
        # defines its own, so a patch of WriteTransport.write_eof reaches
        # neither asyncio's nor this one.
        raise NotImplementedError

    def can_write_eof(self) -> bool:
        """False: TLS has no half-close."""
        return False

    def abort(self) -> None:
        """Close now, without the TLS goodbye."""
        self._force_close(None)

    def _force_close(self, exc: BaseException | None) -> None:
        self._closed = True
        if self._layer is not None:
            self._layer._abort(exc)


class TLSLayer(asyncio.BufferedProtocol):
    """The protocol below a TLS connection: ciphertext in, plaintext up.

    asyncio contract: ``asyncio.BufferedProtocol`` is inherited as an interface.
    """

    max_size = 256 * 1024  # the most plaintext one SSLObject.read() may return

    def __init__(self, loop: Any, app_protocol: Any, sslcontext: ssl.SSLContext | None,
                 waiter: Any, server_side: bool = False, server_hostname: str | None = None,
                 call_connection_made: bool = True,
                 ssl_handshake_timeout: float | None = None,
                 ssl_shutdown_timeout: float | None = None) -> None:
        if ssl_handshake_timeout is None:
            ssl_handshake_timeout = HANDSHAKE_TIMEOUT
        elif ssl_handshake_timeout <= 0:
            raise ValueError(f"ssl_handshake_timeout should be a positive number, "
                             f"got {ssl_handshake_timeout}")
        if ssl_shutdown_timeout is None:
            ssl_shutdown_timeout = SHUTDOWN_TIMEOUT
        elif ssl_shutdown_timeout <= 0:
            raise ValueError(f"ssl_shutdown_timeout should be a positive number, "
                             f"got {ssl_shutdown_timeout}")
        if not sslcontext:
            sslcontext = default_client_context(server_side, server_hostname)
        self._ssl_buffer = bytearray(self.max_size)
        self._ssl_buffer_view = memoryview(self._ssl_buffer)
        self._server_side = server_side
        self._server_hostname = server_hostname if server_hostname and not server_side else None
        self._sslcontext = sslcontext
        self._extra: dict[str, Any] = {"sslcontext": sslcontext}
        self._write_backlog: collections.deque[Any] = collections.deque()
        self._write_buffer_size = 0
        self._waiter = waiter
        self._loop = loop
        self._set_app_protocol(app_protocol)
        self._app_transport: SSLTransport | None = None
        self._app_transport_created = False
        self._transport: Any = None  # the socket transport below us
        self._ssl_handshake_timeout = ssl_handshake_timeout
        self._ssl_shutdown_timeout = ssl_shutdown_timeout
        self._handshake_timeout_handle: Any = None
        self._shutdown_timeout_handle: Any = None
        self._handshake_start_time: float | None = None
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._state = TLSState.UNWRAPPED
        self._conn_lost = 0
        # start_tls upgrades a connection whose protocol was told long ago.
        self._app_state = AppState.INIT if call_connection_made else AppState.CON_MADE
        self._sslobj = sslcontext.wrap_bio(self._incoming, self._outgoing,
                                           server_side=server_side,
                                           server_hostname=self._server_hostname)
        self._ssl_writing_paused = False  # the socket transport's buffer is full
        self._app_reading_paused = False
        self._ssl_reading_paused = False  # we paused the socket transport's reading
        self._eof_received = False
        self._app_writing_paused = False
        self._set_read_buffer_limits()
        self._set_write_buffer_limits()
        self._get_app_transport()

    def _set_app_protocol(self, app_protocol: Any) -> None:
        self._app_protocol = app_protocol
        self._app_protocol_is_buffer = isinstance(app_protocol, asyncio.BufferedProtocol)

    def _get_app_transport(self) -> SSLTransport:
        if self._app_transport is None:
            if self._app_transport_created:
                raise RuntimeError("Creating _SSLProtocolTransport twice")
            self._app_transport = SSLTransport(self._loop, self)
            self._app_transport_created = True
        return self._app_transport

    def _wakeup_waiter(self, exc: BaseException | None = None) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is None or waiter.cancelled():
            return
        if exc is not None:
            waiter.set_exception(exc)
        else:
            waiter.set_result(None)

    def _get_extra_info(self, name: str, default: Any = None) -> Any:
        if name in self._extra:
            return self._extra[name]
        if self._transport is not None:
            return self._transport.get_extra_info(name, default)
        return default

    def _set_state(self, new_state: TLSState) -> None:
        if new_state is not TLSState.UNWRAPPED and _NEXT_STATE.get(self._state) is not new_state:
            raise RuntimeError(f"cannot switch state from {self._state} to {new_state}")
        self._state = new_state

    # --- the socket transport's side ------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        """The socket is connected: start the handshake."""
        self._transport = transport
        self._start_handshake()

    def connection_lost(self, exc: BaseException | None) -> None:
        """The socket is gone: tell the application (if it was ever told of a connection)."""
        self._write_backlog.clear()
        self._outgoing.read()
        self._conn_lost += 1
        if self._app_transport is not None:
            self._app_transport._closed = True
        if self._state is not TLSState.DO_HANDSHAKE and self._app_state in (
                AppState.CON_MADE, AppState.EOF):
            self._app_state = AppState.CON_LOST
            self._loop.call_soon(self._app_protocol.connection_lost, exc)
        self._set_state(TLSState.UNWRAPPED)
        self._transport = None
        self._app_transport = None
        self._app_protocol = None
        self._wakeup_waiter(exc)
        for name in ("_shutdown_timeout_handle", "_handshake_timeout_handle"):
            handle = getattr(self, name)
            if handle is not None:
                handle.cancel()
                setattr(self, name, None)

    def get_buffer(self, sizehint: int) -> memoryview:
        """Where the socket transport should put the ciphertext it receives."""
        want = sizehint if 0 < sizehint <= self.max_size else self.max_size
        if len(self._ssl_buffer) < want:
            self._ssl_buffer = bytearray(want)
            self._ssl_buffer_view = memoryview(self._ssl_buffer)
        return self._ssl_buffer_view

    def buffer_updated(self, nbytes: int) -> None:
        """Ciphertext arrived: feed it to the SSLObject and move the state machine."""
        self._incoming.write(self._ssl_buffer_view[:nbytes])
        state = self._state
        if state is TLSState.DO_HANDSHAKE:
            self._do_handshake()
        elif state is TLSState.WRAPPED:
            self._do_read()
        elif state is TLSState.FLUSHING:
            self._do_flush()
        elif state is TLSState.SHUTDOWN:
            self._do_shutdown()

    def eof_received(self) -> bool | None:
        """The peer closed its side of the socket (without a TLS goodbye, maybe)."""
        self._eof_received = True
        try:
            if self._loop.get_debug():
                logger.debug("%r received EOF", self)
            state = self._state
            if state is TLSState.DO_HANDSHAKE:
                self._on_handshake_complete(ConnectionResetError)
            elif state is TLSState.WRAPPED:
                self._set_state(TLSState.FLUSHING)
                if self._app_reading_paused:
                    return True  # deliver the rest once reading resumes
                self._do_flush()
            elif state is TLSState.FLUSHING:
                self._do_write()
                self._set_state(TLSState.SHUTDOWN)
                self._do_shutdown()
            elif state is TLSState.SHUTDOWN:
                self._do_shutdown()
        except Exception:
            self._transport.close()
            raise
        return None

    def pause_writing(self) -> None:
        """The socket transport's buffer is full: hold ciphertext in our buffer."""
        assert not self._ssl_writing_paused
        self._ssl_writing_paused = True

    def resume_writing(self) -> None:
        """The socket transport drained: send the ciphertext we held."""
        assert self._ssl_writing_paused
        self._ssl_writing_paused = False
        self._process_outgoing()

    # --- handshake ------------------------------------------------------------------------

    def _start_handshake(self) -> None:
        if self._loop.get_debug():
            logger.debug("%r starts SSL handshake", self)
            self._handshake_start_time = self._loop.time()
        else:
            self._handshake_start_time = None
        self._set_state(TLSState.DO_HANDSHAKE)
        self._handshake_timeout_handle = self._loop.call_later(
            self._ssl_handshake_timeout, self._check_handshake_timeout)
        self._do_handshake()

    def _check_handshake_timeout(self) -> None:
        if self._state is TLSState.DO_HANDSHAKE:
            self._fatal_error(ConnectionAbortedError(
                f"SSL handshake is taking longer than {self._ssl_handshake_timeout} "
                f"seconds: aborting the connection"))

    def _do_handshake(self) -> None:
        try:
            self._sslobj.do_handshake()
        except _TRY_LATER:
            self._process_outgoing()  # our next handshake message, if any
        except ssl.SSLError as exc:
            self._on_handshake_complete(exc)
        else:
            self._on_handshake_complete(None)

    def _on_handshake_complete(self, handshake_exc: Any) -> None:
        if self._handshake_timeout_handle is not None:
            self._handshake_timeout_handle.cancel()
            self._handshake_timeout_handle = None
        sslobj = self._sslobj
        try:
            if handshake_exc is not None:
                raise handshake_exc
            self._set_state(TLSState.WRAPPED)
            peercert = sslobj.getpeercert()
        except Exception as exc:
            handshake_exc = None
            self._set_state(TLSState.UNWRAPPED)
            if isinstance(exc, ssl.CertificateError):
                message = "SSL handshake failed on verifying the certificate"
            else:
                message = "SSL handshake failed"
            self._fatal_error(exc, message)
            self._wakeup_waiter(exc)
            return
        if self._loop.get_debug() and self._handshake_start_time is not None:
            took = self._loop.time() - self._handshake_start_time
            logger.debug("%r: SSL handshake took %.1f ms", self, took * 1e3)
        self._extra.update(peercert=peercert, cipher=sslobj.cipher(),
                           compression=sslobj.compression(), ssl_object=sslobj)
        if self._app_state is AppState.INIT:
            self._app_state = AppState.CON_MADE
            self._app_protocol.connection_made(self._get_app_transport())
        self._wakeup_waiter()
        self._do_read()  # application data may have come with the last handshake bytes

    # --- shutdown -----------------------------------------------------------------------------

    def _start_shutdown(self) -> None:
        if self._state in (TLSState.FLUSHING, TLSState.SHUTDOWN, TLSState.UNWRAPPED):
            return
        if self._app_transport is not None:
            self._app_transport._closed = True
        if self._state is TLSState.DO_HANDSHAKE:
            self._abort(None)
            return
        self._set_state(TLSState.FLUSHING)
        self._shutdown_timeout_handle = self._loop.call_later(
            self._ssl_shutdown_timeout, self._check_shutdown_timeout)
        self._do_flush()

    def _check_shutdown_timeout(self) -> None:
        if self._state in (TLSState.FLUSHING, TLSState.SHUTDOWN):
            self._transport._force_close(TimeoutError("SSL shutdown timed out"))

    def _do_flush(self) -> None:
        self._do_read()  # whatever was received is still delivered
        self._set_state(TLSState.SHUTDOWN)
        self._do_shutdown()

    def _do_shutdown(self) -> None:
        try:
            if not self._eof_received:
                self._sslobj.unwrap()
        except _TRY_LATER:
            self._process_outgoing()  # our close_notify; now wait for theirs
        except ssl.SSLError as exc:
            self._on_shutdown_complete(exc)
        else:
            self._process_outgoing()
            self._call_eof_received()
            self._on_shutdown_complete(None)

    def _on_shutdown_complete(self, shutdown_exc: BaseException | None) -> None:
        if self._shutdown_timeout_handle is not None:
            self._shutdown_timeout_handle.cancel()
            self._shutdown_timeout_handle = None
        if shutdown_exc is not None:
            self._fatal_error(shutdown_exc)
        else:
            self._loop.call_soon(self._transport.close)

    def _abort(self, exc: BaseException | None) -> None:
        self._set_state(TLSState.UNWRAPPED)
        if self._transport is not None:
            self._transport._force_close(exc)

    # --- outgoing: plaintext down, ciphertext out ------------------------------------------------

    def _write_appdata(self, list_of_data: Any) -> None:
        if self._state in (TLSState.FLUSHING, TLSState.SHUTDOWN, TLSState.UNWRAPPED):
            if self._conn_lost >= CONNECTION_LOST_WRITES_BEFORE_WARNING:
                logger.warning("SSL connection is closed")
            self._conn_lost += 1
            return
        for data in list_of_data:
            self._write_backlog.append(data)
            self._write_buffer_size += len(data)
        try:
            if self._state is TLSState.WRAPPED:
                self._do_write()
        except Exception as exc:
            self._fatal_error(exc, "Fatal error on SSL protocol")

    def _do_write(self) -> None:
        backlog = self._write_backlog
        try:
            while backlog:
                data = backlog[0]
                count = self._sslobj.write(data)
                if count < len(data):
                    backlog[0] = data[count:]
                    self._write_buffer_size -= count
                else:
                    backlog.popleft()
                    self._write_buffer_size -= len(data)
        except _TRY_LATER:
            pass  # renegotiation wants the peer's bytes first
        self._process_outgoing()

    def _process_outgoing(self) -> None:
        if not self._ssl_writing_paused:
            data = self._outgoing.read()
            if len(data):
                self._transport.write(data)
        self._control_app_writing()

    # --- incoming: ciphertext in, plaintext up ---------------------------------------------

    def _do_read(self) -> None:
        if self._state not in (TLSState.WRAPPED, TLSState.FLUSHING):
            return
        try:
            if not self._app_reading_paused:
                if self._app_protocol_is_buffer:
                    self._read_into_app_buffer()
                else:
                    self._read_and_deliver()
                if self._write_backlog:
                    self._do_write()
                else:
                    self._process_outgoing()
            self._control_ssl_reading()
        except Exception as exc:
            self._fatal_error(exc, "Fatal error on SSL protocol")

    def _read_into_app_buffer(self) -> None:
        offset = 0
        count: Any = 1  # typeshed says bytes; with a buffer, read() returns a count
        buffer = self._app_protocol.get_buffer(self._incoming.pending)
        wants = len(buffer)
        try:
            count = self._sslobj.read(wants, buffer)
            if count > 0:
                offset = count
                while offset < wants:
                    count = self._sslobj.read(wants - offset, buffer[offset:])
                    if count <= 0:
                        break
                    offset += count
                else:
                    # The application's buffer is full; the rest next turn.
                    self._loop.call_soon(self._do_read)
        except _TRY_LATER:
            pass
        if offset > 0:
            self._app_protocol.buffer_updated(offset)
        if not count:
            self._on_close_notify()

    def _read_and_deliver(self) -> None:
        # Everything decryptable now goes up in one data_received call.
        chunks: list[bytes] = []
        # Decrypt into the loop's scratch buffer and copy out what came: a
        # fresh 256 KiB bytes object per read() costs more than the read.
        scratch = self._loop._read_scratch
        size = min(self.max_size, len(scratch))
        count: Any = 1  # typeshed says bytes; with a buffer, read() returns a count
        try:
            while True:
                count = self._sslobj.read(size, scratch)
                if not count:
                    break
                chunks.append(bytes(scratch[:count]))
        except _TRY_LATER:
            pass
        if len(chunks) == 1:
            self._app_protocol.data_received(chunks[0])
        elif chunks:
            self._app_protocol.data_received(b"".join(chunks))
        if not count:
            self._on_close_notify()

    def _on_close_notify(self) -> None:
        # The peer said goodbye: that is the application's EOF.
        self._call_eof_received()
        self._start_shutdown()

    def _call_eof_received(self) -> None:
        try:
            if self._app_state is AppState.CON_MADE:
                self._app_state = AppState.EOF
                keep_open = self._app_protocol.eof_received()
                if keep_open:
                    logger.warning("returning true from eof_received() has no effect "
                                   "when using ssl")
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Error calling eof_received()")

    # --- flow control -------------------------------------------------------------------------

    def _control_app_writing(self) -> None:
        size = self._get_write_buffer_size()
        if size >= self._outgoing_high_water and not self._app_writing_paused:
            self._app_writing_paused = True
            self._tell_app("pause_writing")
        elif size <= self._outgoing_low_water and self._app_writing_paused:
            self._app_writing_paused = False
            self._tell_app("resume_writing")

    def _tell_app(self, method: str) -> None:
        try:
            getattr(self._app_protocol, method)()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            self._loop.call_exception_handler({
                "message": f"protocol.{method}() failed",
                "exception": exc,
                "transport": self._app_transport,
                "protocol": self,
            })

    def _get_write_buffer_size(self) -> int:
        return self._outgoing.pending + self._write_buffer_size

    def _set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._outgoing_high_water, self._outgoing_low_water = water_marks(
            high, low, WRITE_HIGH_WATER_KIB)

    def _resume_app_reading(self) -> None:
        if not self._app_reading_paused:
            return
        self._app_reading_paused = False

        def resume() -> None:
            if self._state is TLSState.WRAPPED:
                self._do_read()
            elif self._state is TLSState.FLUSHING:
                self._do_flush()
            elif self._state is TLSState.SHUTDOWN:
                self._do_shutdown()

        self._loop.call_soon(resume)

    def _control_ssl_reading(self) -> None:
        size = self._incoming.pending
        if size >= self._incoming_high_water and not self._ssl_reading_paused:
            self._ssl_reading_paused = True
            self._transport.pause_reading()
        elif size <= self._incoming_low_water and self._ssl_reading_paused:
            self._ssl_reading_paused = False
            self._transport.resume_reading()

    def _set_read_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._incoming_high_water, self._incoming_low_water = water_marks(
            high, low, READ_HIGH_WATER_KIB)

    def _fatal_error(self, exc: BaseException, message: str = "Fatal error on transport") -> None:
        if self._transport:
            self._transport._force_close(exc)
        if isinstance(exc, OSError):
            # ssl.SSLError is an OSError: a failed handshake or a bad peer
            # is the connection's fate, reported through it, not logged.
            if self._loop.get_debug():
                logger.debug("%r: %s", self, message, exc_info=True)
        elif not isinstance(exc, asyncio.CancelledError):
            self._loop.call_exception_handler({
                "message": message,
                "exception": exc,
                "transport": self._transport,
                "protocol": self,
            })


class TLSMixin(SocketsMixin):
    """Makes stream transports (plain or TLS), and ``start_tls``."""

    def _make_stream_transport(
        self, sock: Any, protocol: Any, waiter: Any = None, *, tls: Any = None,
        server_side: bool = False, server_hostname: str | None = None,
        extra: dict[str, Any] | None = None, server: Any = None,
        ssl_handshake_timeout: float | None = None, ssl_shutdown_timeout: float | None = None,
    ) -> Any:
        """A transport for a connected socket; ``tls`` (True or a context) adds TLS."""
        self._refuse_if_owned(sock)
        if not tls:
            return SocketTransport(self, sock, protocol, waiter, extra, server)
        layer = TLSLayer(self, protocol, None if tls is True else tls, waiter, server_side,
                         server_hostname, ssl_handshake_timeout=ssl_handshake_timeout,
                         ssl_shutdown_timeout=ssl_shutdown_timeout)
        SocketTransport(self, sock, layer, extra=extra, server=server)
        return layer._app_transport

    async def start_tls(self, transport: Any, protocol: Any, sslcontext: ssl.SSLContext, *,
                        server_side: bool = False, server_hostname: str | None = None,
                        ssl_handshake_timeout: float | None = None,
                        ssl_shutdown_timeout: float | None = None) -> Any:
        """Upgrade a connection to TLS; return the new transport for ``protocol``."""
        if not isinstance(sslcontext, ssl.SSLContext):
            raise TypeError(f"sslcontext is expected to be an instance of ssl.SSLContext, "
                            f"got {sslcontext!r}")
        if not getattr(transport, "_start_tls_compatible", False):
            raise TypeError(f"transport {transport!r} is not supported by start_tls()")
        waiter = self.create_future()
        layer = TLSLayer(self, protocol, sslcontext, waiter, server_side, server_hostname,
                         call_connection_made=False,
                         ssl_handshake_timeout=ssl_handshake_timeout,
                         ssl_shutdown_timeout=ssl_shutdown_timeout)
        # Pause first, so that no data reaches the layer before it knows
        # its transport.
        transport.pause_reading()
        transport.set_protocol(layer)
        connected = self.call_soon(layer.connection_made, transport)
        resumed = self.call_soon(transport.resume_reading)
        try:
            await waiter
        except BaseException:
            transport.close()
            connected.cancel()
            resumed.cancel()
            raise
        return layer._app_transport
