"""Race-free: a producer and consumers meet at a queue, a lock guards a read-await-write.

Everything printed is decided by asyncio's guarantees alone (a queue is
first in, first out; a lock is granted in the order it was asked for;
gather returns results in the order of its arguments), so every schedule
gives the same output, however late any step, timer or thread job is.
"""

import asyncio


async def main() -> None:
    queue: asyncio.Queue[int | None] = asyncio.Queue(maxsize=2)
    lock = asyncio.Lock()
    account = {"balance": 0}

    async def produce() -> None:
        for item in range(6):
            await queue.put(item)
            await asyncio.sleep(0.01)
        for _ in range(2):
            await queue.put(None)

    async def consume(name: str) -> list[int]:
        got = []
        while (item := await queue.get()) is not None:
            got.append(item)
            async with lock:  # read, await, write: safe under the lock
                balance = account["balance"]
                await asyncio.sleep(0.005)
                account["balance"] = balance + item
        return got

    results = await asyncio.gather(produce(), consume("a"), consume("b"))
    consumed = sorted(results[1] + results[2])
    print(f"consumed {consumed}, balance {account['balance']}")
    square = await asyncio.to_thread(pow, 7, 2)
    print(f"a thread computed {square}")


if __name__ == "__main__":
    asyncio.run(main())
