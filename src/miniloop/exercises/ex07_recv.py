"""Write ``sock_recv(sock, nbytes)``: wait for a socket without blocking.

A non-blocking socket never makes the thread wait: when there is nothing
to read, ``sock.recv`` raises ``BlockingIOError`` at once. Turn that into
"park the task until the socket is readable", with the running loop's
``add_reader`` and a future::

    async def sock_recv(sock, nbytes):
        ...          # like loop.sock_recv(sock, nbytes)

1. Try ``sock.recv(nbytes)``. If it returns, so do you (no waiting at all).
2. It would block: make a future, and ``loop.add_reader(sock.fileno(),
   callback)`` where the callback completes the future (the selector calls
   it when the socket is readable).
3. Await the future. Whatever happens, ``loop.remove_reader(fd)`` afterwards
   (in a ``finally``): a reader left behind fires on every turn while data
   waits, and steals the data from whoever reads next.
4. Go back to 1 (or let the callback do the recv and pass the data on).

The checker compares it with asyncio's ``loop.sock_recv`` on a socket pair:
data already there, data that comes later, a peer that closes, a reader
that is cancelled. At the end of each scenario it asks the loop whether a
reader was left registered.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

from miniloop.exercises.checker import Exercise, Say, Scenario, run_on_asyncio, turns

Recv = Callable[[socket.socket, int], Coroutine[Any, Any, bytes]]


def asyncio_sock_recv(sock: socket.socket, nbytes: int) -> Coroutine[Any, Any, bytes]:
    """The truth: asyncio's own ``loop.sock_recv``."""
    return asyncio.get_running_loop().sock_recv(sock, nbytes)


@contextmanager
def _socket_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    try:
        yield ours, theirs
    finally:
        ours.close()
        theirs.close()


def _left_behind(sock: socket.socket, say: Say) -> None:
    # remove_reader returns True only if a reader was still registered.
    left = asyncio.get_running_loop().remove_reader(sock.fileno())
    say("a reader was left registered:", left)



async def data_already_there(sock_recv: Recv, say: Say) -> None:
    """Data that has arrived already is returned without waiting."""
    with _socket_pair() as (ours, theirs):
        theirs.send(b"hello")
        await turns(1)
        say("got", await sock_recv(ours, 100))
        _left_behind(ours, say)


async def data_comes_later(sock_recv: Recv, say: Say) -> None:
    """The task waits while the others run, and wakes when the bytes arrive."""
    with _socket_pair() as (ours, theirs):

        async def reader() -> None:
            say("reader waits")
            say("reader got", await sock_recv(ours, 100))

        async def writer() -> None:
            await turns(3)
            say("writer sends")
            theirs.send(b"late news")

        await asyncio.gather(reader(), writer())
        _left_behind(ours, say)


async def at_most_nbytes(sock_recv: Recv, say: Say) -> None:
    """recv returns at most nbytes; the rest waits for the next call."""
    with _socket_pair() as (ours, theirs):
        theirs.send(b"abcdefgh")
        say("first", await sock_recv(ours, 3))
        say("second", await sock_recv(ours, 100))
        _left_behind(ours, say)


async def peer_closes(sock_recv: Recv, say: Say) -> None:
    """When the peer closes, recv returns b'' (end of stream)."""
    with _socket_pair() as (ours, theirs):

        async def closer() -> None:
            await turns(2)
            theirs.close()

        got, _ = await asyncio.gather(sock_recv(ours, 100), closer())
        say("got", got)
        _left_behind(ours, say)


async def cancelled_reader(sock_recv: Recv, say: Say) -> None:
    """A cancelled reader leaves the socket alone: the next reader gets the data."""
    with _socket_pair() as (ours, theirs):
        first = asyncio.create_task(sock_recv(ours, 100))
        await turns(2)
        first.cancel()
        await turns(2)
        say("first reader cancelled:", first.cancelled())
        theirs.send(b"for the second reader")
        await turns(3)
        try:
            say("second reader got", await asyncio.wait_for(sock_recv(ours, 100), 0.05))
        except TimeoutError:
            say("second reader got nothing: timed out")
        _left_behind(ours, say)


EXERCISE = Exercise(
    chapter=7,
    slug="recv",
    title="sock_recv(sock, nbytes), a task waiting for a socket",
    name="sock_recv",
    reference_label="loop.sock_recv",
    reference=lambda: asyncio_sock_recv,
    scenarios=(
        Scenario("data already there is returned without waiting", data_already_there,
                 "try sock.recv(nbytes) first; only if it raises BlockingIOError, wait."),
        Scenario("the task waits, and wakes when the bytes arrive", data_comes_later,
                 "loop.add_reader(sock.fileno(), callback) with a callback that "
                 "completes the future (check `if not future.done()` first); then "
                 "remove_reader once the future is done."),
        Scenario("at most nbytes come back", at_most_nbytes,
                 "pass nbytes on to sock.recv."),
        Scenario("a closed peer gives b''", peer_closes,
                 "b'' from recv is an answer, not a reason to wait: return it."),
        Scenario("a cancelled reader leaves the socket to the next one", cancelled_reader,
                 "remove the reader in a `finally` around `await future`, so that a "
                 "cancellation removes it too."),
    ),
    run=run_on_asyncio,
    module=__name__,
)
