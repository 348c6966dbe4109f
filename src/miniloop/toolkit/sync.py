"""Synchronisation: Event, Lock, Condition, Semaphore and Barrier, made of futures.

Every object in this module is the same idea in a different costume: a
line of waiting futures.

    to wait    make a fresh future, append it to the line, await it
    to wake    set_result on a future in the line (the first one, or all)

Setting a future's result does not run the waiter at once: its task is put
on the ready queue and runs on the loop's next turn. That delay is where all
the subtlety lives. Between "woken" and "running", anything can happen to
the waiter; above all, it can be *cancelled*. A waiter cancelled after its
wake-up was already sent must not swallow it: it passes the wake-up on to
the next in line, or a lock would stay free with a queue of sleepers behind
it. Each class below says how it hands a wake-up on.

Fairness comes from the line: waiters are woken first come, first served.
A Lock even refuses a newcomer while earlier waiters are still queued,
unless all of them have given up (been cancelled).

Python 3.13 reworked two of these in ways a program can observe, and
miniloop follows the Python it runs on:

* ``Semaphore.acquire``: a woken waiter that finds permits left over keeps
  waking waiters while there are permits (3.11 and 3.12 wake just one).
* ``Condition.wait``: a waiter that leaves with an error (it was cancelled)
  notifies another waiter in its place, and re-raises the most recent
  CancelledError itself (3.11 and 3.12 raise a fresh, message-less one).

Objects here are not given a loop. Each binds to the running loop the first
time it has to wait, and refuses any other loop afterwards, with asyncio's
message. They ask the loop for futures (``loop.create_future()``), so they
work on miniloop's loop with miniloop's or asyncio's tasks, and on asyncio's
own loop too.

The exception classes are asyncio's (``asyncio.BrokenBarrierError``), so
``except`` clauses written for asyncio catch miniloop's errors.

Reprs spell the class as asyncio does (``<asyncio.locks.Lock object at 0x...
[unlocked]>``): programs print these objects, and a transcript should read
the same on both backends. A subclass you write shows its own name.

Read next: ``queues.py`` (a queue is a list of items plus two lines of waiters).
"""

from __future__ import annotations

import asyncio
import collections
import enum
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from miniloop.core import events
from miniloop.core.events import CancelledError

T = TypeVar("T")

BrokenBarrierError = asyncio.BrokenBarrierError

# The module name asyncio's sync objects show in their reprs.
_ASYNCIO_MODULE = "asyncio.locks"

# Python 3.13 changed how Semaphore and Condition hand on wake-ups.
_WAKE_ALL_PERMITS = sys.version_info >= (3, 13)
_CONDITION_PASSES_ON_NOTIFY = sys.version_info >= (3, 13)

# Only the first use of an object binds it; this lock makes "first" well
# defined when two threads race to be first (each with its own loop).
_binding_lock = threading.Lock()


class LoopBound:
    """Base for objects that bind to the running loop when first used.

    asyncio contract: asyncio's sync objects keep their loop in ``_loop``
    and look it up through ``_get_loop()``; tests and subclasses use both.
    """

    _loop: Any = None

    def _get_loop(self) -> Any:
        running = events._get_running_loop()
        if self._loop is None:
            with _binding_lock:
                if self._loop is None:
                    self._loop = running
        if running is not self._loop:
            raise RuntimeError(f"{self!r} is bound to a different event loop")
        return running


def _object_name(obj: object) -> str:
    """The ``module.Class object at 0x...`` part of a default repr, asyncio-spelled."""
    cls = type(obj)
    module = _ASYNCIO_MODULE if cls.__module__ == __name__ else cls.__module__
    return f"{module}.{cls.__qualname__} object at {id(obj):#x}"


def _describe(obj: object, state: str, waiters: collections.deque[Any]) -> str:
    """``<asyncio.locks.Lock object at 0x... [locked, waiters:2]>``."""
    if waiters:
        state = f"{state}, waiters:{len(waiters)}"
    return f"<{_object_name(obj)} [{state}]>"


class _AcquireReleaseBlock:
    """``async with obj:`` means ``await obj.acquire()`` ... ``obj.release()``."""

    async def acquire(self) -> bool:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> None:
        await self.acquire()
        # Like asyncio, the block's "as" target is None, not the lock.

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


# --- Event ---------------------------------------------------------------------


