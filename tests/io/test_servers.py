"""servers.py: wait_closed by Python version, close_clients, accepting under pressure."""

from __future__ import annotations

import errno
import socket
import sys
from typing import Any

import pytest

import miniloop
from tests.io.fd_leaks import no_fd_leak


async def server_with_one_client() -> tuple[Any, Any, Any]:
    accepted = miniloop.get_running_loop().create_future()

    async def handle(reader: Any, writer: Any) -> None:
        accepted.set_result(writer)

    server = await miniloop.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _, client = await miniloop.open_connection("127.0.0.1", port)
    return server, client, await accepted


def test_wait_closed_waits_for_connections_from_312() -> None:
    async def main() -> bool:
        server, client, peer = await server_with_one_client()
        server.close()
        waiting = miniloop.create_task(server.wait_closed())
        await miniloop.sleep(0.01)
        returned_early = waiting.done()
        peer.close()
        client.close()
        await waiting
        return returned_early

    with no_fd_leak():
        returned_early = miniloop.run(main())
    assert returned_early == (sys.version_info < (3, 12))


@pytest.mark.skipif(sys.version_info < (3, 13), reason="close_clients is new in 3.13")
def test_close_clients_and_abort_clients() -> None:
    async def main() -> list[bool]:
        server, client, peer = await server_with_one_client()
        server.close()
        server.close_clients()
        await server.wait_closed()
        closed = [peer.is_closing()]
        server2, client2, peer2 = await server_with_one_client()
        server2.abort_clients()
        await miniloop.sleep(0)
        closed.append(peer2.is_closing())
        for each in (client, client2):
            each.close()
        server2.close()
        await server2.wait_closed()
        return closed

    with no_fd_leak():
        assert miniloop.run(main()) == [True, True]


def test_server_repr_lists_its_sockets() -> None:
    async def main() -> list[str]:
        server = await miniloop.start_server(lambda r, w: None, "127.0.0.1", 0)
        texts = [repr(server)]
        server.close()
        await server.wait_closed()
        texts.append(repr(server))
        return texts

    open_repr, closed_repr = miniloop.run(main())
    assert open_repr.startswith("<Server sockets=(<asyncio.TransportSocket fd=")
    assert closed_repr == "<Server sockets=()>"


def test_running_out_of_descriptors_pauses_accepting(monkeypatch: pytest.MonkeyPatch) -> None:
    reports: list[str] = []

    async def main() -> bool:
        loop = miniloop.get_running_loop()
        loop.set_exception_handler(lambda _, context: reports.append(context["message"]))
        server = await loop.create_server(miniloop.Protocol, "127.0.0.1", 0)
        listener = server._sockets[0]

        class Exhausted:
            def accept(self) -> Any:
                raise OSError(errno.EMFILE, "Too many open files")

            def fileno(self) -> int:
                return listener.fileno()

        loop._accept_connections(miniloop.Protocol, Exhausted(), None, server, 100, None, None)
        paused = not loop._is_watched(listener.fileno(), 1)
        server.close()
        await server.wait_closed()
        return paused

    assert miniloop.run(main()) is True
    assert reports == ["socket.accept() out of system resource"]


def test_binding_an_address_in_use_says_so() -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]

    async def main() -> str:
        try:
            await miniloop.start_server(lambda r, w: None, "127.0.0.1", port,
                                        reuse_address=False)
        except OSError as exc:
            return str(exc)
        return "bound"

    try:
        with no_fd_leak():
            message = miniloop.run(main())
    finally:
        holder.close()
    assert "error while attempting to bind on address ('127.0.0.1'," in message
    assert "address already in use" in message
