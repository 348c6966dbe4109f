"""fast/streams.py: the fast loop's streams do what the plain ones do.

Each override of ``fast/streams.py`` is pinned here against the plain
piece of ``io/streams.py``: the same program, over real sockets, on a
plain loop and on a fast one, must say the same things.

    read, readexactly      parking in their own frame: every way out of a wait
    data_received          feeding the reader in one frame: waking, pausing, EOF
    stream_classes         the fast loop makes the fast classes, under the plain names
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

import miniloop
from miniloop.assembly import FastLoop
from miniloop.fast import streams as fast_streams
from miniloop.io import streams as plain_streams
from tests.fast_checks import (
    Program,
    Say,
    assert_same_on,
    plain_loop,
    skip_in_plain_mode,
    transcript,
)

pytestmark = skip_in_plain_mode


def assert_same_on_both(program: Program) -> list[str]:
    """The transcript of ``program`` on a plain loop, checked equal to a fast loop's."""
    return assert_same_on({"plain": plain_loop, "fast": FastLoop}, program,
                          real_time=True)  # real sockets


async def connected(handler: Any, *, limit: int = plain_streams.DEFAULT_LIMIT) -> Any:
    """A server running ``handler`` and a client's (reader, writer, server)."""
    server = await miniloop.start_server(handler, "127.0.0.1", 0, limit=limit)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await miniloop.open_connection("127.0.0.1", port, limit=limit)
    return reader, writer, server


async def closed(writer: Any, server: Any) -> None:
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


# --- which classes ------------------------------------------------------------------------


def test_the_fast_loop_makes_the_fast_streams_under_the_plain_names() -> None:
    made: dict[bool, list[type]] = {}

    for plain in (True, False):
        async def program(say: Say, plain: bool = plain) -> None:
            async def handler(reader: Any, writer: Any) -> None:
                writer.close()

            reader, writer, server = await connected(handler)
            made[plain] = [type(reader), type(writer._protocol), type(writer)]
            say(f"{reader!r} {writer!r}".split(" fd=")[0])
            await closed(writer, server)

        transcript(program, plain_loop if plain else FastLoop)
    assert made[True] == [plain_streams.StreamReader, plain_streams.StreamReaderProtocol,
                          plain_streams.StreamWriter]
    assert made[False] == list(fast_streams.CLASSES)
    assert [cls.__name__ for cls in made[False]] == [cls.__name__ for cls in made[True]]


def test_a_server_s_streams_are_the_loop_s_classes_too() -> None:
    async def program(say: Say) -> None:
        kinds = []

        async def handler(reader: Any, writer: Any) -> None:
            kinds.append((type(reader).__module__, type(writer).__module__))
            writer.close()

        reader, writer, server = await connected(handler)
        await reader.read()
        say(f"{kinds}")
        await closed(writer, server)

    loop = miniloop.Loop(plain=False)
    try:
        lines: list[str] = []
        loop.run_until_complete(program(lines.append))
    finally:
        loop.close()
    assert lines == ["[('miniloop.fast.streams', 'miniloop.io.streams')]"]


# --- read and readexactly: every way out of a wait ------------------------------------------


async def reads_of_every_size(say: Say) -> str:
    async def handler(reader: Any, writer: Any) -> None:
        while data := await reader.read(100):
            writer.write(data.upper())
            await writer.drain()
        writer.write(b"!")  # the last byte: the partial of an incomplete read
        writer.close()

    reader, writer, server = await connected(handler)
    for message in (b"ping", b"a" * 10, b"abcdef"):
        writer.write(message)
        await writer.drain()
        say(f"readexactly: {await reader.readexactly(len(message))!r}")
    writer.write(b"hello world")
    say(f"read(5): {await reader.read(5)!r}")  # more than asked: the rest stays
    say(f"read(100): {await reader.read(100)!r}")
    say(f"read(0): {await reader.read(0)!r}, readexactly(0): {await reader.readexactly(0)!r}")
    writer.write(b"xy")
    await asyncio.sleep(0.05)
    say(f"buffered: {reader!r}".split(" transport=")[0])
    say(f"readexactly(1) twice: {await reader.readexactly(1)!r} {await reader.readexactly(1)!r}")
    writer.write(b"12")
    writer.write(b"34")
    say(f"readexactly(4): {await reader.readexactly(4)!r}")
    writer.write_eof()
    try:
        await reader.readexactly(3)
    except asyncio.IncompleteReadError as exc:
        say(f"at EOF: {exc!r} partial={exc.partial!r}")
    say(f"read after EOF: {await reader.read(10)!r}, at_eof={reader.at_eof()}")
    await closed(writer, server)
    return "done"


def test_reads_of_every_size_read_the_same() -> None:
    lines = assert_same_on_both(reads_of_every_size)
    assert lines[-1] == "returned 'done'", lines


async def a_read_that_waits_for_several_pieces(say: Say) -> None:
    async def handler(reader: Any, writer: Any) -> None:
        for piece in (b"ab", b"cd", b"ef"):
            writer.write(piece)
            await asyncio.sleep(0.01)
        await reader.read()
        writer.close()

    reader, writer, server = await connected(handler)
    say(f"readexactly(6): {await reader.readexactly(6)!r}")
    writer.write_eof()
    await closed(writer, server)


def test_readexactly_waits_for_several_pieces_the_same() -> None:
    assert_same_on_both(a_read_that_waits_for_several_pieces)


