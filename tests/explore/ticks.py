"""A sampler and a reporter on the same tick: the reporter assumes the sampler went first.

Both are timers armed for the same loop time at each tick, the sampler
first. asyncio does not promise an order for timers with equal deadlines
(its heap compares only the deadline), and on a clock with coarse
resolution (Windows' is about 16 ms) timers armed close together get
equal deadlines all the time. When the reporter runs first it reports the
previous tick's sample. With two ticks (the default) asyncio's heap happens
to keep the arming order; give it three (``python ticks.py 3``) and stock
asyncio reports a stale sample on its own, on every run.

Kind of bug: the order of timers with equal deadlines.
"""

import asyncio
import sys

TICKS = int(sys.argv[1]) if len(sys.argv) > 1 else 2


async def main() -> int:
    loop = asyncio.get_running_loop()
    samples: list[int] = []
    reports: list[str] = []

    def report(tick: int) -> None:
        latest = samples[-1] if samples else None
        reports.append(f"tick {tick}: sample {latest}")

    start = loop.time()
    for tick in range(1, TICKS + 1):
        at = start + tick * 0.01
        loop.call_at(at, samples.append, tick)
        loop.call_at(at, report, tick)
    await asyncio.sleep(0.05)
    print("\n".join(reports))
    if all(f"tick {n}: sample {n}" in reports for n in range(1, TICKS + 1)):
        return 0
    print("the reporter saw a stale sample")
    return 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
