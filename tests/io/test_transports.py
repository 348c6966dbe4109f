"""transports.py: the socket view, water marks, reprs, warnings, lost writes."""

from __future__ import annotations

import asyncio
import asyncio.trsock
import gc
import logging
import os
import pickle
import re
import socket
import subprocess
import sys
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


# --- what asyncio's transport interfaces give, miniloop's transports inherit ---------------


async def every_kind_of_transport(aio: Any) -> tuple[dict[str, Any], Any]:
    """One transport of each kind on the running loop, and an async function closing them."""
    loop = aio.get_running_loop()
    stream_end, stream_peer = socket.socketpair()
    datagram_end, datagram_peer = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    read_fd, write_fd = os.pipe()
    exited = loop.create_future()

    class Child(asyncio.SubprocessProtocol):
        def process_exited(self) -> None:
            exited.set_result(None)

    kinds: dict[str, Any] = {}
    kinds["socket"], _ = await loop.create_connection(asyncio.Protocol, sock=stream_end)
    kinds["datagram"], _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, sock=datagram_end)
    kinds["read pipe"], _ = await loop.connect_read_pipe(
        asyncio.Protocol, os.fdopen(read_fd, "rb", buffering=0))
    kinds["write pipe"], _ = await loop.connect_write_pipe(
        asyncio.Protocol, os.fdopen(write_fd, "wb", buffering=0))
    kinds["subprocess"], _ = await loop.subprocess_exec(
        Child, sys.executable, "-c", "pass", stdin=None, stdout=subprocess.PIPE, stderr=None)
    kinds["subprocess's stdout"] = kinds["subprocess"].get_pipe_transport(1)

    async def close_all() -> None:
        await exited
        for transport in kinds.values():
            transport.close()
        for sock in (stream_peer, datagram_peer):
            sock.close()
        await aio.sleep(0.01)

    return kinds, close_all


def normalized(text: str) -> str:
    """A repr without the numbers that differ from run to run."""
    text = re.sub(r"(fd|pid)=\d+", r"\1=N", text)
    return re.sub(r" at 0x[0-9a-f]+", "", text)


def probe_extra_info(name: str) -> Any:
    """A get_extra_info that answers "probe" itself: a patch, as a library's test makes one."""
    def get_extra_info(self: Any, key: str, default: Any = None) -> Any:
        return f"patched {name}" if key == "probe" else self._extra.get(key, default)
    return get_extra_info


@pytest.mark.parametrize("interface", [asyncio.BaseTransport, asyncio.Transport,
                                       asyncio.ReadTransport, asyncio.WriteTransport],
                         ids=lambda interface: interface.__name__)
def test_a_patched_get_extra_info_reaches_the_transports_it_reaches_on_asyncio(
        both_backends: Any, monkeypatch: Any, interface: type) -> None:
    async def program(aio: Any, say: Any) -> None:
        kinds, close_all = await every_kind_of_transport(aio)
        for kind, transport in kinds.items():
            say(kind, "->", transport.get_extra_info("probe", "not patched"))
        await close_all()

    monkeypatch.setattr(interface, "get_extra_info", probe_extra_info(interface.__name__))
    transcript = both_backends.run(program)
    assert transcript.same, transcript.diff
    assert f"socket -> patched {interface.__name__}" in transcript["miniloop"]


def test_a_library_test_that_fakes_the_peer_address_works_on_miniloop(
        both_backends: Any, monkeypatch: Any) -> None:
    # The library case, reduced: a web library's test patches
    # asyncio.Transport.get_extra_info to pretend a request came from elsewhere.
    real = asyncio.BaseTransport.get_extra_info

    def from_elsewhere(self: Any, name: str, default: Any = None) -> Any:
        return ("203.0.113.7", 4242) if name == "peername" else real(self, name, default)

    async def program(aio: Any, say: Any) -> None:
        async def handle(reader: Any, writer: Any) -> None:
            writer.write(f"hello {writer.get_extra_info('peername')[0]}".encode())
            writer.close()

        server = await aio.start_server(handle, "127.0.0.1", 0)
        reader, writer = await aio.open_connection(*server.sockets[0].getsockname())
        say("client reads:", (await reader.read()).decode())
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()

    monkeypatch.setattr(asyncio.Transport, "get_extra_info", from_elsewhere)
    transcript = both_backends.run(program)
    assert transcript.same, transcript.diff
    assert transcript["miniloop"] == ["client reads: hello 203.0.113.7"]


def test_no_transport_repeats_what_it_inherits_from_asyncio() -> None:
    from miniloop.io import datagrams, pipes, subprocesses, tls
    from miniloop.io import transports as transports_module

    # A method body word for word the interface's hides a patch of it; TLS
    # keeps write_eof because asyncio's TLS transport defines its own too.
    for cls in (transports_module.SocketTransportBase, SocketTransport,
                datagrams.DatagramSocketTransport, pipes.ReadPipeTransport,
                pipes.WritePipeTransport, subprocesses.SubprocessTransport, tls.SSLTransport):
        assert "get_extra_info" not in vars(cls) or cls is tls.SSLTransport, cls
    assert miniloop.Server.__aexit__ is asyncio.AbstractServer.__aexit__


# --- the names programs see: asyncio's ---------------------------------------------------------


def test_transport_reprs_name_asyncios_classes(both_backends: Any) -> None:
    async def program(aio: Any, say: Any) -> None:
        kinds, close_all = await every_kind_of_transport(aio)
        for kind, transport in kinds.items():
            if kind == "subprocess":
                continue  # its repr changes as the child exits: shown below, once it did
            say(kind, normalized(repr(transport)))
        await close_all()
        say("subprocess", normalized(repr(kinds["subprocess"])))

    transcript = both_backends.run(program)
    assert transcript.same, transcript.diff
    assert "socket <_SelectorSocketTransport fd=N read=polling write=<idle, bufsize=0>>" \
        in transcript["miniloop"]


def test_an_error_report_names_the_transport_as_asyncio_does(both_backends: Any) -> None:
    async def program(aio: Any, say: Any) -> None:
        loop = aio.get_running_loop()
        lost = loop.create_future()

        class Reports(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                for line in record.getMessage().splitlines():
                    say("report:", normalized(line))

        class FailsOnData(asyncio.Protocol):
            def data_received(self, data: bytes) -> None:
                raise ValueError("boom")

            def connection_lost(self, exc: BaseException | None) -> None:
                lost.set_result(exc)

        loop.set_exception_handler(lambda loop, context: loop.default_exception_handler(context))
        reports = Reports()
        logging.getLogger("asyncio").addHandler(reports)
        ours, theirs = socket.socketpair()
        try:
            await loop.create_connection(FailsOnData, sock=ours)
            theirs.send(b"data")
            say("connection lost:", repr(await lost))
        finally:
            logging.getLogger("asyncio").removeHandler(reports)
            theirs.close()

    transcript = both_backends.run(program)
    assert transcript.same, transcript.diff
    assert "report: transport: <_SelectorSocketTransport fd=N read=polling " \
        "write=<idle, bufsize=0>>" in transcript["miniloop"]
