"""Tasks: creation order, done callbacks, results, names, states."""
import asyncio


async def child(n: int) -> int:
    print("child", n, "starts")
    await asyncio.sleep(0)
    print("child", n, "ends")
    return n * 10


async def main() -> None:
    tasks = [asyncio.create_task(child(i), name=f"kid-{i}") for i in range(3)]
    for t in tasks:
        t.add_done_callback(lambda t: print("callback for", t.get_name(), t.result()))
    print("created", [t.get_name() for t in tasks], [t.done() for t in tasks])
    await asyncio.sleep(0)
    print("after one turn", [t.done() for t in tasks])
    print(await asyncio.gather(*tasks))
    await asyncio.sleep(0)
    t = asyncio.create_task(child(9))
    print("cancel before start:", t.cancel(), t.cancelling())
    try:
        await t
    except asyncio.CancelledError:
        print("cancelled before it ran:", t.cancelled())
    try:
        t.result()
    except asyncio.CancelledError:
        print("result() raises CancelledError")
    f = asyncio.get_running_loop().create_future()
    try:
        f.result()
    except asyncio.InvalidStateError as exc:
        print("InvalidStateError:", exc)
    f.set_result(1)
    try:
        f.set_result(2)
    except asyncio.InvalidStateError:
        print("set twice refused")


asyncio.run(main())
