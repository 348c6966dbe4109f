"""The workloads: each one measures one job of an event loop.

Run one workload on one runtime in a fresh process:

    python -m bench.workloads switch miniloop [--scale 0.01]

It prints one JSON line: ``{"workload", "runtime", "value", "unit",
"better", ...}``. ``bench/run.py`` runs many of these, interleaved, and
compares them. ``--scale`` shrinks every size (the CI smoke run uses 0.001).
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import random
import sys
import time
import types
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

from bench.runtimes import ASYNCIO_STYLE, Runtime, load

Result = dict[str, Any]
SEED = 20261124


def _sized(n: int, scale: float) -> int:
    return max(1, int(n * scale))


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def _result(value: float, unit: str, better: str, **extra: Any) -> Result:
    return {"value": value, "unit": unit, "better": better, **extra}


# --- switch: 100 tasks x 10,000 `await sleep(0)` --------------------------------------


def switch(rt: Runtime, scale: float) -> Result:
    tasks, rounds = 100, _sized(10_000, scale)

    async def spinner() -> None:
        for _ in range(rounds):
            await rt.sleep(0)

    async def main() -> float:
        start = time.perf_counter()
        await rt.gather(*[spinner() for _ in range(tasks)])
        return time.perf_counter() - start

    wall = rt.run(main())
    return _result(tasks * rounds / wall, "switches/s", "higher")


# --- spawn: create and gather 100,000 trivial tasks ----------------------------------------


def spawn(rt: Runtime, scale: float) -> Result:
    count = _sized(100_000, scale)

    async def trivial() -> None:
        pass

    async def main() -> float:
        start = time.perf_counter()
        await rt.gather(*[rt.create_task(trivial()) for _ in range(count)])
        return time.perf_counter() - start

    wall = rt.run(main())
    return _result(count / wall, "tasks/s", "higher")


# --- timers: 100,000 tasks, each sleeping a distinct random delay under 50 ms ---


def _delays(count: int) -> list[float]:
    rng = random.Random(SEED)
    return [rng.uniform(0.0, 0.05) for _ in range(count)]


def timers(rt: Runtime, scale: float, count: int | None = None) -> Result:
    count = count or _sized(100_000, scale)
    delays = _delays(count)

    async def main() -> float:
        start = time.perf_counter()
        await rt.gather(*[rt.sleep(delay) for delay in delays])
        return time.perf_counter() - start

    wall = rt.run(main())
    per_timer = max(0.0, wall - max(delays)) / count * 1e6
    return _result(per_timer, "us/timer", "lower", wall=wall)


# --- queue: 1 producer, 4 consumers, 200,000 items, bounded at 100 ---


def queue(rt: Runtime, scale: float) -> Result:
    items, consumers = _sized(200_000, scale), 4

    async def main() -> float:
        q = rt.Queue(maxsize=100)

        async def produce() -> None:
            for i in range(items):
                await q.put(i)
            for _ in range(consumers):
                await q.put(None)

        async def consume() -> None:
            while await q.get() is not None:
                pass

        start = time.perf_counter()
        await rt.gather(produce(), *[consume() for _ in range(consumers)])
        return time.perf_counter() - start

    wall = rt.run(main())
    return _result(items / wall, "items/s", "higher")


# --- echo: TCP echo on 127.0.0.1, 10 clients x 4,000 round trips of 64 bytes ---


async def echo_back(reader: Any, writer: Any) -> None:
    """The echo server's side of one connection: send back what comes in."""
    while data := await reader.read(4096):
        writer.write(data)
        await writer.drain()
    writer.close()


