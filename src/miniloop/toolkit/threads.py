"""Threads: handing blocking work to a pool, and coming back.

The loop runs on one thread, so a blocking call (reading a big file, a
slow DNS lookup, a C library that holds the thread) would freeze every
task. The way out is to run it in another thread and *await* it:

    result = await loop.run_in_executor(None, blocking_function, arg)

``run_in_executor`` submits the call to a thread pool, which returns a
``concurrent.futures.Future`` (a thread-world future: it blocks whoever
waits on it). ``wrap_future`` chains it to a loop-world Future. When the
worker thread finishes, it cannot touch the loop directly (the loop is not
thread-safe), so it asks the loop, with ``call_soon_threadsafe``, to copy
the outcome over. That call writes a byte to the loop's self-pipe, which
wakes the selector. The same bridge runs the other way too:
``run_coroutine_threadsafe`` lets another thread start a coroutine on the
loop and wait for it with a thread-world future.

Read next: ``io/`` for sockets, or ``bridge.py``.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import functools
import sys
import threading
import warnings
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from miniloop.core import events
from miniloop.core.events import loop_for_new_future
from miniloop.core.futures import get_loop, isfuture, set_result_unless_cancelled
from miniloop.core.tasks import ensure_future, iscoroutine

T = TypeVar("T")


class ExecutorMixin:
    """The thread-pool half of a miniloop loop (mixed into ``miniloop.Loop``)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._default_executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._executor_shutdown_called = False
        # Jobs submitted through run_in_executor and not finished yet: while
        # there are any, a virtual clock must wait for real rather than jump.
        self._executor_jobs: set[concurrent.futures.Future[Any]] = set()

    def run_in_executor(
        self, executor: concurrent.futures.Executor | None, func: Callable[..., T], *args: Any
    ) -> Any:
        """Run ``func(*args)`` in a thread (default pool when ``executor`` is None)."""
        loop: Any = self
        loop._check_closed()
        if loop._debug:
            loop._check_callback(func, "run_in_executor")
        if executor is None:
            if self._executor_shutdown_called:
                raise RuntimeError("Executor shutdown has been called")
            executor = self._default_executor
            if executor is None:
                executor = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="asyncio")
                self._default_executor = executor
        job = executor.submit(func, *args)
        future = wrap_future(job, loop=self)
        self._track_job(job)  # after: a job counts as done only once it has woken the loop
        return future

    def _track_job(self, job: concurrent.futures.Future[Any]) -> None:
        jobs = self._executor_jobs
        jobs.add(job)
        job.add_done_callback(jobs.discard)  # set.discard is atomic: safe from the worker

    def _outside_work_pending(self) -> bool:
        """True while some thread is still working on a job for this loop."""
        return bool(self._executor_jobs)

    def set_default_executor(self, executor: concurrent.futures.ThreadPoolExecutor) -> None:
        """Use ``executor`` for run_in_executor(None, ...)."""
        if not isinstance(executor, concurrent.futures.ThreadPoolExecutor):
            raise TypeError("executor must be ThreadPoolExecutor instance")
        self._default_executor = executor

    async def shutdown_default_executor(self, timeout: float | None = None) -> None:
        """Wait (in a helper thread) for the default pool to finish and shut down."""
        loop: Any = self
        self._executor_shutdown_called = True
        executor = self._default_executor
        if executor is None:
            return
        done = loop.create_future()
        # Joining the pool blocks, so it happens in a thread of its own. It
        # counts as work for the loop, so that a virtual clock waits for it
        # rather than jumping to the timeout below.
        joining: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._track_job(joining)
        joiner = threading.Thread(target=self._join_executor, args=(executor, done, joining))
        joiner.start()
        deadline = None
        if timeout is not None and sys.version_info >= (3, 13):
            deadline = loop.call_later(timeout, set_result_unless_cancelled, done, _TIMED_OUT)
        try:
            timed_out = await done is _TIMED_OUT
        finally:
            if deadline is not None:
                deadline.cancel()
        if not timed_out:
            # 3.12 waits for the pool however long it takes, and only then
            # applies the timeout, to joining the helper thread.
            joiner.join(timeout)
            timed_out = joiner.is_alive()
        if timed_out:
            # Give up on the stragglers; joining them would block the loop.
            warnings.warn("The executor did not finishing joining "
                          f"its threads within {timeout} seconds.",
                          RuntimeWarning, stacklevel=2)
            executor.shutdown(wait=False)

    def _join_executor(self, executor: concurrent.futures.Executor, done: Any,
                       joining: concurrent.futures.Future[None]) -> None:
        loop: Any = self
        try:
            executor.shutdown(wait=True)
            if not loop.is_closed():
                loop.call_soon_threadsafe(_set_result_unless_done, done, None)
        except Exception as exc:
            if not loop.is_closed() and not done.cancelled():
                loop.call_soon_threadsafe(done.set_exception, exc)
        finally:
            joining.set_result(None)

    def _shutdown_executor_now(self) -> None:
        # Called by close(): don't wait for running jobs, just stop the pool.
        self._executor_shutdown_called = True
        executor = self._default_executor
        if executor is not None:
            self._default_executor = None
            executor.shutdown(wait=False)


