"""The count once more, with plain generators: a coroutine is a generator in disguise.

This is ``countasync.py`` without ``async`` or ``await``: ``count`` and
``main`` are ordinary generator functions that ``yield from`` what they
wait for. The output and the timing are the same: "One" x3, a one-second
pause, "Two" x3.

``types.coroutine`` marks a generator function so that its generators may
``yield from`` native coroutines (such as ``sleep(...)``) and may themselves
be awaited, gathered and run as tasks. (``miniloop.coroutine`` is exactly
this decorator; asyncio's old ``@asyncio.coroutine`` was removed in 3.11.)

Where does a task give control back to the loop? Follow
``yield from sleep(delay)`` down:

    count()            yield from sleep(delay)
      sleep()          await future        (a future that a timer will fill)
        Future.__await__:   yield self     <- here: src/miniloop/core/futures.py

That ``yield self`` is the only place where the coroutine stops. The
future it yields travels up through every ``yield from`` (ours included)
to the Task that drives the coroutine (``Task._run`` in
src/miniloop/core/tasks.py), which parks until the future is done. For
``sleep(0)`` the stop is a bare ``yield`` (``await NEXT_TURN`` in
src/miniloop/core/primitives.py, which yields None): the task sees None and
simply goes to the back of the ready queue.

    python -m miniloop demos.genbased
    python -m compat demos.genbased
"""

from __future__ import annotations

import argparse
import types
from collections.abc import Generator
from pathlib import Path
from typing import Any

from compat import gather, get_running_loop, run, sleep

DELAY = 1.0  # seconds each count() sleeps between "One" and "Two"


@types.coroutine
def count(delay: float) -> Generator[Any, None, None]:
    """Say One, let the others run for ``delay`` seconds, say Two."""
    print("One")
    # The whole chain stops at the `yield self` of Future.__await__ (see above)
    # and resumes here when the sleep's timer has filled the future.
    yield from sleep(delay)
    print("Two")


@types.coroutine
def main(delay: float) -> Generator[Any, None, float]:
    """Run three counts concurrently; return how long that took on the loop's clock."""
    loop = get_running_loop()
    started = loop.time()
    yield from gather(count(delay), count(delay), count(delay))
    return float(loop.time() - started)


async def entry(delay: float) -> float:
    """The one ``async def``: ``run()`` on Python 3.12+ accepts only native coroutines."""
    # asyncio.run() checks that it was given a coroutine, and since 3.12 a
    # generator does not count (3.11 and miniloop.run accept it). Awaiting
    # the generator from a native coroutine works everywhere.
    return await main(delay)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: only --speed, to run faster in tests."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--speed", type=float, default=1.0, metavar="FACTOR",
                        help="divide every sleep by FACTOR (default 1: real seconds)")
    options = parser.parse_args(argv)
    if not options.speed > 0:
        parser.error("--speed must be a positive number")
    return options


if __name__ == "__main__":
    options = parse_args()
    elapsed = run(entry(DELAY / options.speed))
    print(f"{Path(__file__).name} executed in {elapsed:0.2f} seconds.")