def echo(rt: Runtime, scale: float) -> Result:
    clients, trips = 10, _sized(4_000, scale)
    message = b"x" * 64

    async def client(port: int) -> None:
        reader, writer = await rt.open_connection("127.0.0.1", port)
        for _ in range(trips):
            writer.write(message)
            await writer.drain()
            await reader.readexactly(len(message))
        writer.close()
        await writer.wait_closed()

    async def main() -> float:
        server = await rt.start_server(echo_back, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        start = time.perf_counter()
        await rt.gather(*[client(port) for _ in range(clients)])
        wall = time.perf_counter() - start
        server.close()
        await server.wait_closed()
        return wall

    wall = rt.run(main())
    return _result(clients * trips / wall, "round trips/s", "higher")


# --- memory: 100,000 tasks parked in a long sleep -----------------------------------------------


def memory(rt: Runtime, scale: float, count: int | None = None) -> Result:
    count = count or _sized(100_000, scale)

    async def parked() -> None:
        await rt.sleep(3600)

    async def main() -> float:
        gc.collect()
        before = _rss_bytes()
        tasks = [rt.create_task(parked()) for _ in range(count)]
        await rt.sleep(0)
        await rt.sleep(0)  # every task has taken its first step and is parked
        gc.collect()
        after = _rss_bytes()
        for task in tasks:
            task.cancel()
        await rt.gather(*tasks, return_exceptions=True)
        return (after - before) / count

    per_task = rt.run(main())
    return _result(per_task, "bytes/task", "lower")


# --- http: aiohttp.web hello-world hit by concurrent aiohttp clients ---


async def start_hello_server() -> tuple[Any, str]:
    """aiohttp.web's hello world on 127.0.0.1: its runner (to clean up with) and its URL."""
    from aiohttp import web

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="Hello, world")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/"


async def fetch(url: str, requests: int) -> None:
    """One keep-alive aiohttp client: ``requests`` GETs of ``url``, one after another."""
    from aiohttp import ClientSession, TCPConnector

    async with ClientSession(connector=TCPConnector(limit=1)) as session:
        for _ in range(requests):
            async with session.get(url) as response:
                await response.read()


def http(rt: Runtime, scale: float) -> Result:
    clients, requests_each = 20, _sized(500, scale)

    async def main() -> float:
        runner, url = await start_hello_server()
        start = time.perf_counter()
        await rt.gather(*[fetch(url, requests_each) for _ in range(clients)])
        wall = time.perf_counter() - start
        await runner.cleanup()
        return wall

    wall = rt.run(main())
    return _result(clients * requests_each / wall, "requests/s", "higher")


# --- scale: cost per timer and bytes per task from 1k to 1M ---


SCALE_SIZES = (1_000, 10_000, 100_000, 1_000_000)


def scale_timers(rt: Runtime, scale: float) -> Result:
    sizes = [_sized(n, scale) for n in SCALE_SIZES]
    per_size = {str(n): timers(rt, scale, n)["value"] for n in sizes}
    return _result(per_size[str(sizes[-1])], "us/timer", "lower", by_size=per_size)


def scale_memory(rt: Runtime, scale: float) -> Result:
    sizes = [_sized(n, scale) for n in SCALE_SIZES]
    per_size = {str(n): memory(rt, scale, n)["value"] for n in sizes}
    return _result(per_size[str(sizes[-1])], "bytes/task", "lower", by_size=per_size)


ASYNCIO_STYLE_WORKLOADS: dict[str, Callable[[Runtime, float], Result]] = {
    "switch": switch, "spawn": spawn, "timers": timers, "queue": queue, "echo": echo,
    "memory": memory, "http": http, "scale-timers": scale_timers, "scale-memory": scale_memory,
}

# --- the floor: the least a Python-level scheduler can do ---------------------------------------


@types.coroutine
def _yield_none() -> Generator[None, None, None]:
    yield


def floor_switch(scale: float) -> Result:
    tasks, rounds = 100, _sized(10_000, scale)

    async def spinner() -> None:
        for _ in range(rounds):
            await _yield_none()

    ready = deque(spinner() for _ in range(tasks))
    start = time.perf_counter()
    while ready:
        coro = ready.popleft()
        try:
            coro.send(None)
        except StopIteration:
            continue
        ready.append(coro)
    wall = time.perf_counter() - start
    return _result(tasks * rounds / wall, "switches/s", "higher")


def floor_spawn(scale: float) -> Result:
    count = _sized(100_000, scale)

    async def trivial() -> None:
        pass

    start = time.perf_counter()
    ready = deque(trivial() for _ in range(count))
    while ready:
        try:
            ready.popleft().send(None)
        except StopIteration:
            pass
    wall = time.perf_counter() - start
    return _result(count / wall, "tasks/s", "higher")


FLOOR_WORKLOADS: dict[str, Callable[[float], Result]] = {
    "switch": floor_switch, "spawn": floor_spawn,
}

# --- trio: the same jobs in trio's own API ---


