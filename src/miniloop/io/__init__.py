"""The IO wing: sockets, transports, streams, TLS, subprocesses, signals.

The core loop already sleeps in a selector; this package teaches it to
watch sockets for its users. Each module adds one layer, and each layer
is a mixin of ``miniloop.Loop`` built on the ones below it:

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

Read next: ``readiness.py``.
"""

from __future__ import annotations

from miniloop.io.signals import SignalsMixin


class IOMixin(SignalsMixin):
    """The IO methods of ``miniloop.Loop``, one mixin per layer of this package."""
