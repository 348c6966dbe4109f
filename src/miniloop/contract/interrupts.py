"""Ctrl-C: how ``run`` turns an interrupt into a cancellation.

Python's default reaction to Ctrl-C is to raise ``KeyboardInterrupt``
wherever the main thread happens to be: in the middle of the loop's
bookkeeping, say, leaving tasks half-stepped and nothing cleaned up.

While ``run``/``Runner.run`` drives the main task, it installs its own
SIGINT handler instead. The first Ctrl-C *cancels the main task*, so its
``finally`` blocks and ``except CancelledError`` clean-up run as usual; when
the cancellation has ended the task, ``run`` raises ``KeyboardInterrupt``
(chained to that cancellation). A second Ctrl-C, for a program whose clean-up
hangs, raises ``KeyboardInterrupt`` at once. Only the main thread, and only
if nobody installed a SIGINT handler of their own, gets this treatment.

Read next: ``runners.py``.
"""

from __future__ import annotations

import functools
import signal
import threading
from types import FrameType
from typing import Any


class CancelOnInterrupt:
    """Runner's Ctrl-C handling (mixed into ``Runner`` in ``runners.py``)."""

    _loop: Any
    _interrupt_count = 0

    def _install_sigint_handler(self, main_task: Any) -> Any:
        """Make Ctrl-C cancel ``main_task``; return the handler (None if not ours to set)."""
        self._interrupt_count = 0
        if (threading.current_thread() is not threading.main_thread()
                or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
            return None
        handler = functools.partial(self._on_sigint, main_task=main_task)
        try:
            signal.signal(signal.SIGINT, handler)
        except ValueError:  # signals not available (an embedded interpreter)
            return None
        return handler

    def _on_sigint(self, signum: int, frame: FrameType | None, main_task: Any) -> None:
        self._interrupt_count += 1
        if self._interrupt_count == 1 and not main_task.done():
            main_task.cancel()
            # The loop may be asleep in the selector with a long timeout.
            self._loop.call_soon_threadsafe(lambda: None)
            return
        raise KeyboardInterrupt()

    def _interrupted(self, main_task: Any) -> bool:
        """True if Ctrl-C, and nothing else, is why ``main_task`` was cancelled."""
        if self._interrupt_count == 0:
            return False
        uncancel = getattr(main_task, "uncancel", None)
        return uncancel is not None and uncancel() == 0

    @staticmethod
    def _restore_sigint_handler(handler: Any) -> None:
        if handler is not None and signal.getsignal(signal.SIGINT) is handler:
            signal.signal(signal.SIGINT, signal.default_int_handler)
