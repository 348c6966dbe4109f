"""Context variables per task; timeout, wait_for, wait, as_completed, TaskGroup, cancel."""

import asyncio
import contextvars

var = contextvars.ContextVar("var", default="none")


async def child(n: int) -> None:
    print("child", n, "sees", var.get())
    var.set(f"child{n}")
    await asyncio.sleep(0)
    print("child", n, "still sees", var.get())


async def main() -> None:
    var.set("main")
    first = asyncio.create_task(child(1))
    var.set("main2")
    second = asyncio.create_task(child(2))
    await asyncio.gather(first, second)
    print("main sees", var.get())
    try:
        async with asyncio.timeout(0.01):
            await asyncio.sleep(1)
    except TimeoutError:
        print("timeout")
    try:
        await asyncio.wait_for(asyncio.sleep(1), 0.01)
    except TimeoutError:
        print("wait_for timed out")
    sleepers = [asyncio.create_task(asyncio.sleep(0.01 * (i + 1), i)) for i in range(3)]
    done, pending = await asyncio.wait(sleepers, return_when=asyncio.FIRST_COMPLETED)
    print(len(done), "done,", len(pending), "pending")
    for task in pending:
        task.cancel()
    for earliest in asyncio.as_completed([asyncio.sleep(0.02, "b"), asyncio.sleep(0.01, "a")]):
        print(await earliest)
    async with asyncio.TaskGroup() as group:
        for i in range(3):
            group.create_task(child(10 + i))
    sleeper = asyncio.create_task(asyncio.sleep(10))
    await asyncio.sleep(0)
    sleeper.cancel("bye")
    try:
        await sleeper
    except asyncio.CancelledError as exc:
        print("cancelled with", exc.args)


asyncio.run(main())
