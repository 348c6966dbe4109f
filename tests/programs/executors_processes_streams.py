"""Executors, threads, a subprocess, semaphores, conditions, barriers, shield, streams."""

import asyncio
import sys
import threading
import time


def blocking(x: int) -> int:
    time.sleep(0.01)
    return x * 2


async def main() -> None:
    loop = asyncio.get_running_loop()
    print(await loop.run_in_executor(None, blocking, 21))
    print(await asyncio.to_thread(blocking, 5))
    fut = loop.create_future()
    wake = (fut.set_result, "from a thread")
    threading.Thread(target=loop.call_soon_threadsafe, args=wake).start()
    print(await fut)

    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "print('child says hi')", stdout=asyncio.subprocess.PIPE)
    out, _ = await child.communicate()
    print(out.decode().strip(), child.returncode)

    semaphore = asyncio.Semaphore(2)

    async def limited(i: int) -> None:
        async with semaphore:
            print("in", i)
            await asyncio.sleep(0.01)
            print("out", i)

    await asyncio.gather(*(limited(i) for i in range(4)))

    condition = asyncio.Condition()

    async def waits_for_notice(i: int) -> None:
        async with condition:
            await condition.wait()
            print("condition woke", i)

    waiters = [asyncio.create_task(waits_for_notice(i)) for i in range(3)]
    await asyncio.sleep(0)
    async with condition:
        condition.notify(2)
    await asyncio.sleep(0)
    async with condition:
        condition.notify_all()
    await asyncio.gather(*waiters)

    barrier = asyncio.Barrier(3)

    async def meets(i: int) -> None:
        print("barrier", i, "index", await barrier.wait())

    await asyncio.gather(*(meets(i) for i in range(3)))

    async def important() -> int:
        await asyncio.sleep(0.02)
        print("shielded work done")
        return 1

    work = asyncio.create_task(important())
    try:
        await asyncio.wait_for(asyncio.shield(work), 0.005)
    except TimeoutError:
        print("the caller timed out")
    print(await work)

    async def shout(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write((await reader.readline()).upper())
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(shout, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"hello\n")
    await writer.drain()
    print(await reader.readline())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
