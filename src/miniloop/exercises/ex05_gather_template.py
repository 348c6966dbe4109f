"""Chapter 5 exercise: gather(*aws), many tasks, one result.

Fill in ``gather`` below, then check it:

    python -m miniloop.exercises 5 this_file.py
"""

from __future__ import annotations

import asyncio  # noqa: F401  (asyncio.ensure_future, asyncio.wait, asyncio.CancelledError)
from collections.abc import Awaitable
from typing import Any


async def gather(*aws: Awaitable[Any], return_exceptions: bool = False) -> list[Any]:
    """Run ``aws`` concurrently; return their results in the order given."""
    # 1. children = [asyncio.ensure_future(aw) for aw in aws]
    # 2. an outer future, and a done callback on every child that completes
    #    it: at the first failure (unless return_exceptions), or when the
    #    last child is done (with every result, in order).
    # 3. await the outer future; if that raises CancelledError, cancel the
    #    children, wait for them, and re-raise.
    raise NotImplementedError("write gather")
