"""Connections: from a host name to a transport and a protocol.

``create_connection(factory, "example.org", 443)`` does, in order:

    1. resolve the name (``getaddrinfo`` in a thread, unless it is already
       a numeric address) into a list of candidate addresses;
    2. for each candidate: make a socket, optionally bind it to
       ``local_addr``, and ``sock_connect`` it (the task parks until the
       socket turns writable); the first candidate that connects wins;
    3. wrap the connected socket in a transport (TLS if asked), make the
       protocol, and wait until its ``connection_made`` has run.

Step 2 tries the candidates one after another. With *happy eyeballs*
(``happy_eyeballs_delay``), a slow candidate (say, an IPv6 route that
silently drops packets) does not hold up the next: after the delay the
next attempt starts alongside it, and whichever connects first wins; the
others are cancelled and their sockets closed.

Read next: ``sendfile.py``.
"""

from __future__ import annotations

import collections
import functools
import itertools
import socket
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from miniloop.contract.reporting import logger
from miniloop.io.sockets import refuse_ssl_socket
from miniloop.io.tls import TLSMixin

# One connection attempt: a coroutine function that returns a connected socket.
Connecting = Callable[[], Coroutine[Any, Any, socket.socket]]

def interleave_by_family(infos: list[tuple[Any, ...]], first_family_count: int = 1
                         ) -> list[tuple[Any, ...]]:
    """Reorder addresses so families alternate: v6, v4, v6, v4...

    The first ``first_family_count`` addresses of the first family go first.
    """
    by_family: dict[Any, list[tuple[Any, ...]]] = collections.OrderedDict()
    for info in infos:
        by_family.setdefault(info[0], []).append(info)
    groups = list(by_family.values())
    ordered: list[tuple[Any, ...]] = []
    if first_family_count > 1:
        ordered.extend(groups[0][:first_family_count - 1])
        del groups[0][:first_family_count - 1]
    ordered.extend(info for info in itertools.chain.from_iterable(
        itertools.zip_longest(*groups)) if info is not None)
    return ordered


