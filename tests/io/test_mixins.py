"""The IO mixins form a graph in which each mixin inherits only what it calls.

``BASES`` is that graph, written out: for each mixin, its direct bases and,
for each base, loop members the mixin (or the transports it makes) uses
from it. A new base, a dropped one, or a base that is no longer called
shows up here.
"""

from __future__ import annotations

import inspect
import sys

import miniloop
from miniloop.io import IOMixin
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

# mixin -> {direct base: members of that base (or of its own bases) it uses}.
# ``object`` stands for LoopHost: the core/contract/toolkit loop, which is
# only a type-checking base (at run time the mixin needs nothing more).
BASES: dict[type, dict[type, set[str]]] = {
    ReadinessMixin: {object: set()},
    SocketsMixin: {ReadinessMixin: {"_watch", "_unwatch", "_refuse_if_owned"}},
    TLSMixin: {SocketsMixin: {"_refuse_if_owned", "_read_scratch"}},
    ServersMixin: {TLSMixin: {"_make_stream_transport", "_resolve", "_watch", "_unwatch"}},
    ConnectionsMixin: {TLSMixin: {"_make_stream_transport", "_resolve", "sock_connect"}},
    SendfileMixin: {SocketsMixin: {"sock_sendfile", "_transports"}},
    UnixMixin: {
        ConnectionsMixin: {"_connect_transport", "sock_connect"},
        ServersMixin: {"_new_server", "_stop_serving"},
    },
    DatagramsMixin: {SocketsMixin: {"_resolve", "sock_connect", "_read_scratch", "_watch"}},
    PipesMixin: {SocketsMixin: {"_watch", "_unwatch", "_is_watched", "_read_scratch"}},
    SubprocessMixin: {PipesMixin: {"connect_read_pipe", "connect_write_pipe", "_watch"}},
    SignalsMixin: {object: set()},
}

# Members set in __init__ rather than defined in a class body.
INSTANCE_ATTRIBUTES = {"_read_scratch": SocketsMixin, "_transports": ReadinessMixin}


def test_each_mixin_has_exactly_the_bases_of_the_table() -> None:
    for mixin, bases in BASES.items():
        assert set(mixin.__bases__) == set(bases), mixin.__name__


def test_each_base_provides_what_the_table_says_is_used_of_it() -> None:
    for mixin, bases in BASES.items():
        for base, members in bases.items():
            for member in members:
                owner = INSTANCE_ATTRIBUTES.get(member)
                if owner is not None:
                    assert issubclass(base, owner), (mixin.__name__, base.__name__, member)
                else:
                    assert hasattr(base, member), (mixin.__name__, base.__name__, member)
                assert member not in vars(mixin) or member == "_stop_serving", member


def test_each_used_member_is_used_in_the_mixins_module() -> None:
    for mixin, bases in BASES.items():
        source = inspect.getsource(sys.modules[mixin.__module__])
        for members in bases.values():
            for member in members:
                assert f".{member}" in source, (mixin.__name__, member)


def test_no_base_is_already_implied_by_another() -> None:
    for mixin in BASES:
        for base in mixin.__bases__:
            others = [other for other in mixin.__bases__ if other is not base]
            assert not any(issubclass(other, base) for other in others), mixin.__name__


def test_the_table_names_every_io_mixin_and_io_mixin_lists_them_flat() -> None:
    assert set(IOMixin.__bases__) == set(BASES)
    assert len(IOMixin.__bases__) == len(BASES)


def test_the_loop_holds_each_mixin_once() -> None:
    for loop_class in (miniloop.Loop, miniloop.FastLoop):
        mro = loop_class.__mro__
        for mixin in [IOMixin, *BASES]:
            assert mro.count(mixin) == 1, (loop_class.__name__, mixin.__name__)
