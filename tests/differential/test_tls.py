"""TLS: the same transcript on asyncio and on miniloop.

A throwaway certificate authority is made at test time (trustme); nothing
leaves 127.0.0.1.
"""

from __future__ import annotations

import socket
import ssl
import tempfile
from typing import Any

import pytest
import trustme

from tests.differential.harness import Say
from tests.differential.test_io import error_text, run_and_compare


class Certificates:
    """A CA, a certificate for localhost signed by it, and the contexts that use them."""

    def __init__(self) -> None:
        self.ca = trustme.CA()
        self.cert = self.ca.issue_cert("localhost", "127.0.0.1")
        self.server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert.configure_cert(self.server)
        self.client = ssl.create_default_context()
        self.ca.configure_trust(self.client)
        stranger = trustme.CA()  # signs nothing we serve
        self.untrusting_client = ssl.create_default_context()
        stranger.configure_trust(self.untrusting_client)


@pytest.fixture(scope="module")
def certs() -> Certificates:
    return Certificates()


async def tls_echo_server(aio: Any, certs: Certificates, handler: Any = None) -> tuple[Any, int]:
    async def echo(reader: Any, writer: Any) -> None:
        while line := await reader.readline():
            writer.write(line.upper())
            await writer.drain()
        writer.close()

    server = await aio.start_server(handler or echo, "127.0.0.1", 0, ssl=certs.server)
    return server, server.sockets[0].getsockname()[1]


def test_streams_over_tls(both_backends: Any, certs: Certificates) -> None:
    async def program(aio: Any, say: Say) -> None:
        seen: list[Any] = []

        async def handler(reader: Any, writer: Any) -> None:
            seen.append(writer.get_extra_info("peercert"))
            while line := await reader.readline():
                writer.write(line.upper())
                await writer.drain()
            say("server got EOF (close_notify)")
            writer.close()

        server, port = await tls_echo_server(aio, certs, handler)
        reader, writer = await aio.open_connection(
            "127.0.0.1", port, ssl=certs.client, server_hostname="localhost")
        writer.write(b"hello\n" * 3)
        await writer.drain()
        say(await reader.readline(), await reader.readexactly(12))
        big = b"x" * 60_000 + b"\n"  # several TLS records, under the line limit
        writer.write(big)
        say("big line back:", await reader.readuntil(b"\n") == big.upper())
        say("sslcontext is ours:", writer.get_extra_info("sslcontext") is certs.client)
        say("ssl_object:", type(writer.get_extra_info("ssl_object")).__name__)
        say("cipher protocol:", writer.get_extra_info("cipher")[1])
        say("peercert names:", writer.get_extra_info("peercert")["subjectAltName"])
        say("server saw the client's certificate:", seen)
        say("socket under it:", isinstance(writer.get_extra_info("peername"), tuple))
        say("can write eof:", writer.can_write_eof())
        try:
            writer.write_eof()
        except NotImplementedError:
            say("write_eof: NotImplementedError")
        writer.close()
        await writer.wait_closed()
        writer.write(b"after close")  # ignored, as on asyncio
        await aio.sleep(0.02)
        server.close()
        await server.wait_closed()

    run_and_compare(both_backends, program)


def test_protocol_callback_order_over_tls(both_backends: Any, certs: Certificates) -> None:
    async def program(aio: Any, say: Say) -> None:
        loop = aio.get_running_loop()
        lost = loop.create_future()

        def recording(name: str, reply: bytes | None = None) -> Any:
            class Recording(aio.Protocol):  # type: ignore[misc, name-defined]
                def connection_made(self, transport: Any) -> None:
                    self.transport = transport
                    say(name, "connection_made, ssl_object:",
                        transport.get_extra_info("ssl_object") is not None)

                def data_received(self, data: bytes) -> None:
                    say(name, "data_received", data)
                    if reply is not None:
                        self.transport.write(reply)

                def eof_received(self) -> None:
                    say(name, "eof_received")

                def connection_lost(self, exc: BaseException | None) -> None:
                    say(name, "connection_lost", exc)
                    if name == "server":
                        lost.set_result(None)

            return Recording

        server = await loop.create_server(recording("server", b"pong"), "127.0.0.1", 0,
                                          ssl=certs.server)
        port = server.sockets[0].getsockname()[1]
        transport, _protocol = await loop.create_connection(
            recording("client"), "127.0.0.1", port, ssl=certs.client,
            server_hostname="localhost")
        say("connected")
        transport.write(b"ping")
        await aio.sleep(0.05)
        transport.close()
        await lost
        await aio.sleep(0.02)
        server.close()
        await server.wait_closed()

    run_and_compare(both_backends, program)


