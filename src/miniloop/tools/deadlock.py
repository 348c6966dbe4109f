"""Deadlock: when nothing can ever wake the loop, say so instead of hanging.

A loop with nothing ready and no timers sleeps in the selector until a file
descriptor becomes ready. If the only descriptor is the loop's own wake-up
pipe, and no other thread is around to write to it, that sleep never ends:
every task waits for another, and asyncio hangs, silently, for ever.

miniloop checks at exactly that moment: the core asks every function in
``before_waiting_for_ever`` (``core/observer.py``) before such a sleep, and
``miniloop/__init__.py`` puts ``break_deadlock`` there (importing this
module only the first time it is needed). (``DeadlockWatch`` is the same check as
an observer, for a tool that wants it on one loop only.) Something could still wake it if:

    a socket, pipe or process is registered with the selector
    a thread is running a job for the loop (run_in_executor)
    the loop has signal handlers (add_signal_handler)
    another thread is alive (it might call_soon_threadsafe), or Python
    signal handlers are installed (they might, too)

In any of these cases the loop sleeps normally, as asyncio would. Only when
none holds, and a short grace period passed quietly, is it a deadlock.
Then miniloop prints who waits on what (each task, the future or primitive
it awaits, where in the source it is suspended, and which task holds the
lock it wants when that can be seen), and raises
``DeadlockError`` in the main task, at the innermost await it is stuck in.
The program ends with an error instead of hanging.

This is a deliberate difference from asyncio, which would wait for ever.
A program that asyncio would finish never sees it: anything that could
still call back (a thread, a signal, IO) keeps miniloop waiting too.

Read next: back to ``trace.py``, or ``stepper.py``.
"""

from __future__ import annotations

import concurrent.futures.thread
import functools
import gc
import re
import signal
import sys
import threading
import types
import weakref
from dataclasses import dataclass
from typing import Any

from miniloop.contract import stacks
from miniloop.contract.watching import Observer
from miniloop.core import events
from miniloop.core import loop as loop_module
from miniloop.tools.describe import (
    Location,
    ObjectNames,
    all_callbacks,
    coroutine_of,
    describe_wait,
    frame_locals,
    is_task,
    task_label,
    task_name,
    where_suspended,
)

# Real seconds to wait, when nothing at all could wake the loop, before
# calling it a deadlock: cheap insurance against a wake-up we did not foresee.
GRACE_PERIOD = 0.05


class DeadlockError(RuntimeError):
    """Every task is waiting, and nothing can ever wake any of them.

    miniloop raises it in the main task instead of hanging as asyncio would.
    """


DeadlockError.__module__ = "miniloop"  # tracebacks say miniloop.DeadlockError, its public name


class DeadlockWatch(Observer):
    """Watches one loop for the moment it would sleep with nothing scheduled."""

    def __init__(self, loop: Any) -> None:
        self.watched = weakref.ref(loop)  # the loop holds us: no cycle back to it

    def about_to_sleep(self, deadline: float | None) -> bool:
        """Before a sleep with no deadline, check; True when the loop should look again."""
        loop = self.watched()
        return deadline is None and loop is not None and break_deadlock(loop)


def break_deadlock(loop: Any) -> bool:
    """Called before ``loop`` sleeps with nothing scheduled.

    Returns False to let it sleep (IO or a thread can still wake it), True
    when it should start a new turn: something arrived while we looked, or
    the deadlock was broken with a DeadlockError.
    """
    if _something_can_wake(loop):
        return False
    if _wait_for_outside(loop, GRACE_PERIOD):
        return True
    report = build_report(loop)
    print(report.text, file=sys.stderr, flush=True)
    _raise_in_main_task(loop, DeadlockError(report.summary))
    return True


# --- can anything still wake the loop? -------------------------------------------------------


def _something_can_wake(loop: Any) -> bool:
    """True if IO, a thread or a signal could still wake the loop."""
    ssock = getattr(loop, "_ssock", None)  # the core loop alone has no self-pipe
    self_pipe = ssock.fileno() if ssock is not None else None
    for fd in loop._selector.get_map():  # the descriptors: no key looked up
        if fd != self_pipe:
            return True
    pending = getattr(loop, "_outside_work_pending", None)
    if callable(pending) and pending():
        return True
    if getattr(loop, "_signal_handlers", None):
        return True
    return _other_threads_at_work() or _python_signal_handlers()


