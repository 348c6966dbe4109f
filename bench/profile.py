"""Where the time (or the memory) goes, for one workload on one runtime.

    python -m bench.profile switch                     # cProfile, miniloop, small size
    python -m bench.profile queue --runtime asyncio --scale 0.2
    python -m bench.profile memory                     # bytes per parked task, by source line
    python -m bench.profile http --runtime asyncio --count   # bytecodes per request, by function

Time: the workload runs under cProfile and the functions with the most time
of their own are listed. Memory: tasks are parked in a long sleep between
two tracemalloc snapshots, and the difference is shown per source line,
divided by the number of tasks. Profiles slow a run down: read the shares,
not the absolute figures (``python -m bench`` measures those).

Count (``--count``): no clock at all. The instruction-count workload
(``instructions.py``) runs traced, with n operations and with none, and
each Python function is listed by the bytecodes it executed and the
calls it took per operation: the same figures on every run, and the
Python-level view of where ``python -m bench.instructions profile``'s
instructions go. Code in C (asyncio's C tasks and futures, aiohttp's
parser) executes no bytecode and is not listed: compare two runtimes'
listings function by function for what the loop does in Python.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import linecache
import pstats
import sys
import tracemalloc
from pathlib import Path
from typing import Any

from bench import runtimes, workloads

PARKED = 20_000
ROOT = Path(__file__).resolve().parent.parent


def profile_time(workload: str, runtime: str, scale: float, top: int) -> None:
    """Run ``workload`` under cProfile and print the top functions by own time."""
    rt = runtimes.load(runtime)
    rt.run(_nothing())  # the first loop imports and assembles what it needs: not profiled
    profiler = cProfile.Profile()
    profiler.runcall(workloads.ASYNCIO_STYLE_WORKLOADS[workload], rt, scale)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


async def _nothing() -> None:
    pass


def profile_count(workload: str, runtime: str, scale: float, top: int) -> None:
    """Print the Python functions by bytecodes executed per operation (and calls)."""
    from bench import instructions

    program, base_n, ops_per_n = instructions.WORKLOADS[workload]
    n = max(1, int(base_n * scale))
    rt = runtimes.load(runtime)
    program(rt, 0)  # imports and first-use set-up: not counted
    empty, full = (_traced(lambda size=size: program(rt, size)) for size in (0, n))
    operations = n * ops_per_n
    per_op = {name: ((full[0].get(name, 0) - empty[0].get(name, 0)) / operations,
                     (full[1].get(name, 0) - empty[1].get(name, 0)) / operations)
              for name in set(full[0]) | set(empty[0])}
    by_package: dict[str, float] = {}
    for name, (ops, _) in per_op.items():
        package = name.split("/", 1)[0].split(":", 1)[0]
        by_package[package] = by_package.get(package, 0.0) + ops
    total = sum(ops for ops, _ in per_op.values())
    print(f"{workload} on {runtime}: {total:,.0f} bytecodes per operation "
          f"({n} operations, traced)")
    print("  by package: " + ", ".join(f"{package} {ops:,.0f}" for package, ops in sorted(
        by_package.items(), key=lambda item: -item[1]) if ops >= 1))
    print("  bytecodes    calls  function")
    for name, (ops, calls) in sorted(per_op.items(), key=lambda item: -item[1][0])[:top]:
        print(f"  {ops:9,.1f} {calls:8.2f}  {name}")


def _traced(run: Any) -> tuple[dict[str, int], dict[str, int]]:
    """``run()`` under ``sys.settrace``: ``({function: bytecodes}, {function: calls})``."""
    bytecodes: dict[str, int] = {}
    calls: dict[str, int] = {}
    names: dict[Any, str] = {}

    def name_of(code: Any) -> str:
        name = names.get(code)
        if name is None:
            path = code.co_filename  # shown from its package down (miniloop/core/loop.py)
            for marker in ("site-packages/", "/src/", "/lib/python", f"{ROOT}/"):
                if marker in path:
                    path = path.split(marker, 1)[1]
                    path = path.split("/", 1)[1] if marker == "/lib/python" else path
                    break
            name = names[code] = f"{path}:{code.co_firstlineno}({code.co_qualname})"
        return name

    def each_bytecode(frame: Any, event: str, arg: Any) -> Any:
        if event == "opcode":
            name = name_of(frame.f_code)
            bytecodes[name] = bytecodes.get(name, 0) + 1
        return each_bytecode

    def each_call(frame: Any, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        name = name_of(frame.f_code)
        calls[name] = calls.get(name, 0) + 1
        return each_bytecode

    sys.settrace(each_call)
    try:
        run()
    finally:
        sys.settrace(None)
    return bytecodes, calls


def profile_memory(runtime: str, top: int) -> None:
    """Print the bytes each parked task costs, per source line that allocated them."""
    rt = runtimes.load(runtime)

    async def parked() -> None:
        await rt.sleep(3600)

    async def main() -> None:
        gc.collect()
        tracemalloc.start(1)
        before = tracemalloc.take_snapshot()
        tasks = [rt.create_task(parked()) for _ in range(PARKED)]
        await rt.sleep(0)
        await rt.sleep(0)
        gc.collect()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        stats = after.compare_to(before, "lineno")
        print(f"{runtime}: {sum(s.size_diff for s in stats) / PARKED:.0f} bytes per parked task")
        for stat in stats[:top]:
            frame = stat.traceback[0]
            line = linecache.getline(frame.filename, frame.lineno).strip()
            print(f"  {stat.size_diff / PARKED:6.0f}  "
                  f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}  {line[:70]}")
        for task in tasks:
            task.cancel()
        await rt.gather(*tasks, return_exceptions=True)

    rt.run(main())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workload", choices=sorted(workloads.ASYNCIO_STYLE_WORKLOADS))
    parser.add_argument("--runtime", default="miniloop",
                        choices=["miniloop", "miniloop-asyncio", "miniloop-plain", "asyncio",
                                 "asyncio-py"])
    parser.add_argument("--count", action="store_true",
                        help="bytecodes and calls per operation, by function (no clock)")
    parser.add_argument("--scale", type=float, default=0.1, help="size (default 0.1)")
    parser.add_argument("--top", type=int, default=15, help="lines to show (default 15)")
    args: Any = parser.parse_args(argv)
    if args.workload == "memory":
        profile_memory(args.runtime, args.top)
    elif args.count:
        profile_count(args.workload, args.runtime, args.scale, args.top)
    else:
        profile_time(args.workload, args.runtime, args.scale, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
