"""Async generators: closing the ones a program left half-way.

An async generator that is abandoned mid-iteration still has clean-up to
run (its ``finally`` blocks, its ``async with`` exits), and that clean-up
may await, so it can only run on a loop. Python cannot do it alone; it
asks the running loop through two hooks, which the loop installs with
``sys.set_asyncgen_hooks`` for as long as it runs:

    firstiter(agen)   an async generator starts: the loop remembers it
    finalizer(agen)   one is garbage collected unfinished: the loop
                      schedules ``agen.aclose()`` as a task

At the end of ``run``, ``loop.shutdown_asyncgens()`` closes every async
generator still suspended, all at once, and reports any that fail to
close through the exception handler.

Read next: ``wakeup.py``, or back to ``loop.py``.
"""

from __future__ import annotations

import sys
import warnings
import weakref
from typing import Any

from miniloop.core.events import CancelledError


class AsyncGeneratorsMixin:
    """Tracking and closing async generators (mixed into ``CoreLoop``)."""

    def __init__(self, **options: Any) -> None:
        self._asyncgens: weakref.WeakSet[Any] = weakref.WeakSet()
        self._asyncgens_shutdown_called = False
        super().__init__(**options)

    def run_forever(self) -> None:
        """Run turns until stop(), as the loop Python asks about async generators."""
        loop: Any = self
        loop._check_closed()
        loop._check_running()
        old_hooks = sys.get_asyncgen_hooks()
        sys.set_asyncgen_hooks(firstiter=self._asyncgen_firstiter_hook,
                               finalizer=self._asyncgen_finalizer_hook)
        try:
            super().run_forever()  # type: ignore[misc]
        finally:
            sys.set_asyncgen_hooks(*old_hooks)

    def _asyncgen_firstiter_hook(self, agen: Any) -> None:
        if self._asyncgens_shutdown_called:
            warnings.warn(
                f"asynchronous generator {agen!r} was scheduled after "
                f"loop.shutdown_asyncgens() call", ResourceWarning, stacklevel=2, source=self)
        self._asyncgens.add(agen)

    def _asyncgen_finalizer_hook(self, agen: Any) -> None:
        # Called by the garbage collector, possibly in another thread.
        loop: Any = self
        self._asyncgens.discard(agen)
        if not loop.is_closed():
            loop.call_soon_threadsafe(loop.create_task, agen.aclose())

    async def shutdown_asyncgens(self) -> None:
        """Close every async generator that is still suspended."""
        loop: Any = self
        self._asyncgens_shutdown_called = True
        if not len(self._asyncgens):
            return
        closing = list(self._asyncgens)
        self._asyncgens.clear()
        closers = [loop.create_task(agen.aclose()) for agen in closing]
        await _all_done(loop, closers)
        for agen, closer in zip(closing, closers, strict=True):
            error = None if closer.cancelled() else closer.exception()
            if isinstance(error, Exception):
                loop.call_exception_handler({
                    "message": f"an error occurred during closing of "
                               f"asynchronous generator {agen!r}",
                    "exception": error,
                    "asyncgen": agen,
                })


async def _all_done(loop: Any, futures: list[Any]) -> None:
    # gather(..., return_exceptions=True) without the results: wait until
    # every future is done, whatever its outcome; if we are cancelled,
    # cancel them all.
    remaining = len(futures)
    everything_done = loop.create_future()

    def one_done(_future: Any) -> None:
        nonlocal remaining
        remaining -= 1
        if remaining == 0 and not everything_done.done():
            everything_done.set_result(None)

    for future in futures:
        future.add_done_callback(one_done)
    try:
        await everything_done
    except CancelledError:
        for future in futures:
            future.cancel()
        raise
