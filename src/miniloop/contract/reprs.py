"""How futures, tasks and callbacks describe themselves.

Nothing here is needed to understand how the loop works; a first reading
can skip it. It exists because programs print these descriptions (in
logs, in error messages, in ``print(task)``), so they must read exactly as
asyncio's do:

    <Task pending name='Task-1' coro=<main() running at prog.py:5>>
    Exception in callback tick(1) at prog.py:12

and because debug mode remembers where each future and callback was
created (a short stack, ``source_traceback``) to show in those messages.

Read next: ``stacks.py`` (where a suspended coroutine is).
"""

from __future__ import annotations

import functools
import inspect
import reprlib
import sys
import traceback
from typing import Any

from miniloop.contract import stacks

# How many frames debug mode records for "created at" (asyncio's depth).
DEBUG_STACK_DEPTH = 10

# 3.13 stopped showing callback arguments outside debug mode: they may hold
# secrets that should not end up in logs.
_ARGUMENTS_ONLY_IN_DEBUG = sys.version_info >= (3, 13)


def extract_stack(frame: Any) -> traceback.StackSummary:
    """The (short) stack above ``frame``, oldest first, without source lines."""
    stack = traceback.StackSummary.extract(
        traceback.walk_stack(frame), limit=DEBUG_STACK_DEPTH, lookup_lines=False)
    stack.reverse()
    return stack


# The modules whose frames make handles on a caller's behalf.
_LOOP_MACHINERY = ("miniloop.core.loop", "miniloop.contract.", "miniloop.fast.")


def first_frame_outside_loop() -> Any:
    """The frame of the code that asked for a handle (call_soon, call_later...)."""
    frame: Any = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_LOOP_MACHINERY):
        frame = frame.f_back
    return frame


# --- callbacks ------------------------------------------------------------------


def describe_callback(callback: Any, args: tuple[Any, ...], debug: bool = True) -> str:
    """``name(arg, ...) at file.py:12``: how asyncio names a callback."""
    text = _call_text(callback, args, {}, debug)
    source = _source_of(callback)
    return f"{text} at {source[0]}:{source[1]}" if source else text


def _call_text(callback: Any, args: tuple[Any, ...] | None, kwargs: dict[str, Any] | None,
               debug: bool, suffix: str = "") -> str:
    if isinstance(callback, functools.partial):
        suffix = _arguments(args, kwargs, debug) + suffix
        return _call_text(callback.func, callback.args, callback.keywords, debug, suffix)
    name = getattr(callback, "__qualname__", None) or getattr(callback, "__name__", None)
    return f"{name or repr(callback)}{_arguments(args, kwargs, debug)}{suffix}"


def _arguments(args: tuple[Any, ...] | None, kwargs: dict[str, Any] | None, debug: bool) -> str:
    if _ARGUMENTS_ONLY_IN_DEBUG and not debug:
        return "()"
    items = [reprlib.repr(arg) for arg in args or ()]
    items += [f"{key}={reprlib.repr(value)}" for key, value in (kwargs or {}).items()]
    return f"({', '.join(items)})"


def _source_of(callback: Any) -> tuple[str, int] | None:
    callback = inspect.unwrap(callback)
    if inspect.isfunction(callback):
        return callback.__code__.co_filename, callback.__code__.co_firstlineno
    if isinstance(callback, (functools.partial, functools.partialmethod)):
        return _source_of(callback.func)
    return None


def describe_handle(handle: Any) -> str:
    """``<Handle tick(1) at prog.py:12>`` (a TimerHandle adds ``when=``)."""
    info = [type(handle).__name__]
    if handle._cancelled:
        info.append("cancelled")
    if handle._callback is not None:
        info.append(describe_callback(handle._callback, handle._args, handle._loop.get_debug()))
    when = getattr(handle, "_when", None)
    if when is not None:
        info.insert(2 if handle._cancelled else 1, f"when={when}")
    _add_origin(info, handle._source_traceback)
    return f"<{' '.join(info)}>"


# --- futures and tasks --------------------------------------------------------------


@reprlib.recursive_repr()
def describe_future(future: Any) -> str:
    """``<Future finished result=4>``: the repr of a future or a task."""
    return f"<{type(future).__name__} {' '.join(future._repr_info())}>"


def future_repr_info(future: Any) -> list[str]:
    """The words of a future's repr: state, outcome, callbacks, origin."""
    info = [future._state.lower()]
    if future._state == "FINISHED":
        if future._exception is not None:
            info.append(f"exception={future._exception!r}")
        else:
            info.append(f"result={reprlib.repr(future._result)}")
    callbacks = future._waiters_and_callbacks() if hasattr(
        future, "_waiters_and_callbacks") else future._callbacks
    if callbacks:
        info.append(_describe_callbacks(callbacks))
    _add_origin(info, future._source_traceback)
    return info


def task_repr_info(task: Any) -> list[str]:
    """A future's words, plus the task's name, coroutine and what it waits for."""
    info = future_repr_info(task)
    if task.cancelling() and not task.done():
        info[0] = "cancelling"
    info.insert(1, f"name={task.get_name()!r}")
    if task._fut_waiter is not None:
        info.insert(2, f"wait_for={task._fut_waiter!r}")
    if task._coro is not None:  # None once an eager task finished at birth
        info.insert(2, f"coro=<{stacks.format_coroutine(task._coro)}>")
    return info


def _describe_callbacks(callbacks: list[tuple[Any, Any]]) -> str:
    names = [_callback_name(callback, context) for callback, context in callbacks]
    if len(names) > 2:
        names = [names[0], f"<{len(names) - 2} more>", names[-1]]
    return f"cb=[{', '.join(names)}]"


def _callback_name(callback: Any, context: Any) -> str:
    task = getattr(callback, "__self__", None) if getattr(
        callback, "__name__", None) == "_wakeup" else None
    if context is None or task is not None:  # a miniloop task parked on the future
        return f"{type(task or callback).__name__}.task_wakeup()"
    return describe_callback(callback, ())


def _add_origin(info: list[str], source_traceback: Any) -> None:
    if source_traceback:
        frame = source_traceback[-1]
        info.append(f"created at {frame[0]}:{frame[1]}")