class ConnectionsMixin(TLSMixin):
    """``create_connection`` and ``connect_accepted_socket``."""

    async def create_connection(
        self, protocol_factory: Callable[[], Any], host: Any = None, port: Any = None, *,
        ssl: Any = None, family: int = 0, proto: int = 0, flags: int = 0, sock: Any = None,
        local_addr: Any = None, server_hostname: str | None = None,
        ssl_handshake_timeout: float | None = None, ssl_shutdown_timeout: float | None = None,
        happy_eyeballs_delay: float | None = None, interleave: int | None = None,
        all_errors: bool = False,
    ) -> tuple[Any, Any]:
        """Connect to ``host``:``port`` (or use ``sock``): ``(transport, protocol)``."""
        if server_hostname is not None and not ssl:
            raise ValueError("server_hostname is only meaningful with ssl")
        if server_hostname is None and ssl:
            # The certificate is checked against the host we asked for.
            if not host:
                raise ValueError("You must set server_hostname when using ssl without a host")
            server_hostname = host
        if ssl_handshake_timeout is not None and not ssl:
            raise ValueError("ssl_handshake_timeout is only meaningful with ssl")
        if ssl_shutdown_timeout is not None and not ssl:
            raise ValueError("ssl_shutdown_timeout is only meaningful with ssl")
        if sock is not None:
            refuse_ssl_socket(sock)
        if happy_eyeballs_delay is not None and interleave is None:
            interleave = 1  # racing families works best with them interleaved

        if host is not None or port is not None:
            if sock is not None:
                raise ValueError("host/port and sock can not be specified at the same time")
            sock = await self._connect_first_address(
                host, port, family, proto, flags, local_addr, happy_eyeballs_delay,
                interleave, all_errors)
        else:
            if sock is None:
                raise ValueError("host and port was not specified and no sock specified")
            if sock.type != socket.SOCK_STREAM:
                # Unix stream sockets are welcome too.
                raise ValueError(f"A Stream Socket was expected, got {sock!r}")

        transport, protocol = await self._connect_transport(
            sock, protocol_factory, ssl, server_hostname,
            ssl_handshake_timeout=ssl_handshake_timeout,
            ssl_shutdown_timeout=ssl_shutdown_timeout)
        if self._debug:
            logger.debug("%r connected to %s:%r: (%r, %r)",
                         transport.get_extra_info("socket"), host, port, transport, protocol)
        return transport, protocol

    async def _connect_first_address(
        self, host: Any, port: Any, family: int, proto: int, flags: int, local_addr: Any,
        happy_eyeballs_delay: float | None, interleave: int | None, all_errors: bool,
    ) -> socket.socket:
        infos = await self._resolve((host, port), family=family, type=socket.SOCK_STREAM,
                                    proto=proto, flags=flags)
        if not infos:
            raise OSError("getaddrinfo() returned empty list")
        local_infos = None
        if local_addr is not None:
            local_infos = await self._resolve(local_addr, family=family,
                                              type=socket.SOCK_STREAM, proto=proto, flags=flags)
            if not local_infos:
                raise OSError("getaddrinfo() returned empty list")
        if interleave:
            infos = interleave_by_family(infos, interleave)

        errors: list[list[OSError]] = []
        sock: socket.socket | None = None
        if happy_eyeballs_delay is None:
            for info in infos:
                try:
                    sock = await self._connect_one(errors, info, local_infos)
                    break
                except OSError:
                    continue
        else:
            attempts = [functools.partial(self._connect_one, errors, info, local_infos)
                        for info in infos]
            sock = await self._race_staggered(attempts, happy_eyeballs_delay)
        if sock is not None:
            return sock
        flat = [exc for attempt in errors for exc in attempt]
        if all_errors:
            raise ExceptionGroup("create_connection failed", flat)
        if len(flat) == 1:
            raise flat[0]
        # One error if they all say the same thing, else all of them.
        model = str(flat[0])
        if all(str(exc) == model for exc in flat):
            raise flat[0]
        raise OSError(f"Multiple exceptions: {', '.join(str(exc) for exc in flat)}")

    async def _connect_one(self, errors: list[list[OSError]], info: tuple[Any, ...],
                           local_infos: list[tuple[Any, ...]] | None) -> socket.socket:
        """Make, bind and connect one socket; record its errors in ``errors``."""
        mine: list[OSError] = []
        errors.append(mine)
        family, type_, proto, _, address = info
        sock = None
        try:
            sock = socket.socket(family=family, type=type_, proto=proto)
            sock.setblocking(False)
            if local_infos is not None:
                self._bind_local(sock, family, local_infos, mine)
            await self.sock_connect(sock, address)
            return sock
        except OSError as exc:
            mine.append(exc)
            if sock is not None:
                sock.close()
            raise
        except BaseException:
            if sock is not None:
                sock.close()
            raise

    def _bind_local(self, sock: socket.socket, family: int,
                    local_infos: list[tuple[Any, ...]], mine: list[OSError]) -> None:
        for local_family, _, _, _, local_address in local_infos:
            if local_family != family:
                continue  # an IPv4 local address cannot serve an IPv6 socket
            try:
                sock.bind(local_address)
                return
            except OSError as exc:
                detail = (str(exc).lower() if sys.version_info >= (3, 13)
                          else (exc.strerror or "").lower())
                mine.append(OSError(exc.errno, f"error while attempting to bind on "
                                               f"address {local_address!r}: {detail}"))
        if mine:
            raise mine.pop()
        raise OSError(f"no matching local address with family={family!r} found")

    async def _race_staggered(self, attempts: Sequence[Connecting],
                              delay: float) -> socket.socket | None:
        """Happy eyeballs: start the attempts ``delay`` apart; the first to connect wins.

        A failed attempt starts the next one at once. The losers are
        cancelled (which closes their sockets) before we return.
        """
        waiting = list(attempts)
        running: list[Any] = []
        winner: socket.socket | None = None
        wake_up = self.create_future()

        def poke(_: Any = None) -> None:
            if not wake_up.done():
                wake_up.set_result(None)

        def start_next() -> None:
            if waiting:
                task = self.create_task(waiting.pop(0)())
                task.add_done_callback(poke)
                running.append(task)

        start_next()
        try:
            while running:
                timer = self.call_later(delay, poke) if waiting else None
                try:
                    await wake_up
                finally:
                    if timer is not None:
                        timer.cancel()
                wake_up = self.create_future()
                finished = [task for task in running if task.done()]
                for task in finished:
                    running.remove(task)
                    if task.cancelled() or task.exception() is not None:
                        continue
                    if winner is None:
                        winner = task.result()
                    else:
                        task.result().close()  # connected as well, but too late
                if winner is not None:
                    break
                # Either an attempt failed or the delay passed: next one.
                start_next()
            return winner
        finally:
            for task in running:
                task.cancel()
            for task in running:
                try:
                    await task
                except BaseException:  # a loser's fate does not matter
                    pass

    async def connect_accepted_socket(
        self, protocol_factory: Callable[[], Any], sock: socket.socket, *, ssl: Any = None,
        ssl_handshake_timeout: float | None = None, ssl_shutdown_timeout: float | None = None,
    ) -> tuple[Any, Any]:
        """Wrap a socket accepted elsewhere (server side): ``(transport, protocol)``."""
        if sock.type != socket.SOCK_STREAM:
            raise ValueError(f"A Stream Socket was expected, got {sock!r}")
        if ssl_handshake_timeout is not None and not ssl:
            raise ValueError("ssl_handshake_timeout is only meaningful with ssl")
        if ssl_shutdown_timeout is not None and not ssl:
            raise ValueError("ssl_shutdown_timeout is only meaningful with ssl")
        refuse_ssl_socket(sock)
        transport, protocol = await self._connect_transport(
            sock, protocol_factory, ssl, "", server_side=True,
            ssl_handshake_timeout=ssl_handshake_timeout,
            ssl_shutdown_timeout=ssl_shutdown_timeout)
        if self._debug:
            logger.debug("%r handled: (%r, %r)", transport.get_extra_info("socket"),
                         transport, protocol)
        return transport, protocol

    async def _connect_transport(
        self, sock: socket.socket, protocol_factory: Callable[[], Any], ssl: Any,
        server_hostname: str | None, server_side: bool = False,
        ssl_handshake_timeout: float | None = None, ssl_shutdown_timeout: float | None = None,
    ) -> tuple[Any, Any]:
        """Make the protocol and the transport; return once connection_made has run."""
        sock.setblocking(False)
        protocol = protocol_factory()
        waiter = self.create_future()
        try:
            transport = self._make_stream_transport(
                sock, protocol, waiter, tls=ssl or None, server_side=server_side,
                server_hostname=server_hostname, ssl_handshake_timeout=ssl_handshake_timeout,
                ssl_shutdown_timeout=ssl_shutdown_timeout)
        except BaseException:
            # (asyncio leaves the connected socket to the garbage collector
            # here, e.g. after a bad ssl_handshake_timeout; we close it.)
            sock.close()
            raise
        try:
            await waiter
        except BaseException:
            transport.close()
            raise
        return transport, protocol
