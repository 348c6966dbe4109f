"""The runtimes a workload can run on, each as a small namespace.

Every workload is written once against a tiny interface: ``run(main)``,
``sleep``, ``gather``, ``create_task``, ``Queue``, ``open_connection``,
``start_server``. A *runtime* supplies those names:

    miniloop          miniloop's own API (miniloop.run, miniloop.sleep, ...)
    miniloop-asyncio  asyncio's API on miniloop's loop (Runner(loop_factory=...))
    miniloop-plain    miniloop's own API on the plain loop (no fast/ layer)
    asyncio           stock asyncio, C-accelerated tasks and futures
    asyncio-py        asyncio with its pure-Python Task and Future forced
    uvloop            asyncio's API on uvloop's loop
    trio, floor       their own programs (see workloads.py): trio's nursery
                      API, and a bare round-robin of coro.send(None)

Optional runtimes (uvloop, trio) come from the ``bench`` extra; a runtime
whose package is missing is reported as unavailable, not as a failure.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

ALL_RUNTIMES = ("miniloop", "miniloop-asyncio", "miniloop-plain", "asyncio", "asyncio-py",
                "uvloop", "trio", "floor")
ASYNCIO_STYLE = ("miniloop", "miniloop-asyncio", "miniloop-plain", "asyncio", "asyncio-py",
                 "uvloop")


@dataclass
class Runtime:
    """The names a workload uses, bound to one implementation."""

    name: str
    run: Callable[[Coroutine[Any, Any, Any]], Any]
    sleep: Callable[..., Any]
    gather: Callable[..., Any]
    create_task: Callable[..., Any]
    Queue: type
    open_connection: Callable[..., Any]
    start_server: Callable[..., Any]


def available(name: str) -> bool:
    """True if this machine can run the runtime."""
    if name == "uvloop":
        return importlib.util.find_spec("uvloop") is not None
    if name == "trio":
        return importlib.util.find_spec("trio") is not None
    return name in ALL_RUNTIMES


def _asyncio_names(name: str, run: Callable[[Coroutine[Any, Any, Any]], Any]) -> Runtime:
    return Runtime(name, run, asyncio.sleep, asyncio.gather, asyncio.create_task,
                   asyncio.Queue, asyncio.open_connection, asyncio.start_server)


def load(name: str) -> Runtime:
    """Import and bind runtime ``name`` (asyncio-style runtimes only)."""
    if name == "miniloop":
        import miniloop

        return Runtime(name, miniloop.run, miniloop.sleep, miniloop.gather,
                       miniloop.create_task, getattr(miniloop, "Queue", asyncio.Queue),
                       getattr(miniloop, "open_connection", asyncio.open_connection),
                       getattr(miniloop, "start_server", asyncio.start_server))
    if name == "miniloop-plain":
        import miniloop

        def run_plain(main: Coroutine[Any, Any, Any]) -> Any:
            return miniloop.run(main, loop_factory=lambda: miniloop.Loop(plain=True))

        return Runtime(name, run_plain, miniloop.sleep, miniloop.gather,
                       miniloop.create_task, getattr(miniloop, "Queue", asyncio.Queue),
                       getattr(miniloop, "open_connection", asyncio.open_connection),
                       getattr(miniloop, "start_server", asyncio.start_server))
    if name == "miniloop-asyncio":
        import miniloop

        def run_on_miniloop(main: Coroutine[Any, Any, Any]) -> Any:
            with asyncio.Runner(loop_factory=miniloop.Loop) as runner:
                return runner.run(main)

        return _asyncio_names(name, run_on_miniloop)
    if name == "asyncio":
        return _asyncio_names(name, asyncio.run)
    if name == "asyncio-py":
        _force_pure_python_asyncio()
        return _asyncio_names(name, asyncio.run)
    if name == "uvloop":
        import uvloop

        def run_on_uvloop(main: Coroutine[Any, Any, Any]) -> Any:
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                return runner.run(main)

        return _asyncio_names(name, run_on_uvloop)
    raise ValueError(f"{name!r} is not an asyncio-style runtime")


def _force_pure_python_asyncio() -> None:
    # asyncio keeps its pure-Python Task and Future as _PyTask/_PyFuture;
    # the loop makes futures with futures.Future and tasks with tasks.Task,
    # so rebinding those names is enough for everything created afterwards.
    import asyncio.futures
    import asyncio.tasks

    py_task: Any = vars(asyncio.tasks)["_PyTask"]
    py_future: Any = vars(asyncio.futures)["_PyFuture"]
    asyncio.tasks.Task = py_task  # type: ignore[misc]
    asyncio.Task = py_task  # type: ignore[misc]
    asyncio.futures.Future = py_future  # type: ignore[misc]
    asyncio.Future = py_future  # type: ignore[misc]
