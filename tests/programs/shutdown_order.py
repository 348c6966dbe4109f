"""What asyncio.run does at the end: leftover tasks and async generators."""
import asyncio


async def leftover(name: str) -> None:
    try:
        await asyncio.sleep(10)
    finally:
        print("leftover", name, "cleans up")


async def ticks():
    try:
        for i in range(100):
            yield i
            await asyncio.sleep(0)
    finally:
        print("async generator closed")


async def main() -> None:
    # One leftover task: several would be cancelled in the order of a set,
    # which depends on memory addresses (on asyncio itself, too).
    kept = [asyncio.create_task(leftover("a"))]
    agen = ticks()
    print("first tick", await agen.__anext__())
    await asyncio.sleep(0.01)
    print("main returns, leaving", len(kept), "tasks behind")
    return None


asyncio.run(main())
print("after run")
