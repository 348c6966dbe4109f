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

A loop made without a clock gets ``new_clock()``: real time, unless the
program (or a test) said ``with virtual_time(): ...``, which makes every
loop built inside run on a clock of its own that jumps.

Read next: ``loop.py``, the loop that asks these questions, if you came
here first; after the core, ``contract/`` (what asyncio programs can
observe), the toolkit (``toolkit/``) or the tour in ``docs/``.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import selectors
import time
from collections.abc import Callable, Iterator
from typing import Protocol

Events = list[tuple[selectors.SelectorKey, int]]

# A deadline that has always passed already: "poll the selector, don't sleep".
POLL = -math.inf

# asyncio never sleeps longer than a day in one go; neither do we, so that a
# far-away timer cannot overflow the selector's timeout argument.
MAX_SLEEP = 24 * 3600.0

# The loop fires every timer due before ``now + resolution``. A timer due
# exactly now must fire, so a virtual clock cannot say 0; a nanosecond is
# also what the real monotonic clock reports on Linux.
VIRTUAL_RESOLUTION = 1e-9


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

    def arming_order(self) -> int:
        """A number for the timer being armed: equal deadlines come due in its order."""
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

    def arming_order(self) -> int:
        """0 for every timer: equal deadlines keep the heap's order, as in asyncio."""
        return 0

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
    work running in other threads that could call back into the loop. When
    it does jump, it lands exactly on the timer's deadline, so ``loop.time()``
    moves by exactly the sum of the sleeps: ``sleep(1)`` three times in a row
    reads 3.0, never 3.0000012.

    Equal deadlines are the one subtle point. Under real time, two timers
    armed one after the other get different deadlines (the clock moved a
    little in between), so they come due in the order they were armed.
    Under virtual time the clock stands still between jumps, deadlines
    collide, and a heap alone would order equal deadlines as it pleases.
    So this clock numbers the timers of its loop as they are armed
    (``arming_order``), and equal deadlines come due in that order: the
    same order as real time would give. (A real clock gives every timer 0,
    and equal deadlines then keep the order of asyncio's heap.)

    Differences from real time worth knowing: a timer never fires late, so
    code that measures lateness sees none; and a program waiting for a
    peer over the network while a timer is pending sees the timer fire at
    once, since nothing is ready *now* (local IO, threads and executors are
    waited for normally).
    """

    __slots__ = ("_armed", "_loop", "_now")

    def __init__(self, start: float = 0.0) -> None:
        if not start >= 0:
            raise ValueError(f"a virtual clock starts at 0 or later, not {start!r}")
        self._now = float(start)
        self._loop: object = None
        self._armed = itertools.count()

    def time(self) -> float:
        """The simulated time: moves only when the loop would have slept."""
        return self._now

    def attach(self, loop: object) -> None:
        """Remember the loop, to ask whether other threads are busy for it."""
        self._loop = loop

    def arming_order(self) -> int:
        """The next number: equal deadlines come due in the order they were armed."""
        return next(self._armed)

    @property
    def resolution(self) -> float:
        """The loop's "due" margin: a timer due before now + this fires now."""
        return VIRTUAL_RESOLUTION

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (never backwards)."""
        if not seconds >= 0:
            raise ValueError(f"cannot move a clock backwards (by {seconds!r} s)")
        self._now += seconds

    def wait(self, selector: selectors.BaseSelector, deadline: float | None) -> Events:
        """Poll the selector; if nothing is ready, jump to the deadline."""
        if deadline == math.inf:
            deadline = None  # sleep(math.inf): a timer that never comes due
        events = selector.select(0)
        if deadline is not None and deadline <= self._now:
            self._make_due(deadline)  # work is waiting, or the timer is due: no jump
            return events
        if events:
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
        self._make_due(deadline)
        return events

    def _make_due(self, deadline: float) -> None:
        # Jump to the deadline itself, not to now + timeout: float rounding
        # could otherwise leave us a hair short of the timer, forever. And
        # the loop must see the timer as due (deadline < now + resolution).
        # Beyond about 2**23 s (97 days) a nanosecond is below the precision
        # of a float and vanishes in that sum: then step one float further.
        now = max(self._now, float(deadline))  # call_at(5) must not make time an int
        if not deadline < now + VIRTUAL_RESOLUTION:
            now = math.nextafter(now, math.inf)
        self._now = now

    def _outside_work_pending(self) -> bool:
        pending = getattr(self._loop, "_outside_work_pending", None)
        return bool(pending()) if callable(pending) else False


# --- which clock a new loop gets ---------------------------------------------------

_clock_factory: Callable[[], Clock] = RealClock


def new_clock() -> Clock:
    """The clock for a loop made without one: real, unless ``virtual_time()`` is active."""
    return _clock_factory()


@contextlib.contextmanager
def virtual_time(start: float = 0.0) -> Iterator[None]:
    """Run every loop made inside this block on its own ``VirtualClock``.

    Timing-dependent code becomes instant and deterministic::

        with miniloop.virtual_time():
            miniloop.run(main())        # sleep(3600) returns at once

    It also works as a decorator (``@miniloop.virtual_time()``), and in a
    pytest fixture::

        @pytest.fixture
        def virtual_time():
            with miniloop.virtual_time():
                yield

    It affects loops made without an explicit clock: ``miniloop.run``,
    ``miniloop.Loop()``, and ``asyncio.run`` once ``miniloop.use_miniloop()``
    is in force. Loops made in other threads meanwhile are affected too.
    """
    global _clock_factory
    previous = _clock_factory
    _clock_factory = lambda: VirtualClock(start)  # noqa: E731 - a one-line factory
    try:
        yield
    finally:
        _clock_factory = previous
