"""Chapter 2, a reference solution: TinyLoop.

Two data structures do all the work. ``ready`` is a deque of handles to
run, first in, first out. ``timers`` is a heap (``heapq``) of
``(when, number, handle)`` tuples: the earliest deadline is always at
index 0, and the number, counting up, keeps equal deadlines in the order
they were armed (and spares the heap from ever comparing two handles).

A turn runs ``len(ready)`` handles, counted before it starts, so a
callback that schedules another one cannot keep the turn going for ever:
what it adds waits for the next turn, behind any timer that came due.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable
from typing import Any


class Handle:
    """A callback waiting to run; ``cancel()`` means it never will."""

    def __init__(self, callback: Callable[..., object], args: tuple[Any, ...]) -> None:
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        """Do not run the callback after all."""
        self.cancelled = True

    def run(self) -> None:
        """Run the callback, unless it was cancelled."""
        if not self.cancelled:
            self.callback(*self.args)


class TinyLoop:
    """A ready queue, a timer heap, and run_forever."""

    def __init__(self) -> None:
        self.ready: deque[Handle] = deque()
        self.timers: list[tuple[float, int, Handle]] = []
        self.numbers = itertools.count()
        self.stopping = False

    def time(self) -> float:
        """The loop's clock."""
        return time.monotonic()

    def call_soon(self, callback: Callable[..., object], *args: Any) -> Handle:
        """Run ``callback(*args)`` on the next turn."""
        handle = Handle(callback, args)
        self.ready.append(handle)
        return handle

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any) -> Handle:
        """Run ``callback(*args)`` in ``delay`` seconds."""
        return self.call_at(self.time() + delay, callback, *args)

    def call_at(self, when: float, callback: Callable[..., object], *args: Any) -> Handle:
        """Run ``callback(*args)`` once ``time()`` has reached ``when``."""
        handle = Handle(callback, args)
        heapq.heappush(self.timers, (when, next(self.numbers), handle))
        return handle

    def stop(self) -> None:
        """Make run_forever return after the current turn."""
        self.stopping = True

    def run_forever(self) -> None:
        """Run turns until stop() is called."""
        while not self.stopping:
            self.run_once()
        self.stopping = False

    def run_once(self) -> None:
        """One turn: sleep if nothing is ready, move due timers, run what is ready now."""
        if not self.ready and self.timers:
            time.sleep(max(0.0, self.timers[0][0] - self.time()))
        now = self.time()
        while self.timers and self.timers[0][0] <= now:
            self.ready.append(heapq.heappop(self.timers)[2])
        for _ in range(len(self.ready)):
            self.ready.popleft().run()
