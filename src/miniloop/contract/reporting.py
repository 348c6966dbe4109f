"""Nothing lost: the loop's exception handler.

Some errors have nobody to go to. A callback raised, but callbacks have no
caller to return to. A task failed, and nobody ever awaited it. A future
held an exception and was garbage collected unread. Such errors are not
swallowed: they are *reported*, by calling

    loop.call_exception_handler({"message": ..., "exception": exc, "task": task})

which hands the context dict to the handler a program set with
``loop.set_exception_handler(handler)``, or else to the default handler,
which logs it on the ``asyncio`` logger exactly as asyncio would:

    Task exception was never retrieved
    future: <Task finished name='Task-2' coro=<boom() done, ...> exception=ValueError()>
    Traceback (most recent call last): ...

The core makes those reports (``Handle._run``, ``Future.__del__``; a task
dropped while pending is reported by ``Task.__del__`` in ``objects.py``)
and logs them plainly; this mixin is the handler asyncio programs see. A
broken handler cannot lose the error either: its own failure is logged
together with the context it was given.

Read next: ``debugging.py`` (debug mode), or back to ``loop.py``.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("asyncio")  # asyncio's logger: same output, same config

ExceptionHandler = Callable[[Any, dict[str, Any]], object]


class ExceptionHandlerMixin:
    """The exception-handler half of a miniloop loop (mixed into ``CoreLoop``)."""

    _exception_handler: ExceptionHandler | None = None
    _current_handle: Any = None  # debug mode: the callback running now

    def get_exception_handler(self) -> ExceptionHandler | None:
        """The custom exception handler, or None."""
        return self._exception_handler

    def set_exception_handler(self, handler: ExceptionHandler | None) -> None:
        """Route errors nobody awaited to ``handler(loop, context)``; None for the default."""
        if handler is not None and not callable(handler):
            raise TypeError(f"A callable object or None is expected, got {handler!r}")
        self._exception_handler = handler

    def default_exception_handler(self, context: dict[str, Any]) -> None:
        """Log the error and its context on the ``asyncio`` logger, as asyncio does."""
        message = context.get("message") or "Unhandled exception in event loop"
        exception = context.get("exception")
        exc_info: Any = False
        if exception is not None:
            exc_info = (type(exception), exception, exception.__traceback__)
        handle = self._current_handle
        if ("source_traceback" not in context and handle is not None
                and handle._source_traceback):
            context["handle_traceback"] = handle._source_traceback
        lines = [message]
        for key in sorted(context):
            if key in {"message", "exception"}:
                continue
            value = context[key]
            if key == "source_traceback":
                value = _format_origin("Object created at", value)
            elif key == "handle_traceback":
                value = _format_origin("Handle created at", value)
            else:
                value = repr(value)
            lines.append(f"{key}: {value}")
        logger.error("\n".join(lines), exc_info=exc_info)

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        """Report an error that no one will ever await."""
        handler = self._exception_handler
        if handler is None:
            try:
                self.default_exception_handler(context)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException:
                logger.error("Exception in default exception handler", exc_info=True)
            return
        try:
            _run_in_context_of_culprit(handler, self, context)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            try:
                self.default_exception_handler({
                    "message": "Unhandled error in exception handler",
                    "exception": exc,
                    "context": context,
                })
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException:
                logger.error("Exception in default exception handler while handling "
                             "an unexpected error in custom exception handler",
                             exc_info=True)


def _run_in_context_of_culprit(handler: ExceptionHandler, loop: Any,
                               context: dict[str, Any]) -> None:
    # 3.12+: the handler runs in the contextvars context of the task, future
    # or callback that failed, so it can read the culprit's context variables.
    if sys.version_info >= (3, 12):
        culprit = context.get("task") or context.get("future") or context.get("handle")
        get_context = getattr(culprit, "get_context", None)
        if get_context is not None:
            culprit_context = get_context()
            if hasattr(culprit_context, "run"):
                culprit_context.run(handler, loop, context)
                return
    handler(loop, context)


def _format_origin(title: str, stack: Any) -> str:
    return f"{title} (most recent call last):\n" + "".join(traceback.format_list(stack)).rstrip()
