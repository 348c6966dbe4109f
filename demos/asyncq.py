"""Producers and consumers meet at a queue: put, get, task_done, join.

Producers each make a random number of random hex items, taking a random
while over each, and ``put`` them on a shared queue with the time they were
put. Consumers ``get`` items, print each with how long it waited in the
queue, work on it for a random while, and call ``task_done()``. Nobody
calls anybody: the queue is the only thing they share.

``main`` shows how such a program ends:

    await gather(*producers)   every item has been put
    await queue.join()         ... and every item has been marked done
    consumer.cancel()          the consumers wait in get() for ever: stop them

    python -m demos.asyncq                    # on asyncio
    python -m miniloop demos.asyncq -p 4 -c 2 # on miniloop
    python -m compat demos.asyncq             # both, side by side

Every random choice comes from ``--seed``, so a run is reproducible, line
for line, on either backend. That takes one precaution, explained in
``Lanes`` below: no two tasks ever wake at the same moment.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass

from compat import CancelledError, Queue, create_task, gather, get_running_loop, run, sleep

DEFAULT_SEED = 5
TICK = 0.1  # seconds in one tick


class Lanes:
    """Every task sleeps whole ticks, and wakes only in a lane of its own.

    Two tasks whose timers fall due at the same moment wake in whichever
    order the clock's microseconds decide, and then who gets which item
    could differ from run to run, on either backend. So a tick is cut into
    one *lane* per task, and a task wakes only at the start of its own
    lane: with 5 tasks and 0.1 s ticks, task 1 wakes at 0.02 s, 0.12 s,
    0.22 s..., never within 0.02 s of another task.

    Times are counted in lanes since the start, as whole numbers, so they
    never suffer from rounding. Each task keeps its own time: the moment it
    last woke, or the moment of whoever woke it (a consumer waiting in
    ``get`` wakes at the moment of the ``put``).
    """

    def __init__(self, count: int, tick: float) -> None:
        self.count = count
        self.lane_seconds = tick / count
        self.start = get_running_loop().time()

    def later(self, now: int, lane: int, ticks: int) -> int:
        """The start of ``lane`` that is ``ticks`` ticks after ``now`` (this tick counting)."""
        lanes_to_go = (lane - now) % self.count or self.count  # strictly after now
        return now + lanes_to_go + (ticks - 1) * self.count

    async def sleep_until(self, moment: int) -> None:
        """Sleep until ``moment`` (in lanes since the start)."""
        wake_at = self.start + moment * self.lane_seconds
        await sleep(max(0.0, wake_at - get_running_loop().time()))


@dataclass
class Item:
    """What producers put on the queue: a random hex string, and who put it when."""

    text: str
    producer: int
    put_at: float  # the loop's clock, to measure how long the item waited
    put_moment: int  # in lanes, for the consumer who gets it (see Lanes)

    def __repr__(self) -> str:
        return self.text  # so that printing the queue shows the items plainly


def counted(count: int, noun: str) -> str:
    """``1 tick``, ``2 ticks``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


async def produce(number: int, queue: Queue, lanes: Lanes, rng: random.Random) -> None:
    """Make a random number of items, each taking a random while; put each on the queue."""
    count = rng.randint(1, 5)
    print(f"producer {number} will make {counted(count, 'item')}")
    loop = get_running_loop()
    now = 0
    for index in range(1, count + 1):
        work = rng.randint(1, 3)
        print(f"producer {number} works on item {index} for {counted(work, 'tick')}")
        now = lanes.later(now, lane=number, ticks=work)
        await lanes.sleep_until(now)
        item = Item(f"{rng.getrandbits(24):06x}", number, loop.time(), now)
        await queue.put(item)  # never waits: the queue has no size limit
        print(f"producer {number} put {item} (queue size {queue.qsize()})")
    print(f"producer {number} is done")


async def consume(number: int, lane: int, queue: Queue, lanes: Lanes,
                  rng: random.Random) -> None:
    """Take items for ever: print each with its wait in the queue, work on it, mark it done."""
    loop = get_running_loop()
    now = 0
    try:
        while True:
            item = await queue.get()
            now = max(now, item.put_moment)  # if we waited for it, we woke with its put
            waited = loop.time() - item.put_at
            work = rng.randint(1, 6)
            print(f"consumer {number} got {item} from producer {item.producer}: "
                  f"waited {waited:0.2f} s; works on it for {counted(work, 'tick')}")
            now = lanes.later(now, lane=lane, ticks=work)
            await lanes.sleep_until(now)
            queue.task_done()
    except CancelledError:
        print(f"consumer {number} is cancelled while waiting for an item")
        raise


async def main(nprod: int, ncon: int, seed: int, tick: float) -> float:
    """Run the producers and consumers; return how long it all took (on the loop's clock)."""
    loop = get_running_loop()
    started = loop.time()
    queue = Queue()
    lanes = Lanes(nprod + ncon, tick)
    # One random generator per task, so that each task's choices do not
    # depend on the order in which the tasks happen to draw.
    producers = [create_task(produce(n, queue, lanes, random.Random(f"{seed}:p{n}")))
                 for n in range(nprod)]
    consumers = [create_task(consume(n, nprod + n, queue, lanes, random.Random(f"{seed}:c{n}")))
                 for n in range(ncon)]
    await gather(*producers)
    print(f"main: the producers are done; the queue is now {queue}")
    await queue.join()
    print(f"main: queue.join() returned: every item was marked done; {queue}")
    for consumer in consumers:
        consumer.cancel()
    await gather(*consumers, return_exceptions=True)
    return float(loop.time() - started)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: how many producers and consumers, the seed, the tick."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-p", "--nprod", type=int, default=3, metavar="N",
                        help="number of producers (default 3)")
    parser.add_argument("-c", "--ncon", type=int, default=2, metavar="N",
                        help="number of consumers (default 2)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--tick", type=float, default=TICK, metavar="SECONDS",
                        help=f"length of a tick in seconds (default {TICK}); "
                             "every sleep is a whole number of ticks")
    options = parser.parse_args(argv)
    if options.nprod < 1 or options.ncon < 1:
        parser.error("-p and -c must be at least 1")
    if not options.tick > 0:
        parser.error("--tick must be a positive number of seconds")
    return options


if __name__ == "__main__":
    options = parse_args()
    print(f"{options.nprod} producers, {options.ncon} consumers, seed {options.seed}")
    elapsed = run(main(options.nprod, options.ncon, options.seed, options.tick))
    print(f"program completed in {elapsed:0.2f} seconds")
