"""Task groups: tasks that live and die together.

``create_task`` starts a task and forgets it: if it fails, nobody may ever
notice, and if its creator gives up, it runs on alone. A task group makes
the relationship explicit:

    async with TaskGroup() as group:
        group.create_task(fetch("a"))
        group.create_task(fetch("b"))
    # here every task of the group is done, whatever happened

The rules, all enforced by ``__aexit__`` and one done callback:

* leaving the block waits for every child;
* the first child to fail cancels its siblings *and* the body of the block
  (the parent task), so that nothing keeps running for a lost cause;
* all the failures travel on together as one ``ExceptionGroup``
  (a ``BaseExceptionGroup`` if one of them is a KeyboardInterrupt or
  SystemExit, which is then raised on its own, ahead of the group);
* if the parent is cancelled from outside, the children are cancelled and
  awaited, and the CancelledError goes on up.

The group cancels its parent with an ordinary ``task.cancel()``, so on the
way out it must take that request back with ``uncancel()``; whether the
parent then stays cancelled depends on whether anyone *else* also asked.
That bookkeeping is the subtle part. Python 3.13 moved it to the very end
of ``__aexit__`` and keeps an outside cancellation pending when errors are
raised; miniloop follows the Python it runs on.

One deliberate difference: asyncio keeps the children in a set, so when a
group aborts, the siblings are cancelled in an order that depends on where
they happen to sit in memory. miniloop cancels them in the order they were
created, which is one of the orders asyncio might pick, and always the same
(the schedule explorer picks others: ``contract/watching.py: set_orders``).

Read next: ``shielding.py`` (protecting work from its caller's cancellation).
"""

from __future__ import annotations

import sys
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

from miniloop.contract.watching import in_set_order
from miniloop.core.events import CancelledError, current_task, get_running_loop

T = TypeVar("T")


def _is_cancellation(exc_type: type[BaseException] | None) -> bool:
    # Up to 3.12 asyncio recognises only CancelledError itself here; 3.13
    # accepts its subclasses too.
    if exc_type is None:
        return False
    if sys.version_info >= (3, 13):
        return issubclass(exc_type, CancelledError)
    return exc_type is CancelledError


def _is_fatal(exc: BaseException) -> bool:
    # These end the program rather than the task: they are never grouped.
    return isinstance(exc, (SystemExit, KeyboardInterrupt))


