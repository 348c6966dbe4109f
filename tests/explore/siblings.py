"""A TaskGroup's siblings clean up in the order they are cancelled: a set's order.

A logger task writes its buffered lines to a database connection when it
is cancelled; the task that owns the connection closes it when it is
cancelled. When a third task fails, the group cancels both. The program
assumes the logger goes first (it was created first). But asyncio keeps
a group's tasks in a set and cancels them in the set's order, which
depends on where the tasks sit in memory: when the owner goes first, the
connection is closed under the logger and its lines are lost.

With asyncio.TaskGroup even a plain run shows either order, depending on
the Python and the run (try it a few times on 3.12). This example uses
miniloop's TaskGroup, which cancels in creation order, one of asyncio's
orders, unless a schedule says otherwise; the explorer varies both.

Kind of bug: the order asyncio takes tasks from a set.
"""

import asyncio
import sys

from miniloop import TaskGroup


async def main() -> int:
    database = {"open": True, "rows": []}
    lost: list[str] = []

    async def logger() -> None:
        buffer = ["request started"]
        try:
            await asyncio.sleep(1)
        finally:
            if database["open"]:
                database["rows"].append(buffer.pop())
            else:
                lost.extend(buffer)

    async def connection_owner() -> None:
        try:
            await asyncio.sleep(1)
        finally:
            database["open"] = False

    async def request() -> None:
        await asyncio.sleep(0.01)
        raise RuntimeError("request failed")

    try:
        async with TaskGroup() as group:
            group.create_task(logger())
            group.create_task(connection_owner())
            group.create_task(request())
    except* RuntimeError:
        pass
    print(f"rows written: {database['rows']}, lines lost: {lost}")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
