"""gather: interleaving, results in argument order, the first failure, return_exceptions."""

import asyncio


async def work(name: str, steps: int) -> str:
    for step in range(steps):
        print(name, step)
        await asyncio.sleep(0)
    return name * 2


async def boom() -> None:
    await asyncio.sleep(0)
    raise KeyError("k")


async def main() -> None:
    print(await asyncio.gather(work("a", 3), work("b", 2), asyncio.sleep(0, "s"), work("c", 1)))
    task = asyncio.ensure_future(work("d", 2))
    print(task.done(), await task, task.done())
    try:
        await asyncio.gather(work("e", 3), boom())
    except KeyError as exc:
        print("caught", repr(exc))
    await asyncio.sleep(0.01)  # e goes on after gather gave up
    print(await asyncio.gather(boom(), work("f", 1), return_exceptions=True))


asyncio.run(main())