class Event(LoopBound):
    """A flag tasks can wait for: ``set()`` wakes every waiter at once."""

    def __init__(self) -> None:
        self._waiters: collections.deque[Any] = collections.deque()
        self._value = False

    def __repr__(self) -> str:
        return _describe(self, "set" if self._value else "unset", self._waiters)

    def is_set(self) -> bool:
        """True while the flag is set."""
        return self._value

    def set(self) -> None:
        """Set the flag and wake every waiter; later waits return at once."""
        if self._value:
            return
        self._value = True
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(True)

    def clear(self) -> None:
        """Lower the flag; waits after this block until the next ``set()``."""
        self._value = False

    async def wait(self) -> bool:
        """Return True as soon as the flag is set (at once if it already is)."""
        if self._value:
            return True
        waiter = self._get_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
            return True
        finally:
            self._waiters.remove(waiter)


# --- Lock ----------------------------------------------------------------------


class Lock(_AcquireReleaseBlock, LoopBound):
    """Mutual exclusion between tasks; waiters get the lock first come, first served.

    Use ``async with lock: ...``. The lock is not owned: any task may
    release it. Releasing an unlocked lock raises RuntimeError.
    """

    def __init__(self) -> None:
        self._waiters: collections.deque[Any] = collections.deque()
        self._locked = False

    def __repr__(self) -> str:
        return _describe(self, "locked" if self._locked else "unlocked", self._waiters)

    def locked(self) -> bool:
        """True while some task holds the lock."""
        return self._locked

    async def acquire(self) -> bool:
        """Wait until the lock is free and take it; return True."""
        waiters = self._waiters
        # Fairness: a newcomer may take a free lock only if nobody is queued,
        # or everyone queued has been cancelled and is about to leave.
        if not self._locked and (
            not waiters or all(waiter.cancelled() for waiter in waiters)
        ):
            self._locked = True
            return True

        waiter = self._get_loop().create_future()
        waiters.append(waiter)
        try:
            try:
                await waiter
            finally:
                waiters.remove(waiter)
        except CancelledError:
            # We may have been woken and cancelled in the same turn: the
            # release meant for us must go to the next waiter instead. (If
            # the lock is taken, its holder's release will do that.)
            if not self._locked:
                self._wake_first_waiter()
            raise

        self._locked = True
        return True

    def release(self) -> None:
        """Free the lock and wake the first waiter, if any."""
        if not self._locked:
            raise RuntimeError("Lock is not acquired.")
        self._locked = False
        self._wake_first_waiter()

    def _wake_first_waiter(self) -> None:
        # Only the head of the line is woken. If it is done already, it
        # was woken or cancelled earlier, and its task will take the lock
        # or pass the wake-up on when it runs: do nothing now.
        if self._waiters:
            first = self._waiters[0]
            if not first.done():
                first.set_result(True)


# --- Condition -----------------------------------------------------------------


