"""Network IO: the same transcript on asyncio and on miniloop (and no leaked descriptor).

Every program talks to itself over 127.0.0.1. Ports differ from run to
run, so programs never print them.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import pytest

from tests.differential.harness import Say
from tests.io.fd_leaks import no_fd_leak


def run_and_compare(both_backends: Any, program: Any) -> Any:
    with no_fd_leak():
        transcript = both_backends.run(program)
    assert transcript.same, transcript.diff
    return transcript


def closed_port() -> int:
    """A port on 127.0.0.1 that nobody listens on (we just closed it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def error_text(exc: BaseException) -> str:
    """An exception without the parts that differ between runs (ports)."""
    return f"{type(exc).__name__} errno={getattr(exc, 'errno', None)}"


class Recorder:
    """Makes protocols that write every callback to the transcript."""

    def __init__(self, aio: Any, say: Say, name: str, *, keep_open: bool = False,
                 reply: bytes | None = None) -> None:
        self.aio, self.say, self.name = aio, say, name
        self.keep_open, self.reply = keep_open, reply
        self.lost = aio.get_running_loop().create_future()
        self.transport: Any = None

    def factory(self) -> Any:
        recorder = self

        class Recording(self.aio.Protocol):  # type: ignore[misc, name-defined]
            def connection_made(self, transport: Any) -> None:
                recorder.transport = transport
                recorder.say(recorder.name, "connection_made",
                             type(transport.get_extra_info("peername")).__name__)

            def data_received(self, data: bytes) -> None:
                recorder.say(recorder.name, "data_received", data)
                if recorder.reply is not None:
                    recorder.transport.write(recorder.reply)

            def eof_received(self) -> bool:
                recorder.say(recorder.name, "eof_received")
                return recorder.keep_open

            def connection_lost(self, exc: BaseException | None) -> None:
                recorder.say(recorder.name, "connection_lost",
                             None if exc is None else error_text(exc))
                if not recorder.lost.done():
                    recorder.lost.set_result(None)

        return Recording()


# --- streams -------------------------------------------------------------------------------


async def stream_echo_reads(aio: Any, say: Say) -> None:
    async def handle(reader: Any, writer: Any) -> None:
        say("server peer is a tuple:", isinstance(writer.get_extra_info("peername"), tuple))
        while line := await reader.readline():
            writer.write(line.upper())
            await writer.drain()
        say("server at eof:", reader.at_eof())
        writer.close()
        await writer.wait_closed()

    server = await aio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await aio.open_connection("127.0.0.1", port)
    writer.write(b"one\ntwo\nthree|four\n")
    await writer.drain()
    say(await reader.readline())
    say(await reader.readexactly(4))
    say(await reader.readuntil(b"|"))
    say(await reader.readline())
    writer.writelines([b"a", b"b", b"\n"])
    say(await reader.readline())
    writer.write(b"tail")
    say("can write eof:", writer.can_write_eof())
    writer.write_eof()
    say(await reader.read())
    say("client at eof:", reader.at_eof())
    writer.close()
    await writer.wait_closed()
    say("closing:", writer.is_closing())
    server.close()
    await server.wait_closed()
    say("serving:", server.is_serving(), server.sockets)


def test_stream_reads_and_writes(both_backends: Any) -> None:
    run_and_compare(both_backends, stream_echo_reads)


async def stream_limits_and_incomplete_reads(aio: Any, say: Say) -> None:
    async def handle(reader: Any, writer: Any) -> None:
        writer.write(b"x" * 30 + b"\n" + b"short\n" + b"y" * 40 + b"|end")
        await writer.drain()
        writer.close()

    server = await aio.start_server(handle, "127.0.0.1", 0, limit=16)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await aio.open_connection("127.0.0.1", port, limit=16)
    await aio.sleep(0.02)  # let everything arrive
    try:
        await reader.readline()
    except ValueError as exc:
        say("readline over the limit:", exc)
    say(await reader.readline())
    try:
        await reader.readuntil(b"|")
    except aio.LimitOverrunError as exc:
        say("readuntil over the limit:", exc, exc.consumed)
    say(await reader.readexactly(41))
    try:
        await reader.readexactly(10)
    except aio.IncompleteReadError as exc:
        say("incomplete:", exc, exc.partial, exc.expected)
    try:
        await reader.readuntil(b"!")
    except aio.IncompleteReadError as exc:
        say("incomplete at eof:", exc.partial, exc.expected)
    say("eof read:", await reader.read(5), reader.at_eof())
    try:
        await reader.readuntil(b"")
    except ValueError as exc:
        say(exc)
    try:
        await reader.readexactly(-1)
    except ValueError as exc:
        say(exc)
    try:
        aio.StreamReader(limit=0)
    except ValueError as exc:
        say(exc)
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


def test_stream_limits_and_incomplete_reads(both_backends: Any) -> None:
    run_and_compare(both_backends, stream_limits_and_incomplete_reads)


async def stream_async_iteration_and_concurrent_readers(aio: Any, say: Say) -> None:
    async def handle(reader: Any, writer: Any) -> None:
        await reader.read(1)
        writer.write(b"l1\nl2\nl3")
        writer.close()

    server = await aio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await aio.open_connection("127.0.0.1", port)
    first = aio.create_task(reader.read(10))
    await aio.sleep(0)
    try:
        await reader.read(10)
    except RuntimeError as exc:
        say("second reader:", exc)
    writer.write(b"!")
    first_data = await first
    rest = [line async for line in reader]
    say("lines:", b"".join([first_data, *rest]).split(b"\n"))
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


def test_stream_iteration_and_one_reader_at_a_time(both_backends: Any) -> None:
    run_and_compare(both_backends, stream_async_iteration_and_concurrent_readers)


async def handler_exception_is_reported(aio: Any, say: Say) -> None:
    async def handle(reader: Any, writer: Any) -> None:
        raise ValueError("handler failed")

    server = await aio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await aio.open_connection("127.0.0.1", port)
    say("client reads:", await reader.read())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


def test_failing_handler_is_reported_and_closes_the_connection(both_backends: Any) -> None:
    transcript = run_and_compare(both_backends, handler_exception_is_reported)
    assert any("client_connected_cb" in line for line in transcript["asyncio"])


# --- protocols: callback order -------------------------------------------------------------


async def protocol_callback_order(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    server_side = Recorder(aio, say, "server", reply=b"pong")
    server = await loop.create_server(server_side.factory, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = Recorder(aio, say, "client", keep_open=True)
    transport, _ = await loop.create_connection(client.factory, "127.0.0.1", port)
    say("create_connection returned")
    transport.write(b"ping")
    await aio.sleep(0.02)
    transport.write_eof()
    await server_side.lost
    await aio.sleep(0.02)
    say("client still open:", not transport.is_closing())
    transport.close()
    await client.lost
    server.close()
    await server.wait_closed()


def test_protocol_callback_order(both_backends: Any) -> None:
    transcript = run_and_compare(both_backends, protocol_callback_order)
    assert transcript["asyncio"][0].startswith("client connection_made") or any(
        "connection_made" in line for line in transcript["asyncio"])


async def buffered_protocol_reads_into_its_buffer(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    done = loop.create_future()

    class Buffered(aio.BufferedProtocol):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            self.buffer = bytearray(4)
            self.received = b""

        def connection_made(self, transport: Any) -> None:
            say("buffered connection_made")

        def get_buffer(self, sizehint: int) -> Any:
            return self.buffer

        def buffer_updated(self, nbytes: int) -> None:
            self.received += bytes(self.buffer[:nbytes])

        def eof_received(self) -> None:
            say("buffered eof, got", self.received)

        def connection_lost(self, exc: BaseException | None) -> None:
            say("buffered connection_lost", exc)
            done.set_result(None)

    async def handle(reader: Any, writer: Any) -> None:
        writer.write(b"0123456789" * 3)
        await writer.drain()
        writer.close()

    server = await aio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    await loop.create_connection(Buffered, "127.0.0.1", port)
    await done
    server.close()
    await server.wait_closed()


def test_buffered_protocol(both_backends: Any) -> None:
    run_and_compare(both_backends, buffered_protocol_reads_into_its_buffer)


async def transport_controls(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    server_side = Recorder(aio, say, "server")
    server = await loop.create_server(server_side.factory, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = Recorder(aio, say, "client")
    transport, _ = await loop.create_connection(client.factory, "127.0.0.1", port)
    say("limits:", transport.get_write_buffer_limits())
    transport.set_write_buffer_limits(high=1000)
    say("limits:", transport.get_write_buffer_limits())
    transport.set_write_buffer_limits(high=1000, low=10)
    say("limits:", transport.get_write_buffer_limits())
    try:
        transport.set_write_buffer_limits(high=1, low=10)
    except ValueError as exc:
        say(exc)
    say("buffer size:", transport.get_write_buffer_size())
    say("reading:", transport.is_reading())
    transport.pause_reading()
    transport.pause_reading()
    say("reading:", transport.is_reading())
    transport.resume_reading()
    transport.resume_reading()
    say("reading:", transport.is_reading())
    say("protocol is ours:", transport.get_protocol() is not None)
    say("unknown extra:", transport.get_extra_info("nonsense", "default"))
    sock = transport.get_extra_info("socket")
    say("socket family:", sock.family == socket.AF_INET, "timeout:", sock.gettimeout())
    try:
        sock.setblocking(True)
    except ValueError as exc:
        say(exc)
    say("sockname matches:", transport.get_extra_info("sockname") == sock.getsockname())
    try:
        transport.write("text")
    except TypeError as exc:
        say(exc)
    transport.write(b"")
    transport.write_eof()
    try:
        transport.write(b"after eof")
    except RuntimeError as exc:
        say(exc)
    await server_side.lost
    transport.abort()
    transport.abort()
    transport.close()
    await client.lost
    say("closing after abort:", transport.is_closing())
    server.close()
    await server.wait_closed()


def test_transport_controls(both_backends: Any) -> None:
    run_and_compare(both_backends, transport_controls)


# --- faults -----------------------------------------------------------------------------------


async def refused_connection(aio: Any, say: Say) -> None:
    port = closed_port()
    try:
        await aio.open_connection("127.0.0.1", port)
    except OSError as exc:
        say("streams:", error_text(exc), "Connect call failed" in str(exc))
    loop = aio.get_running_loop()
    try:
        await loop.create_connection(aio.Protocol, "127.0.0.1", port)
    except OSError as exc:
        say("protocols:", error_text(exc))
    sock = socket.socket()
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, ("127.0.0.1", port))
    except OSError as exc:
        say("sock_connect:", error_text(exc))
    finally:
        sock.close()
    # The loop is still fine.
    await aio.sleep(0)
    say("loop usable")


def test_refused_connection(both_backends: Any) -> None:
    run_and_compare(both_backends, refused_connection)


async def reset_by_peer(aio: Any, say: Say) -> None:
    async def handle(reader: Any, writer: Any) -> None:
        await reader.read(5)
        sock = writer.get_extra_info("socket")
        # Linger 0: close() sends RST instead of FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        writer.transport.abort()

    server = await aio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await aio.open_connection("127.0.0.1", port)
    writer.write(b"hello")
    await aio.sleep(0.05)
    try:
        say("read:", await reader.read(10))
    except ConnectionResetError as exc:
        say("read raised", error_text(exc))
    say("closing:", writer.is_closing())
    try:
        writer.write(b"more")
        await writer.drain()
        say("drain returned")
    except ConnectionResetError as exc:
        say("drain raised", error_text(exc))
    writer.close()
    try:
        await writer.wait_closed()
        say("wait_closed returned")
    except ConnectionResetError as exc:
        say("wait_closed raised", error_text(exc))
    server.close()
    await server.wait_closed()


def test_reset_peer(both_backends: Any) -> None:
    run_and_compare(both_backends, reset_by_peer)


async def client_disconnects_mid_response(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    finished = loop.create_future()

    async def handle(reader: Any, writer: Any) -> None:
        await reader.read(3)
        outcome = "wrote everything"
        try:
            for _ in range(200):
                writer.write(b"z" * 65536)
                await writer.drain()
        except (ConnectionResetError, BrokenPipeError) as exc:
            outcome = f"server drain raised {type(exc).__name__}"
        finished.set_result(outcome)
        writer.close()

    server = await aio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await aio.open_connection("127.0.0.1", port)
    writer.write(b"get")
    await reader.readexactly(1000)
    writer.transport.abort()
    say(await finished)
    server.close()
    await server.wait_closed()


def test_client_disconnects_mid_response(both_backends: Any) -> None:
    run_and_compare(both_backends, client_disconnects_mid_response)


async def peer_never_reads(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    events: list[str] = []
    writer_transport: Any = None
    paused = loop.create_future()
    resumed = loop.create_future()

    class Writer(aio.Protocol):  # type: ignore[misc, name-defined]
        def connection_made(self, transport: Any) -> None:
            nonlocal writer_transport
            writer_transport = transport

        def pause_writing(self) -> None:
            events.append("pause_writing")
            paused.set_result(writer_transport.get_write_buffer_size())

        def resume_writing(self) -> None:
            events.append("resume_writing")
            resumed.set_result(writer_transport.get_write_buffer_size())

    accepted = loop.create_future()

    async def handle(reader: Any, writer: Any) -> None:
        accepted.set_result((reader, writer))

    server = await aio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport, _ = await loop.create_connection(Writer, "127.0.0.1", port)
    peer_reader, peer_writer = await accepted
    peer_writer.transport.pause_reading()  # the peer never reads
    chunk = b"m" * 16384
    written = 0
    while not paused.done():
        transport.write(chunk)
        written += len(chunk)
        await aio.sleep(0)
    buffered = await paused
    say("paused above the high-water mark:", buffered > 64 * 1024)
    for _ in range(20):
        await aio.sleep(0.001)
    say("buffer did not move while paused:", transport.get_write_buffer_size() == buffered)
    say("memory stays bounded:", transport.get_write_buffer_size() < 1024 * 1024)
    peer_writer.transport.resume_reading()
    received = 0
    while received < written:
        received += len(await peer_reader.read(1 << 20))
    say("resumed at or below the low-water mark:", (await resumed) <= 16 * 1024)
    say("events:", events, "all received:", received == written)
    transport.close()
    peer_writer.close()
    await peer_writer.wait_closed()
    server.close()
    await server.wait_closed()


def test_peer_that_never_reads_pauses_the_writer(both_backends: Any) -> None:
    run_and_compare(both_backends, peer_never_reads)


async def drain_waits_for_a_slow_reader(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    accepted = loop.create_future()

    async def handle(reader: Any, writer: Any) -> None:
        writer.transport.pause_reading()  # a slow reader: reads nothing for now
        accepted.set_result((reader, writer))

    server = await aio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _reader, writer = await aio.open_connection("127.0.0.1", port)
    peer, peer_writer = await accepted
    blob = b"d" * (4 * 1024 * 1024)
    writer.write(blob)
    try:
        await aio.wait_for(writer.drain(), 0.05)
    except TimeoutError:
        say("drain blocks while nobody reads")
    got = 0
    drained = aio.create_task(writer.drain())
    peer_writer.transport.resume_reading()
    while got < len(blob):
        got += len(await peer.read(1 << 20))
    await drained
    say("drain returned once read; peer got", got)
    writer.close()
    await writer.wait_closed()
    peer_writer.close()
    server.close()
    await server.wait_closed()


def test_drain_waits_for_a_slow_reader(both_backends: Any) -> None:
    run_and_compare(both_backends, drain_waits_for_a_slow_reader)


async def writes_after_close_and_closing_twice(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    server_side = Recorder(aio, say, "server")
    server = await loop.create_server(server_side.factory, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _reader, writer = await aio.open_connection("127.0.0.1", port)
    writer.close()
    writer.close()
    say("closing:", writer.is_closing())
    for _ in range(3):
        writer.write(b"ignored")  # after close: silently dropped
    await writer.wait_closed()
    await writer.wait_closed()
    writer.write(b"ignored too")
    try:
        await writer.drain()
        say("drain after close returned")
    except ConnectionResetError as exc:
        say("drain after close:", exc)
    await server_side.lost
    server.close()
    server.close()
    await server.wait_closed()
    await server.wait_closed()
    say("closed twice, fine")


def test_writes_after_close_and_closing_twice(both_backends: Any) -> None:
    run_and_compare(both_backends, writes_after_close_and_closing_twice)


async def server_closed_with_clients_connected(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    handlers: list[Any] = []

    async def handle(reader: Any, writer: Any) -> None:
        handlers.append(writer)
        data = await reader.read(100)
        writer.write(data[::-1])
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await aio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    clients = [await aio.open_connection("127.0.0.1", port) for _ in range(3)]
    await aio.sleep(0.02)
    server.close()
    say("serving after close:", server.is_serving(), len(handlers))
    waiter = aio.create_task(server.wait_closed())
    await aio.sleep(0.02)
    say("wait_closed done while clients live:", waiter.done())
    try:
        await aio.open_connection("127.0.0.1", port)
    except OSError as exc:
        say("new client:", error_text(exc))
    for reader, writer in clients:
        writer.write(b"abc")
        say("still served:", await reader.read())
        writer.close()
        await writer.wait_closed()
    await waiter
    say("wait_closed done")
    async with await aio.start_server(handle, "127.0.0.1", 0) as second:
        say("async with serving:", second.is_serving())
    say("after async with:", second.is_serving())
    del loop


def test_server_closed_while_clients_connected(both_backends: Any) -> None:
    run_and_compare(both_backends, server_closed_with_clients_connected)


async def serve_forever_and_start_serving(aio: Any, say: Say) -> None:
    async def handle(reader: Any, writer: Any) -> None:
        writer.write(b"hi")
        writer.close()

    server = await aio.start_server(handle, "127.0.0.1", 0, start_serving=False)
    say("serving:", server.is_serving())
    port = server.sockets[0].getsockname()[1]
    forever = aio.create_task(server.serve_forever())
    await aio.sleep(0)
    say("serving:", server.is_serving())
    try:
        await server.serve_forever()
    except RuntimeError as exc:
        say("twice:", "already being awaited" in str(exc))
    reader, writer = await aio.open_connection("127.0.0.1", port)
    say(await reader.read())
    writer.close()
    await writer.wait_closed()
    forever.cancel()
    try:
        await forever
    except aio.CancelledError:
        say("serve_forever cancelled; serving:", server.is_serving())
    try:
        await server.serve_forever()
    except RuntimeError as exc:
        say("closed:", "is closed" in str(exc))
    other = await aio.start_server(handle, "127.0.0.1", 0, start_serving=False)
    await other.start_serving()
    say("start_serving:", other.is_serving())
    other.close()
    await other.wait_closed()


def test_serve_forever_and_start_serving(both_backends: Any) -> None:
    run_and_compare(both_backends, serve_forever_and_start_serving)


# --- sockets ------------------------------------------------------------------------------------


async def sock_methods(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    client = socket.socket()
    client.setblocking(False)
    accept = aio.create_task(loop.sock_accept(listener))
    await loop.sock_connect(client, listener.getsockname())
    conn, address = await accept
    say("accepted from our client:", address == client.getsockname(),
        "non-blocking:", conn.gettimeout())
    await loop.sock_sendall(client, b"x" * 200_000)
    got = bytearray()
    while len(got) < 200_000:
        got += await loop.sock_recv(conn, 65536)
    say("received", len(got))
    buf = bytearray(10)
    late = aio.create_task(loop.sock_recv_into(conn, buf))
    await aio.sleep(0.01)
    say("recv_into waiting:", not late.done())
    await loop.sock_sendall(client, b"0123456789abc")
    say("recv_into:", await late, bytes(buf))
    say("rest:", await loop.sock_recv(conn, 100))
    client.shutdown(socket.SHUT_WR)
    say("eof:", await loop.sock_recv(conn, 100))
    waiting = aio.create_task(loop.sock_recv(client, 10))
    await aio.sleep(0.01)
    waiting.cancel()
    try:
        await waiting
    except aio.CancelledError:
        say("recv cancelled")
    try:
        await loop.sock_recv(ssl_socket_stub(), 1)
    except (TypeError, AttributeError) as exc:
        say("ssl socket refused:", type(exc).__name__)
    for each in (listener, client, conn):
        each.close()
    udp_a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp_b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for each in (udp_a, udp_b):
        each.bind(("127.0.0.1", 0))
        each.setblocking(False)
    receive = aio.create_task(loop.sock_recvfrom(udp_b, 100))
    await aio.sleep(0)
    say("sendto:", await loop.sock_sendto(udp_a, b"datagram", udp_b.getsockname()))
    data, sender = await receive
    say("recvfrom:", data, sender == udp_a.getsockname())
    await loop.sock_sendto(udp_a, b"into", udp_b.getsockname())
    buf = bytearray(16)
    nbytes, sender = await loop.sock_recvfrom_into(udp_b, buf)
    say("recvfrom_into:", nbytes, bytes(buf[:nbytes]))
    await loop.sock_sendto(udp_a, b"limited", udp_b.getsockname())
    nbytes, sender = await loop.sock_recvfrom_into(udp_b, buf, 3)
    say("recvfrom_into 3:", nbytes, bytes(buf[:nbytes]))
    udp_a.close()
    udp_b.close()


def ssl_socket_stub() -> Any:
    import ssl

    class Stub(ssl.SSLSocket):
        def __init__(self) -> None:  # never a real socket
            pass

    return Stub()


def test_sock_methods(both_backends: Any) -> None:
    run_and_compare(both_backends, sock_methods)


async def readiness_callbacks(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    a, b = socket.socketpair()
    a.setblocking(False)
    readable = loop.create_future()
    loop.add_reader(a, lambda: readable.done() or readable.set_result(a.recv(10)))
    b.send(b"ping")
    say("reader saw:", await readable)
    say("remove_reader:", loop.remove_reader(a), loop.remove_reader(a))
    writable = loop.create_future()
    loop.add_writer(a.fileno(), lambda: writable.done() or writable.set_result("writable"))
    say(await writable)
    say("remove_writer:", loop.remove_writer(a.fileno()), loop.remove_writer(a.fileno()))
    try:
        loop.add_reader("not a file", print)
    except ValueError as exc:
        say("bad fd:", exc)
    a.close()
    b.close()

    async def handle(reader: Any, writer: Any) -> None:
        writer.close()

    server = await aio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await aio.open_connection("127.0.0.1", port)
    fd = writer.get_extra_info("socket").fileno()
    try:
        loop.add_reader(fd, print)
    except RuntimeError as exc:
        say("owned by a transport:", "is used by transport" in str(exc))
    await reader.read()
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


def test_readiness_callbacks(both_backends: Any) -> None:
    run_and_compare(both_backends, readiness_callbacks)


async def name_resolution(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    infos = await loop.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM)
    say("getaddrinfo:", infos)
    say("getnameinfo:", await loop.getnameinfo(("127.0.0.1", 80), socket.NI_NUMERICHOST))
    try:
        await loop.getaddrinfo("no-such-host.invalid", 80)
    except socket.gaierror as exc:
        say("unknown host:", type(exc).__name__)


def test_name_resolution(both_backends: Any) -> None:
    run_and_compare(both_backends, name_resolution)


# --- connecting ---------------------------------------------------------------------------------


async def connection_arguments(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()

    async def handle(reader: Any, writer: Any) -> None:
        writer.write(repr(writer.get_extra_info("peername")[0]).encode())
        writer.close()

    server = await aio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await aio.open_connection(
        "127.0.0.1", port, local_addr=("127.0.0.1", 0), happy_eyeballs_delay=0.25)
    say("local_addr + happy eyeballs:", await reader.read())
    writer.close()
    await writer.wait_closed()
    reader, writer = await aio.open_connection("127.0.0.1", port, interleave=2)
    say("interleave:", await reader.read())
    writer.close()
    await writer.wait_closed()
    sock = socket.create_connection(("127.0.0.1", port))
    reader, writer = await aio.open_connection(sock=sock)
    say("sock=:", await reader.read())
    writer.close()
    await writer.wait_closed()
    for arguments, keywords in [
        ((), {}),
        (("127.0.0.1", port), {"sock": socket.socket()}),
        ((), {"server_hostname": "x"}),
        ((), {"ssl_handshake_timeout": 1}),
        ((), {"sock": socket.socket(socket.AF_INET, socket.SOCK_DGRAM)}),
    ]:
        try:
            await loop.create_connection(aio.Protocol, *arguments, **keywords)
        except ValueError as exc:
            say("refused:", str(exc).split(",")[0].split("<")[0])
        finally:
            if "sock" in keywords:
                keywords["sock"].close()
    for keywords in [{}, {"ssl": True}, {"ssl_handshake_timeout": 1}]:
        try:
            await loop.create_server(aio.Protocol, **keywords)
        except (ValueError, TypeError) as exc:
            say("server refused:", exc)
    server.close()
    await server.wait_closed()


def test_connection_arguments(both_backends: Any) -> None:
    run_and_compare(both_backends, connection_arguments)


async def happy_eyeballs_with_a_host_name(aio: Any, say: Say) -> None:
    async def handle(reader: Any, writer: Any) -> None:
        writer.write(b"hello")
        writer.close()

    server = await aio.start_server(handle, "localhost", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await aio.open_connection("localhost", port, happy_eyeballs_delay=0.05)
    say(await reader.read())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


def test_happy_eyeballs_with_a_host_name(both_backends: Any) -> None:
    run_and_compare(both_backends, happy_eyeballs_with_a_host_name)


async def accepted_socket(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    conn, _ = listener.accept()
    server_side = Recorder(aio, say, "accepted", reply=b"ok")
    _transport, _ = await loop.connect_accepted_socket(server_side.factory, conn)
    client.setblocking(False)
    await loop.sock_sendall(client, b"hi")
    say("client got:", await loop.sock_recv(client, 10))
    client.close()
    await server_side.lost
    listener.close()
    try:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        await loop.connect_accepted_socket(aio.Protocol, udp)
    except ValueError as exc:
        say("udp refused:", str(exc).split("<")[0])
    finally:
        udp.close()


def test_connect_accepted_socket(both_backends: Any) -> None:
    run_and_compare(both_backends, accepted_socket)


async def sendfile_over_a_transport(aio: Any, say: Say) -> None:
    import tempfile

    loop = aio.get_running_loop()
    payload = bytes(range(256)) * 4000
    received = loop.create_future()

    async def handle(reader: Any, writer: Any) -> None:
        received.set_result(await reader.read())
        writer.close()

    server = await aio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with tempfile.TemporaryFile() as file:
        file.write(payload)
        file.seek(0)
        _reader, writer = await aio.open_connection("127.0.0.1", port)
        writer.write(b"head:")
        say("native:", await loop.sendfile(writer.transport, file, 10, 500_000))
        say("file position:", file.tell())
        say("fallback:", await loop.sendfile(writer.transport, file, 1000, 1000))
        writer.write_eof()
        data = await received
        say("peer got it all:", data == b"head:" + payload[10:500_010] + payload[1000:2000])
        try:
            await loop.sendfile(writer.transport, file, -1)
        except ValueError as exc:
            say(exc)
        writer.close()
        await writer.wait_closed()
        try:
            await loop.sendfile(writer.transport, file)
        except RuntimeError as exc:
            say(exc)
    server.close()
    await server.wait_closed()


def test_sendfile(both_backends: Any) -> None:
    run_and_compare(both_backends, sendfile_over_a_transport)


async def sock_sendfile(aio: Any, say: Say) -> None:
    import tempfile

    loop = aio.get_running_loop()
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    with tempfile.TemporaryFile() as file:
        file.write(b"abcdefghij" * 1000)
        file.seek(0)
        say("sent:", await loop.sock_sendfile(a, file, 5, 100))
        say("position:", file.tell())
        say("got:", await loop.sock_recv(b, 1000))
        try:
            await loop.sock_sendfile(a, file, count=0)
        except ValueError as exc:
            say(exc)
    a.close()
    b.close()


def test_sock_sendfile(both_backends: Any) -> None:
    run_and_compare(both_backends, sock_sendfile)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="writelines sends at once from 3.12")
def test_writelines_is_one_write(both_backends: Any) -> None:
    async def program(aio: Any, say: Say) -> None:
        async def handle(reader: Any, writer: Any) -> None:
            say(await reader.read())
            writer.close()

        server = await aio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await aio.open_connection("127.0.0.1", port)
        writer.writelines([b"a", bytearray(b"b"), memoryview(b"c")])
        writer.writelines([])
        say("buffered:", writer.transport.get_write_buffer_size())
        writer.write_eof()
        await reader.read()
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()

    run_and_compare(both_backends, program)


async def sendfile_to_a_peer_that_leaves(aio: Any, say: Say) -> None:
    import tempfile

    loop = aio.get_running_loop()

    async def handle(reader: Any, writer: Any) -> None:
        await reader.readexactly(1000)
        writer.transport.abort()

    server = await aio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with tempfile.TemporaryFile() as file:
        file.write(b"f" * (8 * 1024 * 1024))
        _, writer = await aio.open_connection("127.0.0.1", port)
        try:
            say("sent", await loop.sendfile(writer.transport, file))
        except OSError as exc:
            say("sendfile raised", type(exc).__name__)
        say("transport closing:", writer.transport.is_closing())
        writer.close()
        try:
            await writer.wait_closed()
            say("closed")
        except ConnectionError as exc:
            say("wait_closed:", type(exc).__name__)
    server.close()
    await server.wait_closed()


def test_sendfile_to_a_peer_that_leaves(both_backends: Any) -> None:
    run_and_compare(both_backends, sendfile_to_a_peer_that_leaves)
