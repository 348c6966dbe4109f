"""fast/readiness.py: ready descriptors onto the ready queue in one loop.

Pinned against the plain steps (``contract/selector.py``, reading what
``selector.select()`` says): the same handles on the ready queue, in
the same order, and the same registrations left in the selector, for
readers, writers, hang-ups and handles cancelled since they were
registered. ``ReadyLoop`` is the fast loop with the mixin on top, as
``assembly.py`` stacks it.
"""

from __future__ import annotations

import asyncio
import selectors
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import miniloop
from miniloop.assembly import FastLoop
from miniloop.contract.selector import SelectorMixin
from miniloop.fast import loop as fast_loop
from miniloop.fast import readiness
from tests.fast_checks import (
    Say,
    assert_same_on,
    plain_loop,
    skip_in_plain_mode,
    socket_pair_with_a_reader,
)

pytestmark = skip_in_plain_mode

needs_epoll = pytest.mark.skipif(fast_loop._EPOLL_SELECTOR is None, reason="no epoll here")


ReadyLoop: Any = FastLoop  # assembly.py stacks the mixin on the fast loop


def test_the_fast_loop_has_the_mixin() -> None:
    assert issubclass(ReadyLoop, readiness.IOEventsMixin)


@pytest.fixture
def scene() -> Iterator[dict[str, Any]]:
    """A loop watching three socket pairs: one quiet, one with bytes waiting, one hung up.

    Each of ours is watched for reading and writing; the talking one's
    reader and the hung-up one's writer were cancelled since they were
    registered (the loop must stop watching for those events).
    """
    loop = ReadyLoop()
    pairs = [socket.socketpair() for _ in range(3)]
    try:
        _quiet, talking, hung_up = pairs
        talking[1].send(b"x")
        hung_up[1].close()
        handles = {}
        for name, (mine, _) in zip(("quiet", "talking", "hung_up"), pairs, strict=True):
            mine.setblocking(False)
            for event, label in ((selectors.EVENT_READ, "r"), (selectors.EVENT_WRITE, "w")):
                handles[f"{name}-{label}"] = loop._watch(mine.fileno(), event, print, (name,))
        handles["talking-r"].cancel()
        handles["hung_up-w"].cancel()
        yield {"loop": loop, "handles": handles, "socks": [mine for mine, _ in pairs]}
    finally:
        loop.close()
        for mine, theirs in pairs:
            mine.close()
            theirs.close()


def outcome(loop: Any, handles: dict[str, Any]) -> tuple[list[str], dict[int, int]]:
    """What the processing did: the handles queued (by name), and what is still watched."""
    names = {id(handle): name for name, handle in handles.items()}
    queued = [names.get(id(entry), repr(entry)) for entry in loop._ready]
    loop._ready.clear()
    watched = {fd: key.events for fd, key in loop._selector.get_map().items()}
    return queued, watched


def run_both(scene: dict[str, Any], fast_step: Callable[[Any, Any], None]) -> None:
    """The plain steps and ``fast_step`` on the same readiness: the same outcome."""
    loop, handles, selector = scene["loop"], scene["handles"], scene["loop"]._selector
    events = selector.select(0)
    registrations = {fd: (key.events, key.data) for fd, key in selector.get_map().items()}
    SelectorMixin._process_io_events(loop, events)
    plain = outcome(loop, handles)
    for fd, (mask, data) in registrations.items():  # watch everything again, as it was
        if fd in selector.get_map():
            selector.modify(fd, mask, data)
        else:
            selector.register(fd, mask, data)
    fast_step(loop, selector)
    assert outcome(loop, handles) == plain
    queued, _ = plain
    assert "talking-r" not in queued and "quiet-w" in queued and "hung_up-r" in queued


def test_the_events_are_read_as_the_plain_steps_read_them(scene: dict[str, Any]) -> None:
    run_both(scene, lambda loop, selector: loop._process_io_events(selector.select(0)))


@needs_epoll
def test_epoll_s_events_go_to_the_ready_queue_as_the_selector_s_do(
        scene: dict[str, Any]) -> None:
    def straight_from_epoll(loop: Any, selector: Any) -> None:
        assert type(selector) is fast_loop._EPOLL_SELECTOR
        raw = selector._selector.poll(0, len(selector._fd_to_key))
        readiness.queue_epoll_events(loop, selector, raw)

    run_both(scene, straight_from_epoll)


@needs_epoll
def test_an_unknown_descriptor_from_epoll_is_skipped(scene: dict[str, Any]) -> None:
    loop = scene["loop"]
    readiness.queue_epoll_events(loop, loop._selector, [(10_000, 1)])
    assert not loop._ready


def test_a_watched_loop_takes_the_plain_steps(scene: dict[str, Any]) -> None:
    loop, selector = scene["loop"], scene["loop"]._selector
    heard: list[Any] = []

    class Watcher:
        def __getattr__(self, moment: str) -> Any:
            return lambda *args: heard.append((moment, args[0]))

    loop.observer = Watcher()
    try:
        loop._process_io_events(selector.select(0))
    finally:
        loop.observer = None
    ready_fds = {fd for moment, fd in heard if moment == "io_ready"}
    assert ready_fds == {sock.fileno() for sock in scene["socks"]}


# --- whole programs -----------------------------------------------------------------------------


async def echo_and_readers(say: Say) -> Any:
    left, right, got = socket_pair_with_a_reader(say)
    right.send(b"ping")
    await got

    async def echo(reader: Any, writer: Any) -> None:
        while data := await reader.read(100):
            writer.write(data)
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for n in range(5):
        writer.write(b"x" * (n + 1))
        say(f"echoed {await reader.readexactly(n + 1)!r}")
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    left.close()
    right.close()
    return "done"


def test_io_runs_the_same_on_the_ready_loop() -> None:
    loops = {"plain": plain_loop, "default": miniloop.Loop, "ready": ReadyLoop}
    lines = assert_same_on(loops, echo_and_readers, real_time=True)
    assert lines[0] == "read b'ping'" and lines[-1] == "returned 'done'"
