"""Counting open file descriptors, to prove that IO code leaks none."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator


def open_fds() -> set[int]:
    """The descriptors this process has open right now."""
    return {int(name) for name in os.listdir("/proc/self/fd")}


@contextlib.contextmanager
def no_fd_leak() -> Iterator[None]:
    """Fail if the block leaves more descriptors open than it found."""
    gc.collect()
    before = open_fds()
    yield
    gc.collect()
    leaked = open_fds() - before
    # A descriptor may be listed while /proc is read: only real ones count.
    leaked = {fd for fd in leaked if _is_open(fd)}
    assert not leaked, f"leaked file descriptors: {sorted(leaked)} -> {_describe(leaked)}"


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _describe(fds: set[int]) -> list[str]:
    out = []
    for fd in sorted(fds):
        try:
            out.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            out.append("?")
    return out
