"""aiohttp, unmodified, on miniloop: client and aiohttp.web server, same transcripts."""

from __future__ import annotations

import ssl
import tempfile
from typing import Any

import aiohttp
import trustme
from aiohttp import web

from tests.differential.harness import Say
from tests.differential.test_io import run_and_compare


def make_app(say: Say) -> web.Application:
    """A small application exercising the server's moving parts."""

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"Hello, {request.match_info['name']}")

    async def echo_json(request: web.Request) -> web.Response:
        data = await request.json()
        return web.json_response({"got": data, "method": request.method})

    async def upload(request: web.Request) -> web.Response:
        size = 0
        async for chunk in request.content.iter_chunked(65536):
            size += len(chunk)
        return web.Response(text=str(size))

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_type = "text/plain"
        await response.prepare(request)
        for index in range(5):
            await response.write(f"chunk {index}\n".encode())
        await response.write_eof()
        return response

    async def fail(request: web.Request) -> web.Response:
        raise ValueError("handler broke")

    async def slow(request: web.Request) -> web.Response:
        import asyncio

        await asyncio.sleep(1)
        return web.Response(text="too late")

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                if message.data == "close":
                    await ws.close()
                else:
                    await ws.send_str(message.data.upper())
            elif message.type == aiohttp.WSMsgType.BINARY:
                await ws.send_bytes(message.data[::-1])
        say("server: websocket closed")
        return ws

    app = web.Application()
    app.router.add_get("/hello/{name}", hello)
    app.router.add_post("/json", echo_json)
    app.router.add_post("/upload", upload)
    app.router.add_get("/stream", stream)
    app.router.add_get("/fail", fail)
    app.router.add_get("/slow", slow)
    app.router.add_get("/ws", websocket)
    return app


async def serve(app: web.Application, ssl_context: Any = None) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    return runner, runner.addresses[0][1]


def test_client_and_server(both_backends: Any) -> None:
    async def program(aio: Any, say: Say) -> None:
        runner, port = await serve(make_app(say))
        base = f"http://127.0.0.1:{port}"
        connector = aiohttp.TCPConnector(limit=2)
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.get(f"{base}/hello/world") as response:
                say(response.status, response.content_type, await response.text())
            async with session.post(f"{base}/json", json={"a": [1, 2]}) as response:
                say(response.status, await response.json())
            blob = b"u" * 3_000_000
            async with session.post(f"{base}/upload", data=blob) as response:
                say("uploaded:", await response.text())
            async with session.get(f"{base}/stream") as response:
                say("chunked:", response.headers.get("Transfer-Encoding"),
                    [line async for line in response.content])
            async with session.get(f"{base}/missing") as response:
                say("missing:", response.status)
            async with session.get(f"{base}/fail") as response:
                say("failing handler:", response.status)
            try:
                async with session.get(f"{base}/fail") as response:
                    response.raise_for_status()
            except aiohttp.ClientResponseError as exc:
                say("raise_for_status:", exc.status, exc.message)
            results = await aio.gather(*[fetch(session, f"{base}/hello/{n}") for n in range(10)])
            say("concurrent:", results)
            try:
                async with session.get(f"{base}/slow",
                                       timeout=aiohttp.ClientTimeout(total=0.05)) as response:
                    await response.text()
            except TimeoutError as exc:
                say("client timeout:", type(exc).__name__)
        await runner.cleanup()

    run_and_compare(both_backends, program)


async def fetch(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as response:
        return await response.text()


def test_websockets(both_backends: Any) -> None:
    async def program(aio: Any, say: Say) -> None:
        runner, port = await serve(make_app(say))
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"http://127.0.0.1:{port}/ws") as ws:
                await ws.send_str("hello")
                say("text:", (await ws.receive()).data)
                await ws.send_bytes(b"abc")
                say("binary:", (await ws.receive()).data)
                await ws.send_str("close")
                message = await ws.receive()
                say("closed by server:", message.type.name)
        await runner.cleanup()

    run_and_compare(both_backends, program)


def test_file_responses_use_sendfile(both_backends: Any) -> None:
    async def program(aio: Any, say: Say) -> None:
        with tempfile.NamedTemporaryFile(suffix=".txt") as file:
            file.write(b"line\n" * 200_000)
            file.flush()

            async def download(request: web.Request) -> web.FileResponse:
                return web.FileResponse(file.name)

            app = web.Application()
            app.router.add_get("/file", download)
            runner, port = await serve(app)
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/file") as response:
                    body = await response.read()
                    say(response.status, response.content_type, len(body), body[:10])
                headers = {"Range": "bytes=5-14"}
                async with session.get(f"http://127.0.0.1:{port}/file",
                                       headers=headers) as response:
                    say("range:", response.status, await response.read())
            await runner.cleanup()

    run_and_compare(both_backends, program)


def test_connection_errors(both_backends: Any) -> None:
    async def program(aio: Any, say: Say) -> None:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        async with aiohttp.ClientSession() as session:
            try:
                await session.get(f"http://127.0.0.1:{port}/")
            except aiohttp.ClientConnectorError as exc:
                say("refused:", type(exc.os_error).__name__)
            try:
                await session.get("http://no-such-host.invalid/")
            except aiohttp.ClientConnectorError as exc:
                say("unknown host:", type(exc).__name__)

        # A server that drops the connection mid-response.
        async def drop(reader: Any, writer: Any) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
            await writer.drain()
            writer.close()

        server = await aio.start_server(drop, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with aiohttp.ClientSession() as session:
            try:
                async with session.get(f"http://127.0.0.1:{port}/") as response:
                    await response.read()
            except aiohttp.ClientPayloadError as exc:
                say("cut short:", type(exc).__name__)
        server.close()
        await server.wait_closed()

    run_and_compare(both_backends, program)


def test_https(both_backends: Any) -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)

    async def program(aio: Any, say: Say) -> None:
        runner, port = await serve(make_app(say), server_context)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"https://127.0.0.1:{port}/hello/tls",
                                   ssl=client_context) as response:
                say(response.status, await response.text())
            try:
                await session.get(f"https://127.0.0.1:{port}/hello/tls")
            except aiohttp.ClientConnectorCertificateError as exc:
                say("untrusted:", type(exc.certificate_error).__name__)
        await runner.cleanup()

    run_and_compare(both_backends, program)
