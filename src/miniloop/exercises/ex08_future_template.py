"""Chapter 8 exercise: Future, a future asyncio's tasks accept.

Fill in ``Future`` below, then check it:

    python -m miniloop.exercises 8 this_file.py
"""

from __future__ import annotations

import asyncio  # noqa: F401  (asyncio.InvalidStateError, asyncio.CancelledError)
import contextvars
from collections.abc import Callable, Generator
from typing import Any


class Future:
    """A value that is not there yet; awaitable by asyncio's tasks."""

    # asyncio looks for this attribute to recognise a future.
    _asyncio_future_blocking = False

    def __init__(self, *, loop: Any) -> None:
        raise NotImplementedError("write __init__: the loop, a state, the outcome, callbacks")

    def get_loop(self) -> Any:
        """The loop this future belongs to."""
        raise NotImplementedError

    def done(self) -> bool:
        """True once it has a result, an exception, or was cancelled."""
        raise NotImplementedError

    def cancelled(self) -> bool:
        """True if it was cancelled."""
        raise NotImplementedError

    def result(self) -> Any:
        """The result; or raise the exception, CancelledError or InvalidStateError."""
        raise NotImplementedError

    def exception(self) -> BaseException | None:
        """The exception (None if it has a result); CancelledError or InvalidStateError."""
        raise NotImplementedError

    def set_result(self, result: Any) -> None:
        """Fill the future with a result and schedule the callbacks."""
        raise NotImplementedError

    def set_exception(self, exception: BaseException) -> None:
        """Fill the future with an exception and schedule the callbacks."""
        raise NotImplementedError

    def cancel(self, msg: Any = None) -> bool:
        """Cancel the future (False if it is done already) and schedule the callbacks."""
        raise NotImplementedError

    def add_done_callback(self, fn: Callable[[Any], object], *,
                          context: contextvars.Context | None = None) -> None:
        """Call ``fn(self)`` via loop.call_soon once done (soon, if it already is)."""
        raise NotImplementedError

    def remove_done_callback(self, fn: Callable[[Any], object]) -> int:
        """Forget ``fn``; return how many registrations were removed."""
        raise NotImplementedError

    def __await__(self) -> Generator[Any, None, Any]:
        """While pending: set _asyncio_future_blocking and yield self. Then the result."""
        raise NotImplementedError
        yield  # (this unreachable yield only makes the template a generator)
