"""Servers: a listening socket that turns each new connection into a protocol.

A listening socket is readable when a client is waiting to be accepted.
So a server is one more readiness callback: while serving, the loop
watches each listening socket, and when one turns readable it accepts
every waiting client (up to ``backlog`` of them in one go, so that a burst
of clients costs one wake-up, not one each). For every accepted socket a
small task makes a protocol with the user's factory and a transport around
the socket (a TLS one if the server has an SSL context), and waits until
``connection_made`` has run.

``Server`` is what ``create_server`` returns. It also counts the live
connections it made, because ``wait_closed()`` must wait until the server
is closed *and* (from Python 3.12 on) every connection is gone.

Read next: ``connections.py`` (the other end: connecting out).
"""

from __future__ import annotations

import asyncio
import collections.abc
import errno
import itertools
import os
import socket
import sys
import weakref
from collections.abc import Callable
from typing import Any

from miniloop.contract.reporting import logger
from miniloop.core.primitives import gather, sleep
from miniloop.io.readiness import READ
from miniloop.io.sockets import refuse_ssl_socket
from miniloop.io.tls import TLSMixin
from miniloop.io.transports import TransportSocket

# After running out of file descriptors, try accepting again this much later.
ACCEPT_RETRY_DELAY = 1.0

_OUT_OF_RESOURCES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


class Server(asyncio.AbstractServer):
    """Listening sockets, plus the connections they accepted.

    asyncio contract: ``asyncio.AbstractServer`` is inherited as an interface.
    """

    def __init__(self, loop: Any, sockets: list[socket.socket], protocol_factory: Any,
                 ssl_context: Any, backlog: int, ssl_handshake_timeout: float | None,
                 ssl_shutdown_timeout: float | None = None) -> None:
        self._loop = loop
        self._sockets: list[socket.socket] | None = sockets
        self._active_count = 0
        # The live transports (weakly: a forgotten transport must still be
        # able to warn that it was never closed).
        self._clients: weakref.WeakSet[Any] = weakref.WeakSet()
        self._waiters: list[Any] | None = []
        self._protocol_factory = protocol_factory
        self._backlog = backlog
        self._ssl_context = ssl_context
        self._ssl_handshake_timeout = ssl_handshake_timeout
        self._ssl_shutdown_timeout = ssl_shutdown_timeout
        self._serving = False
        self._serving_forever_fut: Any = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} sockets={self.sockets!r}>"

    # --- connections come and go ----------------------------------------------------

    def _attach(self, transport: Any) -> None:
        self._active_count += 1
        self._clients.add(transport)

    def _detach(self, transport: Any) -> None:
        self._active_count -= 1
        self._clients.discard(transport)
        if self._active_count == 0 and self._sockets is None:
            self._wake_waiters()

    def _wake_waiters(self) -> None:
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                # 3.11 resolved each waiter with itself; nobody sees it, but
                # a custom future subclass could.
                waiter.set_result(waiter if sys.version_info < (3, 12) else None)

    # --- serving ----------------------------------------------------------------------

    def _start_serving(self) -> None:
        if self._serving:
            return
        self._serving = True
        for sock in self._sockets or ():
            sock.listen(self._backlog)
            self._loop._start_serving(
                self._protocol_factory, sock, self._ssl_context, self, self._backlog,
                self._ssl_handshake_timeout, self._ssl_shutdown_timeout)

    def get_loop(self) -> Any:
        """The loop the server runs on."""
        return self._loop

    def is_serving(self) -> bool:
        """True while the server accepts new connections."""
        return self._serving

    @property
    def sockets(self) -> tuple[TransportSocket, ...]:
        """The listening sockets (empty once closed)."""
        if self._sockets is None:
            return ()
        return tuple(TransportSocket(sock) for sock in self._sockets)

    def close(self) -> None:
        """Stop listening. Connections already accepted stay open."""
        sockets = self._sockets
        if sockets is None:
            return
        self._sockets = None
        for sock in sockets:
            self._loop._stop_serving(sock)
        self._serving = False
        if self._serving_forever_fut is not None and not self._serving_forever_fut.done():
            self._serving_forever_fut.cancel()
            self._serving_forever_fut = None
        if self._active_count == 0:
            self._wake_waiters()

    if sys.version_info >= (3, 13):

        def close_clients(self) -> None:
            """Close every connection this server accepted (Python 3.13+)."""
            for transport in self._clients.copy():
                transport.close()

        def abort_clients(self) -> None:
            """Abort every connection this server accepted (Python 3.13+)."""
            for transport in self._clients.copy():
                transport.abort()

    async def start_serving(self) -> None:
        """Start accepting connections (if not already)."""
        self._start_serving()
        await sleep(0)  # one turn, as asyncio takes, before we return

    async def serve_forever(self) -> None:
        """Accept connections until cancelled; then close and wait for the server."""
        if self._serving_forever_fut is not None:
            raise RuntimeError(f"server {self!r} is already being awaited on serve_forever()")
        if self._sockets is None:
            raise RuntimeError(f"server {self!r} is closed")
        self._start_serving()
        self._serving_forever_fut = self._loop.create_future()
        try:
            await self._serving_forever_fut
        except asyncio.CancelledError:
            try:
                self.close()
                await self.wait_closed()
            finally:
                raise
        finally:
            self._serving_forever_fut = None

    async def wait_closed(self) -> None:
        """Wait until the server is closed and (3.12+) all its connections are gone.

        Python 3.11 returned at once if the server was already closed, even
        with connections still open; miniloop follows the Python it runs on.
        """
        if self._waiters is None:
            return
        if sys.version_info < (3, 12) and self._sockets is None:
            return
        waiter = self._loop.create_future()
        self._waiters.append(waiter)
        await waiter

    # ``async with server`` is asyncio.AbstractServer's, inherited: close,
    # then wait_closed.


