"""The fast loop's IO: which fast classes it makes its streams and transports from.

``FastIOMixin`` sits on top of the plain loop in ``../assembly.py``
(``FastLoop``), beside ``loop.py``'s ``FastLoopMixin``. It names the fast
classes of ``streams.py`` for the plain ``io/streams.py`` to make
(``stream_classes``, read by ``io/streams.py: stream_classes``): a loop
without the attribute (the plain one, or asyncio's) gets the plain
classes. The gains are ``streams.py``'s.

Read next: ``streams.py`` in this folder.
"""

from __future__ import annotations

from typing import Any

from miniloop.fast import streams


class FastIOMixin:
    """Names the fast stream classes."""

    stream_classes: tuple[type[Any], type[Any], type[Any]] = streams.CLASSES
