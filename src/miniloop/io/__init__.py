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

The mixins form a small graph, not a chain. ``IOMixin`` below puts them
side by side: they are all the IO methods of ``miniloop.Loop``.

Read next: ``readiness.py``.
"""

from __future__ import annotations

from miniloop.io.connections import ConnectionsMixin
from miniloop.io.datagrams import DatagramsMixin
from miniloop.io.pipes import PipesMixin
from miniloop.io.readiness import ReadinessMixin
from miniloop.io.sendfile import SendfileMixin
from miniloop.io.servers import ServersMixin
from miniloop.io.signals import SignalsMixin
from miniloop.io.sockets import SocketsMixin
from miniloop.io.subprocesses import SubprocessMixin
from miniloop.io.tls import TLSMixin
from miniloop.io.unix import UnixMixin


class IOMixin(
    # Python's method order needs each class before the classes it builds
    # on, so this list is the reading order upside down: read it bottom-up.
    SignalsMixin,  # add_signal_handler: the loop itself only (the self-pipe)
    SubprocessMixin,  # subprocess_exec: on pipes; a child's exit is a readiness event
    PipesMixin,  # connect_read_pipe, connect_write_pipe: on sockets (readiness, read buffer)
    DatagramsMixin,  # create_datagram_endpoint: on sockets (name lookup, sock_connect)
    UnixMixin,  # create_unix_connection/_server: on connections and servers
    SendfileMixin,  # sendfile: on sockets (sock_sendfile)
    ConnectionsMixin,  # create_connection: on TLS (its transports) and sockets
    ServersMixin,  # create_server: on TLS (its transports) and sockets
    TLSMixin,  # start_tls, and making stream transports: on sockets
    SocketsMixin,  # sock_*, getaddrinfo: on readiness
    ReadinessMixin,  # add_reader/add_writer: on the loop itself
):
    """The IO methods of ``miniloop.Loop``: every IO mixin, side by side."""
