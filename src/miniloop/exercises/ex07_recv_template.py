"""Chapter 7 exercise: sock_recv(sock, nbytes), a task waiting for a socket.

Fill in ``sock_recv`` below, then check it:

    python -m miniloop.exercises 7 this_file.py
"""

from __future__ import annotations

import asyncio
import socket


async def sock_recv(sock: socket.socket, nbytes: int) -> bytes:
    """Receive up to ``nbytes`` from the non-blocking ``sock``, parking while none are there."""
    loop = asyncio.get_running_loop()
    # while True:
    #     try sock.recv(nbytes): return what it gives
    #     BlockingIOError: a future, loop.add_reader(fd, callback), await the
    #     future, and loop.remove_reader(fd) in a `finally`
    del loop
    raise NotImplementedError("write sock_recv")
