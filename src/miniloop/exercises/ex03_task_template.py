"""Chapter 3 exercise: start(coro), a task in twenty lines.

Fill in ``start`` below, then check it:

    python -m miniloop.exercises 3 this_file.py
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


def start(coro: Coroutine[Any, Any, Any]) -> asyncio.Future[Any]:
    """Drive ``coro`` on the running loop; return a future of its outcome."""
    loop = asyncio.get_running_loop()
    outcome: asyncio.Future[Any] = loop.create_future()

    def step(error: BaseException | None = None) -> None:
        # Send None into the coroutine (or throw `error` into it), then look
        # at what came out: None, a future, StopIteration, or an exception.
        raise NotImplementedError("write step")

    def wake_up(future: asyncio.Future[Any]) -> None:
        # The future we parked on is done: step again, at once.
        raise NotImplementedError("write wake_up")

    loop.call_soon(step)
    return outcome
