"""Independent coroutines with their own pacing: draw random numbers until one is high enough.

``makerandom(i, threshold)`` draws integers from 0 to 10 until a draw
exceeds its threshold, sleeping ``i + 1`` seconds between draws: index 0
retries every second, index 1 every two, index 2 every three. The three
run concurrently under one ``gather``, each at its own pace, each printing
in its own colour; at the end the three winning draws are printed.

Colours are for a person at a terminal: when the output goes to a pipe or
a file (``python -m compat`` comparing backends, say), or the environment
sets ``NO_COLOR``, or ``--no-color`` is given, the lines are plain text.

The seed is fixed by default (``--seed``), and every index draws from a
random generator of its own, so the same seed prints the same lines
whatever order the coroutines happen to run in.

    python -m demos.rand --seed 7
    python -m compat demos.rand
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from typing import TextIO

from compat import gather, run, sleep

# Index 0 wakes at 1, 2, 3... seconds, index 1 at 2, 4..., index 2 at 3, 6...
# At 2 s, say, two coroutines wake "at the same time", and which one the
# loop hears from first is a matter of microseconds, on either backend.
# So the line order is genuinely concurrent: compat compares the lines as
# a multiset (each line is still reproducible, see the module docstring).
COMPAT_LINE_ORDER = "concurrent"

DEFAULT_SEED = 15  # a run of about six seconds, with a few retries for each index
COLOURS = ("\033[36m", "\033[33m", "\033[35m")  # cyan, yellow, magenta: one per index
RESET = "\033[0m"


def wants_colour(stream: TextIO) -> bool:
    """True if ``stream`` is a terminal and the environment does not set NO_COLOR.

    Escape codes in a file or a pipe are noise for whoever reads it next
    (and NO_COLOR, https://no-color.org, set to anything non-empty, says
    the person at the terminal does not want them either).
    """
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


async def makerandom(index: int, threshold: int, rng: random.Random, *,
                     speed: float = 1.0, colour: str = "") -> int:
    """Draw from 0..10 every ``index + 1`` seconds until a draw beats ``threshold``."""
    end = RESET if colour else ""

    def say(text: str) -> None:
        print(f"{colour}{text}{end}")

    say(f"makerandom({index}) starts: it needs more than {threshold}")
    draw = rng.randint(0, 10)
    while draw <= threshold:
        say(f"makerandom({index}) drew {draw}: too low, trying again in {index + 1} s")
        await sleep((index + 1) / speed)
        draw = rng.randint(0, 10)
    say(f"---> makerandom({index}) drew {draw}: done")
    return draw


async def main(seed: int, speed: float, colours: tuple[str, ...]) -> list[int]:
    """Three makerandoms at once; their winning draws, in index order."""
    return list(await gather(*(
        makerandom(index, 10 - index - 1, random.Random(f"{seed}:{index}"),
                   speed=speed, colour=colours[index])
        for index in range(3)
    )))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the seed, the speed, colours on or off."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--speed", type=float, default=1.0, metavar="FACTOR",
                        help="divide every sleep by FACTOR (default 1: real seconds)")
    parser.add_argument("--no-color", action="store_true",
                        help="print without ANSI colours (the default when the output is "
                             "not a terminal, or NO_COLOR is set)")
    options = parser.parse_args(argv)
    if not options.speed > 0:
        parser.error("--speed must be a positive number")
    return options


if __name__ == "__main__":
    options = parse_args()
    coloured = wants_colour(sys.stdout) and not options.no_color
    colours = COLOURS if coloured else ("", "", "")
    results = run(main(options.seed, options.speed, colours))
    print("results: " + ", ".join(f"makerandom({i}) = {r}" for i, r in enumerate(results)))
