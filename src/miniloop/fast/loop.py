"""The fast loop: the plain loop, making its objects from the fast classes.

Nothing of the turn changes: ``core/loop.py`` runs the fast tasks exactly
as it runs handles (each ready entry has a ``_run``).

Read next: ``../tools/``, the tools that watch a loop.
"""

from __future__ import annotations

from typing import Any

from miniloop.core import futures as core_futures
from miniloop.core import primitives, tasks
from miniloop.fast import futures


class FastLoopMixin:
    """Names the fast classes for the loop to make its objects from."""

    future_class: type[core_futures.Future[Any]] = futures.Future
    task_class: type[tasks.Task[Any]] = futures.Task
    gathering_future_class: type[primitives._GatheringFuture] = futures._GatheringFuture
