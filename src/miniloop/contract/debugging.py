"""Debug mode: slower, but it tells you what went wrong and where.

A loop in debug mode (``loop.set_debug(True)``, ``run(..., debug=True)``,
``python -X dev`` or ``PYTHONASYNCIODEBUG=1``) does extra work that a
normal run skips:

* every future, task and callback remembers where it was created, and
  error reports show it ("Object created at ...");
* a callback or task step that hogs the loop for longer than
  ``slow_callback_duration`` (0.1 s) is logged: "Executing <Task ...>
  took 0.250 seconds";
* calling a non-thread-safe method from the wrong thread raises, and
  passing a coroutine where a callback belongs raises at once;
* coroutines record where they were created, so a coroutine that is never
  awaited says where it came from.

Slow entries are timed by an observer (``core/observer.py``) that debug
mode puts on the loop; the normal path pays one ``if self._debug`` for
the checks.

Read next: ``asyncgens.py``, or back to ``loop.py``.
"""

from __future__ import annotations

import inspect
import os
import sys
import threading
from typing import Any

from miniloop.contract.reporting import logger
from miniloop.contract.reprs import DEBUG_STACK_DEPTH
from miniloop.contract.watching import Observer, unwatch, watch


def debug_mode_requested() -> bool:
    """True under ``python -X dev`` or with ``PYTHONASYNCIODEBUG`` set (as asyncio)."""
    return sys.flags.dev_mode or (
        not sys.flags.ignore_environment and bool(os.environ.get("PYTHONASYNCIODEBUG")))


class DebugModeMixin:
    """The debug-mode half of a miniloop loop (mixed in above ``CoreLoop``)."""

    _thread_id: int | None
    _ready: Any
    time: Any
    _current_handle: Any = None  # the entry running now (debug mode)

    slow_callback_duration = 0.1
    _coroutine_origin_tracking = False
    _saved_origin_depth = 0

    def __init__(self, **options: Any) -> None:
        self._debug = False
        self._slow_callback_watch = SlowCallbackWatch(self)
        super().__init__(**options)
        if debug_mode_requested():
            self.set_debug(True)

    def get_debug(self) -> bool:
        """True in debug mode."""
        return self._debug

    def set_debug(self, enabled: bool) -> None:
        """Turn debug mode on or off."""
        loop: Any = self
        if bool(enabled) != self._debug:
            (watch if enabled else unwatch)(loop, self._slow_callback_watch)
        self._debug = bool(enabled)
        if loop.is_running():
            loop.call_soon_threadsafe(self._set_coroutine_origin_tracking, enabled)

    def call_soon(self, callback: Any, *args: Any, context: Any = None) -> Any:
        """Run ``callback(*args)`` on the next turn (checked first, in debug mode)."""
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_soon")
        return super().call_soon(callback, *args, context=context)  # type: ignore[misc]

    def call_later(self, delay: float, callback: Any, *args: Any, context: Any = None) -> Any:
        """Run ``callback(*args)`` after ``delay`` seconds (asyncio refuses None)."""
        if delay is None:
            raise TypeError("delay must not be None")
        return super().call_later(delay, callback, *args, context=context)  # type: ignore[misc]

    def call_at(self, when: float, callback: Any, *args: Any, context: Any = None) -> Any:
        """Run ``callback(*args)`` at loop time ``when`` (checked first, in debug mode)."""
        if when is None:
            raise TypeError("when cannot be None")
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_at")
        return super().call_at(when, callback, *args, context=context)  # type: ignore[misc]

    def run_forever(self) -> None:
        """Run turns until stop(); in debug mode, coroutines remember where they began."""
        loop: Any = self
        loop._check_closed()
        loop._check_running()
        self._set_coroutine_origin_tracking(self._debug)
        try:
            super().run_forever()  # type: ignore[misc]
        finally:
            self._set_coroutine_origin_tracking(False)

    def close(self) -> None:
        """Close the loop (logged in debug mode)."""
        loop: Any = self
        if self._debug and not loop.is_running() and not loop.is_closed():
            logger.debug("Close %r", self)
        super().close()  # type: ignore[misc]

    def _set_coroutine_origin_tracking(self, enabled: bool) -> None:
        if bool(enabled) == self._coroutine_origin_tracking:
            return
        if enabled:
            self._saved_origin_depth = sys.get_coroutine_origin_tracking_depth()
            sys.set_coroutine_origin_tracking_depth(DEBUG_STACK_DEPTH)
        else:
            sys.set_coroutine_origin_tracking_depth(self._saved_origin_depth)
        self._coroutine_origin_tracking = bool(enabled)

    def _check_thread(self) -> None:
        if self._thread_id is not None and self._thread_id != threading.get_ident():
            raise RuntimeError(
                "Non-thread-safe operation invoked on an event loop other "
                "than the current one")

    def _check_callback(self, callback: object, method: str) -> None:
        if inspect.iscoroutine(callback) or inspect.iscoroutinefunction(callback):
            raise TypeError(f"coroutines cannot be used with {method}()")
        if not callable(callback):
            raise TypeError(f"a callable object was expected by {method}(), got {callback!r}")


class SlowCallbackWatch(Observer):
    """Debug mode's watch on the ready queue: who runs now, and for how long."""

    def __init__(self, loop: Any) -> None:
        self.loop = loop
        self.started = 0.0

    def running(self, entry: Any) -> None:
        """Remember the entry (error reports show where it was made) and the time."""
        self.loop._current_handle = entry
        self.started = self.loop.time()

    def ran(self, entry: Any) -> None:
        """Log the entry if it held the loop for too long."""
        self.loop._current_handle = None
        took = self.loop.time() - self.started
        if took >= self.loop.slow_callback_duration:
            logger.warning("Executing %s took %.3f seconds", entry, took)
