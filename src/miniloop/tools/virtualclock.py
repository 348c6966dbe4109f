"""Virtual time: a clock that jumps instead of sleeping.

The loop asks its clock two questions (``core/clock.py``): what time is
it, and "wait for IO, but at most until this deadline". A real clock
answers with ``time.monotonic`` and a real sleep in the selector. This
clock answers differently: when nothing can happen before the next timer,
it does not sleep at all, it *jumps* to the timer's deadline. ``await
sleep(3600)`` then takes microseconds, yet ``loop.time()`` still moves by
exactly one hour, and every timer fires in the order it would have fired
for real.

It is a tool, not part of the loop: it plugs into the clock seam the core
declares, and the loop runs exactly the same code with either clock.

    miniloop.run(main(), clock=VirtualClock())     # one loop
    with miniloop.virtual_time(): ...              # every loop made inside

Read next: ``deadlock.py``, which also helps a loop that would wait for ever.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import selectors
import time
from collections.abc import Iterator

from miniloop.core import clock
from miniloop.core.clock import MAX_SLEEP, Events

# The loop fires every timer due before ``now + resolution``. A timer due
# exactly now must fire, so a virtual clock cannot say 0; a nanosecond is
# also what the real monotonic clock reports on Linux.
VIRTUAL_RESOLUTION = 1e-9


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
    resolution = VIRTUAL_RESOLUTION  # the loop's "due" margin: see the top of the module

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

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (never backwards)."""
        if not seconds >= 0:
            raise ValueError(f"cannot move a clock backwards (by {seconds!r} s)")
        self._now += seconds

    def wait(self, selector: selectors.BaseSelector, deadline: float | None) -> Events:
        """Poll the selector; if nothing is ready, jump to the deadline."""
        if deadline == math.inf:
            deadline = None  # sleep(math.inf): a timer that never comes due
        # Ask before polling: a thread that finishes its job between the two
        # has woken the selector already, and the poll sees it.
        work_pending = self._outside_work_pending()
        events = selector.select(0)
        if deadline is not None and deadline <= self._now:
            self._make_due(deadline)  # work is waiting, or the timer is due: no jump
            return events
        if events:
            return events
        if deadline is None or work_pending:
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
    previous = clock.set_clock_factory(lambda: VirtualClock(start))
    try:
        yield
    finally:
        clock.set_clock_factory(previous)
