"""sockets.py: address shortcuts, sock_* edge cases, sendfile fallbacks."""

from __future__ import annotations

import asyncio.base_events
import io
import socket
import tempfile
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import miniloop
from miniloop.io.sockets import check_sendfile_arguments, numeric_address_info
from tests.io.fd_leaks import no_fd_leak

HOSTS = st.sampled_from([
    "127.0.0.1", "::1", "localhost", "example.org", "10.0.0.1", "fe80::1%eth0", "::",
    "0.0.0.0", "1.2.3", "", None, b"127.0.0.1", b"::1", "999.1.1.1", "2001:db8::8:800:200c:417a",
])
PORTS = st.sampled_from([0, 80, "80", "http", "", b"", None, 65535, "8080", 3.5])
FAMILIES = st.sampled_from([socket.AF_UNSPEC, socket.AF_INET, socket.AF_INET6])
TYPES = st.sampled_from([0, socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_RAW])
PROTOS = st.sampled_from([0, socket.IPPROTO_TCP, socket.IPPROTO_UDP, 99])


@settings(max_examples=300, deadline=None)
@given(HOSTS, PORTS, FAMILIES, TYPES, PROTOS)
def test_numeric_addresses_are_recognised_as_asyncio_does(
    host: Any, port: Any, family: int, kind: int, proto: int
) -> None:
    ours = numeric_address_info(host, port, family, kind, proto)
    theirs = asyncio.base_events._ipaddr_info(host, port, family, kind, proto)  # type: ignore[attr-defined]
    assert ours == theirs


def test_ipv6_flow_info_and_scope_are_kept() -> None:
    info = numeric_address_info("::1", 80, socket.AF_INET6, socket.SOCK_STREAM, 0, 3, 4)
    assert info == (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                    ("::1", 80, 3, 4))


def test_sendfile_argument_checks() -> None:
    sock = socket.socket()
    try:
        with tempfile.TemporaryFile("w") as text, pytest.raises(ValueError, match="binary mode"):
            check_sendfile_arguments(sock, text, 0, None)
        with pytest.raises(TypeError, match="count must be a positive integer"):
            check_sendfile_arguments(sock, io.BytesIO(), 0, 1.5)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="offset must be a non-negative integer"):
            check_sendfile_arguments(sock, io.BytesIO(), "0", None)  # type: ignore[arg-type]
    finally:
        sock.close()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with pytest.raises(ValueError, match="only SOCK_STREAM"):
            check_sendfile_arguments(udp, io.BytesIO(), 0, None)
    finally:
        udp.close()


def test_sock_sendfile_falls_back_for_objects_that_are_not_files() -> None:
    async def main() -> tuple[int, bytes]:
        loop = miniloop.get_running_loop()
        a, b = socket.socketpair()
        a.setblocking(False)
        b.setblocking(False)
        try:
            source = io.BytesIO(b"0123456789" * 100)
            sent = await loop.sock_sendfile(a, source, 10, 50)
            return sent, await loop.sock_recv(b, 1000)
        finally:
            a.close()
            b.close()

    with no_fd_leak():
        sent, received = miniloop.run(main())
    assert sent == 50
    assert received == (b"0123456789" * 100)[10:60]


def test_sock_sendfile_without_fallback_says_it_is_not_available() -> None:
    async def main() -> None:
        loop = miniloop.get_running_loop()
        a, b = socket.socketpair()
        try:
            with pytest.raises(miniloop.SendfileNotAvailableError, match="not a regular file"):
                await loop.sock_sendfile(a, io.BytesIO(b"x"), fallback=False)
        finally:
            a.close()
            b.close()

    with no_fd_leak():
        miniloop.run(main())


def test_sock_sendfile_of_an_empty_file_sends_nothing() -> None:
    async def main() -> int:
        loop = miniloop.get_running_loop()
        a, b = socket.socketpair()
        try:
            with tempfile.TemporaryFile() as empty:
                return await loop.sock_sendfile(a, empty)  # type: ignore[no-any-return]
        finally:
            a.close()
            b.close()

    assert miniloop.run(main()) == 0


def test_a_blocking_socket_is_refused_in_debug_mode() -> None:
    async def main() -> None:
        loop = miniloop.get_running_loop()
        a, b = socket.socketpair()
        try:
            with pytest.raises(ValueError, match="must be non-blocking"):
                await loop.sock_recv(a, 1)
        finally:
            a.close()
            b.close()

    miniloop.run(main(), debug=True)


def test_a_wait_that_is_cancelled_forgets_its_descriptor() -> None:
    async def main() -> bool:
        loop = miniloop.get_running_loop()
        a, b = socket.socketpair()
        a.setblocking(False)
        try:
            waiting = miniloop.create_task(loop.sock_recv(a, 10))
            await miniloop.sleep(0)
            watched = loop._is_watched(a.fileno(), 1)
            waiting.cancel()
            with pytest.raises(miniloop.CancelledError):
                await waiting
            return watched and not loop._is_watched(a.fileno(), 1)
        finally:
            a.close()
            b.close()

    assert miniloop.run(main())


def test_reads_share_one_scratch_buffer_per_loop() -> None:
    first, second = miniloop.Loop(), miniloop.Loop()
    try:
        assert len(first._read_scratch) == 256 * 1024
        assert first._read_scratch is not second._read_scratch
    finally:
        first.close()
        second.close()