def _other_threads_at_work() -> bool:
    """True if a thread other than this one is alive and not an idle pool worker."""
    me = threading.get_ident()
    running = _code_running_in_each_thread()
    idle_worker = concurrent.futures.thread._worker.__code__
    for thread in threading.enumerate():
        if thread.ident == me or not thread.is_alive():
            continue
        # An idle pool worker sits in _worker itself, blocked on its queue.
        # Jobs reach it through run_in_executor, which the loop counts.
        if running.get(thread.ident or -1) is idle_worker:
            continue
        return True
    return False


def _code_running_in_each_thread() -> dict[int, types.CodeType]:
    """The code each thread is running now, and nothing else of its frames.

    ``sys._current_frames()`` holds this very frame too: kept in a local, it
    would make a reference cycle (this frame -> the dict -> this frame), and
    every other thread's frame in it, with all their local variables, would
    outlive the thread until the garbage collector happened to run. A
    thread's SQLite cursor, say, would keep its table locked. So we keep only
    code objects, and drop the dict before returning, even on an error.
    """
    frames = sys._current_frames()
    try:
        return {ident: frame.f_code for ident, frame in frames.items()}
    finally:
        del frames


def _python_signal_handlers() -> bool:
    """True if Python code handles some signal (Ctrl-C's usual handlers aside)."""
    for signum in signal.valid_signals():
        try:
            handler = signal.getsignal(signum)
        except (ValueError, OSError):
            continue
        if handler in (signal.SIG_DFL, signal.SIG_IGN, None, signal.default_int_handler):
            continue
        # asyncio's and miniloop's runners turn Ctrl-C into a cancellation.
        if isinstance(handler, functools.partial) and getattr(
                handler.func, "__name__", "") == "_on_sigint":
            continue
        return True
    return False


def _wait_for_outside(loop: Any, seconds: float) -> bool:
    """Wait ``seconds`` of real time in the selector; True if anything arrived."""
    io_events = loop._selector.select(seconds)
    if io_events:
        loop._process_io_events(io_events)
    return bool(io_events) or bool(loop._ready)


# --- who waits on what ------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiter:
    """One stuck task: what it waits on, where, and who could release it."""

    task: Any
    waits_on: str
    where: Location | None
    held_by: str  # "" when unknown
    blocked_on: tuple[Any, ...]  # the tasks it waits for (to find cycles)


@dataclass(frozen=True)
class Report:
    """The deadlock report: ``text`` for people, ``summary`` for the error message."""

    waiters: tuple[Waiter, ...]
    cycle: tuple[str, ...]
    text: str
    summary: str


def build_report(loop: Any) -> Report:
    """Describe every pending task of ``loop``: what it waits on, where, and who holds it."""
    tasks = sorted(events.all_tasks(loop), key=_creation_order)
    object_names = ObjectNames(tasks)  # two locks a helper calls 'second' never read the same
    waiters = tuple(_describe_waiter(task, tasks, loop, object_names) for task in tasks)
    cycle = _find_cycle(waiters)
    lines = ["",
             "miniloop: deadlock. Every task is waiting, and nothing can ever wake any of them",
             "(no timers, no IO, no work in other threads, no signal handlers).",
             ""]
    for waiter in waiters:
        lines.append(f"  {task_label(waiter.task)} waits on {waiter.waits_on}")
        if waiter.held_by.startswith("only "):
            lines.append(f"      {waiter.held_by}")
        elif waiter.held_by:
            lines.append(f"      held by {waiter.held_by}")
        if waiter.where is not None:
            source = waiter.where.source_line
            lines.append(f"      at {waiter.where}" + (f":  {source}" if source else ""))
    lines.append("")
    if cycle:
        lines.append("A cycle: " + " -> ".join(cycle) + ".")
    main = _main_task(loop)
    who = f"the main task ({task_name(main)})" if main is not None else "the loop's caller"
    lines.append(f"miniloop raises DeadlockError in {who}; plain asyncio would wait here "
                 "for ever.")
    summary = "deadlock: " + "; ".join(
        f"{task_name(w.task)} waits on {w.waits_on}"
        + (f" (held by {w.held_by.split(' ')[0]})"
           if w.held_by and not w.held_by.startswith("only ") else "")
        for w in waiters)
    if not waiters:
        summary = "deadlock: the loop waits for nothing that can ever happen"
    return Report(waiters, cycle, "\n".join(lines), summary)


