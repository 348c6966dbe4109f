"""aiofiles, unmodified, on miniloop: file IO in the thread pool, same transcripts."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import aiofiles
import aiofiles.os
import aiofiles.tempfile

from tests.differential.harness import Say
from tests.differential.test_io import run_and_compare


def test_reading_and_writing_files(both_backends: Any) -> None:
    async def program(aio: Any, say: Say) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "notes.txt")
            async with aiofiles.open(path, "w") as file:
                say("wrote:", await file.write("first line\n"))
                await file.writelines(["second\n", "third\n"])
                await file.flush()
            async with aiofiles.open(path) as file:
                say("readline:", await file.readline())
                say("rest:", [line async for line in file])
            async with aiofiles.open(path, "rb") as file:
                await file.seek(6)
                say("seek+read:", await file.read(4), "tell:", await file.tell())
            async with aiofiles.open(path, "a") as file:
                await file.write("appended\n")
            async with aiofiles.open(path) as file:
                say("all:", await file.read())
            # Many files at once: each operation runs in a worker thread.
            async def write_one(index: int) -> int:
                async with aiofiles.open(os.path.join(folder, f"f{index}"), "wb") as file:
                    return await file.write(bytes([index]) * (index + 1) * 1000)

            say("concurrent writes:", await aio.gather(*(write_one(i) for i in range(8))))
            say("stat:", (await aiofiles.os.stat(path)).st_size)
            await aiofiles.os.rename(path, path + ".old")
            say("exists:", await aiofiles.os.path.exists(path),
                await aiofiles.os.path.exists(path + ".old"))
            await aiofiles.os.mkdir(os.path.join(folder, "sub"))
            say("listdir:", sorted(await aiofiles.os.listdir(folder)))
            await aiofiles.os.remove(path + ".old")
            try:
                async with aiofiles.open(path) as file:
                    await file.read()
            except FileNotFoundError as exc:
                say("missing file:", type(exc).__name__, exc.errno)
            async with aiofiles.tempfile.TemporaryFile("w+") as scratch:
                await scratch.write("scratch")
                await scratch.seek(0)
                say("tempfile:", await scratch.read())

    run_and_compare(both_backends, program)
