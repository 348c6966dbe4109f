"""Async generators closed by break and at shutdown; a failed task nobody awaited is reported."""

import asyncio
import gc
from collections.abc import AsyncIterator
from typing import Any


async def numbers() -> AsyncIterator[int]:
    try:
        for i in range(10):
            yield i
            await asyncio.sleep(0)
    finally:
        print("numbers closed")


async def main() -> None:
    async for n in numbers():
        print(n)
        if n == 2:
            break
    left_open = numbers()
    print(await left_open.__anext__())
    print("leaving main: asyncio.run closes what is left open")


async def failing() -> None:
    raise RuntimeError("oops")


async def forgets_a_task() -> None:
    task = asyncio.create_task(failing())
    await asyncio.sleep(0.01)
    print("task done:", task.done())
    del task


def handler(loop: Any, context: dict[str, Any]) -> None:
    print("handler:", context["message"], repr(context.get("exception")))


asyncio.run(main())
loop = asyncio.new_event_loop()
loop.set_exception_handler(handler)
loop.run_until_complete(forgets_a_task())
gc.collect()
loop.close()
print("end")