def _creation_order(task: Any) -> tuple[int, str]:
    name = task_name(task)
    number = re.search(r"(\d+)$", name)
    return (int(number.group(1)) if number else sys.maxsize, name)


def _describe_waiter(task: Any, tasks: list[Any], loop: Any,
                     object_names: ObjectNames) -> Waiter:
    wait = describe_wait(task, loop.time(), object_names=object_names)
    held_by = ""
    blocked_on = tuple(wait.tasks)
    target = wait.target
    if wait.kind in ("lock", "semaphore", "condition") and target is not None:
        holders = [other for other in tasks if other is not task and _holds(other, target)]
        if holders:
            held_by = ", ".join(task_name(t) for t in holders)
            held_by += " (inside its 'async with')"
            blocked_on = tuple(holders)
        else:
            suspects = [other for other in tasks if other is not task
                        and _refers_to(other, target) and describe_wait(other).target
                        is not target]
            if suspects:
                held_by = ", ".join(task_name(t) for t in suspects)
                held_by += " (probably: it refers to it and does not wait for it)"
                blocked_on = tuple(suspects)
    elif target is not None and wait.kind != "gather" and wait.kind != "task":
        # An event, a queue, a plain future: whoever could set it must hold
        # a reference to it, and every such task is stuck too.
        # (Tasks that wait for this very task, a gather of it, say, are not counted.)
        others = [other for other in tasks if other is not task
                  and not any(t is task for t in describe_wait(other).tasks)
                  and _refers_to(other, target)]
        if others:
            names = ", ".join(task_name(t) for t in others)
            held_by = f"only {names} could wake it (from a reference to it), and " + (
                "they are waiting too" if len(others) > 1 else "it is waiting too")
            blocked_on = tuple(others)
    return Waiter(task, wait.label, where_suspended(task), held_by, blocked_on)


def _coroutines_of(task: Any) -> list[Any]:
    coro = coroutine_of(task)
    return stacks.await_chain(coro)


def _holds(task: Any, primitive: Any) -> bool:
    """True if ``task`` is inside ``async with primitive`` (its __aexit__ is on a frame's stack)."""
    for coro in _coroutines_of(task):
        for obj in gc.get_referents(coro):
            if getattr(obj, "__self__", None) is primitive and getattr(
                    obj, "__name__", "") == "__aexit__":
                return True
    return False


def _refers_to(task: Any, primitive: Any) -> bool:
    """True if a local variable of one of ``task``'s suspended frames is ``primitive``."""
    for coro in _coroutines_of(task):
        frame = stacks.coroutine_frame(coro)
        if frame is not None and any(value is primitive
                                     for value in frame_locals(frame).values()):
            return True
    return False


def _find_cycle(waiters: tuple[Waiter, ...]) -> tuple[str, ...]:
    """A cycle of tasks each blocked on the next, as names, if there is one."""
    blocked = {id(w.task): w.blocked_on for w in waiters}
    for start in waiters:
        path = [start.task]
        while True:
            following = blocked.get(id(path[-1]), ())
            if not following:
                break
            step = following[0]
            if step is start.task:
                return tuple(task_name(t) for t in [*path, start.task])
            if any(step is seen for seen in path):
                break
            path.append(step)
    return ()


# --- raising the error in the main task -----------------------------------------------------------


def _main_task(loop: Any) -> Any:
    """The task run_until_complete waits for (it carries the loop's stop callback)."""
    names = ("_run_until_complete_cb", "_stop_loop_of")  # its names, then and now
    stops = [getattr(loop_module, name, None) for name in names]
    for task in events.all_tasks(loop):
        for callback, _context in all_callbacks(task):
            if (any(callback is stop for stop in stops if stop is not None)
                    or getattr(callback, "__name__", "") in names):
                return task
    return None


def _raise_in_main_task(loop: Any, error: DeadlockError) -> None:
    """Fail the innermost future the main task is stuck on; failing that, raise here."""
    future = _main_task(loop)
    seen: list[Any] = []
    while future is not None and is_task(future) and not future.done():
        if any(future is other for other in seen):
            future = None  # tasks awaiting each other in a ring: no plain future to fail
            break
        seen.append(future)
        future = getattr(future, "_fut_waiter", None)
    if future is None or future.done() or is_task(future):
        raise error  # out of the loop's turn, and out of run_until_complete
    future.set_exception(error)
