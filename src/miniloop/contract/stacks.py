"""Where is a suspended coroutine? Stacks and descriptions of tasks.

A running function has a call stack. A *suspended* coroutine has none: its
frame sits parked inside the coroutine object, and the coroutines it awaits
hang off it like a chain (``cr_await`` for ``async def``, ``gi_yieldfrom``
for generator-based ones). Following that chain from a task's coroutine
down to the innermost ``yield`` tells you exactly where the task is waiting.

``Task.get_stack``/``print_stack`` and task reprs use these helpers; so do
the trace and the deadlock report, which follow the whole await chain.

Read next: back to ``tasks.py``.
"""

from __future__ import annotations

import linecache
import traceback
import types
from typing import Any, TextIO


def coroutine_frame(coro: Any) -> types.FrameType | None:
    """The frame of a coroutine, generator-based coroutine or async generator."""
    for attribute in ("cr_frame", "gi_frame", "ag_frame"):
        frame = getattr(coro, attribute, None)
        if frame is not None:
            return frame  # type: ignore[no-any-return]
    return None


def await_chain(coro: Any) -> list[Any]:
    """The coroutine and everything it is (transitively) suspended in."""
    chain: list[Any] = []
    while coro is not None and len(chain) < 1000:
        chain.append(coro)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return chain


def task_stack(task: Any, limit: int | None) -> list[types.FrameType]:
    """The frames asyncio's ``Task.get_stack`` would return."""
    frames: list[types.FrameType] = []
    frame = coroutine_frame(task._coro)
    if frame is not None:
        while frame is not None and (limit is None or len(frames) < limit):
            frames.append(frame)
            frame = frame.f_back
        frames.reverse()
    elif task._exception is not None:
        tb = task._exception.__traceback__
        while tb is not None and (limit is None or len(frames) < limit):
            frames.append(tb.tb_frame)
            tb = tb.tb_next
    return frames


def print_task_stack(task: Any, limit: int | None, file: TextIO | None) -> None:
    """Print a task's stack (or its traceback, if it failed) in asyncio's format."""
    entries = []
    for frame in task.get_stack(limit=limit):
        filename, lineno = frame.f_code.co_filename, frame.f_lineno
        linecache.checkcache(filename)
        line = linecache.getline(filename, lineno, frame.f_globals)
        entries.append((filename, lineno, frame.f_code.co_name, line))
    exc = task._exception
    if not entries:
        print(f"No stack for {task!r}", file=file)
    elif exc is not None:
        print(f"Traceback for {task!r} (most recent call last):", file=file)
    else:
        print(f"Stack for {task!r} (most recent call last):", file=file)
    traceback.print_list(traceback.StackSummary.from_list(entries), file=file)
    if exc is not None:
        for line in traceback.format_exception_only(exc.__class__, exc):
            print(line, file=file, end="")


def format_coroutine(coro: Any) -> str:
    """``main() running at file.py:12``, or ``main() done, defined at ...``."""
    name = getattr(coro, "__qualname__", None) or getattr(coro, "__name__", None)
    name = f"{name or f'<{type(coro).__name__} without __name__>'}()"
    code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
    if code is None:
        running = getattr(coro, "cr_running", getattr(coro, "gi_running", False))
        return f"{name} running" if running else name
    filename = code.co_filename or "<empty co_filename>"
    frame = coroutine_frame(coro)
    if frame is not None:
        return f"{name} running at {filename}:{frame.f_lineno}"
    return f"{name} done, defined at {filename}:{code.co_firstlineno}"


def where_suspended(coro: Any) -> str:
    """``file.py:12 in worker`` for the innermost frame a coroutine is parked in."""
    for inner in reversed(await_chain(coro)):
        frame = coroutine_frame(inner)
        if frame is not None:
            return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
    return "(not suspended)"
