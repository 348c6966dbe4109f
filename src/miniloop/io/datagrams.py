"""Datagrams: UDP (and Unix datagram) sockets as transports.

A datagram socket has no connection and no byte stream: each ``recvfrom``
returns one whole message and the address it came from, each ``sendto``
sends one whole message. So the transport is simpler than a stream's:
when the selector says "readable", read one datagram and hand it to
``protocol.datagram_received(data, addr)``; ``sendto`` tries the socket
first and queues the message only if the kernel's buffer is full.

Errors are different too. A UDP error (say, "port unreachable" reported
by the peer's machine for an earlier datagram) concerns one message, not
the endpoint, so it goes to ``protocol.error_received(exc)`` and the
transport carries on.

``create_datagram_endpoint`` binds a local address, "connects" to a remote
one (which only fixes the default destination and filters what we
receive), or both.

Read next: ``pipes.py``.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Callable
from typing import Any

from miniloop.contract.reporting import logger
from miniloop.io.readiness import WRITE
from miniloop.io.servers import set_reuse_port
from miniloop.io.sockets import WOULD_BLOCK, SocketsMixin
from miniloop.io.transports import SocketTransportBase, shown_as
from miniloop.io.unix import remove_stale_unix_socket

# Python 3.13 counts 8 header bytes per queued datagram (and only adds them).
_HEADER_BYTES = 8 if sys.version_info >= (3, 13) else 0


@shown_as("_SelectorDatagramTransport")
class DatagramSocketTransport(SocketTransportBase, asyncio.DatagramTransport):
    """A datagram socket driving a DatagramProtocol.

    asyncio contract: ``asyncio.DatagramTransport`` is inherited as an interface.
    """

    def __init__(self, loop: Any, sock: socket.socket, protocol: Any, address: Any = None,
                 waiter: Any = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(loop, sock, protocol, extra)
        self._address = address  # the connected peer, if any
        self._read_size = min(self.max_size, len(loop._read_scratch))
        self._announce(waiter)

    def _read_ready(self) -> None:
        if self._conn_lost:
            return
        scratch = self._loop._read_scratch  # see sockets.py: no 256 KiB allocation per read
        try:
            nbytes, address = self._sock.recvfrom_into(  # type: ignore[union-attr]
                scratch, self._read_size)
        except WOULD_BLOCK:
            return
        except OSError as exc:
            self._protocol.error_received(exc)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal read error on datagram transport")
        else:
            self._protocol.datagram_received(bytes(scratch[:nbytes]), address)

    def sendto(self, data: Any, addr: Any = None) -> None:
        """Send one datagram to ``addr`` (or to the connected peer)."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be a bytes-like object, "
                            f"not {type(data).__name__!r}")
        if not data and sys.version_info < (3, 13):
            return  # 3.13 sends empty datagrams; earlier versions drop them
        if self._address:
            if addr not in (None, self._address):
                raise ValueError(f"Invalid address: must be None or {self._address}")
            addr = self._address
        if self._conn_lost and self._address:
            self._count_lost_write()
            return
        if not self._buffer:
            try:
                self._send_one(data, addr)
                return
            except WOULD_BLOCK:
                self._loop._watch(self._sock_fd, WRITE, self._sendto_ready)
            except OSError as exc:
                self._protocol.error_received(exc)
                return
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._fatal_error(exc, "Fatal write error on datagram transport")
                return
        self._buffer.append((bytes(data), addr))  # a copy: the caller may reuse data
        self._buffer_size += len(data) + _HEADER_BYTES
        self._maybe_pause_protocol()

    def _send_one(self, data: Any, addr: Any) -> None:
        if self._extra["peername"]:
            self._sock.send(data)  # type: ignore[union-attr]
        else:
            self._sock.sendto(data, addr)  # type: ignore[union-attr]

    def _sendto_ready(self) -> None:
        buffer = self._buffer
        while buffer:
            data, addr = buffer.popleft()
            self._buffer_size -= len(data)
            try:
                self._send_one(data, addr)
            except WOULD_BLOCK:
                buffer.appendleft((data, addr))  # the kernel is still full
                self._buffer_size += len(data)
                break
            except OSError as exc:
                self._protocol.error_received(exc)
                return
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._fatal_error(exc, "Fatal write error on datagram transport")
                return
        self._maybe_resume_protocol()
        if not buffer:
            self._loop._unwatch(self._sock_fd, WRITE)
            if self._closing:
                self._call_connection_lost(None)


