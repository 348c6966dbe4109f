"""Describing loop objects for people: tasks, what they wait on, timers, callbacks.

The loop sees only futures and callbacks. A person wants to read "Task-2
waits on sleep(1.0) until 1.000" or "Task-3 waits on Lock.acquire", not
"<Future pending cb=[Task.task_wakeup()]>". Where does the extra meaning come
from? Not from labels stuck on futures when they are made: that would cost
every program something, traced or not. It comes from looking, only when
someone asks, at the *await chain* of the suspended task (``stacks.py``):

    count()  ->  sleep()        the task's coroutine awaits miniloop.sleep
                   |
                 future         which parked on a future

The outermost library coroutine in that chain (``sleep``, ``Queue.get``,
``Lock.acquire``, ``sock_recv``...) is the call the program made, and its
local variables tell the rest (the delay, the queue, the lock). The frames
above it are the program's own: the innermost of those says where in the
source the task is suspended.

Read next: ``trace.py``, which calls these as it records.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import linecache
import os
import re
import reprlib
import sys
import sysconfig
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from miniloop.contract import stacks

P = ParamSpec("P")
R = TypeVar("R")


def _never_fails(fallback: Callable[..., R]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Describing is best effort: a program's odd object (a __repr__ that
    raises, a coroutine of an unknown kind) gives a plainer description, and
    never an error in the middle of the program being watched."""

    def decorate(describe: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(describe)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return describe(*args, **kwargs)
            except Exception:
                return fallback(*args, **kwargs)

        return guarded

    return decorate


# --- library code or the program's? --------------------------------------------------------

_LIBRARY_FOLDERS = tuple(
    os.path.normcase(os.path.abspath(folder)) + os.sep
    for folder in {
        # The package folder, found from this file: a folder named miniloop
        # in the current one may stand in for the package, without a __file__.
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        os.path.dirname(asyncio.__file__),
        *(sysconfig.get_paths().get(name, "") for name in ("stdlib", "platstdlib",
                                                           "purelib", "platlib")),
    }
    if folder
)


@functools.lru_cache(maxsize=1024)
def is_library_file(filename: str) -> bool:
    """True for miniloop's, asyncio's, the standard library's and installed packages' files."""
    if filename.startswith("<frozen"):
        return True  # the standard library's frozen modules
    path = os.path.normcase(os.path.abspath(filename))
    return path.startswith(_LIBRARY_FOLDERS)


def short_path(filename: str) -> str:
    """``demos/countasync.py`` if under the current folder, else the file's name."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return os.path.basename(filename)
    return os.path.basename(filename) if relative.startswith("..") else relative


def _code_of(coro: Any) -> types.CodeType | None:
    code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
    return code if isinstance(code, types.CodeType) else None


# --- tasks ----------------------------------------------------------------------------------


def task_name(task: Any) -> str:
    """The task's name (``Task-2``)."""
    try:
        return str(task.get_name())
    except Exception:
        return f"<{type(task).__name__}>"


@_never_fails(lambda task, *_, **__: "<coroutine>")
def coroutine_name(task: Any) -> str:
    """``count()``, or ``main.worker()`` for a coroutine defined inside main."""
    coro = coroutine_of(task)
    name = getattr(coro, "__qualname__", None) or getattr(coro, "__name__", None)
    if not name:
        return type(coro).__name__
    owner, _, method = name.rpartition(".")
    if owner.endswith(("Mixin", "Loop")):
        return f"loop.{method}()"  # the loop's own housekeeping (shutdown_asyncgens...)
    return f"{name.replace('.<locals>', '')}()"


@_never_fails(lambda task, *_, **__: coroutine_name(task))
def coroutine_call(task: Any, limit: int = 30) -> str:
    """``produce(0, …)``: the coroutine's name with the arguments it was called with.

    Read off the coroutine's frame before its first step, when its locals
    are just its parameters. A short plain value (a number, a short string)
    is shown as itself, anything else as ``…``. Arguments longer than
    ``limit`` in all, and it is only the name: ``produce()``.
    """
    name = coroutine_name(task)
    coro = coroutine_of(task)
    code, frame = _code_of(coro), getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
    if code is None or frame is None or not _not_started(task) or not name.endswith("()"):
        return name
    count = code.co_argcount + code.co_kwonlyargcount
    params = code.co_varnames[:count]
    local_vars = frame_locals(frame)
    shown = []
    for index, param in enumerate(params):
        if (param in ("self", "cls") and index == 0) or param not in local_vars:
            continue
        shown.append(_argument_text(param, local_vars[param], keyword=index >= code.co_argcount))
    if shown.count("…") == len(shown):
        shown = []  # "count()" says as much as "count(…)"
    # "produce(0, …)": consecutive elided arguments read as one.
    shown = [arg for index, arg in enumerate(shown)
             if arg != "…" or index == 0 or shown[index - 1] != "…"]
    arguments = ", ".join(shown)
    return f"{name[:-2]}({arguments})" if len(arguments) <= limit else name


def _argument_text(param: str, value: object, *, keyword: bool) -> str:
    if isinstance(value, (bool, int, float)) or value is None:
        text = repr(value)
    elif isinstance(value, str) and len(value) <= 16:
        text = repr(value)
    else:
        return "…"  # a queue, a lock, a long string: too much for a lane's name
    return f"{param}={text}" if keyword else text


def coroutine_of(task: Any) -> Any:
    """The coroutine a task drives (None once asyncio's C task has let go of it).

    Read from ``_coro`` when the task has one: on Python 3.12.0 and 3.12.1,
    ``get_coro()`` of an asyncio eager task that finished at once crashes
    the interpreter.
    """
    if hasattr(task, "_coro"):
        return task._coro
    try:
        return task.get_coro()
    except Exception:
        return None


def name_being_given() -> str | None:
    """The name ``asyncio.create_task(coro, name=...)`` is about to give the task being made.

    On Python 3.11 and 3.12, asyncio's ``create_task`` (and
    ``TaskGroup.create_task``) make the task first and name it on the next
    line, so a watcher that sees the task being made sees ``Task-N``. The
    name is already in that ``create_task`` frame's locals: read it there.
    (3.13 passes the name to the loop, and the task has it from birth.)
    """
    if sys.version_info >= (3, 13):
        return None
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "create_task" and code.co_filename.startswith(_ASYNCIO_FOLDER):
            name = frame.f_locals.get("name")
            return None if name is None else str(name)
        frame = frame.f_back
    return None


_ASYNCIO_FOLDER = os.path.dirname(asyncio.__file__) + os.sep


def task_label(task: Any) -> str:
    """``Task-2 count()``."""
    return f"{task_name(task)} {coroutine_name(task)}"


def is_task(obj: object) -> bool:
    """True for miniloop's and asyncio's tasks (anything future-like driving a coroutine)."""
    return hasattr(obj, "get_coro") and hasattr(obj, "_asyncio_future_blocking")


@dataclass(frozen=True)
class Location:
    """A place in the program's source."""

    filename: str
    lineno: int
    function: str

    @property
    def source_line(self) -> str:
        """The line of source code itself (stripped), or "" if unavailable."""
        return linecache.getline(self.filename, self.lineno).strip()

    def __str__(self) -> str:
        return f"{short_path(self.filename)}:{self.lineno} in {self.function}"


def _no_location(*_: Any, **__: Any) -> Location | None:
    return None


@_never_fails(_no_location)
def where_suspended(task: Any) -> Location | None:
    """The innermost frame of the program's own code where ``task`` is suspended."""
    coro = coroutine_of(task)
    found = None
    for inner in stacks.await_chain(coro):
        frame = stacks.coroutine_frame(inner)
        if frame is None:
            continue
        if found is None or not is_library_file(frame.f_code.co_filename):
            found = Location(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
    return found


@_never_fails(_no_location)
def caller_location(skip_library: bool = True) -> Location | None:
    """Where the program called into the library from (the innermost frame of its own)."""
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None:
        if not skip_library or not is_library_file(frame.f_code.co_filename):
            return Location(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back
    return None


# --- what a task waits on ----------------------------------------------------------------------


@dataclass(frozen=True)
class Wait:
    """What a parked task waits on.

    ``kind`` is a short category (``sleep``, ``gather``, ``task``, ``lock``,
    ``event``, ``queue get``, ``socket read``, ``future``...); ``label`` is
    the sentence for people; ``until`` is the loop time a sleep ends;
    ``target`` is the primitive or future itself; ``tasks`` the tasks it
    waits for (an awaited task, gather's children).
    """

    kind: str
    label: str
    until: float | None = None
    target: Any = None
    tasks: tuple[Any, ...] = field(default=())


# The calls a program makes that park it, by the name of the method or
# function (the last part of its qualified name), and the kind of wait.
_KIND_OF_CALL = {
    "sleep": "sleep",
    "Lock.acquire": "lock",
    "Semaphore.acquire": "semaphore",
    "BoundedSemaphore.acquire": "semaphore",
    "Condition.acquire": "lock",
    "Condition.wait": "condition",
    "Condition.wait_for": "condition",
    "Event.wait": "event",
    "Barrier.wait": "barrier",
    "Queue.get": "queue get",
    "Queue.put": "queue put",
    "Queue.join": "queue join",
    "wait_for": "wait_for",
    "wait": "wait",
    "as_completed": "wait",
    "to_thread": "thread",
    "run_in_executor": "thread",
    "getaddrinfo": "thread",
    "TaskGroup.__aexit__": "task group",
    "Timeout.__aexit__": "timeout",
    "shutdown_default_executor": "thread",
    "shutdown_asyncgens": "task",
}
_SOCKET_READS = {"sock_recv", "sock_recv_into", "sock_recvfrom", "sock_recvfrom_into",
                 "sock_accept"}
_SOCKET_WRITES = {"sock_sendall", "sock_sendto", "sock_connect", "sock_sendfile"}
_STREAM_READS = {"read", "readline", "readexactly", "readuntil", "_wait_for_data"}


def _kind_of_call(qualname: str, method: str) -> str | None:
    cls_method = ".".join(qualname.replace(".<locals>", "").split(".")[-2:])
    if cls_method in _KIND_OF_CALL:
        return _KIND_OF_CALL[cls_method]
    if method in _SOCKET_READS:
        return "socket read"
    if method in _SOCKET_WRITES:
        return "socket write"
    if "StreamReader" in qualname and method in _STREAM_READS:
        return "stream read"
    if method == "drain":
        return "stream write"
    if method in _KIND_OF_CALL:
        return _KIND_OF_CALL[method]
    return None


@dataclass(frozen=True)
class _LibraryCall:
    """The library call a task is parked in, and the program's frame that made it."""

    qualname: str
    local_vars: dict[str, Any]
    caller_vars: dict[str, Any]
    caller_code: types.CodeType | None


def _library_call(task: Any) -> _LibraryCall | None:
    """The library call a task is parked in.

    That is the outermost library coroutine of the await chain, skipping
    plumbing such as ``__aenter__`` (``async with lock`` parks in
    ``Lock.acquire``, and that is the better name for it).
    """
    coro = coroutine_of(task)
    caller: Any = None
    found: _LibraryCall | None = None
    for inner in stacks.await_chain(coro):
        code = _code_of(inner)
        frame = stacks.coroutine_frame(inner)
        if code is None or frame is None:
            continue
        library = is_library_file(code.co_filename)
        qualname = getattr(code, "co_qualname", code.co_name)
        if found is not None and not found.qualname.endswith(_PLUMBING):
            # Settled, unless this function handed over to another of the
            # same name (``miniloop.sleep`` on a plain loop runs the core's).
            if not library or qualname != found.qualname:
                break
        if not library:
            caller, found = frame, None
            continue
        if found is not None and qualname.endswith(_PLUMBING):
            continue  # plumbing leading to plumbing: the first one names it for now
        found = _LibraryCall(qualname, frame_locals(frame),
                             frame_locals(caller) if caller else {},
                             caller.f_code if caller else None)
    return found


_PLUMBING = ("__aenter__", "_AcquireReleaseBlock.__aenter__")


def frame_locals(frame: types.FrameType) -> dict[str, Any]:
    """A copy of a suspended frame's local variables that leaves no reference behind.

    Before Python 3.13, ``frame.f_locals`` is a dict cached on the frame: it
    would keep every value in it alive until the frame's locals are next
    read, so a traced program would see its objects collected later (and
    "exception was never retrieved" reported at another moment) than an
    untraced one. The copy is ours; the cache is emptied at once.
    """
    snapshot = frame.f_locals
    copy = dict(snapshot)
    if sys.version_info < (3, 13) and type(snapshot) is dict:
        snapshot.clear()
    return copy


def _name_in(local_vars: dict[str, Any], obj: object) -> str | None:
    """The name of a local variable that holds ``obj``, if there is one."""
    for name, value in local_vars.items():
        if value is obj and name != "self":
            return name
    return None


class ObjectNames:
    """Names for the objects one report mentions, so that two never read the same.

    A task waits on "the lock its frame calls ``second``". But when two tasks
    call the same helper ``use_both(first, second)`` with the locks in
    opposite order, both wait on a lock called ``second``, and a report
    saying so twice hides the one thing it should show: they are two
    different locks. So each object is also named as the *outermost* frame
    of the program that holds it calls it (``main``'s ``cash``, ``main``'s
    ``books``), looking through every task, oldest first; and objects that
    would still read alike are numbered (``#2``).

    One instance serves one report: it remembers whom it named, which
    keeps those objects alive only as long as the report is being built.
    """

    def __init__(self, tasks: Sequence[Any]) -> None:
        self._tasks = list(tasks)
        self._named: dict[str, list[object]] = {}  # text -> the objects it named, in order

    def name(self, obj: object, local_name: str | None,
             waiting_code: types.CodeType | None = None) -> str:
        """``'second' (main's 'cash')``: the local name, the outer one if it differs.

        ``waiting_code`` is the code of the frame that waits: other frames
        running it (the same helper, in another task) name objects by the
        same parameter names, which tells nothing apart, so they are skipped.
        """
        text = f"'{local_name}'" if local_name else ""
        outer = self._outermost_name(obj, waiting_code)
        if outer is not None and outer[1] != local_name:
            where, name = outer
            text = f"{text} ({where} '{name}')" if text else f"{where} '{name}'"
        alike = self._named.setdefault(text, [])
        if not any(other is obj for other in alike):
            alike.append(obj)
        number = next(index for index, other in enumerate(alike) if other is obj) + 1
        return text if number == 1 else f"{text} #{number}".lstrip()

    def _outermost_name(self, obj: object,
                        waiting_code: types.CodeType | None) -> tuple[str, str] | None:
        # Oldest task first, and in each its outermost frame first.
        program_frames = [frame for task in self._tasks for frame in _program_frames(task)]
        for frame in program_frames:
            if frame.f_code is waiting_code:
                continue
            name = _name_in(frame_locals(frame), obj)
            if name is not None:
                return f"{frame.f_code.co_name}'s", name
        for frame in program_frames:
            name = _name_in(frame.f_globals, obj)
            if name is not None:
                return "global", name
        return None


def _program_frames(task: Any) -> list[types.FrameType]:
    """The frames of the program's own code a task is suspended in, outermost first."""
    frames = []
    for inner in stacks.await_chain(coroutine_of(task)):
        frame = stacks.coroutine_frame(inner)
        if frame is not None and not is_library_file(frame.f_code.co_filename):
            frames.append(frame)
    return frames


@_never_fails(lambda obj, *_, **__: f"<{type(obj).__name__}>")
def short_repr(obj: object, limit: int = 40) -> str:
    """A short text for a value in a trace: a task's name, a future's type, a clipped repr."""
    if is_task(obj):
        return task_name(obj)
    if hasattr(obj, "_asyncio_future_blocking"):
        return type(obj).__name__
    text = repr(obj)
    # "<asyncio.locks.Lock object at 0x7f.. [locked, waiters:1]>" -> "<Lock [locked, waiters:1]>"
    plain = _OBJECT_REPR.fullmatch(text)
    if plain is not None:
        text = f"<{plain.group(1).rsplit('.', 1)[-1]} [{plain.group(2)}]>"
    else:
        text = _ADDRESS.sub("", text)  # "<Queue at 0x7f.. maxsize=0>": the address is noise
    if len(text) > limit:
        text = reprlib.repr(obj)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_OBJECT_REPR = re.compile(r"<([\w.]+) object at 0x[0-9a-fA-F]+ \[(.*)\]>")


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else repr(value)


@_never_fails(lambda task, *_, **__: Wait("future", "a future"))
def describe_wait(task: Any, now: float | None = None, *, origin: float = 0.0,
                  object_names: ObjectNames | None = None) -> Wait:
    """What the parked ``task`` waits on (its ``_fut_waiter``, explained).

    ``now`` is the loop time (to turn a sleep's delay into its end), and
    ``origin`` is subtracted from loop times shown in labels. ``object_names``,
    given, names the object waited on so that no other object in the same
    report reads the same (see ``ObjectNames``); otherwise it is named by
    the waiting frame alone, which is cheaper.
    """
    future = getattr(task, "_fut_waiter", None)
    if future is None:
        return Wait("nothing", "nothing (not parked)")
    if is_task(future):
        return Wait("task", f"{task_label(future)}", target=future, tasks=(future,))
    children = getattr(future, "_children", None)
    if children is not None and "Gathering" in type(future).__name__:
        unique = tuple(dict.fromkeys(children))
        names = ", ".join(task_name(child) if is_task(child) else "future" for child in unique)
        return Wait("gather", f"gather of {len(unique)} ({names})", target=future,
                    tasks=tuple(child for child in unique if is_task(child)))
    call = _library_call(task)
    if call is None:
        return Wait("future", f"a {type(future).__name__}", target=future)
    qualname, local_vars, caller_vars = call.qualname, call.local_vars, call.caller_vars
    method = qualname.rsplit(".", 1)[-1]
    kind = _kind_of_call(qualname, method) or "future"
    shown = qualname.replace(".<locals>", "")
    if kind == "sleep":
        delay = local_vars.get("delay")
        timer: Any = local_vars.get("timer") or local_vars.get("h")
        until = timer.when() if hasattr(timer, "when") else None
        if until is None and now is not None and isinstance(delay, (int, float)):
            until = now + delay
        label = f"sleep({_number(delay)})"
        if until is not None:
            label += f" until {until - origin:.3f}"
        return Wait("sleep", label, until=until, target=future)
    owner = local_vars.get("self")
    if kind.startswith("socket"):
        sock: Any = local_vars.get("sock")
        fileno = sock.fileno() if hasattr(sock, "fileno") else "?"
        return Wait(kind, f"{method}() on socket fd {fileno}", target=sock)
    if kind == "task group":
        pending = getattr(owner, "_tasks", ())
        return Wait(kind, f"end of async with TaskGroup ({len(pending)} tasks left)",
                    target=owner, tasks=tuple(pending))
    if kind == "thread":
        func = local_vars.get("func")
        name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
        return Wait(kind, f"{shown}({name or ''}) in a thread" if name else f"{shown}()",
                    target=future)
    if owner is not None and kind != "future":
        if shown.endswith(_PLUMBING):
            shown = f"{type(owner).__name__}.acquire"
        name = _name_in(caller_vars, owner)
        if object_names is not None:
            name_text = object_names.name(owner, name, call.caller_code)
        else:
            name_text = f"'{name}'" if name else ""
        what = f"{name_text} {short_repr(owner, 60)}".lstrip()
        return Wait(kind, f"{shown}() on {what}", target=owner)
    return Wait(kind, f"{shown}()", target=future)


# --- callbacks and timers -------------------------------------------------------------------------


def task_of_callback(callback: Any) -> Any:
    """The task a callback steps or wakes (a task's bound ``_wakeup``/step method), else None."""
    owner = getattr(callback, "__self__", None)
    return owner if owner is not None and is_task(owner) else None


def task_stepped_by(entry: Any) -> Any:
    """The task whose step a ready-queue entry takes, else None.

    In the fast layer a task is its own ready-queue entry. In the plain
    core the entry is a Handle whose callback is the task's ``_step``
    (a first step, or again after a bare yield) or ``_wakeup`` (the future
    it parked on is done); asyncio's own tasks have their step and wake-up
    wrappers. A public method of a task (``task.cancel`` in a timer, say)
    is a plain callback.
    """
    if is_task(entry):
        return entry
    callback = getattr(entry, "_callback", None)
    owner = task_of_callback(callback)
    if owner is None:
        return None
    name = getattr(callback, "__name__", None) or ""
    return owner if name.startswith(("_", "task_")) or not name else None


def thrown_in(entry: Any, task: Any) -> BaseException | None:
    """The error a task's step will throw into its coroutine (a bad yield's), if any."""
    for arg in getattr(entry, "_args", None) or ():
        if isinstance(arg, BaseException):
            return arg
    problem = getattr(task, "_step_exc", None)  # a task that is its own entry keeps it
    return problem if isinstance(problem, BaseException) else None


def callback_name(callback: Any) -> str:
    """``gather.child_done``: a callback's qualified name, without ``<locals>``."""
    while isinstance(callback, functools.partial):
        callback = callback.func
    name = getattr(callback, "__qualname__", None) or getattr(callback, "__name__", None)
    return str(name or type(callback).__name__).replace(".<locals>", "")


# run_until_complete's done callback, which stops the loop (by its names over time).
_STOP_LOOP_CALLBACKS = ("_run_until_complete_cb", "_stop_loop_of")


@_never_fails(lambda callback, *_, **__: f"<{type(callback).__name__}>")
def describe_callback(callback: Any, args: tuple[Any, ...] = ()) -> str:
    """``gather.child_done(Task-2)``: a callback with its arguments, short."""
    args = args or ()  # a cancelled handle has dropped its arguments (None)
    if callback_name(callback) in _STOP_LOOP_CALLBACKS and args:
        return f"stop the loop: {short_repr(args[0])} is done (run_until_complete)"
    parts = [short_repr(arg, 30) for arg in args]
    if isinstance(callback, functools.partial):
        parts = [short_repr(arg, 30) for arg in callback.args] + parts
    return f"{callback_name(callback)}({', '.join(parts)})"


def tasks_waiting_on(future: Any) -> list[Any]:
    """The tasks parked on ``future`` (found among its done callbacks)."""
    found = []
    for callback, _context in all_callbacks(future):
        if is_task(callback):
            found.append(callback)  # a miniloop task parks as (task, None)
        else:
            owner = task_of_callback(callback)
            if owner is not None:
                found.append(owner)
    return found


def tasks_woken_by(handle: Any) -> list[Any]:
    """The tasks a timer or callback would wake: those parked on the futures it is given."""
    woken: list[Any] = []
    owner = task_of_callback(getattr(handle, "_callback", None))
    if owner is not None:
        woken.append(owner)
    for arg in getattr(handle, "_args", ()) or ():
        if hasattr(arg, "_asyncio_future_blocking") and not is_task(arg):
            woken.extend(tasks_waiting_on(arg))
    return woken


@_never_fails(lambda handle, *_, **__: "a timer")
def describe_timer(handle: Any) -> str:
    """What a timer does when it fires: ``end of sleep for Task-2``, ``timeout``..."""
    name = callback_name(handle._callback)
    if name.endswith("set_result_unless_cancelled"):
        what = "end of sleep"
    elif "timeout" in name.lower() or name.endswith("_expire"):
        what = "timeout"
    elif name.endswith("_release_waiter"):
        what = "end of wait"
    else:
        what = describe_callback(handle._callback, handle._args)
    woken = tasks_woken_by(handle)
    if woken:
        what += " for " + ", ".join(task_name(task) for task in woken)
    return what


def _not_started(task: Any) -> bool:
    coro = getattr(task, "_coro", None)
    if inspect.iscoroutine(coro):
        return inspect.getcoroutinestate(coro) == inspect.CORO_CREATED
    if inspect.isgenerator(coro):
        return inspect.getgeneratorstate(coro) == inspect.GEN_CREATED
    return False


@_never_fails(lambda entry, *_, **__: f"<{type(entry).__name__}>")
def describe_ready_entry(entry: Any, *, origin: float = 0.0) -> str:
    """One item of the ready queue, for step mode: a task's next step or a callback.

    A task's step is the task itself (the fast layer), or a Handle calling
    the task's ``_step`` or ``_wakeup`` (the plain core): both read the same.
    """
    if not is_task(entry) and getattr(entry, "_cancelled", False):
        return "(a cancelled callback: skipped)"
    task = task_stepped_by(entry)
    if task is not None:
        waiter = getattr(task, "_fut_waiter", None)
        thrown = thrown_in(entry, task)
        if waiter is not None:
            why = describe_wait(task, origin=origin).label + " is done"
        elif thrown is not None:
            why = f"throw {type(thrown).__name__}"
        elif _not_started(task):
            why = "first step"
        else:
            why = "next step"
        return f"{task_label(task)}: {why}"
    callback = getattr(entry, "_callback", None)
    owner = task_of_callback(callback)
    if owner is not None:  # a task's public method (task.cancel in a timer, say)
        return f"{task_label(owner)}: {callback_name(callback)}"
    if hasattr(entry, "when"):
        return f"timer: {describe_timer(entry)}"
    return f"callback {describe_callback(callback, getattr(entry, '_args', ()))}"


def all_callbacks(future: Any) -> list[tuple[Any, Any]]:
    """A future's done callbacks, a parked miniloop task as (task, None)."""
    listing = getattr(future, "_waiters_and_callbacks", None)
    if listing is not None:
        return listing()  # type: ignore[no-any-return]
    return list(getattr(future, "_callbacks", None) or ())
