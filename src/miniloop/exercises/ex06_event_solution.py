"""Chapter 6, a reference solution: Event, a flag tasks can wait for.

The line of futures is the whole mechanism. ``set()`` gives every future
in the line a result; each waiting task is then put back on the ready
queue by its future's done callback, in the order it started waiting.
A waiter that was cancelled has a cancelled future, which ``set()``
skips; the ``finally`` in ``wait()`` takes every finished waiter out of the
line, cancelled or not.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any


class Event:
    """A flag tasks can wait for: ``set()`` wakes every waiter."""

    def __init__(self) -> None:
        self._flag = False
        self._waiters: deque[asyncio.Future[Any]] = deque()

    def is_set(self) -> bool:
        """True while the flag is up."""
        return self._flag

    def set(self) -> None:
        """Raise the flag and wake every waiter."""
        if self._flag:
            return
        self._flag = True
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(True)

    def clear(self) -> None:
        """Lower the flag."""
        self._flag = False

    async def wait(self) -> bool:
        """Return True once the flag is up (at once, if it already is)."""
        if self._flag:
            return True
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
            return True
        finally:
            self._waiters.remove(waiter)
