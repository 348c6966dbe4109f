"""The loop meter: which loops ran, how many turns, how much virtual time.

``pytest --miniloop`` promises that a suite ran on miniloop; this module
keeps the evidence. It does not watch loops with an observer (that would
cost every moment of every loop something): it counts at the one place
every turn of a loop passes anyway, the clock. A loop asks its clock to
wait, for IO or a timer, once a turn (``core/clock.py``), so a clock that
adds one to a counter there counts turns for free. The plugin gives every
loop it makes such a clock:

    MeteredRealClock      real time, counted
    MeteredVirtualClock   virtual time, counted; also adds up the seconds
                          it skipped, and the jumps it made while the loop
                          was watching a socket or pipe (a peer that needs
                          real time to answer will see a timer fire first)

A metered virtual clock starts where the latest one got to (and no earlier
than the real monotonic clock), so that loop time never goes back from one
loop to the next. Its readings are then large numbers, and float rounding
would make ``loop.time() - start`` after ``sleep(0.1)`` come out a hair
under 0.1 about half the time, failing the ``elapsed >= delay`` checks that
suites written for real time make. So each jump lands a microsecond past
the timer's deadline, as on a very quick real loop.

Loops that nobody asked miniloop for stay uncounted by the clocks, so the
meter also notices loops being made:

    miniloop loops        through ``new_loop_watchers`` (``core/observer.py``)
    asyncio's own loops   through Python's audit hooks: a selector event loop
                          makes its self-pipe with ``socket.socketpair()``,
                          which raises the ``socket.__new__`` audit event; the
                          hook looks one or two frames up for asyncio's
                          ``_make_self_pipe``. (An audit hook can never be
                          removed: it does nothing while no meter is on.)

Read next: ``pytest_plugin.py``, which reads the meter around each test.
"""

from __future__ import annotations

import asyncio.selector_events
import math
import selectors
import sys
import time
import types
import weakref
from dataclasses import dataclass
from typing import Any

from miniloop.core.clock import RealClock
from miniloop.tools.virtualclock import VirtualClock

Events = list[tuple[selectors.SelectorKey, int]]  # what a clock's wait returns


# How far past its deadline a jump lands (see the docstring).
LATENESS = 1e-6


@dataclass
class Reading:
    """The meter's counters at one moment; subtract two to see what happened between."""

    turns: int = 0  # turns of metered loops
    miniloop_loops: int = 0  # miniloop loops made (metered or not)
    stock_loops: int = 0  # asyncio's own selector loops made
    virtual_seconds: float = 0.0  # loop time the virtual clocks skipped
    jumps_past_io: int = 0  # virtual jumps while a socket or pipe was watched

    def __sub__(self, earlier: Reading) -> Reading:
        return Reading(self.turns - earlier.turns,
                       self.miniloop_loops - earlier.miniloop_loops,
                       self.stock_loops - earlier.stock_loops,
                       self.virtual_seconds - earlier.virtual_seconds,
                       self.jumps_past_io - earlier.jumps_past_io)


class LoopMeter:
    """Counts what the loops of one pytest run do (see the module's docstring)."""

    def __init__(self) -> None:
        self.counts = Reading()
        # The latest reading of any virtual clock: a new one starts there or
        # later, so that loop time never goes back, even from loop to loop.
        self.latest_virtual_time = 0.0
        self.loops: weakref.WeakSet[Any] = weakref.WeakSet()  # live miniloop loops
        self._stock: weakref.WeakSet[Any] = weakref.WeakSet()

    def reading(self) -> Reading:
        """A copy of the counters now."""
        return Reading(**vars(self.counts))

    def virtual_start(self) -> float:
        """Where a new virtual clock starts: no earlier than now, nor than any other one."""
        return max(time.monotonic(), self.latest_virtual_time)

    def miniloop_loop_made(self, loop: Any) -> None:
        """A ``new_loop_watchers`` entry: count a new miniloop loop, and keep it in sight."""
        self.counts.miniloop_loops += 1
        self.loops.add(loop)

    def stock_loop_made(self, loop: Any) -> None:
        """Count one of asyncio's own loops (each once)."""
        if loop is not None and loop not in self._stock:
            self._stock.add(loop)
            self.counts.stock_loops += 1

    def start(self) -> None:
        """Notice asyncio's own loops from now on."""
        _install_audit_hook()
        _meters.append(self)

    def stop(self) -> None:
        """Stop noticing asyncio's loops."""
        if self in _meters:
            _meters.remove(self)


