"""Fast streams: the plain streams of ``io/streams.py``, fewer steps a read.

The fast loop makes its streams (``open_connection``, ``start_server``)
from these classes (``FastIOMixin.stream_classes``, ``io.py``). Each
override replaces one named piece of ``io/streams.py`` and does the same
thing, checked against the plain piece by ``tests/test_fast_io.py``.
Measured with ``python -m bench --instructions --workloads echo
--runtimes miniloop --scale 0.5`` (CPython 3.11, instructions per round
trip of 64 bytes, where a read parks every time):

* **a read parks on its future in its own frame** (``StreamReader.read``,
  ``readexactly``). Plain: ``await self._wait_for_data(...)``, a
  coroutine made for every wait, which then awaits the future; and the
  bytes are taken by ``_take``, which calls ``_maybe_resume_transport``.
  Fast: the same checks (``_new_waiter``), the read awaits the future
  itself (measured: 161,162 -> 159,732 instructions per round trip), and
  a read that takes the whole buffer, unpaused, takes it in its own frame
  (``readexactly``'s: 151,930 -> 151,043, on top of the next bullet and
  ``readiness.py``), and so, when nobody else waits and reading flows,
  does ``_new_waiter``'s future (150,269 -> 149,418);
* **data is fed in one frame** (``StreamReaderProtocol.data_received``).
  Plain: the protocol reads its reader through a property, and calls
  ``feed_data``, which calls ``_wakeup_waiter`` and
  ``_maybe_pause_transport``. Fast: the weak reference is called here,
  and ``feed_data``'s steps are written out here for the fast reader (a
  reader at EOF, or no data, goes the plain way: its assertion); pausing
  is looked at only when the buffer holds over twice the limit.
  Measured: 159,732 -> 155,389.

(Drop-in asyncio programs use asyncio's own streams on our loop: these
change nothing for them.)

Read next: ``../tools/``, the tools that watch a loop.
"""

from __future__ import annotations

from asyncio import IncompleteReadError

from miniloop.io import streams


class StreamReader(streams.StreamReader):
    """``io/streams.py: StreamReader``, parking and waking in fewer frames."""

    async def read(self, n: int = -1) -> bytes:
        """Read up to ``n`` bytes (as soon as any are there); all until EOF if ``n`` < 0."""
        if n <= 0 or self._exception is not None:
            return await super().read(n)
        buffer = self._buffer
        if not buffer and not self._eof:
            if self._waiter is None and not self._paused:  # _new_waiter's common case
                self._waiter = waiter = self._loop.create_future()
            else:
                waiter = self._new_waiter("read")
            try:
                await waiter
            finally:
                self._waiter = None
        if len(buffer) <= n and not self._paused:  # _take's common case: all of it
            data = bytes(buffer)
            buffer.clear()
            return data
        return self._take(n)

    async def readexactly(self, n: int) -> bytes:
        """Read exactly ``n`` bytes; IncompleteReadError if EOF comes first."""
        if n <= 0 or self._exception is not None:
            return await super().readexactly(n)
        buffer = self._buffer
        while len(buffer) < n:
            if self._eof:
                incomplete = bytes(buffer)
                buffer.clear()
                raise IncompleteReadError(incomplete, n)
            if self._waiter is None and not self._paused:  # _new_waiter's common case
                self._waiter = waiter = self._loop.create_future()
            else:
                waiter = self._new_waiter("readexactly")
            try:
                await waiter
            finally:
                self._waiter = None
        if len(buffer) == n and not self._paused:  # _take's common case: all of it
            data = bytes(buffer)
            buffer.clear()
            return data
        return self._take(n)


class StreamReaderProtocol(streams.StreamReaderProtocol):
    """``io/streams.py: StreamReaderProtocol``, handing data over in one call."""

    def data_received(self, data: bytes) -> None:
        """Into the reader's buffer (a parked read wakes; reading pauses if too much)."""
        reader_ref = self._stream_reader_wr  # the _stream_reader property, in this frame
        reader = None if reader_ref is None else reader_ref()
        if reader is None:
            return
        if type(reader) is not StreamReader or reader._eof or not data:
            reader.feed_data(data)  # its assertion, or nothing to do: the plain way
            return
        buffer = reader._buffer  # reader.feed_data(data), in this frame
        buffer.extend(data)
        waiter = reader._waiter
        if waiter is not None:  # reader._wakeup_waiter()
            reader._waiter = None
            if not waiter.cancelled():
                waiter.set_result(None)
        if len(buffer) > 2 * reader._limit:
            reader._maybe_pause_transport()


# Reprs, tracebacks and the tools' descriptions show the plain names.
for _fast, _plain in ((StreamReader, streams.StreamReader),
                      (StreamReaderProtocol, streams.StreamReaderProtocol)):
    _fast.__name__, _fast.__qualname__ = _plain.__name__, _plain.__qualname__

# What the fast loop makes its streams of (the writer has nothing to speed up).
CLASSES = (StreamReader, StreamReaderProtocol, streams.StreamWriter)
