"""Timers armed, cancelled and forgotten in one frame each: aiohttp's timeouts.

A sleep's timer comes due. A *timeout's* timer almost never does: aiohttp
arms one for every request (``loop.call_at``, rounded up to the second,
so that many share a deadline) and cancels it as soon as the answer is
in. On the fast loop of ``loop.py`` that round trip costs nine Python
frames, about as many as a task's step. Each speed-up below replaces one
named piece of ``core/loop.py`` (through the contract's classes, so that
reprs stay asyncio's) with the same steps in one frame:

* **call_at in one frame** (``TimersMixin.call_at``). Plain: the
  contract's ``call_at`` (its checks), the core's, the clock's
  ``arming_order()`` and the TimerHandle's ``__init__`` chain. Here: one,
  and the real clock's order (always 0) is not asked for. ``call_later``
  adds the time. A watched loop (debug mode, a tool) takes the plain
  steps, which tell the observer.
* **a timer cancelled in one frame** (``TimerHandle.cancel``). Plain:
  the contract's ``cancel`` (debug mode's repr), the core TimerHandle's
  (the heap's count of cancelled timers), the core Handle's (drop the
  callback), and the loop's ``_timer_handle_cancelled``: four frames.
  Here: one, outside debug mode and with nobody watching.
* **compared in one frame** (``TimerHandle.__lt__``). aiohttp's timers
  share deadlines, and the heap's tuples ``(when, order, timer)`` then
  compare the timers themselves. Plain: the contract's ``__lt__`` checks
  the type and calls the core's: two frames. Here: one.
* **cancelled timers forgotten in one frame**
  (``TimersMixin._forget_cancelled_timers``). The fast turn asks for this
  whenever a cancelled timer waits in the heap, which with aiohttp is
  every turn (a cancelled timeout waits there until its deadline reaches
  the top). Fast ``loop.py``: its check for a sweep, then the core's
  loop: two frames. Here: one; a sweep is still ``loop.py``'s.
* **a sleep's timer shares one empty context** (``_SLEEP_CONTEXT``).
  Plain: ``call_at`` copies the caller's context for every timer. The
  callback of a sleep's timer (``set_result_unless_cancelled``,
  miniloop's or asyncio's) reads no context variable, and the timer is
  never handed to the program, so the fast loop gives all of them one
  empty context: 64 bytes and a copy less per sleeping task (measured
  with ``loop.py``'s first round).

Nothing changes in what a program sees: the same timers, the same heap
entries in the same order, the same counts (``tests/test_fast_timers.py``
runs timers and aiohttp on the plain loop and this one and compares).
Measured with the mixin stacked on ``FastLoop`` (``python -m bench
--instructions --workloads http --scale 0.5``, CPython 3.11): ``http``
536,966 -> 526,898 instructions per request (asyncio: 519,257).

``../assembly.py`` stacks ``TimersMixin`` on ``FastLoop``.

Read next: ``readiness.py`` in this folder.
"""

from __future__ import annotations

import asyncio.futures
import contextvars
import heapq
from typing import Any

from miniloop.contract import objects
from miniloop.core import loop as core_loop
from miniloop.core.clock import RealClock
from miniloop.core.futures import set_result_unless_cancelled
from miniloop.fast.loop import SWEEP_MIN_CANCELLED_FRACTION, SWEEP_MIN_TIMERS

_new_object = object.__new__
_heappush = heapq.heappush
_heappop = heapq.heappop
_CoreTimerHandle = core_loop.TimerHandle

# The callbacks of sleeps' timers: they only set a future's result.
_SLEEP_CALLBACKS = frozenset({set_result_unless_cancelled,
                              getattr(asyncio.futures, "_set_result_unless_cancelled", None)})
# ... and the one context they all run in (they read no variable).
_SLEEP_CONTEXT = contextvars.Context()


class TimerHandle(objects.TimerHandle):
    """The contract's TimerHandle, cancelled and compared in one frame."""

    __slots__ = ()

    def cancel(self) -> None:
        """Do not run the callback; the heap forgets it lazily."""
        if self._cancelled:
            return
        loop = self._loop
        if loop._debug or loop.observer is not None:
            super().cancel()  # debug mode's repr, the tools' moment: the plain steps
            return
        if self._scheduled:  # loop._timer_handle_cancelled(self), inline
            loop._cancelled_timers += 1
        self._cancelled = True
        self._callback = self._args = None

    def __lt__(self, other: object) -> bool:
        # The contract's check and the core's comparison, in one frame.
        if isinstance(other, _CoreTimerHandle):
            return self._when < other._when
        return NotImplemented


class TimersMixin:
    """``call_at``, ``call_later`` and the heap's clean-up, in one frame each.

    Stacked above ``FastLoopMixin``: anything it does not take (debug
    mode, a closed loop, a watching tool) goes on to the contract's and
    the core's steps.
    """

    _debug: bool
    _closed: bool
    _clock: Any
    _timers: list[tuple[float, int, Any]]
    _cancelled_timers: int
    observer: Any

    def call_at(self, when: float, callback: Any, *args: Any, context: Any = None) -> Any:
        """Run ``callback(*args)`` when ``loop.time()`` reaches ``when``."""
        if self._debug or self._closed or when is None or self.observer is not None:
            return super().call_at(  # type: ignore[misc]
                when, callback, *args, context=context)
        # core/loop.py: CoreLoop.call_at, with the TimerHandle filled in here.
        timer: Any = _new_object(TimerHandle)
        timer._callback = callback
        timer._args = args
        timer._loop = self
        if context is None:
            context = (_SLEEP_CONTEXT if callback in _SLEEP_CALLBACKS
                       else contextvars.copy_context())
        timer._context = context
        timer._cancelled = False
        timer._source_traceback = None
        timer._when = when
        clock = self._clock
        timer._order = order = 0 if type(clock) is RealClock else clock.arming_order()
        timer._scheduled = True
        _heappush(self._timers, (when, order, timer))
        return timer

    def call_later(self, delay: float, callback: Any, *args: Any, context: Any = None) -> Any:
        """Run ``callback(*args)`` after ``delay`` seconds."""
        if delay is None:  # the plain steps say what is wrong with it
            return super().call_later(delay, callback, *args, context=context)
        return self.call_at(self.time() + delay, callback, *args,  # type: ignore[attr-defined]
                            context=context)

    def _forget_cancelled_timers(self) -> None:
        timers = self._timers
        if (len(timers) > SWEEP_MIN_TIMERS  # loop.py's rule for a sweep: it sweeps
                and self._cancelled_timers > len(timers) * SWEEP_MIN_CANCELLED_FRACTION):
            super()._forget_cancelled_timers()  # type: ignore[misc]
            return
        # core/loop.py: CoreLoop._forget_cancelled_timers, in this frame.
        while timers and timers[0][2]._cancelled:
            self._cancelled_timers -= 1
            _heappop(timers)[2]._scheduled = False
