"""The contract's loop: the core loop, as asyncio programs see a loop.

``CoreLoop`` runs programs. What it leaves out, a program can still tell:
asyncio's exception handler and its messages, debug mode, async
generators closed by the loop, descriptors watched through the selector
and the self-pipe that lets other threads wake the loop, the task
factory, and the objects asyncio's loops make (``objects.py``). Each is a
mixin of its own; ``ContractLoop`` puts them on top of the core:

    SelectorMixin          selector.py    watched descriptors, the self-pipe
    ExceptionHandlerMixin  reporting.py   set_exception_handler, asyncio's log format
    DebugModeMixin         debugging.py   set_debug, checks, slow callbacks
    AsyncGeneratorsMixin   asyncgens.py   shutdown_asyncgens and the hooks

Read next: ``runners.py`` (Ctrl-C), then ``../assembly.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from miniloop.contract import objects, versions
from miniloop.contract.asyncgens import AsyncGeneratorsMixin
from miniloop.contract.debugging import DebugModeMixin
from miniloop.contract.reporting import ExceptionHandlerMixin
from miniloop.contract.selector import SelectorMixin
from miniloop.core import futures, loop, primitives, tasks
from miniloop.core.loop import CoreLoop


class ContractLoop(SelectorMixin, ExceptionHandlerMixin, DebugModeMixin, AsyncGeneratorsMixin,
                   CoreLoop):
    """The core loop plus everything asyncio programs can observe of a loop."""

    handle_class: type[loop.Handle] = objects.Handle
    timer_class: type[loop.TimerHandle] = objects.TimerHandle
    future_class: type[futures.Future[Any]] = objects.Future
    task_class: type[tasks.Task[Any]] = objects.Task
    gathering_future_class: type[primitives._GatheringFuture] = objects._GatheringFuture

    # A miniloop Task refuses any other loop (contract/objects.py).
    _runs_miniloop_tasks = True

    _task_factory: Callable[..., Any] | None = None

    def create_task(self, coro: Coroutine[Any, Any, Any], *, name: object = None,
                    context: Any = None) -> Any:
        """Wrap ``coro`` in a Task (or in what the task factory makes) and schedule it."""
        factory = self._task_factory
        if factory is None:
            task = super().create_task(coro, name=name, context=context)
            if task._source_traceback:
                del task._source_traceback[-2:]  # "created at" our caller
            return task
        self._check_closed()
        task = factory(self, coro) if context is None else factory(self, coro, context=context)
        if name is not None or versions.RENAMES_FACTORY_TASKS_TO_NONE:
            task.set_name(name)
        if self.observer:
            self.observer.task_created(task, coro)
        return task

    def set_task_factory(self, factory: Callable[..., Any] | None) -> None:
        """Make create_task call ``factory(loop, coro[, context=])``; None for Task."""
        if factory is not None and not callable(factory):
            raise TypeError("task factory must be a callable or None")
        self._task_factory = factory

    def get_task_factory(self) -> Callable[..., Any] | None:
        """The task factory, or None."""
        return self._task_factory

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} running={self.is_running()} "
                f"closed={self.is_closed()} debug={self.get_debug()}>")
