"""Chapter 9 exercise: Alice and Bob, two locks, and a program that never ends.

Run it on miniloop to see why it hangs, fix ``main``, then check it:

    python -m miniloop this_file.py          # the deadlock report
    python -m miniloop --trace this_file.py  # the whole story, step by step
    python -m miniloop.exercises 9 this_file.py
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
        use_both(say, "bob", cash, "cash", books, "books"),
    )
    say("all done")


if __name__ == "__main__":
    asyncio.run(main(print))
