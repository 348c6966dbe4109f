"""The fast sleep and gather: the same turns and outcomes, fewer objects.

``core/primitives.py`` builds ``sleep`` and ``gather`` from the loop's
public pieces: a future, a timer, a done callback per child. Each is an
object, and each costs a few Python frames. These two are what
``miniloop.sleep`` and ``miniloop.gather`` are. On a fast loop that nobody
watches (no tool, no debug mode), they do the same work in fewer objects;
on any other loop (a plain one, asyncio's, a watched one) they hand over
to the core's own functions, so a plain loop runs exactly the code of
``core/primitives.py``.

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

(``python -m bench --instructions --scale 0.5``, CPython 3.11.)

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
from miniloop.core.events import _get_running_loop
from miniloop.core.observer import new_loop_watchers

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


# While every loop this process has made is a fast one (the usual case),
# sleep(0) need not ask which loop runs it: asking costs more than the rest
# of sleep(0) on Python 3.11, whose running-loop lookup compares process ids
# (a system call). The first plain loop made turns the question back on.
only_fast_loops = True


def _notice_new_loop(loop: Any) -> None:
    global only_fast_loops
    if not getattr(loop, "runs_fast_primitives", False):
        only_fast_loops = False


new_loop_watchers.append(_notice_new_loop)


async def sleep(delay: float, result: T = None) -> T:  # type: ignore[assignment]
    """Suspend the calling task for ``delay`` seconds, then return ``result``."""
    # Three locals, as few as can be: each one is 8 bytes in every sleeping
    # task's frame. ``timer`` is what tools read for the sleep's deadline.
    if delay <= 0 and only_fast_loops:
        await NEXT_TURN
        return result
    timer = _get_running_loop()
    if not getattr(timer, "runs_fast_primitives", False):  # a plain loop, or asyncio's
        return await core_primitives.sleep(delay, result)  # the core's own steps
    if delay <= 0:
        await NEXT_TURN
        return result
    if math.isnan(delay):
        raise ValueError("Invalid delay: NaN (not a number)")
    timer = timer._arm_alarm(delay, result)
    if timer is None:  # someone watches the loop: the steps they describe
        return await core_primitives.sleep(delay, result)
    return await timer  # type: ignore[no-any-return]  # the future and its timer in one


def gather(*aws: Awaitable[Any], return_exceptions: bool = False) -> Any:
    """Run awaitables concurrently; a future of their results, in order."""
    loop = _get_running_loop()
    if getattr(loop, "runs_fast_primitives", False):
        outer = loop._gather(aws, return_exceptions)
        if outer is not None:
            return outer
    # A plain loop, asyncio's, or a case the fast gather leaves to the core
    # (someone watches, a task factory, awaitables that are not coroutines).
    return core_primitives.gather(*aws, return_exceptions=return_exceptions)
