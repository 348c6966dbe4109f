"""Unix domain sockets and datagram endpoints: the same transcript on asyncio and miniloop."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from typing import Any

from tests.differential.harness import Say
from tests.differential.test_io import error_text, run_and_compare


def test_unix_streams(both_backends: Any) -> None:
    async def program(aio: Any, say: Say) -> None:
        loop = aio.get_running_loop()
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "sock")

            async def handle(reader: Any, writer: Any) -> None:
                say("server peer:", writer.get_extra_info("peername"))
                writer.write((await reader.readline()).upper())
                await writer.drain()
                writer.close()

            server = await aio.start_unix_server(handle, path)
            say("socket file:", os.path.exists(path))
            reader, writer = await aio.open_unix_connection(path)
            say("client peer is the path:", writer.get_extra_info("peername") == path)
            writer.write(b"over unix\n")
            say(await reader.read())
            writer.close()
            await writer.wait_closed()
            # A socket file in the way is taken for a stale one and replaced.
            second = await loop.create_unix_server(aio.Protocol, path)
            say("second server on the same path:", second.is_serving())
            second.close()
            await second.wait_closed()
            server.close()
            await server.wait_closed()
            say("socket file after close:", os.path.exists(path),
                "(removed from 3.13)" if sys.version_info >= (3, 13) else "")
            try:
                await aio.open_unix_connection(os.path.join(folder, "nobody"))
            except OSError as exc:
                say("nobody there:", error_text(exc))
            for keywords in [{}, {"path": path, "sock": socket.socket(socket.AF_UNIX)},
                             {"sock": socket.socket()}, {"server_hostname": "x"}]:
                try:
                    await loop.create_unix_connection(aio.Protocol, **keywords)
                except ValueError as exc:
                    say("refused:", str(exc).split("<")[0])
                finally:
                    if "sock" in keywords:
                        keywords["sock"].close()
            if os.path.exists(path):
                os.unlink(path)
            abstract = "\0miniloop-test-" + str(os.getpid())
            server = await aio.start_unix_server(handle, abstract)
            reader, writer = await aio.open_unix_connection(abstract)
            writer.write(b"abstract\n")
            say(await reader.read())
            writer.close()
            await writer.wait_closed()
            server.close()
            await server.wait_closed()

    run_and_compare(both_backends, program)


def test_unix_socket_pair_with_protocols(both_backends: Any) -> None:
    async def program(aio: Any, say: Say) -> None:
        loop = aio.get_running_loop()
        left, right = socket.socketpair()
        lost = loop.create_future()

        class Echo(aio.Protocol):  # type: ignore[misc, name-defined]
            def connection_made(self, transport: Any) -> None:
                self.transport = transport
                say("connection_made")

            def data_received(self, data: bytes) -> None:
                self.transport.write(data[::-1])

            def eof_received(self) -> None:
                say("eof_received")

            def connection_lost(self, exc: BaseException | None) -> None:
                say("connection_lost", exc)
                lost.set_result(None)

        transport, _ = await loop.create_unix_connection(Echo, sock=left)
        right.setblocking(False)
        await loop.sock_sendall(right, b"abc")
        say(await loop.sock_recv(right, 10))
        right.close()
        await lost
        say("closing:", transport.is_closing())

    run_and_compare(both_backends, program)


def test_datagram_endpoints(both_backends: Any) -> None:
    async def program(aio: Any, say: Say) -> None:
        loop = aio.get_running_loop()
        received = aio.Queue() if hasattr(aio, "Queue") else None

        class Datagrams(aio.DatagramProtocol):  # type: ignore[misc, name-defined]
            def __init__(self, name: str) -> None:
                self.name = name

            def connection_made(self, transport: Any) -> None:
                say(self.name, "connection_made")

            def datagram_received(self, data: bytes, addr: Any) -> None:
                received.put_nowait((self.name, data))

            def error_received(self, exc: Exception) -> None:
                say(self.name, "error_received", type(exc).__name__)

            def connection_lost(self, exc: BaseException | None) -> None:
                say(self.name, "connection_lost", exc)

        server, _ = await loop.create_datagram_endpoint(
            lambda: Datagrams("server"), local_addr=("127.0.0.1", 0))
        address = server.get_extra_info("sockname")
        client, _ = await loop.create_datagram_endpoint(
            lambda: Datagrams("client"), remote_addr=address)
        say("client peername is the server:", client.get_extra_info("peername") == address)
        client.sendto(b"first")
        client.sendto(bytearray(b"second"))
        client.sendto(b"")
        say(await received.get(), await received.get())
        if sys.version_info >= (3, 13):
            say("empty datagram:", await received.get())
        server.sendto(b"reply", client.get_extra_info("sockname"))
        say(await received.get())
        try:
            client.sendto(b"x", ("127.0.0.1", 9))
        except ValueError as exc:
            say("wrong address:", "Invalid address" in str(exc))
        try:
            client.sendto("text")
        except TypeError as exc:
            say(exc)
        say("buffer size:", client.get_write_buffer_size())
        # Nobody listens there: the error comes back on the next datagram.
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()
        probe.close()
        lonely, _ = await loop.create_datagram_endpoint(lambda: Datagrams("lonely"),
                                                        remote_addr=dead)
        lonely.sendto(b"anyone?")
        await aio.sleep(0.05)
        lonely.sendto(b"anyone?")
        await aio.sleep(0.05)
        for transport in (client, server, lonely):
            transport.close()
        await aio.sleep(0.01)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        own, _ = await loop.create_datagram_endpoint(lambda: Datagrams("own"), sock=sock)
        own.abort()
        await aio.sleep(0.01)
        for keywords in [{}, {"sock": socket.socket(), "local_addr": ("127.0.0.1", 0)},
                         {"local_addr": "not a tuple"}]:
            try:
                await loop.create_datagram_endpoint(aio.DatagramProtocol, **keywords)
            except (ValueError, TypeError) as exc:
                say("refused:", type(exc).__name__, str(exc).split("<")[0])
            finally:
                if "sock" in keywords:
                    keywords["sock"].close()

    run_and_compare(both_backends, program)