class TaskGroup:
    """An async context manager that owns tasks and waits for all of them.

    ``async with TaskGroup() as group: group.create_task(coro)``. A failing
    child cancels the others and the block; the failures are raised
    together as an ExceptionGroup when the block exits.
    """

    def __init__(self) -> None:
        self._entered = False
        self._exiting = False
        self._aborting = False
        self._loop: Any = None
        self._parent: Any = None
        self._cancelled_parent = False  # we called parent.cancel(): owe an uncancel()
        # Children still running, in creation order (a dict used as an ordered set).
        self._children: dict[Any, None] = {}
        self._errors: list[BaseException] | None = []
        self._fatal_error: BaseException | None = None
        self._all_children_done: Any = None  # a future __aexit__ parks on

    def __repr__(self) -> str:
        info = ""
        if self._children:
            info += f" tasks={len(self._children)}"
        if self._errors:
            info += f" errors={len(self._errors)}"
        if self._aborting:
            info += " cancelling"
        elif self._entered:
            info += " entered"
        return f"<TaskGroup{info}>"

    async def __aenter__(self) -> TaskGroup:
        if self._entered:
            raise RuntimeError(f"TaskGroup {self!r} has already been entered")
        if self._loop is None:
            self._loop = get_running_loop()
        self._parent = current_task(self._loop)
        if self._parent is None:
            raise RuntimeError(f"TaskGroup {self!r} cannot determine the parent task")
        self._entered = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._exiting = True
        if exc is not None and _is_fatal(exc) and self._fatal_error is None:
            self._fatal_error = exc
        cancellation = exc if _is_cancellation(exc_type) else None
        if sys.version_info < (3, 13) and self._take_back_parent_cancel():
            cancellation = None
        if exc_type is not None and not self._aborting:
            # The body itself failed, or the parent is being cancelled.
            self._abort()

        # Loop: the parent may be cancelled again (and again) while we wait.
        while self._children:
            if self._all_children_done is None:
                self._all_children_done = self._loop.create_future()
            try:
                await self._all_children_done
            except CancelledError as outside_cancel:
                if not self._aborting:
                    # Cancelled from outside while the children were running.
                    cancellation = outside_cancel
                    self._abort()
            self._all_children_done = None

        if self._fatal_error is not None:
            raise self._fatal_error
        if sys.version_info >= (3, 13) and self._take_back_parent_cancel():
            cancellation = None
        errors = self._errors
        assert errors is not None
        # Errors outrank a cancellation: they are what the caller must see.
        if cancellation is not None and not errors:
            raise cancellation
        if exc is not None and exc_type is not None and not _is_cancellation(exc_type):
            errors.append(exc)
        if not errors:
            return
        if sys.version_info >= (3, 13) and self._parent.cancelling():
            # An outside cancellation is still pending: take it back and
            # request it again, so the parent's count stays where it was
            # and the cancellation is delivered at its next await.
            self._parent.uncancel()
            self._parent.cancel()
        try:
            raise BaseExceptionGroup("unhandled errors in a TaskGroup", errors) from None
        finally:
            self._errors = None  # exceptions hold frames: do not keep them alive

    def _take_back_parent_cancel(self) -> bool:
        """Undo our own cancel() of the parent; True if no other request remains."""
        return self._cancelled_parent and self._parent.uncancel() == 0

    def create_task(
        self, coro: Coroutine[Any, Any, T], *, name: object = None, context: Any = None
    ) -> Any:
        """Start ``coro`` as a task of this group and return the task."""
        problem = None
        if not self._entered:
            problem = "has not been entered"
        elif self._exiting and not self._children:
            problem = "is finished"
        elif self._aborting:
            problem = "is shutting down"
        if problem is not None:
            if sys.version_info >= (3, 13):
                coro.close()  # it will never run: do not warn that it was never awaited
            raise RuntimeError(f"TaskGroup {self!r} {problem}")
        task = self._start(coro, name, context)
        if sys.version_info >= (3, 12) and task.done():
            self._on_child_done(task)  # an eager task may already be finished
        else:
            self._children[task] = None
            task.add_done_callback(self._on_child_done)
        return task

    def _start(self, coro: Coroutine[Any, Any, T], name: object, context: Any) -> Any:
        loop = self._loop
        if sys.version_info >= (3, 13):
            if context is None:
                return loop.create_task(coro, name=name)
            return loop.create_task(coro, name=name, context=context)
        task = loop.create_task(coro) if context is None else loop.create_task(
            coro, context=context)
        if name is not None:
            task.set_name(name)
        return task

    def _abort(self) -> None:
        self._aborting = True
        for child in in_set_order(self._children):  # asyncio: a set's order
            if not child.done():
                child.cancel()

    def _on_child_done(self, task: Any) -> None:
        self._children.pop(task, None)
        waiting = self._all_children_done
        if waiting is not None and not self._children and not waiting.done():
            waiting.set_result(True)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            return
        assert self._errors is not None
        self._errors.append(exc)
        if _is_fatal(exc) and self._fatal_error is None:
            self._fatal_error = exc
        if self._parent.done():
            # Nobody is left to raise it to: report it instead of losing it.
            self._loop.call_exception_handler({
                "message": f"Task {task!r} has errored out but its parent "
                           f"task {self._parent} is already completed",
                "exception": exc,
                "task": task,
            })
            return
        if not self._aborting and not self._cancelled_parent:
            # The first failure: stop the siblings, and interrupt the body
            # of the block wherever it is waiting. __aexit__ will take the
            # parent's cancellation back.
            self._abort()
            self._cancelled_parent = True
            self._parent.cancel()


__all__ = ["TaskGroup"]