async def a_cancelled_read_then_another(say: Say) -> None:
    async def handler(reader: Any, writer: Any) -> None:
        await reader.read(10)
        writer.write(b"late")
        await reader.read()
        writer.close()

    reader, writer, server = await connected(handler)
    for name in ("read", "readexactly"):
        task = asyncio.get_running_loop().create_task(
            reader.read(10) if name == "read" else reader.readexactly(4))
        await asyncio.sleep(0.01)
        say(f"{name} parked: {reader._waiter is not None}")
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            say(f"{name} cancelled; waiter now {reader._waiter!r}")
    writer.write(b"go")
    say(f"the next read: {await reader.readexactly(4)!r}")
    writer.write_eof()
    await closed(writer, server)


def test_a_cancelled_read_leaves_the_reader_as_the_plain_one_does() -> None:
    lines = assert_same_on_both(a_cancelled_read_then_another)
    assert "the next read: b'late'" in lines


async def two_readers_and_an_error(say: Say) -> None:
    async def handler(reader: Any, writer: Any) -> None:
        await reader.read()
        writer.close()

    reader, writer, server = await connected(handler)
    first = asyncio.get_running_loop().create_task(reader.readexactly(5))
    await asyncio.sleep(0)
    for second in (reader.read(3), reader.readexactly(3)):
        try:
            await second
        except RuntimeError as exc:
            say(f"second reader: {exc}")
    reader.set_exception(ConnectionResetError("gone"))
    try:
        await first
    except ConnectionResetError as exc:
        say(f"parked reader: {exc!r}")
    for later in (reader.read(3), reader.readexactly(3), reader.read(0), reader.readexactly(0)):
        try:
            say(f"later: {await later!r}")
        except ConnectionResetError as exc:
            say(f"later: {exc!r}")
    try:
        await reader.readexactly(-1)
    except ValueError as exc:
        say(f"negative: {exc}")
    writer.write_eof()
    await closed(writer, server)


def test_a_second_reader_and_an_error_are_the_plain_ones() -> None:
    lines = assert_same_on_both(two_readers_and_an_error)
    assert any("already waiting" in line for line in lines)


# --- data_received: waking, pausing, EOF --------------------------------------------------------


async def a_small_limit_pauses_and_resumes(say: Say) -> None:
    async def handler(reader: Any, writer: Any) -> None:
        writer.write(b"x" * 200_000)
        await writer.drain()
        writer.close()

    reader, writer, server = await connected(handler, limit=1000)
    await asyncio.sleep(0.05)
    say(f"paused after a flood: {reader._paused}, buffered <= a few limits: "
        f"{len(reader._buffer) < 200_000}")
    total = 0
    while data := await reader.read(700):
        total += len(data)
    say(f"read {total} bytes in all; paused at the end: {reader._paused}")
    big = await connected(handler, limit=1000)
    try:
        await big[0].readexactly(150_000)
        say("readexactly above the limit: resumed reading and got it all")
    finally:
        await closed(big[1], big[2])
    await closed(writer, server)


def test_a_flood_pauses_and_resumes_reading_the_same() -> None:
    lines = assert_same_on_both(a_small_limit_pauses_and_resumes)
    assert "read 200000 bytes in all; paused at the end: False" in lines


def fed_by_hand(plain: bool) -> list[str]:
    """A reader and its protocol, no socket: what feeding them leaves behind."""
    loop = miniloop.Loop(plain=plain)
    lines = []
    try:
        classes = plain_streams.stream_classes(loop)
        reader = classes[0](limit=4, loop=loop)
        protocol = classes[1](reader, loop=loop)
        protocol.data_received(b"")
        lines.append(repr(reader))
        protocol.data_received(b"abc")
        lines.append(repr(reader))
        waiter = loop.create_future()
        reader._waiter = waiter
        waiter.cancel()
        protocol.data_received(b"defghijk")  # a cancelled waiter is only dropped
        lines.append(f"{reader!r} {waiter.cancelled()}")
        protocol.eof_received()
        try:
            protocol.data_received(b"after EOF")
        except AssertionError as exc:
            lines.append(f"after EOF: {exc}")
        del reader
        gc.collect()
        protocol.data_received(b"to nobody")  # the reader was collected: dropped
        lines.append("fed nobody")
    finally:
        loop.close()
    return lines


def test_data_received_feeds_the_reader_as_the_plain_one_does() -> None:
    lines = fed_by_hand(plain=True)
    assert fed_by_hand(plain=False) == lines
    if __debug__:
        assert "after EOF: feed_data after feed_eof" in lines


def test_the_fast_classes_are_the_plain_ones_underneath() -> None:
    for fast, plain in zip(fast_streams.CLASSES, (plain_streams.StreamReader,
                                                  plain_streams.StreamReaderProtocol,
                                                  plain_streams.StreamWriter), strict=True):
        assert issubclass(fast, plain) and fast.__qualname__ == plain.__qualname__


@pytest.mark.parametrize("plain", [True, False])
def test_stream_classes_of_a_foreign_loop_are_the_plain_ones(plain: bool) -> None:
    assert plain_streams.stream_classes(object()) == (
        plain_streams.StreamReader, plain_streams.StreamReaderProtocol, plain_streams.StreamWriter)
    loop = miniloop.Loop(plain=plain)
    try:
        expected = (plain_streams.StreamReader if plain else fast_streams.StreamReader)
        assert plain_streams.stream_classes(loop)[0] is expected
    finally:
        loop.close()
