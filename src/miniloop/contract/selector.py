"""The selector: how the loop watches file descriptors, and how it is woken.

The loop sleeps in ``selector.select(timeout)``. Each file descriptor it
watches is registered with the selector together with a pair of handles,
``(reader, writer)``: when the descriptor becomes readable (writable), the
loop puts the reader (writer) handle on its ready queue. That is all
"readiness" means (``_process_io_events``, step 2 of the loop's turn in
``core/loop.py``); sockets, pipes, streams and servers (``io/``) are built
on ``_add_io_handle`` and ``_remove_io_handle``.

One descriptor is always watched: the read end of the *self-pipe*, a
socket pair. Another thread that wants the loop's attention
(``call_soon_threadsafe``) writes a byte to the other end, and the sleeping
selector wakes up at once instead of at its next timer.

Read next: ``loop.py``, the contract's loop, which these make up.
"""

from __future__ import annotations

import selectors
import socket
import warnings
from typing import Any

Events = list[tuple[selectors.SelectorKey, int]]


class SelectorMixin:
    """File-descriptor watching and the self-pipe, for a loop built on ``CoreLoop``."""

    _selector: selectors.BaseSelector
    _ready: Any
    _ssock: socket.socket
    _csock: socket.socket  # None once closed
    observer: Any
    handle_class: Any

    def __init__(self, **options: Any) -> None:
        # The self-pipe exists before the core announces the loop to the
        # tools (new_loop_watchers), so that they can recognise it.
        self._ssock, self._csock = socket.socketpair()
        self._ssock.setblocking(False)
        self._csock.setblocking(False)
        super().__init__(**options)
        reader = self.handle_class(self._read_from_self, (), self, None)
        self._add_io_handle(self._ssock.fileno(), selectors.EVENT_READ, reader)

    def _process_io_events(self, io_events: Events) -> None:
        """Put the handle of every ready descriptor on the ready queue."""
        for key, mask in io_events:
            reader, writer = key.data
            for event, handle in ((selectors.EVENT_READ, reader), (selectors.EVENT_WRITE, writer)):
                if not mask & event or handle is None:
                    continue
                if handle._cancelled:  # forgotten since it was registered: stop watching
                    self._remove_io_handle(key.fileobj, event)
                else:
                    self._ready.append(handle)
                    if self.observer:
                        self.observer.io_ready(key.fd, event, handle)

    def _add_io_handle(self, fileobj: Any, event: int, handle: Any) -> None:
        """Watch ``fileobj`` for ``event`` and run ``handle`` when it happens."""
        key = self._selector.get_map().get(fileobj)
        reader, writer = (None, None) if key is None else key.data
        old = reader if event == selectors.EVENT_READ else writer
        if event == selectors.EVENT_READ:
            reader = handle
        else:
            writer = handle
        if key is None:
            self._selector.register(fileobj, event, (reader, writer))
        else:
            self._selector.modify(fileobj, key.events | event, (reader, writer))
        if old is not None:
            old.cancel()
        if self.observer:
            self.observer.io_watched(fileobj, event, handle)

    def _remove_io_handle(self, fileobj: Any, event: int) -> bool:
        """Stop watching ``fileobj`` for ``event``; True if it was watched."""
        key = self._selector.get_map().get(fileobj)
        if key is None:
            return False
        reader, writer = key.data
        old = reader if event == selectors.EVENT_READ else writer
        if event == selectors.EVENT_READ:
            reader = None
        else:
            writer = None
        if key.events & ~event:
            self._selector.modify(fileobj, key.events & ~event, (reader, writer))
        else:
            self._selector.unregister(fileobj)
        if old is None:
            return False
        old.cancel()
        if self.observer:
            self.observer.io_unwatched(fileobj, event)
        return True

    def call_soon_threadsafe(self, callback: Any, *args: Any, context: Any = None) -> Any:
        """Like call_soon, but safe to call from another thread: wakes the loop."""
        loop: Any = self
        loop._check_closed()
        if loop._debug:
            loop._check_callback(callback, "call_soon_threadsafe")
        handle = self.handle_class(callback, args, self, context)
        self._ready.append(handle)  # deque.append is atomic
        if self.observer:
            self.observer.scheduled(handle)
        self._write_to_self()
        return handle

    def close(self) -> None:
        """Close the self-pipe too."""
        loop: Any = self
        if not loop.is_running() and not loop.is_closed():
            self._close_self_pipe()
        super().close()  # type: ignore[misc]

    # --- the self-pipe ------------------------------------------------------------

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
