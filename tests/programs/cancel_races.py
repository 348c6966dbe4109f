"""Cancellation corners: catching, messages, cancel while waiting on a task."""
import asyncio


async def stubborn() -> str:
    try:
        await asyncio.sleep(1)
    except asyncio.CancelledError:
        print("stubborn: caught it, carrying on")
    await asyncio.sleep(0.01)
    return "survived"


async def waits_on(other: "asyncio.Task[str]") -> str:
    return await other


async def main() -> None:
    t = asyncio.create_task(stubborn())
    await asyncio.sleep(0.01)
    t.cancel("please stop")
    print("stubborn result:", await t, "cancelling:", t.cancelling())

    inner = asyncio.create_task(asyncio.sleep(1, "inner"))
    outer = asyncio.create_task(waits_on(inner))
    await asyncio.sleep(0.01)
    outer.cancel("from main")
    try:
        await outer
    except asyncio.CancelledError as exc:
        print("outer cancelled with", exc.args, "inner cancelled:", inner.cancelled())

    t2 = asyncio.create_task(asyncio.sleep(1))
    await asyncio.sleep(0)
    t2.cancel()
    t2.cancel()
    print("cancelling after two requests:", t2.cancelling(), "uncancel ->", t2.uncancel())
    try:
        await t2
    except asyncio.CancelledError:
        print("t2 cancelled")

    async def returns_at_once() -> str:
        return "done"

    t3 = asyncio.create_task(returns_at_once())
    await asyncio.sleep(0)
    print("cancel a finished task:", t3.cancel(), t3.result())


asyncio.run(main())
