"""Helpers for tests that start a child python and talk to it with signals."""

from __future__ import annotations

import signal


def hear_ctrl_c() -> None:
    """``preexec_fn`` for a child that must see Ctrl-C (SIGINT) as python does.

    A parent that ignores SIGINT (a shell's background job) passes that on,
    and python then leaves Ctrl-C ignored: give the child the default back.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
