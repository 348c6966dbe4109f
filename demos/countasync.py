"""Three coroutines take turns on one thread: the hello world of async IO.

Each ``count()`` prints "One", sleeps for a second, and prints "Two". All
three run under one ``gather``, so while one sleeps the others get to
print: the output is "One" three times, then (a second later, not three)
"Two" three times.

The sleep is ``await sleep(1)``: the coroutine gives control back to the
event loop, which runs whoever is ready and wakes this one when its timer
is due. Compare with ``countsync.py``, which blocks instead.

    python -m demos.countasync            # on asyncio
    python -m miniloop demos.countasync   # on miniloop
    python -m compat demos.countasync     # both, side by side
"""

from __future__ import annotations

import argparse
from pathlib import Path

from compat import gather, get_running_loop, run, sleep

DELAY = 1.0  # seconds each count() sleeps between "One" and "Two"


async def count(delay: float) -> None:
    """Say One, let the others run for ``delay`` seconds, say Two."""
    print("One")
    await sleep(delay)  # control goes back to the loop here
    print("Two")


async def main(delay: float) -> float:
    """Run three counts concurrently; return how long that took on the loop's clock."""
    loop = get_running_loop()
    started = loop.time()
    await gather(count(delay), count(delay), count(delay))
    return float(loop.time() - started)


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
    # Time is measured on the event loop's own clock, so that a loop with
    # a virtual clock reports the time the program *thinks* it took.
    elapsed = run(main(DELAY / options.speed))
    print(f"{Path(__file__).name} executed in {elapsed:0.2f} seconds.")
