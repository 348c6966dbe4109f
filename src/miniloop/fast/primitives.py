"""The fast sleep and gather: the same turns and outcomes, fewer objects.

``core/primitives.py`` builds ``sleep`` and ``gather`` from the loop's
public pieces: a future, a timer, a done callback per child. Each is an
object, and each costs a few Python frames. On a fast loop that nobody
watches (no tool, no debug mode), these versions do the same work in
fewer objects; on any other loop they do exactly what the core does.

* **sleep(0) without a generator** (``NEXT_TURN``). Plain:
  ``await next_turn()`` makes a generator per call, whose one ``yield``
  hands None to the task. Fast: ``await NEXT_TURN``, whose ``__await__``
  is the iterator of the tuple ``(None,)``: the same None, yielded by C.
  Measured: ``switch`` 8,031 -> 7,564 instructions per switch.
* **a sleep that is its own timer** (``futures.Alarm``). Plain: a future,
  plus a TimerHandle holding the callback, an argument tuple and a
  context, plus the ``try``/``finally`` that cancels the timer. Fast: one
  object is both the future the task parks on and the entry in the timer
  heap; cancelling the sleep (the task's cancel cancels what it waits on)
  cancels the timer. Measured: ``memory`` 1,378 -> 1,179 bytes per parked
  task (asyncio: 1,493).
* **gather without a callback per child** (``gather``,
  ``futures._GatheringFuture``). Plain: a closure, ``child_done``, is
  added to each child, and each finished child makes a Handle that calls
  it on the next turn. Fast: the outer future itself is the ready entry:
  each finished child appends itself to the outer's arrivals and the outer
  to the ready queue (the same turn and place as the Handle), and the
  outer's ``_run`` counts it, reading its children's fields directly.
  Measured: ``spawn`` 51,536 -> 34,547 instructions per task (asyncio:
  41,827); with the alarm, ``timers`` 92,402 -> 64,115 per timer.

(``python -m bench --instructions --scale 0.5``, CPython 3.11, with
``miniloop.sleep`` and ``gather`` taken from this module.)

The work is the fast loop's (``FastLoopMixin._arm_alarm`` and
``FastLoopMixin._gather`` in ``loop.py``): this module imports only the
core, so that ``import miniloop`` can offer these two functions without
assembling a loop.

Read next: ``loop.py`` in this folder.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Generator
from typing import TYPE_CHECKING, Any, TypeVar

from miniloop.core import primitives as core_primitives
from miniloop.core.events import _get_running_loop, get_running_loop
from miniloop.core.futures import set_result_unless_cancelled

T = TypeVar("T")


class _NextTurn:
    """``await NEXT_TURN`` gives way for one turn of the loop.

    Replaces ``core/primitives.py: next_turn``, a generator-based coroutine
    with one bare ``yield``: a generator object and a frame per call. Here
    ``__await__`` is the iterator of the tuple ``(None,)``, which yields
    None once (the task sees a bare yield) and is then exhausted.
    """

    __slots__ = ()
    if TYPE_CHECKING:
        def __await__(self) -> Generator[None, None, None]: ...
    else:
        __await__ = (None,).__iter__


NEXT_TURN = _NextTurn()


def _arm(future: Any, delay: float, result: Any) -> Any:
    # The core's timer for the core's future (a helper keeps sleep's frame small).
    return future.get_loop().call_later(delay, set_result_unless_cancelled, future, result)


async def sleep(delay: float, result: T = None) -> T:  # type: ignore[assignment]
    """Suspend the calling task for ``delay`` seconds, then return ``result``."""
    if delay <= 0:
        await NEXT_TURN
        return result
    if math.isnan(delay):
        raise ValueError("Invalid delay: NaN (not a number)")
    # Four locals, as few as can be: each one is 8 bytes in every sleeping
    # task's frame. ``timer`` is what tools read for the sleep's deadline.
    timer = get_running_loop()
    timer = timer._arm_alarm(delay, result) if hasattr(timer, "_arm_alarm") else None
    if timer is not None:  # a fast loop's alarm: the future and its timer in one
        return await timer  # type: ignore[no-any-return]
    future = get_running_loop().create_future()  # the core's steps, on any other loop
    timer = _arm(future, delay, result)
    try:
        return await future  # type: ignore[no-any-return]
    finally:
        timer.cancel()


def gather(*aws: Awaitable[Any], return_exceptions: bool = False) -> Any:
    """Run awaitables concurrently; a future of their results, in order."""
    loop = _get_running_loop()
    outer = loop._gather(aws, return_exceptions) if hasattr(loop, "_gather") else None
    if outer is None:  # the core's steps, on any other loop (or other awaitables)
        return core_primitives.gather(*aws, return_exceptions=return_exceptions)
    return outer
