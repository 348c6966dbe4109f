"""sleep(0) yields one turn; a sleeping task wakes a turn after its timer."""
import asyncio


async def ticker(name: str, n: int) -> None:
    for i in range(n):
        print(name, i)
        await asyncio.sleep(0)


async def sleeper() -> None:
    print("sleeper starts")
    await asyncio.sleep(0.01)
    print("sleeper wakes")


async def main() -> None:
    await asyncio.gather(ticker("a", 4), sleeper(), ticker("b", 3))
    result = await asyncio.sleep(0, "value")
    print("sleep returns", result)
    print(await asyncio.sleep(0.001, result="later value"))


asyncio.run(main())
