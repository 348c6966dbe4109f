"""Locks, events, semaphores and queues wake waiters in FIFO order."""
import asyncio


async def main() -> None:
    lock = asyncio.Lock()
    event = asyncio.Event()
    sem = asyncio.Semaphore(2)
    q: asyncio.Queue[int] = asyncio.Queue(maxsize=2)

    async def locker(n: int) -> None:
        async with lock:
            print("lock held by", n)
            await asyncio.sleep(0)

    async def waiter(n: int) -> None:
        await event.wait()
        print("event seen by", n)

    async def limited(n: int) -> None:
        async with sem:
            print("in semaphore", n)
            await asyncio.sleep(0.01)

    await asyncio.gather(*(locker(i) for i in range(3)))
    waiters = [asyncio.create_task(waiter(i)) for i in range(3)]
    await asyncio.sleep(0)
    event.set()
    await asyncio.gather(*waiters)
    await asyncio.gather(*(limited(i) for i in range(4)))

    async def producer() -> None:
        for i in range(5):
            await q.put(i)
            print("put", i, "size", q.qsize())

    async def consumer() -> None:
        for _ in range(5):
            item = await q.get()
            print("got", item)
            q.task_done()

    await asyncio.gather(producer(), consumer())
    await q.join()
    print("queue joined; empty:", q.empty())


asyncio.run(main())
