"""TaskGroup: a failure cancels the siblings; errors arrive as an ExceptionGroup."""
import asyncio


async def ok(name: str, delay: float) -> str:
    try:
        await asyncio.sleep(delay)
        print("ok", name)
        return name
    except asyncio.CancelledError:
        print("cancelled", name)
        raise


async def bad(name: str, delay: float) -> None:
    await asyncio.sleep(delay)
    raise RuntimeError(name)


async def main() -> None:
    async with asyncio.TaskGroup() as tg:
        a = tg.create_task(ok("a", 0.01))
        b = tg.create_task(ok("b", 0.02))
    print("results", a.result(), b.result())
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(ok("c", 0.05))
            tg.create_task(bad("boom", 0.01))
            tg.create_task(bad("bang", 0.01))
    except* RuntimeError as group:
        print("caught", sorted(str(e) for e in group.exceptions))


asyncio.run(main())
