"""run: a loop's whole life in one call.

``run(main())`` is what most programs call, and it does more than
"run the loop until main() returns":

    1. make a new loop;
    2. wrap main() in a task and run the loop until that task is done;
    3. cancel every task still left, and let them finish their clean-up;
    4. close async generators left half-way, stop the thread pool
       (the full loop has both; ``contract/runners.py`` adds this step);
    5. close the loop.

Steps 3 and 4 are why a program can end while tasks are still sleeping
and yet nothing leaks. ``Runner`` is the same, split into a context manager
so that several coroutines can run on one loop. (Ctrl-C, which cancels
the main task, is in ``contract/runners.py`` too.)

Read next: ``clock.py``, the last file of the core (the clock seam, and
real time); then the rest of the toolkit (``toolkit/``), or ``assembly.py`` for
how the layers make the loop you get.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from miniloop.core import events
from miniloop.core.primitives import gather
from miniloop.core.tasks import iscoroutine

T = TypeVar("T")


class Runner:
    """Run coroutines on one loop, then clean up everything, like asyncio.Runner."""

    def __init__(self, *, loop_factory: Callable[[], Any] | None = None,
                 clock: Any = None) -> None:
        if loop_factory is not None and clock is not None:
            raise ValueError("give Runner a loop_factory or a clock, not both")
        self._loop_factory = loop_factory
        self._clock = clock
        self._loop: Any = None  # made on first use; None again once closed
        self._closed = False
        self._context: contextvars.Context | None = None

    def __enter__(self) -> Runner:
        self.get_loop()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get_loop(self) -> Any:
        """The runner's loop (made on first use)."""
        if self._closed:
            raise RuntimeError("Runner is closed")
        if self._loop is None:
            self._loop = self._new_loop()
            self._context = contextvars.copy_context()  # what each run() starts from
        return self._loop

    def _new_loop(self) -> Any:
        if self._loop_factory is not None:
            return self._loop_factory()
        return events.new_event_loop(**({} if self._clock is None else {"clock": self._clock}))

    def run(self, coro: Coroutine[Any, Any, T], *, context: contextvars.Context | None = None) -> T:
        """Run ``coro`` as a task until it is done; return its result."""
        if not iscoroutine(coro):
            raise ValueError(f"a coroutine was expected, got {coro!r}")
        if events._get_running_loop() is not None:
            raise RuntimeError("Runner.run() cannot be called from a running event loop")
        loop = self.get_loop()
        task = loop.create_task(coro, context=self._context if context is None else context)
        return self._run_main_task(task)  # type: ignore[no-any-return]

    def _run_main_task(self, task: Any) -> Any:
        return self._loop.run_until_complete(task)

    def close(self) -> None:
        """Cancel leftover tasks, close async generators and the thread pool, close the loop."""
        if self._loop is None:  # never used (it can still be), or closed already
            return
        try:
            self._clean_up(self._loop)
        finally:
            self._loop.close()
            self._loop = None
            self._closed = True

    def _clean_up(self, loop: Any) -> None:
        # The core loop has no thread pool and no async-generator hooks to
        # shut down; contract/runners.py adds those steps for the full loop.
        cancel_all_tasks(loop)


def cancel_all_tasks(loop: Any) -> None:
    """Cancel every task left on ``loop``, wait for them, report their failures."""
    leftovers = events.all_tasks(loop)
    if not leftovers:
        return
    for task in leftovers:
        task.cancel()
    loop.run_until_complete(gather(*leftovers, return_exceptions=True))
    for task in leftovers:
        if not task.cancelled() and task.exception() is not None:
            loop.call_exception_handler({
                "message": "unhandled exception during asyncio.run() shutdown",
                "exception": task.exception(),
                "task": task,
            })


def run(main: Coroutine[Any, Any, T], *, loop_factory: Callable[[], Any] | None = None,
        clock: Any = None, runner_class: Callable[..., Runner] = Runner) -> T:
    """Run ``main`` on a new loop, clean up, close the loop; return main's result."""
    if events._get_running_loop() is not None:
        raise RuntimeError("asyncio.run() cannot be called from a running event loop")
    with runner_class(loop_factory=loop_factory, clock=clock) as runner:
        return runner.run(main)