class ServersMixin(TLSMixin):
    """``create_server`` and the accept loop."""

    async def create_server(
        self, protocol_factory: Callable[[], Any], host: Any = None, port: Any = None, *,
        family: int = socket.AF_UNSPEC, flags: int = socket.AI_PASSIVE, sock: Any = None,
        backlog: int = 100, ssl: Any = None, reuse_address: bool | None = None,
        reuse_port: bool | None = None, keep_alive: bool | None = None,
        ssl_handshake_timeout: float | None = None, ssl_shutdown_timeout: float | None = None,
        start_serving: bool = True,
    ) -> Server:
        """Listen on ``host``:``port`` (or ``sock``); each connection gets a new protocol."""
        check_server_ssl_arguments(ssl, ssl_handshake_timeout, ssl_shutdown_timeout)
        if sock is not None:
            refuse_ssl_socket(sock)
        if host is not None or port is not None:
            if sock is not None:
                raise ValueError("host/port and sock can not be specified at the same time")
            sockets = await self._bind_listening_sockets(
                host, port, family, flags, reuse_address, reuse_port, keep_alive)
        else:
            if sock is None:
                raise ValueError("Neither host/port nor sock were specified")
            if sock.type != socket.SOCK_STREAM:
                raise ValueError(f"A Stream Socket was expected, got {sock!r}")
            sockets = [sock]
        for each in sockets:
            each.setblocking(False)
        return await self._new_server(sockets, protocol_factory, ssl, backlog,
                                      ssl_handshake_timeout, ssl_shutdown_timeout, start_serving)

    async def _new_server(self, sockets: list[socket.socket], protocol_factory: Any, ssl: Any,
                          backlog: int, ssl_handshake_timeout: float | None,
                          ssl_shutdown_timeout: float | None, start_serving: bool) -> Server:
        server = Server(self, sockets, protocol_factory, ssl, backlog, ssl_handshake_timeout,
                        ssl_shutdown_timeout)
        if start_serving:
            server._start_serving()
            await sleep(0)  # one turn, as asyncio takes, before we return
        if self._debug:
            logger.info("%r is serving", server)
        return server

    async def _bind_listening_sockets(
        self, host: Any, port: Any, family: int, flags: int, reuse_address: bool | None,
        reuse_port: bool | None, keep_alive: bool | None,
    ) -> list[socket.socket]:
        if reuse_address is None:
            reuse_address = os.name == "posix" and sys.platform != "cygwin"
        if host == "":
            hosts: list[Any] = [None]
        elif isinstance(host, str) or not isinstance(host, collections.abc.Iterable):
            hosts = [host]
        else:
            hosts = list(host)
        lookups = [self._server_addresses(each, port, family, flags) for each in hosts]
        infos = set(itertools.chain.from_iterable(await gather(*lookups)))
        sockets: list[socket.socket] = []
        completed = False
        try:
            for af, socktype, proto, _canonname, address in infos:
                try:
                    sock = socket.socket(af, socktype, proto)
                except OSError:
                    # Probably a family this machine does not support.
                    if self._debug:
                        logger.warning("create_server() failed to create socket.socket(%r, %r, %r)",
                                       af, socktype, proto, exc_info=True)
                    continue
                sockets.append(sock)
                if reuse_address:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, True)
                if reuse_port:
                    set_reuse_port(sock)
                if keep_alive and sys.version_info >= (3, 13):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, True)
                if af == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                    # One socket per family: no IPv4 traffic on the IPv6 socket.
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, True)
                try:
                    sock.bind(address)
                except OSError as err:
                    if sys.version_info >= (3, 13):
                        message = (f"error while attempting to bind on address "
                                   f"{address!r}: {str(err).lower()}")
                        if err.errno == errno.EADDRNOTAVAIL:
                            # That family is not enabled here: skip it.
                            sockets.pop()
                            sock.close()
                            if self._debug:
                                logger.warning(message)
                            continue
                    else:
                        message = (f"error while attempting to bind on address "
                                   f"{address!r}: {(err.strerror or '').lower()}")
                    raise OSError(err.errno, message) from None
            if sys.version_info >= (3, 13) and not sockets:
                raise OSError(f"could not bind on any address out of "
                              f"{[info[4] for info in infos]!r}")
            completed = True
        finally:
            if not completed:
                for sock in sockets:
                    sock.close()
        return sockets

    async def _server_addresses(self, host: Any, port: Any, family: int,
                                flags: int) -> list[tuple[Any, ...]]:
        infos = await self._resolve((host, port), family=family, type=socket.SOCK_STREAM,
                                    flags=flags)
        if not infos:
            raise OSError(f"getaddrinfo({host!r}) returned empty list")
        return infos

    # --- the accept loop --------------------------------------------------------------------

    def _start_serving(self, protocol_factory: Any, sock: socket.socket, sslcontext: Any = None,
                       server: Any = None, backlog: int = 100,
                       ssl_handshake_timeout: float | None = None,
                       ssl_shutdown_timeout: float | None = None) -> None:
        self._watch(sock.fileno(), READ, self._accept_connections,
                    (protocol_factory, sock, sslcontext, server, backlog,
                     ssl_handshake_timeout, ssl_shutdown_timeout))

    def _stop_serving(self, sock: socket.socket) -> None:
        self._unwatch(sock.fileno(), READ)
        sock.close()

    def _accept_connections(self, protocol_factory: Any, sock: socket.socket, sslcontext: Any,
                            server: Any, backlog: int, ssl_handshake_timeout: float | None,
                            ssl_shutdown_timeout: float | None) -> None:
        # The listening socket is readable: accept everyone who is waiting
        # (at most backlog), each on its own task.
        for _ in range(backlog):
            try:
                connection, address = sock.accept()
                if self._debug:
                    logger.debug("%r got a new connection from %r: %r", server, address,
                                 connection)
                connection.setblocking(False)
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return  # nobody else is waiting
            except OSError as exc:
                if exc.errno not in _OUT_OF_RESOURCES:
                    raise  # the loop reports it; the server keeps serving
                # Out of descriptors: the socket stays readable, so stop
                # watching it for a while instead of spinning.
                self.call_exception_handler({
                    "message": "socket.accept() out of system resource",
                    "exception": exc,
                    "socket": TransportSocket(sock),
                })
                self._unwatch(sock.fileno(), READ)
                self.call_later(ACCEPT_RETRY_DELAY, self._start_serving, protocol_factory, sock,
                                sslcontext, server, backlog, ssl_handshake_timeout,
                                ssl_shutdown_timeout)
                return
            self.create_task(self._serve_connection(
                protocol_factory, connection, {"peername": address}, sslcontext, server,
                ssl_handshake_timeout, ssl_shutdown_timeout))

    async def _serve_connection(self, protocol_factory: Any, connection: socket.socket,
                                extra: dict[str, Any], sslcontext: Any, server: Any,
                                ssl_handshake_timeout: float | None,
                                ssl_shutdown_timeout: float | None) -> None:
        protocol = transport = None
        try:
            protocol = protocol_factory()
            waiter = self.create_future()
            transport = self._make_stream_transport(
                connection, protocol, waiter, tls=sslcontext, server_side=True,
                extra=extra, server=server, ssl_handshake_timeout=ssl_handshake_timeout,
                ssl_shutdown_timeout=ssl_shutdown_timeout)
            try:
                await waiter
            except BaseException:
                transport.close()
                raise
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            # Nobody awaits this task: a failed handshake or a broken
            # factory is only worth a report in debug mode (asyncio's rule).
            if self._debug:
                context: dict[str, Any] = {
                    "message": "Error on transport creation for incoming connection",
                    "exception": exc,
                }
                if protocol is not None:
                    context["protocol"] = protocol
                if transport is not None:
                    context["transport"] = transport
                self.call_exception_handler(context)


def check_server_ssl_arguments(ssl: Any, handshake_timeout: float | None,
                               shutdown_timeout: float | None) -> None:
    """asyncio's checks (and messages) on a server's TLS arguments."""
    if isinstance(ssl, bool):
        raise TypeError("ssl argument must be an SSLContext or None")
    if handshake_timeout is not None and ssl is None:
        raise ValueError("ssl_handshake_timeout is only meaningful with ssl")
    if shutdown_timeout is not None and ssl is None:
        raise ValueError("ssl_shutdown_timeout is only meaningful with ssl")


def set_reuse_port(sock: socket.socket) -> None:
    """Let several sockets listen on one port (SO_REUSEPORT), or say why not."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise ValueError("reuse_port not supported by socket module")
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    except OSError:
        raise ValueError("reuse_port not supported by socket module, "
                         "SO_REUSEPORT defined but not implemented.")
