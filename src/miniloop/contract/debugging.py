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

The normal path pays one ``if self._debug`` for all of this.

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


def debug_mode_requested() -> bool:
    """True under ``python -X dev`` or with ``PYTHONASYNCIODEBUG`` set (as asyncio)."""
    return sys.flags.dev_mode or (
        not sys.flags.ignore_environment and bool(os.environ.get("PYTHONASYNCIODEBUG")))


class DebugModeMixin:
    """The debug-mode half of a miniloop loop (mixed into ``CoreLoop``)."""

    # Set by CoreLoop; declared here for the methods below.
    _debug: bool
    _thread_id: int | None
    _ready: Any
    time: Any
    _current_handle: Any

    slow_callback_duration = 0.1
    _coroutine_origin_tracking = False
    _saved_origin_depth = 0

    def get_debug(self) -> bool:
        """True in debug mode."""
        return self._debug

    def set_debug(self, enabled: bool) -> None:
        """Turn debug mode on or off."""
        self._debug = enabled
        loop: Any = self
        if loop.is_running():
            loop.call_soon_threadsafe(self._set_coroutine_origin_tracking, enabled)

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

    def _run_ready_debug(self, count: int) -> None:
        """Run ``count`` ready entries, timing each one."""
        for _ in range(count):
            entry = self._ready.popleft()
            self._current_handle = entry
            try:
                started = self.time()
                entry._run()
                took = self.time() - started
                if took >= self.slow_callback_duration:
                    logger.warning("Executing %s took %.3f seconds", entry, took)
            finally:
                self._current_handle = None
