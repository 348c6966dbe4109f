"""A cache warmed by a thread at start-up; the first request assumes it is warm.

Loading the cache is blocking work, so it runs in a thread
(``asyncio.to_thread``), and a task stores what it returns. The first
request comes 50 ms later. Loading takes a millisecond on the
developer's machine, so the request always finds the cache warm. On a
busy server the thread pool is slow to start the job, or the disk is
slow, and the request finds the cache empty.

Kind of bug: a thread job that takes longer than usual.
"""

import asyncio
import sys

cache: dict[str, str] = {}


def load() -> dict[str, str]:
    return {"greeting": "hello"}


async def warm_up() -> None:
    cache.update(await asyncio.to_thread(load))


async def main() -> int:
    warming = asyncio.create_task(warm_up())
    await asyncio.sleep(0.05)
    greeting = cache.get("greeting")
    print(f"first request: {greeting or 'cache was cold'}")
    await warming
    return 0 if greeting else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
