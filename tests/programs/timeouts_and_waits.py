"""wait_for, timeout, wait and as_completed."""
import asyncio


async def job(name: str, delay: float) -> str:
    await asyncio.sleep(delay)
    return name


async def main() -> None:
    print(await asyncio.wait_for(job("quick", 0.01), timeout=1))
    try:
        await asyncio.wait_for(job("slow", 1), timeout=0.01)
    except TimeoutError:
        print("wait_for timed out")
    try:
        async with asyncio.timeout(0.01) as cm:
            await asyncio.sleep(1)
    except TimeoutError:
        print("timeout expired:", cm.expired())
    tasks = [asyncio.create_task(job(n, d)) for n, d in [("a", 0.08), ("b", 0.01), ("c", 0.03)]]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    print("first completed:", sorted(t.result() for t in done), len(pending))
    done, pending = await asyncio.wait(tasks, timeout=0.04)
    print("after timeout:", len(done), len(pending))
    await asyncio.wait(tasks)
    # Already-finished futures come out of as_completed in no promised
    # order, so give it fresh ones, finishing at well separated times.
    fresh = [job(n, d) for n, d in [("late", 0.05), ("early", 0.01), ("middle", 0.03)]]
    for fut in asyncio.as_completed(fresh):
        print("as completed:", await fut)

asyncio.run(main())
