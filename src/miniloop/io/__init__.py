"""The IO wing: sockets, transports, streams, TLS, subprocesses, signals.

The core loop already sleeps in a selector; this package teaches it to
watch sockets for its users. Each module adds one layer, in this reading
order; a layer that gives the loop methods does it with a mixin, which
inherits only the mixins whose methods it calls:

    readiness.py    add_reader/add_writer: callbacks when a descriptor is ready
    sockets.py      sock_recv, sock_connect...: a task parks until its socket is ready
    transports.py   a socket that reads by itself and tells a protocol
    tls.py          the same transport interface, encrypted (start_tls)
    servers.py      create_server: accepting connections
    connections.py  create_connection: name lookup, connecting, happy eyeballs
    sendfile.py     loop.sendfile: a file down a transport
    unix.py         the same over Unix domain sockets (a path instead of host:port)
    datagrams.py    UDP: whole messages, no connection
    pipes.py        the two ends of an OS pipe as transports
    subprocesses.py child processes; their exit is a readiness event (pidfd)
    signals.py      Unix signals as callbacks, through the self-pipe
    streams.py      StreamReader/StreamWriter: await bytes instead of being told
    processes.py    create_subprocess_exec: a child's pipes as streams

(``protocols.py`` names the interfaces shared with asyncio.)

The mixins form a small graph, not a chain. ``loop.py`` puts them side by
side in ``IOMixin``: they are all the IO methods of ``miniloop.Loop``.
Importing this package imports none of them; the loop's assembly does, the
first time a program makes a loop.

Read next: ``readiness.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from miniloop.io.loop import IOMixin


def __getattr__(name: str) -> Any:
    """``IOMixin`` (``loop.py``), imported when first asked for."""
    if name == "IOMixin":
        from miniloop.io.loop import IOMixin

        return IOMixin
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["IOMixin"]
