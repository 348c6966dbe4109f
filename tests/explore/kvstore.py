"""One client sets a key, another reads it: the reader assumes it is served second.

A tiny key-value server runs in the program. Two clients connect; the
first sends ``SET color blue``, and right after it the second sends ``GET
color``. The program assumes the server sees the SET first because it
was sent first. Locally it always is: both requests are ready at once
and the kernel reports them in the order they arrived. Over a network,
or when the kernel reports the two sockets the other way round, the GET
is served first and finds nothing.

Kind of bug: the order in which two peers' messages are seen.
"""

import asyncio
import sys


async def main() -> int:
    store: dict[str, str] = {}

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            command, key, *value = line.decode().split()
            if command == "SET":
                store[key] = value[0]
                writer.write(b"OK\n")
            else:
                writer.write(f"{store.get(key, '(nothing)')}\n".encode())
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    setter = await asyncio.open_connection("127.0.0.1", port)
    getter = await asyncio.open_connection("127.0.0.1", port)
    setter[1].write(b"SET color blue\n")
    getter[1].write(b"GET color\n")
    await setter[0].readline()
    answer = (await getter[0].readline()).decode().strip()
    print(f"color is {answer}")
    for _, writer in (setter, getter):
        writer.close()
        await writer.wait_closed()
    server.close()
    await server.wait_closed()
    return 0 if answer == "blue" else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