class DatagramsMixin(SocketsMixin):
    """``create_datagram_endpoint``."""

    async def create_datagram_endpoint(
        self, protocol_factory: Callable[[], Any], local_addr: Any = None,
        remote_addr: Any = None, *, family: int = 0, proto: int = 0, flags: int = 0,
        reuse_port: bool | None = None, allow_broadcast: bool | None = None, sock: Any = None,
    ) -> tuple[Any, Any]:
        """A datagram endpoint: ``(transport, protocol)``."""
        remote: Any = None
        if sock is not None:
            refused = (sock.type == socket.SOCK_STREAM if sys.version_info >= (3, 13)
                       else sock.type != socket.SOCK_DGRAM)
            if refused:
                kind = "A datagram socket" if sys.version_info >= (3, 13) else "A UDP Socket"
                raise ValueError(f"{kind} was expected, got {sock!r}")
            if (local_addr or remote_addr or family or proto or flags or reuse_port
                    or allow_broadcast):
                options = {"local_addr": local_addr, "remote_addr": remote_addr,
                           "family": family, "proto": proto, "flags": flags,
                           "reuse_port": reuse_port, "allow_broadcast": allow_broadcast}
                problems = ", ".join(f"{key}={value}" for key, value in options.items()
                                     if value)
                raise ValueError(f"socket modifier keyword arguments can not be used "
                                 f"when sock is specified. ({problems})")
            sock.setblocking(False)
        else:
            pairs = await self._datagram_address_pairs(local_addr, remote_addr, family,
                                                       proto, flags)
            sock, remote = await self._open_datagram_socket(
                pairs, local_addr, remote_addr, reuse_port, allow_broadcast)
        protocol = protocol_factory()
        waiter = self.create_future()
        self._refuse_if_owned(sock)
        transport = DatagramSocketTransport(self, sock, protocol, remote, waiter)
        if self._debug:
            if local_addr:
                logger.info("Datagram endpoint local_addr=%r remote_addr=%r created: (%r, %r)",
                            local_addr, remote_addr, transport, protocol)
            else:
                logger.debug("Datagram endpoint remote_addr=%r created: (%r, %r)",
                             remote_addr, transport, protocol)
        try:
            await waiter
        except BaseException:
            transport.close()
            raise
        return transport, protocol

    async def _datagram_address_pairs(
        self, local_addr: Any, remote_addr: Any, family: int, proto: int, flags: int,
    ) -> list[tuple[tuple[int, int], list[Any]]]:
        """``((family, proto), [local, remote])`` combinations worth trying, in order."""
        if not (local_addr or remote_addr):
            if family == 0:
                raise ValueError("unexpected address family")
            return [((family, proto), [None, None])]
        if family == getattr(socket, "AF_UNIX", None):
            for address in (local_addr, remote_addr):
                if address is not None and not isinstance(address, str):
                    raise TypeError("string is expected")
            if local_addr and local_addr[0] not in (0, "\x00"):
                remove_stale_unix_socket(local_addr)
            return [((family, proto), [local_addr, remote_addr])]
        # Group the resolved addresses by (family, proto): a pair needs a
        # local and a remote address of the same kind.
        by_kind: dict[tuple[int, int], list[Any]] = {}
        for index, address in ((0, local_addr), (1, remote_addr)):
            if address is None:
                continue
            if not (isinstance(address, tuple) and len(address) == 2):
                raise TypeError("2-tuple is expected")
            infos = await self._resolve(address, family=family, type=socket.SOCK_DGRAM,
                                        proto=proto, flags=flags)
            if not infos:
                raise OSError("getaddrinfo() returned empty list")
            for info_family, _, info_proto, _, info_address in infos:
                by_kind.setdefault((info_family, info_proto), [None, None])[index] = info_address
        pairs = [(kind, addresses) for kind, addresses in by_kind.items()
                 if not ((local_addr and addresses[0] is None)
                         or (remote_addr and addresses[1] is None))]
        if not pairs:
            raise ValueError("can not get address information")
        return pairs

    async def _open_datagram_socket(
        self, pairs: list[tuple[tuple[int, int], list[Any]]], local_addr: Any,
        remote_addr: Any, reuse_port: bool | None, allow_broadcast: bool | None,
    ) -> tuple[socket.socket, Any]:
        errors: list[OSError] = []
        for (family, proto), (local, remote) in pairs:
            sock = None
            try:
                sock = socket.socket(family=family, type=socket.SOCK_DGRAM, proto=proto)
                if reuse_port:
                    set_reuse_port(sock)
                if allow_broadcast:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
                sock.setblocking(False)
                if local_addr:
                    sock.bind(local)
                connected_to = None
                if remote_addr:
                    if not allow_broadcast:
                        await self.sock_connect(sock, remote)
                    connected_to = remote
                return sock, connected_to
            except OSError as exc:
                if sock is not None:
                    sock.close()
                errors.append(exc)
            except BaseException:
                if sock is not None:
                    sock.close()
                raise
        raise errors[0]

