"""call_soon, call_later and call_at: the order callbacks run in."""
import asyncio


async def main() -> None:
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    now = loop.time()
    for name in "abc":
        loop.call_soon(print, "soon", name)
    for i, delay in enumerate([0.03, 0.01, 0.02, 0.01]):
        loop.call_later(delay, print, "later", i, delay)
    for i in range(6):  # six timers due at the very same instant
        loop.call_at(now + 0.05, print, "at", i)
    handle = loop.call_soon(print, "never printed")
    handle.cancel()
    timer = loop.call_later(0.02, print, "never printed either")
    timer.cancel()
    loop.call_at(now + 0.06, done.set_result, None)
    print("scheduled; cancelled:", handle.cancelled(), timer.cancelled())
    await done
    print("done")


asyncio.run(main())
