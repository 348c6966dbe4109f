"""Readiness: "call me when this file descriptor can be read (or written)".

This is the bottom of all network IO, and it is already half built: the
core loop sleeps in a selector, and every descriptor registered there
carries a pair of Handles, ``(reader, writer)``. When the selector reports
a descriptor ready, the loop puts the matching Handle on the ready queue.
So ``add_reader(fd, callback)`` is only this:

    handle = Handle(callback, args)
    selector: watch fd for EVENT_READ, and remember handle as its reader

and ``remove_reader(fd)`` forgets the handle again. A socket read that
would block is turned into "park until readable, then try again" with
nothing more than these two calls; ``sockets.py`` shows how.

There is one rule on top. Once a transport owns a socket, nobody else may
register callbacks for its descriptor: two parties reading the same socket
would steal each other's bytes. The loop keeps a table of which transport
owns which descriptor and refuses, as asyncio does.

Read next: ``sockets.py`` (the ``sock_*`` coroutines built on readiness).
"""

from __future__ import annotations

import selectors
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from miniloop.core.loop import Handle

if TYPE_CHECKING:
    from miniloop.contract.loop import ContractLoop
    from miniloop.toolkit.threads import ExecutorMixin

    class LoopHost(ExecutorMixin, ContractLoop):
        """What an IO mixin can rely on: the core loop and its thread pool."""

else:
    LoopHost = object

READ = selectors.EVENT_READ
WRITE = selectors.EVENT_WRITE


def fileno_of(fileobj: Any) -> int:
    """The descriptor number of an int or of anything with ``fileno()``."""
    if isinstance(fileobj, int):
        return fileobj
    try:
        return int(fileobj.fileno())
    except (AttributeError, TypeError, ValueError):
        raise ValueError(f"Invalid file object: {fileobj!r}") from None


class ReadinessMixin(LoopHost):
    """``add_reader``/``add_writer`` and the table of descriptors owned by transports."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # Which transport owns which descriptor. Weak: a transport that is
        # garbage collected gives its descriptor up by itself.
        self._transports: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()

    # --- the public interface ---------------------------------------------------

    def add_reader(self, fd: Any, callback: Callable[..., object], *args: Any) -> None:
        """Call ``callback(*args)`` whenever ``fd`` is readable."""
        self._refuse_if_owned(fd)
        self._watch(fd, READ, callback, args)

    def remove_reader(self, fd: Any) -> bool:
        """Stop watching ``fd`` for reading; True if a callback was registered."""
        self._refuse_if_owned(fd)
        return self._unwatch(fd, READ)

    def add_writer(self, fd: Any, callback: Callable[..., object], *args: Any) -> None:
        """Call ``callback(*args)`` whenever ``fd`` is writable."""
        self._refuse_if_owned(fd)
        self._watch(fd, WRITE, callback, args)

    def remove_writer(self, fd: Any) -> bool:
        """Stop watching ``fd`` for writing; True if a callback was registered."""
        self._refuse_if_owned(fd)
        return self._unwatch(fd, WRITE)

    # --- what the rest of io/ uses (no ownership check) ---------------------------

    def _watch(self, fd: Any, event: int, callback: Callable[..., object],
               args: tuple[Any, ...] = ()) -> Handle:
        """Register ``callback(*args)`` for ``event`` on ``fd``; return its Handle."""
        self._check_closed()
        handle = self.handle_class(callback, args, self, None)
        self._add_io_handle(fd, event, handle)
        return handle

    def _unwatch(self, fd: Any, event: int) -> bool:
        """Forget the callback for ``event`` on ``fd``; True if there was one."""
        if self._closed:
            return False
        return self._remove_io_handle(fd, event)

    def _is_watched(self, fd: int, event: int) -> bool:
        """True if the selector watches ``fd`` for ``event`` (for reprs)."""
        key = self._selector.get_map().get(fd)
        return key is not None and bool(key.events & event)

    def _refuse_if_owned(self, fd: Any) -> None:
        number = fileno_of(fd)
        owner = self._transports.get(number)
        if owner is not None and not owner.is_closing():
            raise RuntimeError(f"File descriptor {fd!r} is used by transport {owner!r}")