def test_wrong_certificate(both_backends: Any, certs: Certificates) -> None:
    async def program(aio: Any, say: Say) -> None:
        server, port = await tls_echo_server(aio, certs)
        for context, hostname in [(certs.untrusting_client, "localhost"),
                                  (certs.client, "example.com")]:
            try:
                await aio.open_connection("127.0.0.1", port, ssl=context,
                                          server_hostname=hostname)
            except ssl.SSLCertVerificationError as exc:
                say("refused:", exc.verify_message)
        try:
            await aio.open_connection("localhost", port, ssl=True)  # system CAs only
        except ssl.SSLCertVerificationError as exc:
            say("ssl=True refused:", exc.verify_message)
        reader, writer = await aio.open_connection(
            "127.0.0.1", port, ssl=certs.client, server_hostname="localhost")
        writer.write(b"still serving\n")
        say(await reader.readline())
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()

    run_and_compare(both_backends, program)


def test_peer_that_sends_garbage(both_backends: Any, certs: Certificates) -> None:
    async def program(aio: Any, say: Say) -> None:
        server, port = await tls_echo_server(aio, certs)
        # A plain client speaking HTTP to the TLS server: dropped.
        reader, writer = await aio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        try:
            say("plain client reads:", await reader.read())
        except ConnectionResetError as exc:
            say("plain client:", error_text(exc))
        writer.close()
        await writer.wait_closed()

        # A TLS client talking to a server that answers in plain text.
        async def plain(reader: Any, writer: Any) -> None:
            writer.write(b"HTTP/1.0 400 Bad Request\r\n\r\n" * 10)
            await writer.drain()
            writer.close()

        liar = await aio.start_server(plain, "127.0.0.1", 0)
        liar_port = liar.sockets[0].getsockname()[1]
        try:
            await aio.open_connection("127.0.0.1", liar_port, ssl=certs.client,
                                      server_hostname="localhost")
        except ssl.SSLError as exc:
            say("tls client:", type(exc).__name__)
        liar.close()
        await liar.wait_closed()
        # The TLS server is unharmed.
        reader, writer = await aio.open_connection(
            "127.0.0.1", port, ssl=certs.client, server_hostname="localhost")
        writer.write(b"ok\n")
        say(await reader.readline())
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()

    run_and_compare(both_backends, program)


def test_handshake_timeout_and_arguments(both_backends: Any, certs: Certificates) -> None:
    async def program(aio: Any, say: Say) -> None:
        loop = aio.get_running_loop()

        async def silent(reader: Any, writer: Any) -> None:
            await reader.read()
            writer.close()

        mute = await aio.start_server(silent, "127.0.0.1", 0)
        port = mute.sockets[0].getsockname()[1]
        try:
            await aio.open_connection("127.0.0.1", port, ssl=certs.client,
                                      server_hostname="localhost", ssl_handshake_timeout=0.05)
        except ConnectionAbortedError as exc:
            say(exc)
        for keywords in [{"ssl_handshake_timeout": 0}, {"ssl_shutdown_timeout": -1}]:
            try:
                await loop.create_connection(aio.Protocol, "127.0.0.1", port, ssl=certs.client,
                                             server_hostname="localhost", **keywords)
            except ValueError as exc:
                say(exc)
        unconnected = socket.socket()
        try:
            await loop.create_connection(aio.Protocol, sock=unconnected, ssl=certs.client)
        except ValueError as exc:
            say(exc)
        finally:
            unconnected.close()
        # The timeouts of a server are checked when a client arrives.
        server = await loop.create_server(aio.Protocol, "127.0.0.1", 0, ssl=certs.server,
                                          ssl_shutdown_timeout=0.5)
        say("server made:", server.is_serving())
        server.close()
        await server.wait_closed()
        mute.close()
        await mute.wait_closed()

    run_and_compare(both_backends, program)