class MeteredRealClock(RealClock):
    """Real time, with each turn of its loop counted."""

    __slots__ = ("meter",)

    def __init__(self, meter: LoopMeter) -> None:
        self.meter = meter

    def wait(self, selector: selectors.BaseSelector, deadline: float | None) -> Events:
        """Count the turn, then wait as a real clock does."""
        self.meter.counts.turns += 1
        return super().wait(selector, deadline)


class MeteredVirtualClock(VirtualClock):
    """Virtual time, with turns, skipped seconds and jumps past watched IO counted."""

    __slots__ = ("meter", "watched_loop")

    def __init__(self, meter: LoopMeter) -> None:
        super().__init__(meter.virtual_start())
        self.meter = meter
        self.watched_loop: Any = None

    def attach(self, loop: object) -> None:
        """Remember the loop (to see what IO it watches), as a virtual clock does."""
        super().attach(loop)
        self.watched_loop = loop

    def wait(self, selector: selectors.BaseSelector, deadline: float | None) -> Events:
        """Count the turn; wait or jump as a virtual clock does; count a jump."""
        counts = self.meter.counts
        counts.turns += 1
        before = self.time()
        events = super().wait(selector, deadline)
        if not events and deadline is not None and before < deadline < math.inf:
            self.advance(LATENESS)  # it jumped to a timer: see the module's docstring
        now = self.time()
        if now > before:
            counts.virtual_seconds += now - before
            if not events and _watches_io(self.watched_loop, selector):
                counts.jumps_past_io += 1
            if now > self.meter.latest_virtual_time and now != math.inf:
                self.meter.latest_virtual_time = now
        return events


def _watches_io(loop: Any, selector: selectors.BaseSelector) -> bool:
    """True if the loop watches a descriptor other than its own wake-up pipe."""
    ssock = getattr(loop, "_ssock", None)
    self_pipe = ssock.fileno() if ssock is not None else None
    return any(key.fd != self_pipe for key in selector.get_map().values())


# --- noticing asyncio's own loops ------------------------------------------------------------

_meters: list[LoopMeter] = []  # the meters on now (pytester can nest pytest runs)
_hook_installed = False

# asyncio's selector loops make their self-pipe here; a private name of
# asyncio's, so looked up with care: without it, stock loops go uncounted.
_MAKE_SELF_PIPE = getattr(getattr(asyncio.selector_events.BaseSelectorEventLoop,
                                  "_make_self_pipe", None), "__code__", None)


def _install_audit_hook() -> None:
    global _hook_installed
    if not _hook_installed and _MAKE_SELF_PIPE is not None:
        sys.addaudithook(_notice_stock_loops)
        _hook_installed = True


def _notice_stock_loops(event: str, args: tuple[Any, ...]) -> None:
    """The audit hook: a socket made inside asyncio's ``_make_self_pipe`` is a new loop."""
    if event != "socket.__new__" or not _meters:
        return
    frame: types.FrameType | None = sys._getframe(1)
    # socket.__init__ <- socketpair <- _make_self_pipe: a few frames up at most.
    for _ in range(4):
        if frame is None:
            return
        if frame.f_code is _MAKE_SELF_PIPE:
            loop = frame.f_locals.get("self")
            for meter in _meters:
                meter.stock_loop_made(loop)
            return
        frame = frame.f_back
