"""Chapter 3, a reference solution: start(coro), a task in twenty lines.

``step`` is the whole of a task: one ``send`` (or ``throw``) into the
coroutine, then a decision based on what came out. A future that comes out
gets a done callback, ``wake_up``, and the coroutine sleeps until it runs.
``wake_up`` steps at once: the loop runs a done callback one turn after the
future is done, so the coroutine is already as late as asyncio's would be.

What this leaves out of a real Task: cancellation, the current-task
registration (``asyncio.current_task()``), contexts, and the checks that
what was yielded really is a future of this loop.
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
        try:
            yielded = coro.send(None) if error is None else coro.throw(error)
        except StopIteration as returned:
            outcome.set_result(returned.value)
        except BaseException as failure:
            outcome.set_exception(failure)
        else:
            if yielded is None:
                loop.call_soon(step)  # a bare yield: again next turn
            else:
                yielded._asyncio_future_blocking = False  # "I saw it", as a Task says
                yielded.add_done_callback(wake_up)

    def wake_up(future: asyncio.Future[Any]) -> None:
        if future.cancelled():
            step(asyncio.CancelledError())
        else:
            step(future.exception())

    loop.call_soon(step)
    return outcome
