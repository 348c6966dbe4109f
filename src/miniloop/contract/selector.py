"""The selector: how the loop watches file descriptors, and how it is woken.

The loop sleeps in ``selector.select(timeout)``. Each file descriptor it
watches is registered with the selector together with a pair of handles,
``(reader, writer)``: when the descriptor becomes readable (writable), the
loop puts the reader (writer) handle on its ready queue. That is all
"readiness" means; sockets, pipes, streams and servers (``io/``) are built
on ``_add_io_handle`` and ``_remove_io_handle``.

One descriptor is always watched: the read end of the *self-pipe*, a
socket pair. Another thread that wants the loop's attention
(``call_soon_threadsafe``) writes a byte to the other end, and the sleeping
selector wakes up at once instead of at its next timer.

Read next: ``loop.py``, which calls these.
"""

from __future__ import annotations

import selectors
import socket
import warnings
from typing import Any

Events = list[tuple[selectors.SelectorKey, int]]


class SelectorMixin:
    """File-descriptor watching for ``CoreLoop`` (which owns ``_selector``)."""

    _selector: selectors.BaseSelector
    _ready: Any
    _ssock: socket.socket
    _csock: socket.socket  # None once closed

    def _add_io_handle(self, fileobj: Any, event: int, handle: Any) -> None:
        """Watch ``fileobj`` for ``event`` and run ``handle`` when it happens."""
        try:
            key = self._selector.get_key(fileobj)
        except KeyError:
            data = (handle, None) if event == selectors.EVENT_READ else (None, handle)
            self._selector.register(fileobj, event, data)
            return
        reader, writer = key.data
        if event == selectors.EVENT_READ:
            old, reader = reader, handle
        else:
            old, writer = writer, handle
        self._selector.modify(fileobj, key.events | event, (reader, writer))
        if old is not None:
            old.cancel()

    def _remove_io_handle(self, fileobj: Any, event: int) -> bool:
        """Stop watching ``fileobj`` for ``event``; True if it was watched."""
        try:
            key = self._selector.get_key(fileobj)
        except KeyError:
            return False
        reader, writer = key.data
        old = reader if event == selectors.EVENT_READ else writer
        if event == selectors.EVENT_READ:
            reader = None
        else:
            writer = None
        mask = key.events & ~event
        if mask:
            self._selector.modify(fileobj, mask, (reader, writer))
        else:
            self._selector.unregister(fileobj)
        if old is None:
            return False
        old.cancel()
        return True

    def _process_io_events(self, io_events: Events) -> None:
        """Put the handle of every ready descriptor on the ready queue."""
        for key, mask in io_events:
            reader, writer = key.data
            if mask & selectors.EVENT_READ and reader is not None:
                if reader._cancelled:
                    self._remove_io_handle(key.fileobj, selectors.EVENT_READ)
                else:
                    self._ready.append(reader)
            if mask & selectors.EVENT_WRITE and writer is not None:
                if writer._cancelled:
                    self._remove_io_handle(key.fileobj, selectors.EVENT_WRITE)
                else:
                    self._ready.append(writer)

    # --- the self-pipe ------------------------------------------------------------

    def _make_self_pipe(self, reader: Any) -> None:
        """Open the self-pipe; ``reader`` is the handle that drains it."""
        self._ssock, self._csock = socket.socketpair()
        self._ssock.setblocking(False)
        self._csock.setblocking(False)
        self._add_io_handle(self._ssock.fileno(), selectors.EVENT_READ, reader)

    def _read_from_self(self) -> None:
        while True:
            try:
                if not self._ssock.recv(4096):
                    break
            except InterruptedError:
                continue
            except BlockingIOError:
                break

    def _write_to_self(self) -> None:
        csock: socket.socket | None = self._csock
        if csock is None:
            return
        try:
            csock.send(b"\0")
        except OSError:
            pass  # the pipe is full: the loop is awake already, or closed

    def __del__(self, _warn: Any = warnings.warn) -> None:
        # A loop dropped without close() still holds its selector and the
        # self-pipe: say so (as asyncio does), and release them.
        loop: Any = self
        if not loop.is_closed():
            _warn(f"unclosed event loop {loop!r}", ResourceWarning, source=loop)
            if not loop.is_running():
                loop.close()

    def _close_self_pipe(self) -> None:
        # (When a forgotten loop is collected, the collector may have closed
        # its sockets already: then there is nothing left to unregister.)
        if self._ssock.fileno() != -1:
            self._remove_io_handle(self._ssock.fileno(), selectors.EVENT_READ)
        self._ssock.close()
        self._csock.close()
        self._csock = None  # type: ignore[assignment]
