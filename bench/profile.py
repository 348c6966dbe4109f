"""Where the time (or the memory) goes, for one workload on one runtime.

    python -m bench.profile switch                     # cProfile, miniloop, small size
    python -m bench.profile queue --runtime asyncio --scale 0.2
    python -m bench.profile memory                     # bytes per parked task, by source line

Time: the workload runs under cProfile and the functions with the most time
of their own are listed. Memory: tasks are parked in a long sleep between
two tracemalloc snapshots, and the difference is shown per source line,
divided by the number of tasks. Profiles slow a run down: read the shares,
not the absolute figures (``python -m bench`` measures those).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import linecache
import pstats
import tracemalloc
from typing import Any

from bench import runtimes, workloads

PARKED = 20_000


def profile_time(workload: str, runtime: str, scale: float, top: int) -> None:
    """Run ``workload`` under cProfile and print the top functions by own time."""
    rt = runtimes.load(runtime)
    rt.run(_nothing())  # the first loop imports and assembles what it needs: not profiled
    profiler = cProfile.Profile()
    profiler.runcall(workloads.ASYNCIO_STYLE_WORKLOADS[workload], rt, scale)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


async def _nothing() -> None:
    pass


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
                        choices=["miniloop", "miniloop-asyncio", "asyncio", "asyncio-py"])
    parser.add_argument("--scale", type=float, default=0.1, help="size (default 0.1)")
    parser.add_argument("--top", type=int, default=15, help="lines to show (default 15)")
    args: Any = parser.parse_args(argv)
    if args.workload == "memory":
        profile_memory(args.runtime, args.top)
    else:
        profile_time(args.workload, args.runtime, args.scale, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
