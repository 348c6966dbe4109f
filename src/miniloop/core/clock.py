"""Clocks: what "now" means to the loop, and how long it may sleep.

An event loop spends its idle moments asleep inside the selector, waiting
either for a file descriptor to become ready or for the next timer to come
due. The loop only ever asks two questions about time:

    what time is it?                       clock.time()
    wait for IO, but at most this long     clock.wait(selector, deadline)

Answer them with the real monotonic clock and you get a normal event loop.
Answer them with a *virtual* clock (``tools/virtualclock.py``) and you get
a loop where sleeping costs nothing: when nothing can happen before the
next timer, the clock jumps forward to it. The loop never knows which
clock it has. That is the whole trick, and this module is the seam.

A loop made without a clock gets ``new_clock()``: real time, unless a tool
(``virtual_time()``) chose another factory for the loops made meanwhile.

Read next: ``loop.py``, the loop that asks these questions, if you came
here first; after the core, ``contract/`` (what asyncio programs can
observe), the toolkit (``toolkit/``) or the tour in ``docs/``.
"""

import math
import selectors
import time
from collections.abc import Callable
from typing import Protocol

Events = list[tuple[selectors.SelectorKey, int]]

# A deadline that has always passed already: "poll the selector, don't sleep".
POLL = -math.inf

# asyncio never sleeps longer than a day in one go; neither do we, so that a
# far-away timer cannot overflow the selector's timeout argument.
MAX_SLEEP = 24 * 3600.0


class Clock(Protocol):
    """What the loop needs from a clock."""

    # Two readings closer than this may look equal: the loop fires every
    # timer due before now + resolution.
    resolution: float

    def time(self) -> float:
        """The current time, in seconds, on a clock that never goes back."""

    def wait(self, selector: selectors.BaseSelector, deadline: float | None) -> Events:
        """Wait for IO events until ``deadline`` at the latest (None: forever)."""

    def attach(self, loop: object) -> None:
        """Called once by the loop that will use this clock."""

    def arming_order(self) -> int:
        """A number for the timer being armed: equal deadlines come due in its order."""


class RealClock:
    """Wall time as asyncio sees it: ``time.monotonic`` and a real sleep."""

    resolution = time.get_clock_info("monotonic").resolution
    time = staticmethod(time.monotonic)

    def wait(self, selector: selectors.BaseSelector, deadline: float | None) -> Events:
        """Sleep in the selector until IO arrives or the deadline passes."""
        if deadline is None:
            return selector.select(None)
        return selector.select(min(max(0.0, deadline - time.monotonic()), MAX_SLEEP))

    def attach(self, loop: object) -> None:
        """A real clock needs nothing from its loop."""

    def arming_order(self) -> int:
        """0 for every timer: equal deadlines keep the heap's order, as in asyncio."""
        return 0


_clock_factory: Callable[[], Clock] = RealClock


def new_clock() -> Clock:
    """The clock for a loop made without one: real, unless a tool chose otherwise."""
    return _clock_factory()


def set_clock_factory(factory: Callable[[], Clock]) -> Callable[[], Clock]:
    """Make ``new_clock()`` call ``factory`` from now on; return the previous one."""
    global _clock_factory
    previous, _clock_factory = _clock_factory, factory
    return previous