def trio_workload(name: str, scale: float) -> Result | None:
    import trio

    if name == "switch":
        rounds = _sized(10_000, scale)

        async def spinner() -> None:
            for _ in range(rounds):
                await trio.sleep(0)

        async def main() -> float:
            start = time.perf_counter()
            async with trio.open_nursery() as nursery:
                for _ in range(100):
                    nursery.start_soon(spinner)
            return time.perf_counter() - start

        return _result(100 * rounds / trio.run(main), "switches/s", "higher")
    if name == "spawn":
        count = _sized(100_000, scale)

        async def trivial() -> None:
            pass

        async def spawn_main() -> float:
            start = time.perf_counter()
            async with trio.open_nursery() as nursery:
                for _ in range(count):
                    nursery.start_soon(trivial)
            return time.perf_counter() - start

        return _result(count / trio.run(spawn_main), "tasks/s", "higher")
    if name == "timers":
        delays = _delays(_sized(100_000, scale))

        async def timers_main() -> float:
            start = time.perf_counter()
            async with trio.open_nursery() as nursery:
                for delay in delays:
                    nursery.start_soon(trio.sleep, delay)
            return time.perf_counter() - start

        wall = trio.run(timers_main)
        return _result(max(0.0, wall - max(delays)) / len(delays) * 1e6, "us/timer", "lower")
    if name == "queue":
        items = _sized(200_000, scale)

        async def queue_main() -> float:
            send, receive = trio.open_memory_channel[Any](100)

            async def produce() -> None:
                async with send:
                    for i in range(items):
                        await send.send(i)

            async def consume(channel: Any) -> None:
                async with channel:
                    async for _ in channel:
                        pass

            start = time.perf_counter()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(produce)
                for _ in range(4):
                    nursery.start_soon(consume, receive.clone())
                await receive.aclose()
            return time.perf_counter() - start

        return _result(items / trio.run(queue_main), "items/s", "higher")
    if name == "echo":
        trips = _sized(4_000, scale)
        message = b"x" * 64

        async def echo_main() -> float:
            async def serve_one(stream: Any) -> None:
                async for data in stream:
                    await stream.send_all(data)

            async def client(port: int) -> None:
                stream = await trio.open_tcp_stream("127.0.0.1", port)
                async with stream:
                    for _ in range(trips):
                        await stream.send_all(message)
                        got = b""
                        while len(got) < len(message):
                            got += await stream.receive_some(len(message) - len(got))

            async with trio.open_nursery() as servers:
                serve = functools.partial(trio.serve_tcp, serve_one, 0, host="127.0.0.1")
                listeners = await servers.start(serve)
                port = listeners[0].socket.getsockname()[1]
                start = time.perf_counter()
                async with trio.open_nursery() as nursery:
                    for _ in range(10):
                        nursery.start_soon(client, port)
                wall = time.perf_counter() - start
                servers.cancel_scope.cancel()
            return wall

        return _result(10 * trips / trio.run(echo_main), "round trips/s", "higher")
    if name == "memory":
        count = _sized(100_000, scale)

        async def memory_main() -> float:
            gc.collect()
            before = _rss_bytes()
            async with trio.open_nursery() as nursery:
                for _ in range(count):
                    nursery.start_soon(trio.sleep, 3600)
                await trio.sleep(0)
                await trio.sleep(0)
                gc.collect()
                after = _rss_bytes()
                nursery.cancel_scope.cancel()
            return (after - before) / count

        return _result(trio.run(memory_main), "bytes/task", "lower")
    return None


def measure(workload: str, runtime: str, scale: float) -> Result | None:
    """Run one workload on one runtime; None if the runtime cannot express it."""
    if runtime == "floor":
        floor = FLOOR_WORKLOADS.get(workload)
        return floor(scale) if floor else None
    if runtime == "trio":
        return trio_workload(workload, scale)
    if runtime not in ASYNCIO_STYLE:
        raise ValueError(f"unknown runtime {runtime!r}")
    if workload == "http" and runtime == "miniloop":
        return None  # aiohttp speaks asyncio's API: see miniloop-asyncio
    return ASYNCIO_STYLE_WORKLOADS[workload](load(runtime), scale)


WORKLOADS = tuple(ASYNCIO_STYLE_WORKLOADS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one workload on one runtime.")
    parser.add_argument("workload", choices=WORKLOADS)
    parser.add_argument("runtime")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size")
    args = parser.parse_args(argv)
    result = measure(args.workload, args.runtime, args.scale)
    if result is None:
        print(json.dumps({"workload": args.workload, "runtime": args.runtime, "skipped": True}))
        return 0
    result.update(workload=args.workload, runtime=args.runtime,
                  python=sys.version.split()[0])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
