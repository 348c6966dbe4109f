"""readiness.py: the descriptor table and the watch primitives."""

from __future__ import annotations

import socket

import pytest

import miniloop
from miniloop.io.readiness import READ, WRITE, fileno_of


def test_fileno_of_ints_and_file_objects() -> None:
    a, b = socket.socketpair()
    try:
        assert fileno_of(7) == 7
        assert fileno_of(a) == a.fileno()
        with pytest.raises(ValueError, match="Invalid file object"):
            fileno_of(object())
    finally:
        a.close()
        b.close()


def test_watching_twice_replaces_the_callback_and_cancels_the_old_one() -> None:
    loop = miniloop.Loop()
    a, b = socket.socketpair()
    try:
        first = loop._watch(a.fileno(), READ, print)
        second = loop._watch(a.fileno(), READ, print)
        assert first.cancelled() and not second.cancelled()
        loop._watch(a.fileno(), WRITE, print)
        assert loop._is_watched(a.fileno(), READ) and loop._is_watched(a.fileno(), WRITE)
        assert loop._unwatch(a.fileno(), READ)
        assert not loop._is_watched(a.fileno(), READ) and loop._is_watched(a.fileno(), WRITE)
        assert loop._unwatch(a.fileno(), WRITE)
        assert not loop._unwatch(a.fileno(), WRITE)
    finally:
        a.close()
        b.close()
        loop.close()


def test_after_close_unwatching_is_a_no_op_and_watching_fails() -> None:
    loop = miniloop.Loop()
    loop.close()
    assert loop.remove_reader(5) is False
    with pytest.raises(RuntimeError, match="closed"):
        loop.add_reader(5, print)


def test_a_closing_transport_no_longer_owns_its_descriptor() -> None:
    async def main() -> bool:
        loop = miniloop.get_running_loop()

        async def handle(reader: miniloop.StreamReader, writer: miniloop.StreamWriter) -> None:
            writer.close()

        server = await miniloop.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        _reader, writer = await miniloop.open_connection("127.0.0.1", port)
        fd = writer.get_extra_info("socket").fileno()
        with pytest.raises(RuntimeError, match="is used by transport"):
            loop.remove_reader(fd)
        writer.close()
        removed = loop.remove_reader(fd)  # closing: allowed again
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return removed

    assert miniloop.run(main()) is False
