"""The old style: get_event_loop, run_until_complete, create_task, wait; then run with debug."""

import asyncio
import warnings


async def count() -> None:
    print("One")
    await asyncio.sleep(0.01)
    print("Two")


async def main() -> None:
    print(asyncio.current_task().get_name().startswith("Task-"))  # type: ignore[union-attr]
    print(len(asyncio.all_tasks()))
    await asyncio.sleep(0)


with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # no current loop: 3.12+ warns
    loop = asyncio.get_event_loop()
loop.run_until_complete(asyncio.gather(count(), count()))
tasks = [loop.create_task(count()) for _ in range(2)]
loop.run_until_complete(asyncio.wait(tasks))
print(all(task.done() for task in tasks))
loop.close()
asyncio.run(main(), debug=True)
