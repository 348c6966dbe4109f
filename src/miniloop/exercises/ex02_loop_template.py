"""Chapter 2 exercise: TinyLoop, a queue of callbacks and a heap of timers.

Fill in the methods of ``TinyLoop`` below, then check it:

    python -m miniloop.exercises 2 this_file.py

``Handle`` is written for you: a callback, its arguments, and a flag.
"""

from __future__ import annotations

import heapq  # noqa: F401  (you will want it for the timers)
import itertools  # noqa: F401  (a counter breaks ties between equal deadlines)
import time
from collections import deque  # noqa: F401  (the ready queue)
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
        raise NotImplementedError("write __init__: a ready deque, a timer heap, a stop flag")

    def time(self) -> float:
        """The loop's clock."""
        return time.monotonic()

    def call_soon(self, callback: Callable[..., object], *args: Any) -> Handle:
        """Run ``callback(*args)`` on the next turn."""
        raise NotImplementedError

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any) -> Handle:
        """Run ``callback(*args)`` in ``delay`` seconds."""
        raise NotImplementedError

    def call_at(self, when: float, callback: Callable[..., object], *args: Any) -> Handle:
        """Run ``callback(*args)`` once ``time()`` has reached ``when``."""
        raise NotImplementedError

    def stop(self) -> None:
        """Make run_forever return after the current turn."""
        raise NotImplementedError

    def run_forever(self) -> None:
        """Run turns until stop() is called."""
        raise NotImplementedError

    def run_once(self) -> None:
        """One turn: sleep if nothing is ready, move due timers, run what is ready now."""
        raise NotImplementedError
