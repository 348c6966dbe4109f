"""call_soon, call_later and call_at, a cancelled handle: who runs when."""

import asyncio


def note(what: str) -> None:
    print("callback", what)


async def main() -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(0.02, note, "later-20ms")
    loop.call_later(0.01, note, "later-10ms")
    loop.call_at(loop.time() + 0.01, note, "at-10ms")
    loop.call_soon(note, "soon-1")
    cancelled = loop.call_soon(note, "cancelled")
    cancelled.cancel()
    loop.call_soon(note, "soon-2")
    print("main before sleep(0)")
    await asyncio.sleep(0)
    print("main after sleep(0)")
    await asyncio.sleep(0.03)
    print("done; the handle says cancelled:", cancelled.cancelled())


asyncio.run(main())
