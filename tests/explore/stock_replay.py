"""Replay a schedule's perturbation on stock asyncio, to show the schedule is a real one.

    python tests/explore/stock_replay.py step COROUTINE STEP DELAY PROGRAM
    python tests/explore/stock_replay.py job FUNCTION DELAY PROGRAM

runs PROGRAM (a file) on asyncio's own event loop, unchanged, except that

* ``step``: step number STEP of the task running COROUTINE (``main()``, as
  the explorer names it) starts DELAY seconds late: the thread is kept
  busy for that long just before the step, as a slow machine would (a task
  factory wraps the coroutine to count its steps);
* ``job``: a thread job running FUNCTION (``load()``) takes DELAY seconds
  longer (the loop's default pool sleeps that long before running it).

Nothing of miniloop is imported.
"""

import asyncio
import collections.abc
import concurrent.futures
import functools
import runpy
import sys
import time
from typing import Any


class LateStep(collections.abc.Coroutine):  # type: ignore[type-arg]
    """A coroutine that runs ``coro``, with its step number ``step`` starting ``delay`` late."""

    def __init__(self, coro: Any, step: int, delay: float) -> None:
        self.coro, self.step, self.delay, self.steps = coro, step, delay, 0

    def _next_step(self) -> None:
        self.steps += 1
        if self.steps == self.step:
            time.sleep(self.delay)  # busy: the step starts this late

    def send(self, value: Any) -> Any:
        self._next_step()
        return self.coro.send(value)

    def throw(self, *exc: Any) -> Any:
        self._next_step()
        return self.coro.throw(*exc)

    def close(self) -> None:
        self.coro.close()

    def __await__(self) -> Any:
        return self


def name_of(coro: Any) -> str:
    return getattr(coro, "__qualname__", "").replace(".<locals>", "") + "()"


class LateStepPolicy(asyncio.DefaultEventLoopPolicy):
    def __init__(self, coroutine: str, step: int, delay: float) -> None:
        super().__init__()
        self.coroutine, self.step, self.delay = coroutine, step, delay

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()

        def factory(loop: asyncio.AbstractEventLoop, coro: Any, **options: Any) -> Any:
            if name_of(coro) == self.coroutine:
                coro = LateStep(coro, self.step, self.delay)
            return asyncio.Task(coro, loop=loop, **options)

        loop.set_task_factory(factory)
        return loop


class SlowPool(concurrent.futures.ThreadPoolExecutor):
    """A default pool in which jobs running ``function`` start ``delay`` seconds late."""

    def __init__(self, function: str, delay: float) -> None:
        super().__init__()
        self.function, self.delay = function, delay

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        # asyncio.to_thread submits partial(context.run, function, ...).
        inner = fn.args[0] if isinstance(fn, functools.partial) and fn.args else fn
        if getattr(inner, "__name__", "") + "()" != self.function:
            return super().submit(fn, *args, **kwargs)

        def slow() -> Any:
            time.sleep(self.delay)  # the pool was busy, the disk was slow
            return fn(*args, **kwargs)

        return super().submit(slow)


class SlowJobPolicy(asyncio.DefaultEventLoopPolicy):
    def __init__(self, function: str, delay: float) -> None:
        super().__init__()
        self.function, self.delay = function, delay

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        loop.set_default_executor(SlowPool(self.function, self.delay))
        return loop


if __name__ == "__main__":
    if sys.argv[1] == "step":
        coroutine, step, delay, program = sys.argv[2:6]
        policy: asyncio.AbstractEventLoopPolicy = LateStepPolicy(
            coroutine, int(step), float(delay))
    else:
        function, delay, program = sys.argv[2:5]
        policy = SlowJobPolicy(function, float(delay))
    asyncio.set_event_loop_policy(policy)
    print(f"running {program} on asyncio ({type(asyncio.new_event_loop()).__module__})",
          file=sys.stderr)
    sys.argv = [program]
    try:
        runpy.run_path(program, run_name="__main__")
    except SystemExit as done:
        sys.exit(done.code)
