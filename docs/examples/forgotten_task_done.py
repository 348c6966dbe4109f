"""A program that never ends: the worker forgot to call ``task_done()``.

``queue.join()`` waits until every item put on the queue has been marked
done. Nobody marks them, so ``main`` waits for ever, and so does the worker,
in ``queue.get()``. On asyncio this program hangs silently; run it on
miniloop to be told why::

    python -m miniloop docs/examples/forgotten_task_done.py
"""

import asyncio


async def worker(queue: asyncio.Queue[str]) -> None:
    while True:
        item = await queue.get()
        print("worker got", item)
        # The bug: queue.task_done() is missing here.


async def main() -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    task = asyncio.create_task(worker(queue), name="worker")
    for item in ("apples", "pears"):
        await queue.put(item)
    await queue.join()  # waits until every item is marked done
    task.cancel()
    print("all items processed")


if __name__ == "__main__":
    asyncio.run(main())
