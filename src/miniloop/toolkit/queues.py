"""Queues: a list of items between two lines of waiting futures.

A producer ``put``s, a consumer ``get``s. When the items run out, getters
wait; when a bounded queue (``maxsize > 0``) is full, putters wait. That is
all the machinery there is:

    items     the stored items (a deque; a heap for PriorityQueue; a
              stack for LifoQueue)
    getters   futures of tasks waiting for an item
    putters   futures of tasks waiting for room

Every ``put_nowait`` wakes the first getter that is still waiting, and
every ``get_nowait`` wakes the first putter. A woken task does not receive
the item directly: it runs on a later turn and *retries*, and by then
someone else may have been quicker (a task that called ``get`` without
having to wait). So both ``put`` and ``get`` loop until they succeed. If a
woken task is cancelled before it could retry, it passes its wake-up on to
the next in line, as the sync objects do (``sync.py``).

Back-pressure comes for free: with ``maxsize`` set, fast producers simply
spend their time parked in ``put``.

``join()`` and ``task_done()`` count work rather than items: each put adds
one unfinished task, each ``task_done()`` removes one, and ``join()`` waits
on an Event that is set whenever the count is back to zero.

On Python 3.13 a queue can also be ``shutdown()``: puts fail from then on,
gets fail once the queue is empty (or at once, with ``immediate=True``),
and every blocked putter and getter is woken to find that out.

The exceptions are asyncio's own (``asyncio.QueueEmpty``...), so programs
written for asyncio catch miniloop's.

Read next: ``threads.py`` (handing blocking work to other threads).
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import sys
from types import GenericAlias
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from miniloop.toolkit.sync import Event, LoopBound

T = TypeVar("T")

QueueEmpty = asyncio.QueueEmpty
QueueFull = asyncio.QueueFull
if sys.version_info >= (3, 13):
    QueueShutDown = asyncio.QueueShutDown
    _ShutDown: type[Exception] = QueueShutDown
else:
    # Before 3.13 queues cannot be shut down (``_is_shutdown`` stays False),
    # so this stand-in is never raised, and asyncio has no such name to share.
    class _ShutDown(Exception):
        pass


class Queue(LoopBound, Generic[T]):
    """A first-in, first-out queue for tasks; ``maxsize > 0`` bounds it.

    asyncio contract: subclasses choose the storage by overriding
    ``_init(maxsize)``, ``_put(item)`` and ``_get()``, and the items live in
    ``_queue``; code written for asyncio's queues relies on these names.
    """

    if not TYPE_CHECKING:
        # Queue[int] is a plain types.GenericAlias, as for asyncio's queues
        # (Generic alone would make a typing alias; type checkers see Generic).
        __class_getitem__ = classmethod(GenericAlias)

    def __init__(self, maxsize: int = 0) -> None:
        self._maxsize = maxsize
        self._getters: collections.deque[Any] = collections.deque()
        self._putters: collections.deque[Any] = collections.deque()
        self._unfinished_tasks = 0
        self._finished = Event()
        self._finished.set()
        self._init(maxsize)
        self._is_shutdown = False  # only ever True on 3.13+, via shutdown()

    # --- storage: what subclasses override ------------------------------------

    def _init(self, maxsize: int) -> None:
        self._queue: Any = collections.deque()

    def _put(self, item: T) -> None:
        self._queue.append(item)

    def _get(self) -> T:
        return self._queue.popleft()  # type: ignore[no-any-return]

    # --- looking ------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"<{type(self).__name__} at {id(self):#x} {self._format()}>"

    def __str__(self) -> str:
        return f"<{type(self).__name__} {self._format()}>"

    def _format(self) -> str:
        parts = [f"maxsize={self._maxsize!r}"]
        if getattr(self, "_queue", None):
            parts.append(f"_queue={list(self._queue)!r}")
        if self._getters:
            parts.append(f"_getters[{len(self._getters)}]")
        if self._putters:
            parts.append(f"_putters[{len(self._putters)}]")
        if self._unfinished_tasks:
            parts.append(f"tasks={self._unfinished_tasks}")
        if self._is_shutdown:
            parts.append("shutdown")
        return " ".join(parts)

    def qsize(self) -> int:
        """How many items are in the queue."""
        return len(self._queue)

    @property
    def maxsize(self) -> int:
        """How many items the queue holds at most (0 or less: no limit)."""
        return self._maxsize

    def empty(self) -> bool:
        """True if there is no item to get."""
        return not self._queue

    def full(self) -> bool:
        """True if a put would have to wait (never, when maxsize <= 0)."""
        if self._maxsize <= 0:
            return False
        return self.qsize() >= self._maxsize

    # --- putting --------------------------------------------------------------------

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # put() and get() take a fast path only when the methods asyncio's
        # versions call are ours: a subclass that redefines them sees them called.
        cls._plain = all(getattr(cls, name) is getattr(Queue, name)
                         for name in ("qsize", "full", "empty", "put_nowait", "get_nowait"))

    _plain = True

    async def put(self, item: T) -> None:
        """Put ``item`` in the queue, first waiting for room if it is full."""
        # Fast path, the same steps without the method calls: there is room,
        # so this is exactly put_nowait(item).
        if self._plain and not self._is_shutdown and (
                self._maxsize <= 0 or len(self._queue) < self._maxsize):
            self._put(item)
            self._unfinished_tasks += 1
            self._finished._value = False  # self._finished.clear()
            if self._getters:
                self._wake_next(self._getters)
            return None
        while self.full():
            if self._is_shutdown:
                raise _ShutDown
            putter = self._get_loop().create_future()
            self._putters.append(putter)
            try:
                await putter
            except BaseException:
                self._give_up_waiting(putter, self._putters, can_proceed=not self.full())
                raise
        return self.put_nowait(item)

    def put_nowait(self, item: T) -> None:
        """Put ``item`` in the queue now, or raise QueueFull."""
        if self._is_shutdown:
            raise _ShutDown
        if self.full():
            raise QueueFull
        self._put(item)
        self._unfinished_tasks += 1
        self._finished.clear()
        self._wake_next(self._getters)

    # --- getting ----------------------------------------------------------------------

    async def get(self) -> T:
        """Take the next item, first waiting for one if the queue is empty."""
        # Fast path, as in put(): an item is there, so this is get_nowait().
        if self._plain and self._queue:
            item = self._get()
            if self._putters:
                self._wake_next(self._putters)
            return item
        while self.empty():
            if self._is_shutdown:
                raise _ShutDown
            getter = self._get_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                self._give_up_waiting(getter, self._getters, can_proceed=not self.empty())
                raise
        return self.get_nowait()

    def get_nowait(self) -> T:
        """Take the next item now, or raise QueueEmpty."""
        if self.empty():
            if self._is_shutdown:
                raise _ShutDown
            raise QueueEmpty
        item = self._get()
        self._wake_next(self._putters)
        return item

    # --- waking and giving up ------------------------------------------------------------

    @staticmethod
    def _wake_next(waiters: collections.deque[Any]) -> None:
        # Pop waiters until one is still waiting, and wake it. The popped
        # ones that were done had been cancelled: their tasks clean up.
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _give_up_waiting(
        self, waiter: Any, line: collections.deque[Any], *, can_proceed: bool
    ) -> None:
        """A putter or getter is leaving with an error (usually a cancellation)."""
        waiter.cancel()  # in case it was not done: nobody may wake it now
        try:
            line.remove(waiter)
        except ValueError:
            pass  # the waker (or a shutdown) already took it off the line
        if can_proceed and not waiter.cancelled():
            # We were woken for an item (or a free slot) we will not take:
            # hand the wake-up to the next task in line.
            self._wake_next(line)

    # --- counting work ----------------------------------------------------------------------

    def task_done(self) -> None:
        """Say that one item taken from the queue has been fully processed."""
        if self._unfinished_tasks <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished_tasks -= 1
        if self._unfinished_tasks == 0:
            self._finished.set()

    async def join(self) -> None:
        """Wait until every item put in the queue has been marked done."""
        if self._unfinished_tasks > 0:
            await self._finished.wait()

    # --- shutting down (Python 3.13+) --------------------------------------------------------

    if sys.version_info >= (3, 13):

        def shutdown(self, immediate: bool = False) -> None:
            """Refuse puts from now on; gets fail once empty (at once if ``immediate``).

            Every blocked put and get is woken (to raise QueueShutDown). With
            ``immediate``, the remaining items are dropped and each counts as
            done, which may release ``join()``.
            """
            self._is_shutdown = True
            if immediate:
                while not self.empty():
                    self._get()
                    if self._unfinished_tasks > 0:
                        self._unfinished_tasks -= 1
                if self._unfinished_tasks == 0:
                    self._finished.set()
            for line in (self._getters, self._putters):
                while line:
                    waiter = line.popleft()
                    if not waiter.done():
                        waiter.set_result(None)


class PriorityQueue(Queue[T]):
    """A queue that hands out the smallest item first (a heap: use (priority, data) pairs)."""

    def _init(self, maxsize: int) -> None:
        self._queue = []

    def _put(self, item: T) -> None:
        heapq.heappush(self._queue, item)

    def _get(self) -> T:
        return heapq.heappop(self._queue)  # type: ignore[no-any-return]


class LifoQueue(Queue[T]):
    """A queue that hands out the most recently put item first (a stack)."""

    def _init(self, maxsize: int) -> None:
        self._queue = []

    def _put(self, item: T) -> None:
        self._queue.append(item)

    def _get(self) -> T:
        return self._queue.pop()  # type: ignore[no-any-return]


__all__ = ["LifoQueue", "PriorityQueue", "Queue", "QueueEmpty", "QueueFull"]
if sys.version_info >= (3, 13):
    __all__ += ["QueueShutDown"]
