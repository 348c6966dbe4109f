"""Waiting for many futures at once: ``wait`` and ``as_completed``.

``gather`` waits for *all* of its awaitables and hands back their results.
Sometimes a program wants something else: "wake me as soon as *any* of
these is done", "wake me at the first failure", "give me each result the
moment it arrives". Both tools here are made of one small trick: a done
callback on every future, and one private *waiter* future that the caller
awaits.

``wait(fs, return_when=...)`` puts the same callback on each future. The
callback counts completions and, when the condition is met (the first one,
the first failure, or the last one), finishes the waiter. An optional timer
finishes the waiter too. The caller wakes, takes the callbacks off again,
and sorts the futures into two sets: done and pending. ``wait`` never raises
what the futures raised and never cancels them; it only tells you where
they stand.

``as_completed(fs)`` turns completions into a stream. Each done callback
drops its future into a small first-in-first-out *arrivals* queue; each
step of the iteration takes the next arrival out, waiting if none has come
yet. A timer, if one is given, fills the queue with "time is up" markers.
Up to Python 3.12 the iteration gives coroutines that return each result in
turn; from 3.13 it is also an async iterator that gives the finished
futures themselves (``async for fut in as_completed(tasks)``).

Read next: ``taskgroups.py`` (tasks that live and die together).
"""

from __future__ import annotations

import collections
import inspect
import sys
import types
from collections.abc import Coroutine, Generator, Iterable
from typing import Any

from miniloop.core.events import TimeoutError, get_running_loop, loop_for_new_future
from miniloop.core.futures import isfuture
from miniloop.core.tasks import ensure_future

# The same strings as concurrent.futures' constants, so either may be passed.
FIRST_COMPLETED = "FIRST_COMPLETED"
FIRST_EXCEPTION = "FIRST_EXCEPTION"
ALL_COMPLETED = "ALL_COMPLETED"

# What asyncio calls a coroutine when it checks its arguments here. Python
# 3.11 still counted every generator; 3.12 dropped generators.
if sys.version_info >= (3, 12):
    _COROUTINE_KINDS: tuple[type, ...] = (types.CoroutineType, Coroutine)
else:
    _COROUTINE_KINDS = (types.CoroutineType, types.GeneratorType, Coroutine)


def _is_coroutine_argument(obj: object) -> bool:
    return isinstance(obj, _COROUTINE_KINDS)


def _release(waiter: Any) -> None:
    if not waiter.done():
        waiter.set_result(None)


# --- wait ---------------------------------------------------------------------


async def wait(
    fs: Iterable[Any], *, timeout: float | None = None, return_when: str = ALL_COMPLETED
) -> tuple[set[Any], set[Any]]:
    """Wait until futures are done; return the sets ``(done, pending)``.

    ``return_when`` is FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED
    (the default). After ``timeout`` seconds it returns regardless. It never
    raises what the futures raised, and never cancels them.
    """
    if isfuture(fs) or _is_coroutine_argument(fs):
        raise TypeError(f"expect a list of futures, not {type(fs).__name__}")
    if not fs:
        raise ValueError("Set of Tasks/Futures is empty.")
    if return_when not in (FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED):
        raise ValueError(f"Invalid return_when value: {return_when}")
    futures = set(fs)
    if any(_is_coroutine_argument(f) for f in futures):
        raise TypeError("Passing coroutines is forbidden, use tasks explicitly.")
    return await _wait_until(futures, timeout, return_when, get_running_loop())


async def _wait_until(
    futures: set[Any], timeout: float | None, return_when: str, loop: Any
) -> tuple[set[Any], set[Any]]:
    # An iterator that turned out empty slips past wait()'s emptiness check
    # (an iterator is always true); asyncio stops it with this assertion.
    assert futures, "Set of Futures is empty."
    waiter = loop.create_future()
    timer = None if timeout is None else loop.call_later(timeout, _release, waiter)
    still_running = len(futures)

    def on_one_done(fut: Any) -> None:
        nonlocal still_running
        still_running -= 1
        if (still_running <= 0
                or return_when == FIRST_COMPLETED
                or (return_when == FIRST_EXCEPTION
                    and not fut.cancelled() and fut.exception() is not None)):
            if timer is not None:
                timer.cancel()
            _release(waiter)

    for fut in futures:
        fut.add_done_callback(on_one_done)
    try:
        await waiter
    finally:
        if timer is not None:
            timer.cancel()
        for fut in futures:
            fut.remove_done_callback(on_one_done)

    done: set[Any] = set()
    pending: set[Any] = set()
    for fut in futures:
        (done if fut.done() else pending).add(fut)
    return done, pending


# --- as_completed -------------------------------------------------------------


