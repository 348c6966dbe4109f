"""An echo server and its client: what happens while a task waits for a socket.

The server answers every line with the same line. The client sends a few
lines and waits for each to come back. Both are tasks on one loop, in one
thread, and neither ever blocks the thread. When the server's task asks
for a line that has not arrived yet, this is what happens:

    1. ``await reader.readline()`` finds the stream's buffer empty;
    2. the task parks: it creates a future, awaits it, and its coroutine is
       suspended right there; the loop moves on to other tasks;
    3. with nothing else to do, the loop sleeps in the selector
       (``select()``/``epoll``), which watches every open socket at once;
    4. the client's bytes arrive; the kernel marks the server's socket
       readable; the selector wakes the loop up;
    5. the loop runs the socket's read callback: it reads the bytes, puts
       them in the stream's buffer, and completes the future;
    6. the parked task is back on the ready queue, and on its next step
       ``readline()`` returns the line.

Nobody polled, nobody slept a fixed time: the task waits exactly as long
as the data takes. The same six steps happen on the client's side for the
echo. To see them in miniloop's code, read ``miniloop/io/streams.py``
(steps 1, 2 and 6), ``miniloop/core/loop.py`` (step 3) and
``miniloop/io/transports.py`` (step 5); ``miniloop/io/sockets.py`` shows
the bare version, a task waiting on one socket with ``sock_recv``.

    python -m demos.echo                 # on asyncio
    python -m miniloop demos.echo        # on miniloop
    python -m miniloop --trace demos.echo   # ... and watch the tasks park
    python -m compat demos.echo          # both, side by side
"""

from __future__ import annotations

import argparse
import functools

from compat import Event, get_running_loop, open_connection, run, sleep, start_server

WORDS = ("hello", "how does a task wait?", "it parks on a future", "goodbye")


async def handle_client(reader, writer, finished) -> None:  # type: ignore[no-untyped-def]
    """The server's side of one connection: echo lines until the client leaves."""
    try:
        await echo_lines(reader, writer)
    finally:
        finished.set()


async def echo_lines(reader, writer) -> None:  # type: ignore[no-untyped-def]
    """Echo lines until the end of the stream."""
    writer.write(b"welcome to the echo server\n")
    await writer.drain()
    while True:
        print("server: waiting for a line (the task parks; the selector watches the socket)")
        line = await reader.readline()
        if not line:
            print("server: end of stream: the client closed its side")
            break
        text = line.decode().rstrip("\n")
        print(f"server: woken up by the selector with {text!r}; echoing it")
        writer.write(line)
        await writer.drain()  # parks only if the client stopped reading
    writer.close()
    await writer.wait_closed()


async def client(port: int, words: list[str], pause: float) -> None:
    """Send each word, wait for its echo."""
    reader, writer = await open_connection("127.0.0.1", port)
    print(f"client: connected; the server says {(await reader.readline()).decode().strip()!r}")
    for word in words:
        print(f"client: sending {word!r}")
        writer.write(word.encode() + b"\n")
        await writer.drain()
        echoed = (await reader.readline()).decode().rstrip("\n")
        print(f"client: got {echoed!r} back")
        await sleep(pause)  # nothing to send: the server's task stays parked
    print("client: closing the connection")
    writer.close()
    await writer.wait_closed()


async def main(words: list[str], pause: float) -> None:
    """Start the server, run one client against it, stop the server."""
    finished = Event()  # set when the server's side of the connection is done
    server = await start_server(functools.partial(handle_client, finished=finished),
                                "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print("server: listening on 127.0.0.1 (the system chose a free port)")
    started = get_running_loop().time()
    await client(port, words, pause)
    await finished.wait()  # the server's task sees the end of the stream
    server.close()
    await server.wait_closed()
    print(f"done: {len(words)} round trips; took {get_running_loop().time() - started:.2f} s, "
          f"mostly the client's pauses")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("words", nargs="*", default=list(WORDS),
                        help="what the client sends, one line each (default: a short chat)")
    parser.add_argument("--pause", type=float, default=0.1,
                        help="seconds the client waits between lines (default: %(default)s)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = parse_args()
    run(main(options.words, options.pause))
