"""Chained coroutines: each chain awaits its two parts in turn; the chains run concurrently.

``chain(n)`` awaits ``part1(n)``, then hands its result to ``part2(n, ...)``
and awaits that. Each part sleeps a random 0 to 10 seconds. Inside a chain
the parts are sequential (part 2 needs part 1's result); the chains, one
per number on the command line (default 9 6 3), run concurrently under one
``gather``. Each chain prints its result and how long it took, and the
program's total is about as long as the longest chain, not the sum of them.

    python -m demos.chained              # chains 9, 6 and 3
    python -m demos.chained 1 2 3 4 --seed 5
    python -m compat demos.chained
"""

from __future__ import annotations

import argparse
import random

from compat import gather, get_running_loop, run, sleep

# Parts of different chains finish "at the same time" (whole seconds), and
# which one the loop hears from first is a matter of microseconds, on
# either backend. compat therefore compares the lines as a multiset. Each
# chain draws from a random generator of its own, so every line is the
# same from run to run whatever the order.
COMPAT_LINE_ORDER = "concurrent"

DEFAULT_NUMBERS = (9, 6, 3)
DEFAULT_SEED = 38  # longest chain 10 s; all chains together sleep 23 s


async def part1(n: int, rng: random.Random, speed: float) -> str:
    """The first link: sleep a while, produce a result."""
    seconds = rng.randint(0, 10)
    print(f"chain {n}, part 1: sleeping {seconds} s")
    await sleep(seconds / speed)
    result = f"r{n}.1"
    print(f"chain {n}, part 1: done -> {result}")
    return result


async def part2(n: int, previous: str, rng: random.Random, speed: float) -> str:
    """The second link: needs the first one's result, sleeps a while, builds on it."""
    seconds = rng.randint(0, 10)
    print(f"chain {n}, part 2: got {previous}, sleeping {seconds} s")
    await sleep(seconds / speed)
    result = f"r{n}.2 (from {previous})"
    print(f"chain {n}, part 2: done -> {result}")
    return result


async def chain(n: int, rng: random.Random, speed: float) -> None:
    """Part 1, then part 2 with part 1's result; report the result and the time taken."""
    loop = get_running_loop()
    started = loop.time()
    first = await part1(n, rng, speed)
    second = await part2(n, first, rng, speed)
    print(f"chain {n} finished: {second} after {loop.time() - started:0.2f} s")


async def main(numbers: list[int], seed: int, speed: float) -> float:
    """All chains at once; return how long they took together (on the loop's clock)."""
    loop = get_running_loop()
    started = loop.time()
    # One random generator per chain (by position: numbers may repeat).
    await gather(*(chain(n, random.Random(f"{seed}:{position}"), speed)
                   for position, n in enumerate(numbers)))
    return float(loop.time() - started)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the chains' numbers, the seed, the speed."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("numbers", type=int, nargs="*", default=list(DEFAULT_NUMBERS),
                        metavar="N", help="one chain per number (default: 9 6 3)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--speed", type=float, default=1.0, metavar="FACTOR",
                        help="divide every sleep by FACTOR (default 1: real seconds)")
    options = parser.parse_args(argv)
    if not options.speed > 0:
        parser.error("--speed must be a positive number")
    return options


if __name__ == "__main__":
    options = parse_args()
    total = run(main(options.numbers, options.seed, options.speed))
    print(f"all chains finished in {total:0.2f} s: about the longest chain, not the sum")
