"""run_in_executor, to_thread, call_soon_threadsafe, run_coroutine_threadsafe."""
import asyncio
import threading
import time


def blocking(n: int) -> int:
    time.sleep(0.01)
    return n * 2


async def main() -> None:
    loop = asyncio.get_running_loop()
    print(await loop.run_in_executor(None, blocking, 21))
    print(await asyncio.to_thread(blocking, 5))
    fut = loop.create_future()

    def from_thread() -> None:
        time.sleep(0.01)
        loop.call_soon_threadsafe(fut.set_result, "woken from a thread")

    threading.Thread(target=from_thread).start()
    print(await fut)

    async def on_loop() -> str:
        await asyncio.sleep(0)
        return "ran on the loop"

    cfut = asyncio.run_coroutine_threadsafe(on_loop(), loop)
    print(await asyncio.wrap_future(cfut))


asyncio.run(main())
