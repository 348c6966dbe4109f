"""Chapter 1, a reference solution: pause(turns) as a plain generator.

Each bare ``yield`` sends None up the chain to the task, which takes it to
mean "step me again next turn" (it is exactly what ``asyncio.sleep(0)``
does inside). The ``return`` ends the generator with StopIteration(turns),
and ``await`` (or ``yield from``) hands that value to the caller. A
cancellation arrives as CancelledError raised at the ``yield``; we let it
travel on.
"""

from __future__ import annotations

import types
from collections.abc import Generator


@types.coroutine
def pause(turns: int) -> Generator[None, None, int]:
    """Give way to the other tasks ``turns`` times (one loop turn each); return ``turns``."""
    for _ in range(turns):
        yield
    return turns
