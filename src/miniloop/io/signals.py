"""Signals: Unix signals as ordinary callbacks on the loop.

A signal interrupts the program at an arbitrary point, so a signal handler
must not touch the loop's data structures. Python already softens this:
its C-level handler only sets a flag, and the Python-level handler runs
later, between two bytecodes. But if the loop is asleep in ``select()``,
"later" could be a long time. ``signal.set_wakeup_fd(fd)`` closes that
gap: on every signal, Python writes the signal's number as one byte to
``fd``. We give it the write end of the loop's self-pipe, which the
selector already watches. So a signal wakes the loop like any other IO;
the loop reads the byte, looks the number up in its table of handlers,
and puts that handler on the ready queue. Your callback then runs as an
ordinary callback, with the loop in a consistent state.

(The same self-pipe also carries the zero bytes of
``call_soon_threadsafe``; zeros are not signals and are skipped.)

Read next: ``streams.py`` (await bytes instead of being told about them).
"""

from __future__ import annotations

import errno
import inspect
import signal
import sys
import warnings
from collections.abc import Callable
from types import FrameType
from typing import Any

from miniloop.contract.reporting import logger
from miniloop.core.loop import Handle
from miniloop.io.readiness import LoopHost


def _ignore_signal(signum: int, frame: FrameType | None) -> None:
    # The Python-level handler does nothing: the wake-up byte does the work.
    pass


def check_signal(sig: Any) -> None:
    """TypeError or ValueError unless ``sig`` is a signal number of this platform."""
    if not isinstance(sig, int):
        raise TypeError(f"sig must be an int, not {sig!r}")
    if sig not in signal.valid_signals():
        raise ValueError(f"invalid signal number {sig}")


class SignalsMixin(LoopHost):
    """``add_signal_handler`` and ``remove_signal_handler``."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._signal_handlers: dict[int, Handle] = {}

    def add_signal_handler(self, sig: int, callback: Callable[..., object], *args: Any) -> None:
        """Run ``callback(*args)`` on the loop whenever signal ``sig`` arrives (main thread)."""
        if inspect.iscoroutine(callback) or inspect.iscoroutinefunction(callback):
            raise TypeError("coroutines cannot be used with add_signal_handler()")
        check_signal(sig)
        self._check_closed()
        try:
            # Fails outside the main thread: a loop in another thread
            # cannot own signals, and finds out here, before any change.
            signal.set_wakeup_fd(self._csock.fileno())
        except (ValueError, OSError) as exc:
            raise RuntimeError(str(exc))
        self._signal_handlers[sig] = self.handle_class(callback, args, self, None)
        try:
            signal.signal(sig, _ignore_signal)
            signal.siginterrupt(sig, False)  # restart system calls instead of EINTR
        except OSError as exc:
            del self._signal_handlers[sig]
            if not self._signal_handlers:
                self._stop_wakeup_fd()
            if exc.errno == errno.EINVAL:
                raise RuntimeError(f"sig {sig} cannot be caught")
            raise

    def remove_signal_handler(self, sig: int) -> bool:
        """Restore the default handling of ``sig``; True if we had a handler for it."""
        check_signal(sig)
        if self._signal_handlers.pop(sig, None) is None:
            return False
        default = signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL
        try:
            signal.signal(sig, default)
        except OSError as exc:
            if exc.errno == errno.EINVAL:
                raise RuntimeError(f"sig {sig} cannot be caught")
            raise
        if not self._signal_handlers:
            self._stop_wakeup_fd()
        return True

    def _stop_wakeup_fd(self) -> None:
        try:
            signal.set_wakeup_fd(-1)
        except (ValueError, OSError) as exc:
            logger.info("set_wakeup_fd(-1) failed: %s", exc)

    def _read_from_self(self) -> None:
        # The self-pipe carries zero bytes (call_soon_threadsafe) and, while
        # we handle signals, signal numbers.
        while True:
            try:
                data = self._ssock.recv(4096)
            except InterruptedError:
                continue
            except BlockingIOError:
                return
            if not data:
                return
            if self._signal_handlers:
                for signum in data:
                    if signum:
                        self._handle_signal(signum)

    def _handle_signal(self, sig: int) -> None:
        handle = self._signal_handlers.get(sig)
        if handle is None:
            return  # a signal we do not handle (Python's own SIGINT, say)
        if handle._cancelled:
            self.remove_signal_handler(sig)
        else:
            self._ready.append(handle)

    def close(self) -> None:
        """Close the loop and give the signals it handled back to their defaults."""
        super().close()
        if not sys.is_finalizing():
            for sig in list(self._signal_handlers):
                self.remove_signal_handler(sig)
        elif self._signal_handlers:
            warnings.warn(f"Closing the loop {self!r} on interpreter shutdown stage, "
                          f"skipping signal handlers removal", ResourceWarning, stacklevel=2,
                          source=self)
            self._signal_handlers.clear()