class Condition(_AcquireReleaseBlock, LoopBound):
    """Wait, while holding a lock, until another task says something changed.

    ``wait()`` releases the lock, sleeps until ``notify()``, and takes the
    lock back before returning, always, even when cancelled.
    """

    def __init__(self, lock: Any = None) -> None:
        # ``lock`` may be a miniloop Lock, an asyncio.Lock, or anything alike.
        if lock is None:
            lock = Lock()
        self._lock = lock
        # The condition's acquire/release/locked *are* its lock's: asyncio
        # shares the bound methods, and so do we (one less call per use).
        self.locked: Callable[[], bool] = lock.locked
        self.acquire: Callable[[], Any] = lock.acquire
        self.release: Callable[[], None] = lock.release
        self._waiters: collections.deque[Any] = collections.deque()

    def __repr__(self) -> str:
        return _describe(self, "locked" if self.locked() else "unlocked", self._waiters)

    if _CONDITION_PASSES_ON_NOTIFY:

        async def wait(self) -> bool:
            """Release the lock, wait for a notify, re-acquire; return True."""
            if not self.locked():
                raise RuntimeError("cannot wait on un-acquired lock")
            waiter = self._get_loop().create_future()
            self.release()
            try:
                try:
                    await self._park(waiter)
                    return True
                finally:
                    await self._take_lock_back(keep_last_cancellation=True)
            except BaseException:
                # We may leave with a notification we will never act on:
                # give one to somebody else. A spare one is harmless, since
                # callers re-check their predicate after every wait.
                self._notify(1)
                raise

    else:

        async def wait(self) -> bool:
            """Release the lock, wait for a notify, re-acquire; return True."""
            if not self.locked():
                raise RuntimeError("cannot wait on un-acquired lock")
            self.release()
            try:
                await self._park(self._get_loop().create_future())
                return True
            finally:
                await self._take_lock_back(keep_last_cancellation=False)

    async def _park(self, waiter: Any) -> None:
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            self._waiters.remove(waiter)

    async def _take_lock_back(self, *, keep_last_cancellation: bool) -> None:
        # The caller entered holding the lock and must leave holding it, so
        # cancellations while re-acquiring are noted and acquiring retried.
        # Only CancelledError is retried: other errors would spin for ever.
        cancellation: CancelledError | None = None
        while True:
            try:
                await self.acquire()
                break
            except CancelledError as exc:
                cancellation = exc
        if cancellation is not None:
            if keep_last_cancellation:
                try:
                    raise cancellation
                finally:
                    cancellation = None  # no frame -> exception -> frame cycle
            # Up to 3.12 asyncio raises a new CancelledError: the message
            # the canceller gave is lost, and programs can see that.
            raise CancelledError

    async def wait_for(self, predicate: Callable[[], T]) -> T:
        """Wait until ``predicate()`` is true; return its last value."""
        result = predicate()
        while not result:
            await self.wait()
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        """Wake up to ``n`` waiters (the lock must be held)."""
        if not self.locked():
            raise RuntimeError("cannot notify on un-acquired lock")
        self._notify(n)

    def _notify(self, n: int) -> None:
        woken = 0
        for waiter in self._waiters:
            if woken >= n:
                break
            if not waiter.done():
                woken += 1
                waiter.set_result(False)

    def notify_all(self) -> None:
        """Wake every waiter (the lock must be held)."""
        self.notify(len(self._waiters))


# --- Semaphore -----------------------------------------------------------------


class Semaphore(_AcquireReleaseBlock, LoopBound):
    """A counter of permits: ``acquire()`` takes one (waiting if none), ``release()`` returns one.

    Waiters are served first come, first served: a newcomer waits while
    earlier waiters are queued, even if a permit is free.
    """

    def __init__(self, value: int = 1) -> None:
        if value < 0:
            raise ValueError("Semaphore initial value must be >= 0")
        self._waiters: collections.deque[Any] = collections.deque()
        self._value = value

    def __repr__(self) -> str:
        state = "locked" if self.locked() else f"unlocked, value:{self._value}"
        return _describe(self, state, self._waiters)

    def locked(self) -> bool:
        """True if ``acquire()`` would have to wait now."""
        if self._value == 0:
            return True
        waiters = self._waiters
        if not waiters:
            return False
        # Permits are free, but someone is still queued for one: wait in line.
        return any(not waiter.cancelled() for waiter in waiters)

    async def acquire(self) -> bool:
        """Take a permit, waiting in line if there is none (or others are queued)."""
        if not self.locked():
            self._value -= 1
            return True

        waiters = self._waiters
        waiter = self._get_loop().create_future()
        waiters.append(waiter)
        # A waiter is woken by _wake_next, which takes the permit for it
        # (value -= 1) before it runs. So a woken waiter that is cancelled
        # before it runs must give that permit back.
        if _WAKE_ALL_PERMITS:
            try:
                try:
                    await waiter
                finally:
                    waiters.remove(waiter)
            except CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._value += 1
                raise
            finally:
                # Newcomers may have queued behind us while permits were
                # free: wake as many of them as there are permits.
                while self._value > 0 and self._wake_next():
                    pass
            return True

        try:
            try:
                await waiter
            finally:
                waiters.remove(waiter)
        except CancelledError:
            if not waiter.cancelled():
                self._value += 1
                self._wake_next()
            raise
        if self._value > 0:
            self._wake_next()
        return True

    def release(self) -> None:
        """Return a permit, and hand it to the first waiter if there is one."""
        self._value += 1
        self._wake_next()

    def _wake_next(self) -> bool:
        """Give a permit to the first waiter not yet woken; False if there is none."""
        for waiter in self._waiters:
            if not waiter.done():
                self._value -= 1
                waiter.set_result(True)
                return True
        return False


