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
    streams.py      StreamReader/StreamWriter: await bytes instead of being told

Read next: ``readiness.py``.
"""

from __future__ import annotations

from miniloop.io.datagrams import DatagramsMixin


class IOMixin(DatagramsMixin):
    """The IO methods of ``miniloop.Loop``, one mixin per layer of this package."""
