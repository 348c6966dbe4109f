"""run_forever and stop, refused nested runs, a closed loop, a future's states."""

import asyncio

loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)


def tick(n: int) -> None:
    print("tick", n)
    if n < 3:
        loop.call_soon(tick, n + 1)
    else:
        loop.stop()


async def nested() -> None:
    try:
        loop.run_until_complete(asyncio.sleep(0))
    except RuntimeError as exc:
        print("refused:", exc)
    coro = asyncio.sleep(0)
    try:
        asyncio.run(coro)
    except RuntimeError as exc:
        print("refused:", exc)
    coro.close()


loop.call_soon(tick, 0)
loop.run_forever()
print("stopped; running?", loop.is_running())
loop.run_until_complete(nested())
loop.call_soon(print, "after stop")
loop.stop()
loop.run_forever()  # stop() before run_forever: one turn, then out
print("second run done")
loop.close()
try:
    loop.call_soon(print, "never")
except RuntimeError as exc:
    print("closed:", exc)

other = asyncio.new_event_loop()
fut = other.create_future()
print(fut.done(), fut.cancelled())
try:
    fut.result()
except asyncio.InvalidStateError as exc:
    print("invalid:", exc)
fut.cancel("why")
try:
    fut.result()
except asyncio.CancelledError as exc:
    print("cancelled:", exc.args)
other.close()
