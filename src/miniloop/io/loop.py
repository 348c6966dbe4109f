"""The IO methods of the loop, all together: ``IOMixin``.

Each module of ``io/`` gives the loop its methods with a mixin that
inherits only the mixins it calls (``__init__.py`` lists them in reading
order). Here they stand side by side, as one class: ``IOMixin`` is every
IO method of ``miniloop.Loop`` (``../assembly.py`` stacks it on the
contract's loop).

Read next: ``../assembly.py``.
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
