"""Load: an aiohttp.web server on miniloop's loop, hundreds of keep-alive clients.

Marked slow: ``python -m pytest --run-slow tests/io/test_load.py -s`` (the
``-s`` shows the figures).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import miniloop
from tests.io.fd_leaks import open_fds

CLIENTS = 300
REQUESTS = 30_000


async def load(clients: int, requests: int) -> dict[str, Any]:
    """Serve ``requests`` requests to ``clients`` concurrent keep-alive clients."""
    peers: set[Any] = set()

    async def hello(request: web.Request) -> web.Response:
        peers.add(request.transport.get_extra_info("peername") if request.transport else None)
        return web.Response(text="Hello, world")

    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_post("/echo", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    errors: list[str] = []
    done = 0
    per_client = requests // clients

    async def client(session: aiohttp.ClientSession, number: int) -> None:
        nonlocal done
        for index in range(per_client):
            try:
                if index % 10 == 9:
                    payload = f"{number}:{index}".encode() * 50
                    async with session.post(f"{url}/echo", data=payload) as response:
                        if response.status != 200 or await response.read() != payload:
                            errors.append(f"echo {response.status}")
                else:
                    async with session.get(url + "/") as response:
                        if response.status != 200 or await response.text() != "Hello, world":
                            errors.append(f"get {response.status}")
            except Exception as exc:
                errors.append(repr(exc))
            done += 1

    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(client(session, n) for n in range(clients)))
    took = time.perf_counter() - started
    await runner.cleanup()
    return {"requests": done, "errors": errors, "connections": len(peers), "seconds": took}


@pytest.mark.slow
def test_aiohttp_web_under_load_on_miniloop() -> None:
    before = open_fds()
    outcome = miniloop.run(load(CLIENTS, REQUESTS))
    after = open_fds()
    rate = outcome["requests"] / outcome["seconds"]
    print(f"\nminiloop: {outcome['requests']} requests from {CLIENTS} keep-alive clients "
          f"over {outcome['connections']} connections in {outcome['seconds']:.1f} s "
          f"({rate:.0f} requests/s), {len(outcome['errors'])} errors, "
          f"descriptors {len(before)} -> {len(after)}")
    assert outcome["errors"] == []
    assert outcome["requests"] == REQUESTS
    # Keep-alive: each client reuses its connection instead of opening one per request.
    assert outcome["connections"] <= CLIENTS
    assert after == before, f"descriptors leaked: {sorted(after - before)}"
