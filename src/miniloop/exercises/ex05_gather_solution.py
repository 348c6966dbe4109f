"""Chapter 5, a reference solution: gather(*aws), many tasks, one result.

Every child becomes a task at once, so they all start on the next turn.
One done callback per child decides the fate of one *outer* future: a
failure settles it at once (the other children are left running, as
asyncio's gather leaves them), and the last child to finish settles it with
every result in argument order. The caller awaits only the outer future.

If the caller is cancelled, what it awaits (the outer future) is
cancelled, so the CancelledError comes out of ``await outer``. That is the
moment to cancel the children and wait for them, so that the caller
finishes after its children, as it does with asyncio.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


async def gather(*aws: Awaitable[Any], return_exceptions: bool = False) -> list[Any]:
    """Run ``aws`` concurrently; return their results in the order given."""
    children = [asyncio.ensure_future(aw) for aw in aws]
    if not children:
        return []
    outer: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
    unfinished = len(children)

    def outcome(child: asyncio.Future[Any]) -> Any:
        if child.cancelled():
            return asyncio.CancelledError()
        return child.exception() or child.result()

    def child_done(child: asyncio.Future[Any]) -> None:
        nonlocal unfinished
        unfinished -= 1
        if outer.done():
            return
        failed = child.cancelled() or child.exception() is not None
        if failed and not return_exceptions:
            outer.set_exception(outcome(child))
        elif unfinished == 0:
            outer.set_result([outcome(each) for each in children])

    for child in children:
        child.add_done_callback(child_done)
    try:
        return await outer
    except asyncio.CancelledError:
        if outer.cancelled():  # the caller was cancelled: take the children along
            for child in children:
                child.cancel()
            await asyncio.wait(children)
        raise
