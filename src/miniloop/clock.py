"""Clocks: what "now" means to the loop, and how long it may sleep.

An event loop spends its idle moments asleep inside the selector, waiting
either for a file descriptor to become ready or for the next timer to come
due. The loop only ever asks two questions about time:

    what time is it?                       clock.time()
    wait for IO, but at most this long     clock.wait(selector, timeout)

Answer them with the real monotonic clock and you get a normal event loop.
Answer them with a *virtual* clock and you get a loop where sleeping costs
nothing: when nothing can happen before the next timer, the virtual clock
simply jumps forward to it. ``await sleep(3600)`` then takes microseconds,
yet ``loop.time()`` still moves by exactly one hour.

The loop never knows which clock it has. That is the whole trick.

Read next: ``loop.py``, the loop that asks these questions.
"""

from __future__ import annotations

import math
import selectors
import time
from typing import Protocol

Events = list[tuple[selectors.SelectorKey, int]]

# A deadline that has always passed already: "poll the selector, don't sleep".
POLL = -math.inf

# asyncio never sleeps longer than a day in one go; neither do we, so that a
# far-away timer cannot overflow the selector's timeout argument.
MAX_SLEEP = 24 * 3600.0


class Clock(Protocol):
    """What the loop needs from a clock."""

    def time(self) -> float:
        """The current time, in seconds, on a clock that never goes back."""
        ...

    def wait(self, selector: selectors.BaseSelector, deadline: float | None) -> Events:
        """Wait for IO events until ``deadline`` at the latest (None: forever)."""
        ...

    def attach(self, loop: object) -> None:
        """Called once by the loop that will use this clock."""
        ...

    @property
    def resolution(self) -> float:
        """Two readings closer than this may look equal."""
        ...


class RealClock:
    """Wall time as asyncio sees it: ``time.monotonic`` and a real sleep."""

    __slots__ = ()

    time = staticmethod(time.monotonic)

    def wait(self, selector: selectors.BaseSelector, deadline: float | None) -> Events:
        """Sleep in the selector until IO arrives or the deadline passes."""
        if deadline is None:
            return selector.select(None)
        timeout = min(max(0.0, deadline - time.monotonic()), MAX_SLEEP)
        return selector.select(timeout)

    def attach(self, loop: object) -> None:
        """A real clock needs nothing from its loop."""

    @property
    def resolution(self) -> float:
        """How far apart two readings of this clock can be and still look equal."""
        return time.get_clock_info("monotonic").resolution


class VirtualClock:
    """Simulated time: jumps to the next timer instead of sleeping.

    Before jumping, the clock still polls the selector (without blocking), so
    IO that is already ready is never skipped. It only jumps when the loop
    has nothing else to do: no ready callbacks (the loop then passes a
    deadline in the past and the clock does not move), no ready IO, and no
    work running in other threads that could call back into the loop.
    """

    __slots__ = ("_loop", "_now")

    def __init__(self, start: float = 0.0) -> None:
        if not start >= 0:
            raise ValueError(f"a virtual clock starts at 0 or later, not {start!r}")
        self._now = float(start)
        self._loop: object = None

    def time(self) -> float:
        """The simulated time: moves only when the loop would have slept."""
        return self._now

    def attach(self, loop: object) -> None:
        """Remember the loop, to ask it whether other threads are busy for it."""
        self._loop = loop

    @property
    def resolution(self) -> float:
        """Virtual time is exact: two equal readings are the same instant."""
        return 0.0

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (never backwards)."""
        if not seconds >= 0:
            raise ValueError(f"cannot move a clock backwards (by {seconds!r} s)")
        self._now += seconds

    def wait(self, selector: selectors.BaseSelector, deadline: float | None) -> Events:
        """Poll the selector; if nothing is ready, jump to the deadline."""
        events = selector.select(0)
        if events or (deadline is not None and deadline <= self._now):
            return events
        if deadline is None or self._outside_work_pending():
            # Only something outside the loop can wake it now (another thread,
            # a signal, a peer process): wait for it for real, and let real
            # time count as virtual time.
            real_start = time.monotonic()
            timeout = None if deadline is None else min(deadline - self._now, MAX_SLEEP)
            events = selector.select(timeout)
            if events or deadline is None:
                self._now += time.monotonic() - real_start
                return events
        # Jump to the deadline itself, not to now + timeout: float rounding
        # could otherwise leave us a hair short of the timer, forever.
        self._now = max(self._now, deadline)
        return events

    def _outside_work_pending(self) -> bool:
        pending = getattr(self._loop, "_outside_work_pending", None)
        return bool(pending()) if callable(pending) else False
