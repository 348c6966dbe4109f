"""streams.py: the StreamReader against asyncio's, operation by operation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import miniloop

CHUNKS = st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\x00", b"\n")), max_size=8)
READS = st.lists(st.one_of(
    st.tuples(st.just("read"), st.integers(-1, 8)),
    st.tuples(st.just("readline"), st.none()),
    st.tuples(st.just("readexactly"), st.integers(0, 10)),
    st.tuples(st.just("readuntil"), st.sampled_from([b"\n", b"ab", b"x"])),
    st.tuples(st.just("at_eof"), st.none()),
), max_size=8)


async def exercise(module: Any, chunks: list[bytes], reads: list[tuple[str, Any]], limit: int,
                   eof: bool) -> list[str]:
    reader = module.StreamReader(limit=limit)
    outcome: list[str] = []

    async def feeder() -> None:
        for chunk in chunks:
            reader.feed_data(chunk)
            await module.sleep(0)
        if eof:
            reader.feed_eof()

    async def consumer() -> None:
        for name, argument in reads:
            try:
                if name == "at_eof":
                    result: Any = reader.at_eof()
                elif argument is None:
                    result = await getattr(reader, name)()
                else:
                    result = await getattr(reader, name)(argument)
            except Exception as exc:
                result = f"{type(exc).__name__}: {exc}"
            outcome.append(f"{name}({argument!r}) -> {result!r}")

    feeding = module.create_task(feeder())
    try:
        await module.wait_for(consumer(), 0.01)  # the feeder is done long before
    except TimeoutError:
        outcome.append("waiting for more data")
    await feeding
    outcome.append(f"left: {bytes(reader._buffer)!r} eof={reader._eof}")
    return outcome


@settings(max_examples=150, deadline=None)
@given(CHUNKS, READS, st.sampled_from([1, 3, 5, 64]), st.booleans())
def test_stream_reader_behaves_like_asyncios(chunks: list[bytes], reads: list[tuple[str, Any]],
                                             limit: int, eof: bool) -> None:
    if not eof:
        # Without EOF a read may wait for ever: keep those runs short.
        reads = reads[:3]
    theirs = asyncio.run(exercise(asyncio, chunks, reads, limit, eof))
    ours = miniloop.run(exercise(miniloop, chunks, reads, limit, eof),
                        clock=miniloop.VirtualClock())
    assert ours == theirs


def test_reader_pauses_and_resumes_its_transport() -> None:
    class Transport:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def pause_reading(self) -> None:
            self.calls.append("pause")

        def resume_reading(self) -> None:
            self.calls.append("resume")

    async def main() -> list[str]:
        reader = miniloop.StreamReader(limit=4)
        transport = Transport()
        reader.set_transport(transport)
        reader.feed_data(b"12345678")
        reader.feed_data(b"9")  # more than twice the limit: pause
        reader.feed_data(b"0")  # already paused
        await reader.read(6)  # back under the limit: resume
        with pytest.raises(AssertionError, match="Transport already set"):
            reader.set_transport(transport)
        return transport.calls

    assert miniloop.run(main()) == ["pause", "resume"]


def test_a_transport_that_cannot_pause_is_forgotten() -> None:
    class Unpausable:
        def pause_reading(self) -> None:
            raise NotImplementedError

    async def main() -> Any:
        reader = miniloop.StreamReader(limit=1)
        reader.set_transport(Unpausable())
        reader.feed_data(b"xyz")
        return reader._transport

    assert miniloop.run(main()) is None


def test_reprs_match_asyncios() -> None:
    async def reprs(module: Any) -> list[str]:
        reader = module.StreamReader(limit=10)
        texts = [repr(reader)]
        reader.feed_data(b"abc")
        reader.feed_eof()
        texts.append(repr(reader))
        reader.set_exception(ValueError("x"))
        texts.append(repr(reader))
        return texts

    assert miniloop.run(reprs(miniloop)) == asyncio.run(reprs(asyncio))


def test_readuntil_with_several_separators_needs_313() -> None:
    import sys

    async def main() -> Any:
        reader = miniloop.StreamReader()
        reader.feed_data(b"one\r\ntwo\n")
        reader.feed_eof()
        return await reader.readuntil((b"\n", b"\r\n"))

    if sys.version_info >= (3, 13):
        assert miniloop.run(main()) == b"one\r\n"
    else:
        with pytest.raises(TypeError):
            miniloop.run(main())
