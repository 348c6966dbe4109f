"""The same count, with a blocking sleep: three times one second, one after another.

``countasync.py`` with ``time.sleep`` instead of ``await sleep``. A blocking
sleep holds the whole thread, so nothing else can run meanwhile: the counts
take turns completely, "One" "Two" three times over, and the program takes
three seconds instead of one. It needs no event loop at all; it is here so
that the pair can be compared.

    python -m demos.countsync
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

DELAY = 1.0  # seconds each count() sleeps between "One" and "Two"


def count(delay: float) -> None:
    """Say One, block the thread for ``delay`` seconds, say Two."""
    print("One")
    time.sleep(delay)  # nobody else runs while we wait
    print("Two")


def main(delay: float) -> None:
    """Three counts, necessarily one after another."""
    for _ in range(3):
        count(delay)


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
    started = time.perf_counter()
    main(DELAY / options.speed)
    elapsed = time.perf_counter() - started
    print(f"{Path(__file__).name} executed in {elapsed:0.2f} seconds.")
