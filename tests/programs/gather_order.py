"""gather: result order, the same awaitable twice, failures, cancellation."""
import asyncio


async def job(name: str, delay: float, fail: bool = False) -> str:
    await asyncio.sleep(delay)
    print("finished", name)
    if fail:
        raise ValueError(name)
    return name


async def main() -> None:
    print(await asyncio.gather(job("slow", 0.03), job("fast", 0.01), job("mid", 0.02)))
    shared = asyncio.ensure_future(job("shared", 0.01))
    print(await asyncio.gather(shared, shared, job("other", 0)))
    print(await asyncio.gather(job("x", 0.01, fail=True), job("y", 0.02), return_exceptions=True))
    try:
        await asyncio.gather(job("bad", 0.01, fail=True), job("survivor", 0.02))
    except ValueError as exc:
        print("gather raised", repr(exc))
    await asyncio.sleep(0.03)
    outer = asyncio.gather(job("p", 0.05), job("q", 0.05))
    await asyncio.sleep(0.01)
    print("cancel outer:", outer.cancel())
    try:
        await outer
    except asyncio.CancelledError:
        print("outer cancelled:", outer.cancelled())
    print(await asyncio.gather())


asyncio.run(main())
