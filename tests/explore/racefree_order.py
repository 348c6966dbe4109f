"""Race-free: what asyncio guarantees about order, printed.

Callbacks scheduled in one turn run in the order they were scheduled;
tasks woken by one event step in the order they started waiting; timers
fire in the order of their deadlines; a done future's callbacks run in
the order they were added. The explorer may not change any of it: every
schedule prints the same.
"""

import asyncio


async def main() -> None:
    loop = asyncio.get_running_loop()
    seen: list[str] = []
    for name in "abc":
        loop.call_soon(seen.append, f"soon {name}")
    await asyncio.sleep(0)
    event = asyncio.Event()

    async def waiter(name: str) -> None:
        await event.wait()
        seen.append(f"woken {name}")

    waiters = [asyncio.create_task(waiter(name)) for name in "xyz"]
    await asyncio.sleep(0)
    event.set()
    await asyncio.gather(*waiters)

    # Armed in one step, nothing can run between them: their deadlines
    # keep their distances, and they fire in deadline order.
    finished = loop.create_future()
    for seconds in (0.3, 0.1, 0.2):
        loop.call_later(seconds, seen.append, f"timer {seconds}")
    loop.call_later(0.4, finished.set_result, None)
    await finished
    future = loop.create_future()
    for name in "pq":
        future.add_done_callback(lambda _, name=name: seen.append(f"done callback {name}"))
    future.set_result(None)
    await asyncio.sleep(0)
    print("\n".join(seen))


if __name__ == "__main__":
    asyncio.run(main())
