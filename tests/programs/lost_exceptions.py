"""Errors nobody awaits are reported, not lost (printed on stderr)."""
import asyncio
import gc


async def fails() -> None:
    raise ValueError("nobody awaited me")


async def main() -> None:
    loop = asyncio.get_running_loop()
    seen = []
    loop.set_exception_handler(lambda loop, ctx: seen.append(ctx["message"]))
    t = asyncio.create_task(fails())
    await asyncio.sleep(0.01)
    del t
    gc.collect()
    loop.call_soon(lambda: 1 / 0)
    await asyncio.sleep(0.01)
    for message in seen:
        print("reported:", message.split(" at ")[0])


asyncio.run(main())