class _Arrivals:
    """A first-in-first-out queue of finished futures, with waiting takers.

    It behaves exactly as an unbounded ``Queue`` does, turn for turn: a
    taker that finds it empty parks on a future of its own; each ``put``
    wakes the longest-waiting taker, which takes the item on its next step
    (or, if someone else got there first, goes back to waiting at the end
    of the line).
    """

    __slots__ = ("_items", "_takers")

    def __init__(self) -> None:
        self._items: collections.deque[Any] = collections.deque()
        self._takers: collections.deque[Any] = collections.deque()

    def put(self, item: Any) -> None:
        """Add ``item`` and wake the longest-waiting taker."""
        self._items.append(item)
        self._wake_next_taker()

    def _wake_next_taker(self) -> None:
        takers = self._takers
        while takers:
            taker = takers.popleft()
            if not taker.done():
                taker.set_result(None)
                return

    async def take(self) -> Any:
        """The oldest item, waiting for one if there is none yet."""
        while not self._items:
            taker = get_running_loop().create_future()
            self._takers.append(taker)
            try:
                await taker
            except BaseException:
                taker.cancel()
                try:
                    self._takers.remove(taker)
                except ValueError:
                    pass  # put() already took it out of the line
                if self._items and not taker.cancelled():
                    # We were handed an item but cannot take it (we are being
                    # cancelled): pass the turn on to the next taker.
                    self._wake_next_taker()
                raise
        return self._items.popleft()


class _CompletionOrder:
    """What ``as_completed`` watches: the unfinished futures and the arrivals."""

    __slots__ = ("_arrivals", "_timer", "_todo")

    def __init__(self, aws: Iterable[Any], timeout: float | None) -> None:
        self._arrivals = _Arrivals()
        self._timer: Any = None
        loop = loop_for_new_future()
        # The same awaitable given twice runs once. asyncio collects them in
        # a set, so coroutines start in an order set by memory addresses;
        # we keep the caller's order (a dict is an ordered set), which is
        # one of the orders asyncio might pick, and always the same.
        self._todo = {ensure_future(aw, loop=loop): None for aw in dict.fromkeys(aws)}
        for fut in self._todo:
            fut.add_done_callback(self._on_done)
        if self._todo and timeout is not None:
            self._timer = loop.call_later(timeout, self._on_timeout)

    def _on_done(self, fut: Any) -> None:
        if not self._todo:
            return  # the timeout came first and has already said so
        del self._todo[fut]
        self._arrivals.put(fut)
        if not self._todo and self._timer is not None:
            self._timer.cancel()

    def _on_timeout(self) -> None:
        # One "time is up" marker (None) for every future still missing, so
        # that each remaining step of the iteration raises TimeoutError.
        for fut in self._todo:
            fut.remove_done_callback(self._on_done)
            self._arrivals.put(None)
        self._todo.clear()

    async def next_finished(self) -> Any:
        """The next future to finish (TimeoutError if time ran out first)."""
        fut = await self._arrivals.take()
        if fut is None:
            raise TimeoutError
        return fut

    async def next_result(self) -> Any:
        """The result of the next future to finish (or what it raised)."""
        fut = await self.next_finished()
        return fut.result()


if sys.version_info >= (3, 13):

    class _AsCompletedIterator:
        """Iterate for coroutines of results, or async-iterate for finished futures."""

        __slots__ = ("_left", "_order")

        def __init__(self, aws: Iterable[Any], timeout: float | None) -> None:
            self._order = _CompletionOrder(aws, timeout)
            self._left = len(self._order._todo)

        def __iter__(self) -> _AsCompletedIterator:
            return self

        def __aiter__(self) -> _AsCompletedIterator:
            return self

        def __next__(self) -> Coroutine[Any, Any, Any]:
            if not self._left:
                raise StopIteration
            self._left -= 1
            return self._order.next_result()

        async def __anext__(self) -> Any:
            if not self._left:
                raise StopAsyncIteration
            self._left -= 1
            return await self._order.next_finished()

    def as_completed(
        fs: Iterable[Any], *, timeout: float | None = None
    ) -> _AsCompletedIterator:
        """Results in the order the awaitables finish.

        ``for next_one in as_completed(aws): result = await next_one`` gives
        coroutines of the results; ``async for fut in as_completed(aws)``
        gives the finished futures themselves (the very tasks and futures
        passed in). TimeoutError if ``timeout`` runs out first.
        """
        if inspect.isawaitable(fs):
            raise TypeError(f"expects an iterable of awaitables, not {type(fs).__name__}")
        return _AsCompletedIterator(fs, timeout)

else:

    def as_completed(
        fs: Iterable[Any], *, timeout: float | None = None
    ) -> Generator[Coroutine[Any, Any, Any], None, None]:
        """Coroutines that return results in the order the awaitables finish.

        ``for next_one in as_completed(aws): result = await next_one``.
        Awaiting raises TimeoutError if ``timeout`` runs out first. This is
        a generator: nothing starts (and bad arguments are not noticed)
        until the first step of the loop.
        """
        if isfuture(fs) or _is_coroutine_argument(fs):
            raise TypeError(f"expect an iterable of futures, not {type(fs).__name__}")
        order = _CompletionOrder(fs, timeout)
        for _ in range(len(order._todo)):
            yield order.next_result()


__all__ = ["ALL_COMPLETED", "FIRST_COMPLETED", "FIRST_EXCEPTION", "as_completed", "wait"]
