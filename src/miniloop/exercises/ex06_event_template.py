"""Chapter 6 exercise: Event, a flag tasks can wait for.

Fill in ``Event`` below, then check it:

    python -m miniloop.exercises 6 this_file.py
"""

from __future__ import annotations

import asyncio  # noqa: F401  (asyncio.get_running_loop().create_future())
from collections import deque  # noqa: F401  (the line of waiting futures)


class Event:
    """A flag tasks can wait for: ``set()`` wakes every waiter."""

    def __init__(self) -> None:
        raise NotImplementedError("write __init__: a flag and a line of futures")

    def is_set(self) -> bool:
        """True while the flag is up."""
        raise NotImplementedError

    def set(self) -> None:
        """Raise the flag and wake every waiter."""
        raise NotImplementedError

    def clear(self) -> None:
        """Lower the flag."""
        raise NotImplementedError

    async def wait(self) -> bool:
        """Return True once the flag is up (at once, if it already is)."""
        raise NotImplementedError
