"""Ready descriptors onto the ready queue in one loop: a server's reads.

Step 2 of the loop's turn (``core/loop.py``) puts the handle of every
ready descriptor on the ready queue. With a server and its clients in one
process (aiohttp's benchmark), every request makes two descriptors
readable, so this runs twice a request. The speed-ups, each replacing one
named piece:

* **the events read in one loop** (``IOEventsMixin._process_io_events``).
  Plain (``contract/selector.py: SelectorMixin._process_io_events``): for
  each ready descriptor, a tuple of two ``(event, handle)`` pairs is made
  and looped over. Fast: the reader's and the writer's tests written out,
  in the same order (reader first), with the same answer to a handle
  cancelled since it was registered (stop watching for its event).
* **from epoll to the ready queue without a list between**
  (``queue_epoll_events``). The fast turn
  (``loop.py: FastLoopMixin._run_once``) asks epoll itself when it need
  not wait. It used to make the ``(key, events)`` pairs
  ``selector.select()`` would have made, for ``_process_io_events`` to
  read; this takes epoll's ``(fd, mask)`` pairs and does both in one
  loop, with no list of pairs.

Measured (``python -m bench --instructions --workloads http --scale
0.5``, CPython 3.11, on top of ``timers.py``): the mixin took ``http``
from 526,898 to 524,462 instructions per request, and the fast turn
calling ``queue_epoll_events`` on to 521,860 (asyncio: 519,257).
``../assembly.py`` stacks ``IOEventsMixin`` on ``FastLoop``.

Nobody may be watching: a tool hears of each ready descriptor
(``io_ready``) in the plain steps, and the fast turn is not taken then
either. ``tests/test_fast_readiness.py`` runs the same IO through the
plain steps and these and compares.

Read next: ``io.py`` in this folder.
"""

from __future__ import annotations

import select
import selectors
from typing import Any

from miniloop.core.clock import Events

READ = selectors.EVENT_READ
WRITE = selectors.EVENT_WRITE
# What epoll says, read as select() reads it (selectors.EpollSelector.select):
# anything but "out" (in, an error, a hang-up) wakes a reader; anything
# but "in", a writer.
# (Only an EpollSelector's events come here: elsewhere the names are unused.)
_NOT_OUT = ~getattr(select, "EPOLLOUT", 0)
_NOT_IN = ~getattr(select, "EPOLLIN", 0)


class IOEventsMixin:
    """Ready descriptors' handles onto the ready queue, in one frame."""

    _ready: Any
    observer: Any

    def _process_io_events(self, io_events: Events) -> None:
        """Put the handle of every ready descriptor on the ready queue."""
        if self.observer is not None:  # a tool hears of each one: the plain steps
            super()._process_io_events(io_events)  # type: ignore[misc]
            return
        ready = self._ready
        for key, mask in io_events:
            reader, writer = key.data
            if mask & READ and reader is not None:
                if reader._cancelled:  # forgotten since it was registered: stop watching
                    self._remove_io_handle(key.fileobj, READ)  # type: ignore[attr-defined]
                else:
                    ready.append(reader)
            if mask & WRITE and writer is not None:
                if writer._cancelled:
                    self._remove_io_handle(key.fileobj, WRITE)  # type: ignore[attr-defined]
                else:
                    ready.append(writer)


def queue_epoll_events(loop: Any, selector: Any, raw_events: list[tuple[int, int]]) -> None:
    """``loop._process_io_events(selector.select(0))``, from epoll's own answer, in one loop.

    For the fast turn (``loop.py: FastLoopMixin._run_once``), which asks
    epoll itself and runs only when nobody watches the loop: ``selector``
    is an ``EpollSelector``, ``raw_events`` what its epoll object's
    ``poll`` returned. A ready descriptor's events are read as
    ``selector.select()`` reads them (``_NOT_OUT``, ``_NOT_IN``), limited
    to those it is watched for, and its handles are queued as
    ``_process_io_events`` queues them.
    """
    keys = selector._fd_to_key
    ready = loop._ready
    for fd, mask in raw_events:
        key = keys.get(fd)
        if key is None:
            continue
        reader, writer = key.data
        watched = key.events
        if mask & _NOT_OUT and watched & READ and reader is not None:
            if reader._cancelled:
                loop._remove_io_handle(key.fileobj, READ)
            else:
                ready.append(reader)
        if mask & _NOT_IN and watched & WRITE and writer is not None:
            if writer._cancelled:
                loop._remove_io_handle(key.fileobj, WRITE)
            else:
                ready.append(writer)
