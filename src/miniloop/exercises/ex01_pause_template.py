"""Chapter 1 exercise: pause(turns), a coroutine made of a plain generator.

Fill in ``pause`` below, then check it:

    python -m miniloop.exercises 1 this_file.py

No ``async``, no ``await``: only ``yield`` (and ``return``).
"""

from __future__ import annotations

import types
from collections.abc import Generator


@types.coroutine
def pause(turns: int) -> Generator[None, None, int]:
    """Give way to the other tasks ``turns`` times (one loop turn each); return ``turns``."""
    # A bare `yield` hands None to the task driving this coroutine, which
    # means "run the others, come back to me next turn". Then `return`.
    raise NotImplementedError("write pause: yield once per turn, then return turns")
    yield  # (this unreachable yield only makes the template a generator)
