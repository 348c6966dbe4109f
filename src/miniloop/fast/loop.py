"""The fast loop: the plain loop, making its objects from the fast classes.

Nothing of the turn changes: ``core/loop.py`` runs the fast tasks exactly
as it runs handles (each ready entry has a ``_run``).

Read next: ``../tools/``, the tools that watch a loop.
"""

from __future__ import annotations

from miniloop.fast import futures


class FastLoopMixin:
    """Names the fast classes for the loop to make its objects from."""

    future_class = futures.Future
    task_class = futures.Task
    gathering_future_class = futures._GatheringFuture