class BoundedSemaphore(Semaphore):
    """A Semaphore that refuses to be released more times than it was acquired."""

    def __init__(self, value: int = 1) -> None:
        self._bound_value = value
        super().__init__(value)

    def release(self) -> None:
        """Return a permit; ValueError if that would exceed the initial value."""
        if self._value >= self._bound_value:
            raise ValueError("BoundedSemaphore released too many times")
        super().release()


# --- Barrier -------------------------------------------------------------------


class _BarrierState(enum.Enum):
    # The values are asyncio's words; they appear in reprs.
    FILLING = "filling"  # parties arrive and wait
    DRAINING = "draining"  # the last party arrived: everyone is leaving
    RESETTING = "resetting"  # reset() while parties waited: they leave broken
    BROKEN = "broken"  # abort(): every wait fails until reset()


class Barrier(LoopBound):
    """Make ``parties`` tasks wait for each other, then let them all through.

    Each ``wait()`` returns a distinct index, 0 for the first to arrive up
    to ``parties - 1`` for the one that trips the barrier. The barrier is a
    small state machine (filling -> draining -> filling ...) guarded by a
    Condition: arrivals during draining wait for the last one out.
    """

    def __init__(self, parties: int) -> None:
        if parties < 1:
            raise ValueError("parties must be > 0")
        self._cond = Condition()  # notified whenever the state changes
        self._parties = parties
        self._state = _BarrierState.FILLING
        self._count = 0  # tasks inside wait(), whatever the state

    def __repr__(self) -> str:
        state = self._state.value
        if not self.broken:
            state += f", waiters:{self.n_waiting}/{self.parties}"
        return f"<{_object_name(self)} [{state}]>"

    async def __aenter__(self) -> int:
        return await self.wait()

    async def __aexit__(self, *exc_info: object) -> None:
        pass

    async def wait(self) -> int:
        """Wait until ``parties`` tasks are waiting; return this task's index."""
        async with self._cond:
            await self._wait_until_open()
            try:
                index = self._count
                self._count += 1
                if index + 1 == self._parties:
                    self._trip()
                else:
                    await self._wait_until_tripped()
                return index
            finally:
                self._count -= 1
                self._leave()

    async def _wait_until_open(self) -> None:
        # A barrier that is draining or resetting lets nobody new in until
        # the last party of the previous round is out.
        await self._cond.wait_for(
            lambda: self._state is not _BarrierState.DRAINING
            and self._state is not _BarrierState.RESETTING
        )
        if self._state is _BarrierState.BROKEN:
            raise BrokenBarrierError("Barrier aborted")

    def _trip(self) -> None:
        self._state = _BarrierState.DRAINING
        self._cond.notify_all()

    async def _wait_until_tripped(self) -> None:
        await self._cond.wait_for(lambda: self._state is not _BarrierState.FILLING)
        if self._state is _BarrierState.BROKEN or self._state is _BarrierState.RESETTING:
            raise BrokenBarrierError("Abort or reset of barrier")

    def _leave(self) -> None:
        # The last one out opens the barrier for the next round.
        if self._count == 0:
            if self._state is _BarrierState.RESETTING or self._state is _BarrierState.DRAINING:
                self._state = _BarrierState.FILLING
            self._cond.notify_all()

    async def reset(self) -> None:
        """Back to the empty, filling state; current waiters get BrokenBarrierError."""
        async with self._cond:
            if self._count > 0:
                if self._state is not _BarrierState.RESETTING:
                    self._state = _BarrierState.RESETTING
            else:
                self._state = _BarrierState.FILLING
            self._cond.notify_all()

    async def abort(self) -> None:
        """Break the barrier: current and future waits raise BrokenBarrierError."""
        async with self._cond:
            self._state = _BarrierState.BROKEN
            self._cond.notify_all()

    @property
    def parties(self) -> int:
        """How many tasks must wait for the barrier to trip."""
        return self._parties

    @property
    def n_waiting(self) -> int:
        """How many tasks are waiting for the barrier to trip (0 unless filling)."""
        return self._count if self._state is _BarrierState.FILLING else 0

    @property
    def broken(self) -> bool:
        """True once the barrier has been aborted (until it is reset)."""
        return self._state is _BarrierState.BROKEN


__all__ = [
    "Barrier",
    "BoundedSemaphore",
    "BrokenBarrierError",
    "Condition",
    "Event",
    "Lock",
    "LoopBound",
    "Semaphore",
]
