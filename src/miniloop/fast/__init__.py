"""The speed-ups layer: each module a few named overrides of the plain loop.

Reading order: ``futures.py`` (the fast Future and Task), ``primitives.py``
(sleep and gather), ``loop.py`` (the turn, and the objects the loop
makes), ``timers.py``, ``readiness.py``, ``io.py`` and ``streams.py``;
``../assembly.py`` stacks them into ``FastLoop``.
"""