def test_start_tls(both_backends: Any, certs: Certificates) -> None:
    async def program(aio: Any, say: Say) -> None:
        loop = aio.get_running_loop()

        async def upgrade(reader: Any, writer: Any) -> None:
            say("server:", await reader.readline())
            writer.write(b"GO AHEAD\n")
            await writer.drain()
            await writer.start_tls(certs.server)
            say("server over tls:", writer.get_extra_info("ssl_object") is not None)
            line = await reader.readline()
            writer.write(line[::-1])
            await writer.drain()
            writer.close()

        server = await aio.start_server(upgrade, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await aio.open_connection("127.0.0.1", port)
        say("plain:", writer.get_extra_info("sslcontext"))
        writer.write(b"STARTTLS\n")
        say(await reader.readline())
        await writer.start_tls(certs.client, server_hostname="localhost")
        say("client over tls:", writer.get_extra_info("sslcontext") is certs.client)
        writer.write(b"secret\n")
        say(await reader.read())
        writer.close()
        await writer.wait_closed()
        try:
            await loop.start_tls(writer.transport, aio.Protocol(), "not a context")
        except TypeError as exc:
            say(exc)
        server.close()
        await server.wait_closed()

    run_and_compare(both_backends, program)


def test_tls_flow_control_and_sendfile(both_backends: Any, certs: Certificates) -> None:
    async def program(aio: Any, say: Say) -> None:
        loop = aio.get_running_loop()
        accepted = loop.create_future()
        resumed = loop.create_future()
        events: list[str] = []

        class Writer(aio.Protocol):  # type: ignore[misc, name-defined]
            def pause_writing(self) -> None:
                events.append("pause_writing")

            def resume_writing(self) -> None:
                events.append("resume_writing")
                resumed.set_result(None)

        async def handle(reader: Any, writer: Any) -> None:
            accepted.set_result((reader, writer))

        server = await aio.start_server(handle, "127.0.0.1", 0, ssl=certs.server)
        port = server.sockets[0].getsockname()[1]
        # A small kernel send buffer, so that the kernel cannot swallow
        # everything and flow control has to act.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        transport, _ = await loop.create_connection(
            Writer, sock=sock, ssl=certs.client, server_hostname="localhost")
        peer_reader, peer_writer = await accepted
        say("limits:", transport.get_write_buffer_limits(),
            transport.get_read_buffer_limits())
        size = 1024 * 1024
        for _ in range(size // 65536):
            transport.write(b"w" * 65536)
        say("after writing:", events, transport.get_write_buffer_size() > 512 * 1024)
        got = 0
        while got < size:
            got += len(await peer_reader.read(1 << 20))
        await resumed
        say("peer got", got, "events:", events)
        with tempfile.TemporaryFile() as file:
            file.write(b"0123456789" * 10_000)
            file.seek(0)
            say("sendfile over tls:", await loop.sendfile(transport, file, 5, 50_000))
            try:
                await loop.sendfile(transport, file, fallback=False)
            except RuntimeError as exc:
                say("no native sendfile:", "fallback is disabled" in str(exc))
        data = b""
        while len(data) < 50_000:
            data += await peer_reader.read(1 << 20)
        say("sent right:", data == (b"0123456789" * 10_000)[5:50_005])
        transport.close()
        await aio.sleep(0.02)
        peer_writer.close()
        server.close()
        await server.wait_closed()

    run_and_compare(both_backends, program)


def test_sendfile_fallback_to_a_peer_that_leaves(both_backends: Any, certs: Certificates) -> None:
    # The peer leaves before the file is sent. (Leaving *while* it is sent
    # is a race that asyncio itself decides differently from run to run.)
    async def program(aio: Any, say: Say) -> None:
        loop = aio.get_running_loop()
        gone = aio.Event()

        async def handle(reader: Any, writer: Any) -> None:
            writer.transport.abort()
            gone.set()

        server = await aio.start_server(handle, "127.0.0.1", 0, ssl=certs.server)
        port = server.sockets[0].getsockname()[1]
        _, writer = await aio.open_connection("127.0.0.1", port, ssl=certs.client,
                                              server_hostname="localhost")
        await gone.wait()
        await aio.sleep(0.05)  # the reset reaches the client
        with tempfile.TemporaryFile() as file:
            file.write(b"f" * (1024 * 1024))
            file.seek(0)
            try:
                say("sent", await loop.sendfile(writer.transport, file))
            except (ConnectionError, RuntimeError) as exc:
                say("sendfile raised", type(exc).__name__, exc)
        say("transport closing:", writer.transport.is_closing())
        writer.close()
        try:
            await writer.wait_closed()
            say("closed")
        except ConnectionError as exc:
            say("wait_closed:", type(exc).__name__)
        server.close()
        await server.wait_closed()

    run_and_compare(both_backends, program)
