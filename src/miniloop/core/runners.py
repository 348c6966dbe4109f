"""run: a loop's whole life in one call.

``run(main())`` is what most programs call, and it does more than
"run the loop until main() returns":

    1. make a new loop;
    2. wrap main() in a task and run the loop until that task is done;
    3. cancel every task still left, and let them finish their clean-up;
    4. close the loop.

Step 3 is why a program can end while tasks are still sleeping and yet
nothing leaks: each leftover task gets a CancelledError thrown in, runs its
``finally`` blocks, and any error it ends with is reported, not lost.

The full loop's ``run`` (``contract/runners.py``) is asyncio's: the same
steps, split into a ``Runner`` so that several coroutines can share one
loop, with Ctrl-C cancelling the main task, and two more clean-up steps
(async generators left half-way, the thread pool).

Read next: ``clock.py``, the last file of the core (the clock seam, and
real time); then the rest of the toolkit (``toolkit/``), or ``assembly.py``
for how the layers make the loop you get.
"""

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from miniloop.core import events
from miniloop.core.primitives import gather
from miniloop.core.tasks import iscoroutine

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T], *, loop_factory: Callable[[], Any] | None = None,
        clock: Any = None) -> T:
    """Run ``main`` on a new loop, clean up, close the loop; return main's result."""
    if events._get_running_loop() is not None:
        raise RuntimeError("asyncio.run() cannot be called from a running event loop")
    if not iscoroutine(main):
        raise ValueError(f"a coroutine was expected, got {main!r}")
    loop = new_loop(loop_factory, clock)
    try:
        return loop.run_until_complete(main)  # type: ignore[no-any-return]
    finally:
        try:
            cancel_all_tasks(loop)
        finally:
            loop.close()


def new_loop(loop_factory: Callable[[], Any] | None = None, clock: Any = None) -> Any:
    """A loop from ``loop_factory``, or a new miniloop loop (on ``clock``, if given)."""
    if loop_factory is not None and clock is not None:
        raise ValueError("give a loop_factory or a clock, not both")
    if loop_factory is not None:
        return loop_factory()
    return events.new_event_loop(**({} if clock is None else {"clock": clock}))


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
