"""One future, several waiters and callbacks; an event and a queue with several consumers."""

import asyncio


async def main() -> None:
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    fut.add_done_callback(lambda f: print("first callback sees", f.result()))

    async def waiter(i: int) -> None:
        print("waiter", i, "got", await fut)

    waiters = [asyncio.create_task(waiter(i)) for i in range(3)]
    await asyncio.sleep(0)
    fut.add_done_callback(lambda f: print("callback added after the waiters"))
    fut.set_result(42)
    print("result set")
    await asyncio.gather(*waiters)

    event = asyncio.Event()

    async def event_waiter(i: int) -> None:
        await event.wait()
        print("event woke", i)

    waiters = [asyncio.create_task(event_waiter(i)) for i in range(3)]
    await asyncio.sleep(0)
    event.set()
    await asyncio.gather(*waiters)

    queue: asyncio.Queue[int | None] = asyncio.Queue()

    async def consumer(i: int) -> None:
        while (item := await queue.get()) is not None:
            print("consumer", i, "took", item)
            queue.task_done()
        queue.task_done()

    consumers = [asyncio.create_task(consumer(i)) for i in range(2)]
    for item in range(5):
        await queue.put(item)
    for _ in consumers:
        await queue.put(None)
    await queue.join()
    print("joined")
    await asyncio.gather(*consumers)


asyncio.run(main())