_TIMED_OUT = object()


def _set_result_unless_done(future: Any, result: object) -> None:
    if not future.done():
        future.set_result(result)


async def to_thread(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run ``func(*args, **kwargs)`` in the default pool, in a copy of this context."""
    loop = events.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, func, *args, **kwargs)
    return await loop.run_in_executor(None, call)  # type: ignore[no-any-return]


def wrap_future(future: Any, *, loop: Any = None) -> Any:
    """A loop future that follows a ``concurrent.futures.Future`` (or is ``future``)."""
    if isfuture(future):
        return future
    assert isinstance(future, concurrent.futures.Future), (  # asyncio's check, and error
        f"concurrent.futures.Future is expected, got {future!r}")
    if loop is None:
        loop = loop_for_new_future()
    mirror = loop.create_future()
    chain_future(future, mirror)
    return mirror


def run_coroutine_threadsafe(
    coro: Coroutine[Any, Any, T], loop: Any
) -> concurrent.futures.Future[T]:
    """From another thread: run ``coro`` on ``loop``; a thread-world future of its result."""
    if not iscoroutine(coro):
        raise TypeError("A coroutine object is required")
    result: concurrent.futures.Future[T] = concurrent.futures.Future()

    def start() -> None:
        try:
            chain_future(ensure_future(coro, loop=loop), result)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            if result.set_running_or_notify_cancel():
                result.set_exception(exc)
            raise

    loop.call_soon_threadsafe(start)
    return result


def chain_future(source: Any, destination: Any) -> None:
    """Make ``destination`` follow ``source``; cancelling ``destination`` cancels ``source``.

    Either may be a loop future or a ``concurrent.futures.Future``; the
    copying always happens on the destination's own loop thread.
    """
    for future, role in ((source, "source"), (destination, "destination")):
        if not isfuture(future) and not isinstance(future, concurrent.futures.Future):
            raise TypeError(f"A future is required for {role} argument")
    source_loop = get_loop(source) if isfuture(source) else None
    destination_loop = get_loop(destination) if isfuture(destination) else None

    def on_destination_done(dest: Any) -> None:
        if not dest.cancelled():
            return
        if source_loop is None or source_loop is destination_loop:
            source.cancel()
        else:
            source_loop.call_soon_threadsafe(source.cancel)

    def on_source_done(src: Any) -> None:
        closed = destination_loop is not None and destination_loop.is_closed()
        if destination.cancelled() and closed:
            return
        if destination_loop is None or destination_loop is source_loop:
            _copy_state(src, destination)
        elif destination_loop.is_closed():
            return
        else:
            destination_loop.call_soon_threadsafe(_copy_state, src, destination)

    destination.add_done_callback(on_destination_done)
    source.add_done_callback(on_source_done)


def _copy_state(source: Any, destination: Any) -> None:
    if isfuture(destination):
        if destination.cancelled():
            return
        if source.cancelled():
            destination.cancel()
            return
    else:
        if source.cancelled():
            destination.cancel()
        if not destination.set_running_or_notify_cancel():
            return
    exc = source.exception()
    if exc is not None:
        destination.set_exception(_loop_world_exception(exc))
    else:
        destination.set_result(source.result())


def _loop_world_exception(exc: BaseException) -> BaseException:
    # concurrent.futures has look-alike exception classes; translate them.
    kind = type(exc)
    if kind is concurrent.futures.CancelledError:
        converted: BaseException = events.CancelledError(*exc.args)
    elif sys.version_info < (3, 12) and kind is concurrent.futures.TimeoutError:
        converted = events.TimeoutError(*exc.args)
    elif kind is concurrent.futures.InvalidStateError:
        converted = events.InvalidStateError(*exc.args)
    else:
        return exc
    if sys.version_info >= (3, 12):
        converted = converted.with_traceback(exc.__traceback__)
    return converted
