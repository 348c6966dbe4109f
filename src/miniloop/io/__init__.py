"""The IO wing: sockets, transports, streams, TLS, subprocesses, signals.

The core loop already sleeps in a selector; this package teaches it to
watch sockets for its users: ``add_reader`` and friends, the ``sock_*``
coroutines, transports and protocols, and streams on top of them.

Read next: the modules of this package, starting with ``readiness.py``.
"""

from __future__ import annotations


class IOMixin:
    """The IO methods of ``miniloop.Loop`` (filled in by this package's modules)."""
