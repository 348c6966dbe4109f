"""Chapter 9, a reference solution: Alice and Bob take the locks in one order.

The deadlock report showed a cycle: Alice holds the books and waits for the
cash, which Bob holds while he waits for the books. A cycle needs two tasks
that take the same locks in opposite orders. Give every task the same
order (books, then cash) and it cannot form: whoever gets the books first
also gets the cash, while the other waits at the books.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

Say = Callable[..., None]


async def use_both(say: Say, name: str, first: asyncio.Lock, first_name: str,
                   second: asyncio.Lock, second_name: str) -> None:
    """Take ``first``, give way for a turn, then take ``second`` as well."""
    async with first:
        say(name, "holds", first_name)
        await asyncio.sleep(0)  # the other task runs here
        async with second:
            say(name, "holds", first_name, "and", second_name)
    say(name, "is done")


async def main(say: Say) -> None:
    """Alice and Bob both need the books and the cash."""
    books = asyncio.Lock()
    cash = asyncio.Lock()
    await asyncio.gather(
        use_both(say, "alice", books, "books", cash, "cash"),
        use_both(say, "bob", books, "books", cash, "cash"),  # the same order as alice
    )
    say("all done")


if __name__ == "__main__":
    asyncio.run(main(print))
