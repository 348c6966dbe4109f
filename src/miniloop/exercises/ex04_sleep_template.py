"""Chapter 4 exercise: sleep(delay), a timer and a future.

Fill in ``sleep`` (and ``next_turn``) below, then check it:

    python -m miniloop.exercises 4 this_file.py
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Generator
from typing import Any


@types.coroutine
def next_turn() -> Generator[None, None, None]:
    """Give way for exactly one turn (a bare yield: see chapter 1)."""
    raise NotImplementedError("write next_turn: one bare yield")
    yield  # (this unreachable yield only makes the template a generator)


async def sleep(delay: float, result: Any = None) -> Any:
    """Suspend the calling task for ``delay`` seconds, then return ``result``."""
    loop = asyncio.get_running_loop()
    # delay <= 0: await next_turn() and return result.
    # Otherwise: a future from loop.create_future(), a timer from
    # loop.call_later(delay, ...) that sets its result (unless it was
    # cancelled), and `await` the future.
    del loop
    raise NotImplementedError("write sleep")
