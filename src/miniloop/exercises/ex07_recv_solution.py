"""Chapter 7, a reference solution: sock_recv(sock, nbytes).

A loop of two steps: try the socket; if it would block, park until the
selector says it is readable, then try again. The future is the parking
place; ``add_reader`` is what completes it. The ``finally`` removes the
reader however the wait ends (woken, or cancelled), so no callback is left
behind to fire while nobody listens.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any


def _wake(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_result(None)


async def sock_recv(sock: socket.socket, nbytes: int) -> bytes:
    """Receive up to ``nbytes`` from the non-blocking ``sock``, parking while none are there."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            return sock.recv(nbytes)
        except (BlockingIOError, InterruptedError):
            pass
        readable = loop.create_future()
        fd = sock.fileno()
        loop.add_reader(fd, _wake, readable)
        try:
            await readable
        finally:
            loop.remove_reader(fd)
