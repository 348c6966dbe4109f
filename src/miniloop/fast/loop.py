"""The fast loop: the plain loop's classes swapped for faster ones.

Read next: ``futures.py`` in this folder.
"""

from __future__ import annotations


class FastLoopMixin:
    """Names the fast classes for the loop to make its objects from."""
