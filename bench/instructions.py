"""Instructions per operation: the benchmark without the noise.

Wall-clock ratios on a shared 2-core machine wobble by 20-80% between
runs. Counting the instructions the CPU executes does not: under
``valgrind --tool=callgrind`` the same program gives the same count
whatever else the machine is doing. So each workload here runs twice
under callgrind, once with ``n`` operations and once with none; the
difference, divided by ``n``, is what one operation costs, with the
start-up (the interpreter, the imports, making the loop) subtracted:

    python -m bench --instructions                       # every workload and runtime
    python -m bench --instructions --workloads switch spawn --runtimes miniloop asyncio
    python -m bench.instructions profile spawn miniloop  # where one operation's go
    python -m bench.instructions syscalls http asyncio   # system calls per operation

The workloads are the wall-clock ones (``workloads.py``) at sizes a
callgrind run can afford, written so that their work does not depend on
timing: ``timers`` arms timers that are all due by the time the loop
looks, ``echo`` is a ping-pong, ``http`` is aiohttp's server and a few
keep-alive aiohttp clients in one process (the load generator is
aiohttp's own client, not ``wrk``: the tool is not installed here, and
the client's work is the same on every runtime). ``memory`` is not an
instruction count: it is the bytes per parked task that ``workloads.py``
measures, which are the same from run to run already.

Callgrind counts the instructions of the process, not the kernel's work
for it. Where a loop makes different system calls, the wall clock sees
a difference the count does not: ``syscalls`` counts them per operation
under ``strace -c`` (the same subtraction). On ``http``, asyncio reads
each chunk into a new 256 KiB bytes object, which glibc maps and unmaps
(``mmap``, ``mremap``, ``munmap``: three more system calls per read
than miniloop's reads into one scratch buffer).

``profile`` lists the C functions of the interpreter by the instructions
they execute per operation (the same subtraction, function by function):
where the instructions go, and so what a pure-Python loop pays that
asyncio's C tasks do not (``bench/NOTES.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.runtimes import Runtime, available, load
from bench.workloads import echo_back, fetch, start_hello_server

HERE = Path(__file__).resolve().parent
RUNTIMES = ("miniloop", "miniloop-asyncio", "miniloop-plain", "asyncio", "asyncio-py", "uvloop")


# --- the workloads, n operations each ---------------------------------------------------------


def switch(rt: Runtime, n: int) -> None:
    """10 tasks each ``await sleep(0)`` n times (an operation: one switch)."""

    async def spinner() -> None:
        for _ in range(n):
            await rt.sleep(0)

    async def main() -> None:
        await rt.gather(*[spinner() for _ in range(10)])

    rt.run(main())


def spawn(rt: Runtime, n: int) -> None:
    """gather n trivial coroutines (an operation: one task, made, run and gathered)."""

    async def trivial() -> None:
        pass

    async def main() -> None:
        await rt.gather(*[trivial() for _ in range(n)])

    rt.run(main())


def timers(rt: Runtime, n: int) -> None:
    """n tasks each sleep a distinct delay under 1 ms (an operation: one timer)."""
    rng = random.Random(20261124)
    delays = [rng.uniform(0.0, 0.001) for _ in range(n)]

    async def main() -> None:
        await rt.gather(*[rt.sleep(delay) for delay in delays])

    rt.run(main())


def queue(rt: Runtime, n: int) -> None:
    """1 producer, 4 consumers, maxsize 100 (an operation: one item through the queue)."""

    async def main() -> None:
        q = rt.Queue(maxsize=100)

        async def produce() -> None:
            for i in range(n):
                await q.put(i)
            for _ in range(4):
                await q.put(None)

        async def consume() -> None:
            while await q.get() is not None:
                pass

        await rt.gather(produce(), *[consume() for _ in range(4)])

    rt.run(main())


def echo(rt: Runtime, n: int) -> None:
    """One client, n round trips of 64 bytes over TCP (an operation: one round trip)."""
    message = b"x" * 64

    async def main() -> None:
        server = await rt.start_server(echo_back, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await rt.open_connection("127.0.0.1", port)
        for _ in range(n):
            writer.write(message)
            await writer.drain()
            await reader.readexactly(len(message))
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()

    rt.run(main())


HTTP_CLIENTS = 4


def http(rt: Runtime, n: int) -> None:
    """An aiohttp.web hello world and 4 keep-alive aiohttp clients, n requests in all.

    An operation is one request: made by the client, parsed and answered
    by the server, the response read. Each client first makes one request
    of its own, in the run with n=0 too, so that connecting (and the first
    request's lazy set-up in aiohttp) is subtracted with the start-up.
    Nothing waits on a clock: the timeouts aiohttp arms (its keep-alive,
    the client's read and total timeouts) are armed and cancelled, never
    reached, and every byte goes over 127.0.0.1 in one process.
    """

    async def main() -> None:
        runner, url = await start_hello_server()
        shares = [n // HTTP_CLIENTS + (i < n % HTTP_CLIENTS) for i in range(HTTP_CLIENTS)]
        # Each client's first request connects: the run with n=0 makes it too.
        await rt.gather(*[fetch(url, 1 + share) for share in shares])
        await runner.cleanup()

    rt.run(main())


WORKLOADS: dict[str, tuple[Callable[[Runtime, int], None], int, int]] = {
    # name: (program, n, operations per unit of n)
    "switch": (switch, 2000, 10),
    "spawn": (spawn, 2000, 1),
    "timers": (timers, 2000, 1),
    "queue": (queue, 5000, 1),
    "echo": (echo, 500, 1),
    "http": (http, 400, 1),
}
# aiohttp speaks asyncio's API: it runs on miniloop's loop as a drop-in
# (miniloop-asyncio), not through miniloop's own names.
SKIPPED = {("http", "miniloop")}
HASH_SEED = "0"  # see count()

# Wall-clock workloads whose figure is higher-is-better (the ratio is asyncio's
# instructions over the runtime's: how many times as many operations per instruction).
FASTER_IS_HIGHER = {"switch", "spawn", "queue", "echo", "http"}


# --- measuring ----------------------------------------------------------------------------------


def valgrind() -> str | None:
    """The valgrind executable, if this machine has one."""
    return shutil.which("valgrind")


def count(workload: str, runtime: str, n: int, out_file: str = "/dev/null") -> int:
    """Instructions of one run of ``workload`` with ``n`` operations, under callgrind."""
    command = [valgrind() or "valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
               sys.executable, "-m", "bench.instructions", "run", workload, runtime, str(n)]
    # One hash seed for every run: str hashes decide where keys sit in dicts
    # and sets, which moves a count by up to 1.5% from one seed to another.
    # Fixed, the same program gives the same count every time.
    env = {**os.environ, "PYTHONHASHSEED": HASH_SEED}
    done = subprocess.run(command, capture_output=True, text=True, cwd=HERE.parent, timeout=3600,
                          env=env)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"{workload} on {runtime} (n={n}) failed: {last}")
    return int(found.group(1))


def per_operation(workload: str, runtime: str, scale: float = 1.0) -> dict[str, Any]:
    """Instructions per operation, start-up subtracted (two callgrind runs, side by side)."""
    _, base_n, ops_per_n = WORKLOADS[workload]
    n = max(1, int(base_n * scale))
    with ThreadPoolExecutor(2) as pool:
        empty, full = pool.map(lambda size: count(workload, runtime, size), (0, n))
    return {"workload": workload, "runtime": runtime, "n": n, "operations": n * ops_per_n,
            "startup": empty, "value": (full - empty) / (n * ops_per_n),
            "unit": "instructions/op"}


def memory_bytes(runtime: str, scale: float = 1.0) -> dict[str, Any]:
    """Bytes per parked task, as ``workloads.py`` measures it (already deterministic)."""
    command = [sys.executable, "-m", "bench.workloads", "memory", runtime, "--scale", str(scale)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=HERE.parent, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"memory on {runtime} failed: {done.stderr.strip()[-300:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_suite(workloads: list[str], runtimes: list[str], scale: float = 1.0,
              progress: bool = True) -> dict[str, dict[str, Any]]:
    """``{workload: {runtime: result}}``; a failed measurement is ``{"error": ...}``."""
    table: dict[str, dict[str, Any]] = {}
    for workload in workloads:
        for runtime in runtimes:
            if not available(runtime) or (workload, runtime) in SKIPPED:
                continue
            try:
                if workload == "memory":
                    result = memory_bytes(runtime, scale)
                elif workload in WORKLOADS:
                    result = per_operation(workload, runtime, scale)
                else:
                    continue  # scale-*: wall clock only
            except RuntimeError as error:
                result = {"error": str(error)}
            table.setdefault(workload, {})[runtime] = result
            if progress:
                shown = result.get("value", result.get("error"))
                print(f"[instructions] {workload:8} {runtime:17} {shown}", file=sys.stderr,
                      flush=True)
    return table


def ratio(workload: str, value: float, asyncio_value: float) -> float:
    """The figure each target is stated in: speed for throughputs, cost for the rest."""
    if workload in FASTER_IS_HIGHER:
        return asyncio_value / value
    return value / asyncio_value


# --- where they go ------------------------------------------------------------------------------


def profile(workload: str, runtime: str, top: int = 25, scale: float = 1.0) -> list[str]:
    """The interpreter's C functions by instructions per operation (start-up subtracted)."""

    def by_function(size: int, file: str) -> dict[str, int]:
        count(workload, runtime, size, file)
        return _by_function(file)

    rows = _per_operation_by_name(workload, scale, by_function)
    total = sum(cost for cost, _ in rows)
    lines = [f"{workload} on {runtime}: {total:,.0f} instructions per operation"]
    lines += [f"  {cost:8,.0f}  {cost / total:5.1%}  {name}" for cost, name in rows[:top]]
    return lines


def syscalls(workload: str, runtime: str, scale: float = 1.0) -> list[str]:
    """System calls per operation, by name, under ``strace -f -c`` (start-up subtracted)."""

    def by_syscall(size: int, file: str) -> dict[str, int]:
        command = ["strace", "-f", "-c", "-o", file, sys.executable, "-m",
                   "bench.instructions", "run", workload, runtime, str(size)]
        subprocess.run(command, capture_output=True, check=True, cwd=HERE.parent, timeout=600,
                       env={**os.environ, "PYTHONHASHSEED": HASH_SEED})
        return _calls_by_syscall(Path(file).read_text())

    rows = _per_operation_by_name(workload, scale, by_syscall)
    lines = [f"{workload} on {runtime}: {sum(calls for calls, _ in rows):.2f} system calls "
             "per operation"]
    lines += [f"  {calls:8.2f}  {name}" for calls, name in rows if abs(calls) >= 0.01]
    return lines


Measure = Callable[[int, str], dict[str, int]]  # (operations, a scratch file) -> {name: count}


def _per_operation_by_name(workload: str, scale: float,
                           measure: Measure) -> list[tuple[float, str]]:
    """``measure`` with n operations and with none, side by side: per name, the
    difference per operation, largest first."""
    _, base_n, ops_per_n = WORKLOADS[workload]
    n = max(1, int(base_n * scale))
    with tempfile.TemporaryDirectory() as folder:
        files = [str(Path(folder) / f"run.{size}") for size in (0, n)]
        with ThreadPoolExecutor(2) as pool:
            empty, full = pool.map(measure, (0, n), files)
    operations = n * ops_per_n
    rows = sorted(((full.get(name, 0) - empty.get(name, 0)) / operations, name)
                  for name in set(full) | set(empty))
    rows.reverse()
    return rows


def _calls_by_syscall(strace_summary: str) -> dict[str, int]:
    """``{name: calls}`` from the table ``strace -c`` writes."""
    calls: dict[str, int] = {}
    for line in strace_summary.splitlines():
        fields = line.split()
        # % time, seconds, usecs/call, calls, [errors,] syscall
        if len(fields) >= 5 and fields[3].isdigit() and fields[-1] != "total":
            calls[fields[-1]] = int(fields[3])
    return calls


def _by_function(callgrind_file: str) -> dict[str, int]:
    """Exclusive instructions per function, read from callgrind_annotate's listing."""
    done = subprocess.run(["callgrind_annotate", "--threshold=100", callgrind_file],
                          capture_output=True, text=True, check=True)
    costs: dict[str, int] = {}
    for line in done.stdout.splitlines():
        found = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*?):(\S+)(?: \[.*\])?$", line)
        if found:
            name = re.sub(r"'\d+$", "", found.group(3))  # recursion levels count as one
            where = found.group(2).rsplit("/", 1)[-1]
            key = f"{name} ({where})"
            costs[key] = costs.get(key, 0) + int(found.group(1).replace(",", ""))
    return costs


# --- the command line ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run one workload (what callgrind runs)")
    run.add_argument("workload", choices=list(WORKLOADS))
    run.add_argument("runtime", choices=RUNTIMES)
    run.add_argument("n", type=int)
    show = commands.add_parser("profile", help="where one operation's instructions go")
    show.add_argument("workload", choices=list(WORKLOADS))
    show.add_argument("runtime", choices=RUNTIMES)
    show.add_argument("--top", type=int, default=25)
    show.add_argument("--scale", type=float, default=1.0)
    calls = commands.add_parser("syscalls", help="system calls per operation (strace -c)")
    calls.add_argument("workload", choices=list(WORKLOADS))
    calls.add_argument("runtime", choices=RUNTIMES)
    calls.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    if args.command == "run":
        WORKLOADS[args.workload][0](load(args.runtime), args.n)  # n=0: the start-up alone
        return 0
    if args.command == "syscalls":
        if shutil.which("strace") is None:
            print("python -m bench.instructions: strace is not installed", file=sys.stderr)
            return 2
        print("\n".join(syscalls(args.workload, args.runtime, args.scale)))
        return 0
    if valgrind() is None:
        print("python -m bench.instructions: valgrind is not installed", file=sys.stderr)
        return 2
    print("\n".join(profile(args.workload, args.runtime, args.top, args.scale)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
