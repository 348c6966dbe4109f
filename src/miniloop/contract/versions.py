"""Every way one Python's asyncio differs from another's, in one place.

The core follows the newest asyncio miniloop supports. Where an older
Python's asyncio behaves differently, and a program could tell, the
difference is named here, once, and the contract layer (or the toolkit
and IO) reads the name instead of testing ``sys.version_info`` itself.

Read next: ``objects.py``, the first user of these names.
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Coroutine
from typing import Any

PY312 = sys.version_info >= (3, 12)
PY313 = sys.version_info >= (3, 13)

# 3.12: handles and tasks gained get_context(); eager tasks arrived; a
# gather of children that are done already finishes at once.
HANDLES_HAVE_GET_CONTEXT = PY312
GATHER_COUNTS_DONE_CHILDREN_AT_ONCE = PY312
TASKS_HAVE_GET_CONTEXT = PY312
EAGER_TASKS = PY312

# 3.12: asyncio stopped accepting plain generators as coroutines (miniloop
# still drives those marked with types.coroutine; the genbased demo needs them).
ANY_GENERATOR_IS_A_COROUTINE = not PY312

# 3.12: Runner.close gives the thread pool a deadline (shutdown_default_executor(timeout)).
EXECUTOR_SHUTDOWN_HAS_TIMEOUT = PY312

# 3.13: uncancel() down to zero also forgets a cancellation not yet delivered.
UNCANCEL_FORGETS_CANCEL_REQUEST = PY313

# 3.13: set_exception(StopIteration) is wrapped in a RuntimeError instead of refused.
STOP_ITERATION_IS_WRAPPED = PY313

# 3.13.0 alone: a task factory's task is renamed even to None.
RENAMES_FACTORY_TASKS_TO_NONE = sys.version_info[:3] == (3, 13, 0)


def is_coroutine(obj: object) -> bool:
    """What a Task accepts to drive, on this Python."""
    if type(obj) is types.CoroutineType or isinstance(obj, Coroutine):
        return True
    return isinstance(obj, types.GeneratorType) and (
        ANY_GENERATOR_IS_A_COROUTINE or bool(obj.gi_code.co_flags & inspect.CO_ITERABLE_COROUTINE))


def refuse_stop_iteration(exception: BaseException) -> BaseException:
    """What set_exception stores for ``exception`` (a StopIteration would look like a return)."""
    message = "StopIteration interacts badly with generators and cannot be raised into a Future"
    if STOP_ITERATION_IS_WRAPPED:
        if isinstance(exception, StopIteration):
            wrapped = RuntimeError(message)
            wrapped.__cause__ = wrapped.__context__ = exception
            return wrapped
    elif type(exception) is StopIteration:
        raise TypeError(message)
    return exception


def in_debug_mode(loop: Any) -> bool:
    """True if ``loop`` (miniloop's, asyncio's or another) is in debug mode."""
    try:
        return bool(loop._debug)  # miniloop's and asyncio's loops: no call needed
    except AttributeError:
        return bool(loop.get_debug())
