"""transports.py: the socket view, water marks, reprs, warnings, lost writes."""

from __future__ import annotations

import asyncio
import asyncio.trsock
import gc
import logging
import pickle
import socket
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import miniloop
from miniloop.io.transports import FlowControl, SocketTransport, TransportSocket
from tests.io.fd_leaks import no_fd_leak


def test_transport_socket_repr_is_asyncios() -> None:
    a, b = socket.socketpair()
    try:
        assert repr(TransportSocket(a)) == repr(asyncio.trsock.TransportSocket(a))
    finally:
        a.close()
        b.close()
    closed = TransportSocket(a)
    assert repr(closed) == repr(asyncio.trsock.TransportSocket(a))
    with pytest.raises(TypeError, match="Cannot serialize"):
        pickle.dumps(closed)


def test_transport_socket_allows_only_harmless_operations() -> None:
    listener = socket.socket()
    try:
        view = TransportSocket(listener)
        view.settimeout(0)
        view.setblocking(False)
        with pytest.raises(ValueError, match="only 0 timeout"):
            view.settimeout(1)
        view.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        assert view.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
        assert (view.family, view.type, view.proto) == (
            listener.family, listener.type, listener.proto)
        assert not hasattr(view, "close")
        twin = view.dup()
        twin.close()
    finally:
        listener.close()


class Limits(FlowControl):
    def get_write_buffer_size(self) -> int:
        return 0


@given(st.one_of(st.none(), st.integers(-5, 10**6)), st.one_of(st.none(), st.integers(-5, 10**6)))
def test_water_marks_are_asyncios(high: int | None, low: int | None) -> None:
    class Theirs(asyncio.transports._FlowControlMixin):  # type: ignore[name-defined]
        def get_write_buffer_size(self) -> int:
            return 0

    ours = Limits()
    ours._init_flow_control(object())
    theirs = Theirs(loop=object())
    outcomes = []
    for limits in (ours, theirs):
        try:
            limits.set_write_buffer_limits(high, low)
        except ValueError as exc:
            outcomes.append(str(exc))
        else:
            outcomes.append(limits.get_write_buffer_limits())
    assert outcomes[0] == outcomes[1]


async def connected_pair() -> tuple[Any, Any, Any]:
    loop = miniloop.get_running_loop()
    server_side = loop.create_future()

    class Keep(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            if not server_side.done():
                server_side.set_result(transport)

    server = await loop.create_server(Keep, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport, _ = await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
    return server, transport, await server_side


def test_repr_shows_state_like_asyncio() -> None:
    async def main() -> list[str]:
        server, transport, peer = await connected_pair()
        texts = [repr(transport)]
        transport.pause_reading()
        texts.append(repr(transport))
        transport.close()
        texts.append(repr(transport))
        await miniloop.sleep(0)
        texts.append(repr(transport))
        peer.close()
        server.close()
        await server.wait_closed()
        return [text.split(" ", 1)[1].split("fd=")[0] + text.split(" fd=")[1].split(" ", 1)[-1]
                for text in texts]

    with no_fd_leak():
        states = miniloop.run(main())
    assert states[0] == "read=polling write=<idle, bufsize=0>>"
    assert states[1] == "read=idle write=<idle, bufsize=0>>"
    assert states[2].startswith("closing")
    assert states[3].startswith("closed")


def test_an_unclosed_transport_warns_and_closes_its_socket() -> None:
    sock = socket.socket()
    loop = miniloop.Loop()
    try:
        transport = SocketTransport(loop, sock, asyncio.Protocol())
        loop._ready.clear()  # its scheduled callbacks would keep it alive
        with pytest.warns(ResourceWarning, match="unclosed transport"):
            del transport
            gc.collect()
        assert sock.fileno() == -1
    finally:
        loop.close()


def test_writes_to_a_lost_connection_are_dropped_then_logged(caplog: Any) -> None:
    async def main() -> int:
        server, transport, peer = await connected_pair()
        transport.abort()
        await miniloop.sleep(0)
        for _ in range(7):
            transport.write(b"into the void")
        peer.close()
        server.close()
        await server.wait_closed()
        return transport.get_write_buffer_size()

    with caplog.at_level(logging.WARNING, logger="asyncio"):
        assert miniloop.run(main()) == 0
    assert [r.getMessage() for r in caplog.records] == ["socket.send() raised exception."] * 3


def test_set_protocol_while_reading_switches_the_read_path() -> None:
    async def main() -> list[Any]:
        server, transport, peer = await connected_pair()
        got: list[Any] = []
        arrived = miniloop.get_running_loop().create_future()

        class Buffered(asyncio.BufferedProtocol):
            buffer = bytearray(10)

            def get_buffer(self, sizehint: int) -> Any:
                return self.buffer

            def buffer_updated(self, nbytes: int) -> None:
                got.append(bytes(self.buffer[:nbytes]))
                arrived.set_result(None)

        await miniloop.sleep(0)
        transport.set_protocol(Buffered())
        peer.write(b"buffered")
        await arrived
        transport.close()
        peer.close()
        server.close()
        await server.wait_closed()
        return got

    with no_fd_leak():
        assert miniloop.run(main()) == [b"buffered"]
