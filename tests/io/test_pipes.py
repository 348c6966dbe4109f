"""pipes.py: a pipe's two ends are asyncio's two pipe transports, down to their base classes."""

from __future__ import annotations

import asyncio
import os
from typing import Any


async def write_pipe_asked_to_read(aio: Any, say: Any) -> None:
    loop = aio.get_running_loop()
    read_fd, write_fd = os.pipe()
    transport, _ = await loop.connect_write_pipe(
        asyncio.Protocol, os.fdopen(write_fd, "wb", buffering=0))
    try:
        for interface in (asyncio.ReadTransport, asyncio.WriteTransport, asyncio.Transport):
            say(f"is a {interface.__name__}:", isinstance(transport, interface))
        for method in ("pause_reading", "resume_reading", "is_reading"):
            try:
                say(f"{method}() ->", getattr(transport, method)())
            except Exception as exc:  # the point: which exception, and its message
                say(f"{method}() raises {type(exc).__name__}{exc.args}")
    finally:
        transport.close()
        os.close(read_fd)
        await aio.sleep(0)


def test_a_write_pipe_asked_to_read_raises_not_implemented_like_asyncios(
        both_backends: Any) -> None:
    transcript = both_backends.run(write_pipe_asked_to_read)
    assert transcript.same, transcript.diff
    assert "pause_reading() raises NotImplementedError()" in transcript["miniloop"]
