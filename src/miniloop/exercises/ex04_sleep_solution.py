"""Chapter 4, a reference solution: sleep(delay), a timer and a future.

The task that awaits the future parks on it; the timer fires after
``delay`` seconds and fills the future; the future's done callback puts the
task back on the ready queue. If the task is cancelled first, the future
is cancelled with it: the ``finally`` then disarms the timer, and even a
timer that fired anyway would find the future cancelled and leave it alone.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Generator
from typing import Any


@types.coroutine
def next_turn() -> Generator[None, None, None]:
    """Give way for exactly one turn (a bare yield: see chapter 1)."""
    yield


def _set_unless_cancelled(future: asyncio.Future[Any], result: Any) -> None:
    if not future.cancelled():
        future.set_result(result)


async def sleep(delay: float, result: Any = None) -> Any:
    """Suspend the calling task for ``delay`` seconds, then return ``result``."""
    if delay <= 0:
        await next_turn()
        return result
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    timer = loop.call_later(delay, _set_unless_cancelled, future, result)
    try:
        return await future
    finally:
        timer.cancel()
