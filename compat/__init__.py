"""compat: write a program once, run it on asyncio or on miniloop.

A demo imports its async primitives from here instead of from a backend:

    from compat import gather, run, sleep

and every such name is looked up, when it is imported, in the backend
chosen for this run: ``compat.sleep`` is ``asyncio.sleep`` on the asyncio
backend and ``miniloop.sleep`` (miniloop's own code, not a wrapper) on the
miniloop backend. Nothing here lists the names: whatever the backend module
has, compat has, so names added to miniloop later (queues, locks, timeouts,
streams) work without touching this file.

Who chooses the backend? Whoever runs the program:

    python prog.py                     asyncio
    python -m miniloop prog.py         miniloop (it installs miniloop's event
                                       loop policy, and compat looks for it)
    MINILOOP_COMPAT_BACKEND=miniloop   miniloop; =asyncio: asyncio (this
                                       variable wins over the other two)

One mix is worth knowing: ``MINILOOP_COMPAT_BACKEND=asyncio python -m
miniloop prog.py`` runs asyncio's own functions on miniloop's loop.

Read next: ``compat/__main__.py``, which runs a program on both backends and
compares what they printed.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType
from typing import Any

# The environment variable that names the backend explicitly.
BACKEND_ENV = "MINILOOP_COMPAT_BACKEND"

BACKENDS = ("asyncio", "miniloop")


def backend() -> str:
    """The backend this program's compat names come from: "asyncio" or "miniloop"."""
    chosen = os.environ.get(BACKEND_ENV, "").strip().lower()
    if chosen:
        if chosen not in BACKENDS:
            raise RuntimeError(
                f"{BACKEND_ENV}={chosen!r} is not a backend: use 'asyncio' or 'miniloop'")
        return chosen
    return "miniloop" if _miniloop_runs_this_program() else "asyncio"


def backend_module() -> ModuleType:
    """The module compat's names come from (``asyncio`` or ``miniloop``)."""
    if backend() == "miniloop":
        import miniloop

        return miniloop
    import asyncio

    return asyncio


def _miniloop_runs_this_program() -> bool:
    # `python -m miniloop` installs miniloop's event-loop policy before the
    # program starts. A program that never imported miniloop cannot have
    # that policy, and then we need not import miniloop to find out.
    miniloop = sys.modules.get("miniloop")
    if miniloop is None:
        return False
    import asyncio

    return isinstance(asyncio.get_event_loop_policy(), miniloop.EventLoopPolicy)


def __getattr__(name: str) -> Any:
    """``compat.NAME``: the chosen backend's ``NAME``."""
    # Dunder and private names are Python's own questions about this module
    # (``__path__``, ``__all__``...), not primitives to forward.
    if name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = backend_module()
    try:
        return getattr(module, name)
    except AttributeError:
        raise AttributeError(
            f"module {__name__!r} has no attribute {name!r} "
            f"(the {module.__name__} backend does not provide it)") from None


def __dir__() -> list[str]:
    """Our own names plus the chosen backend's public names."""
    own = ["BACKENDS", "BACKEND_ENV", "backend", "backend_module"]
    public = [name for name in dir(backend_module()) if not name.startswith("_")]
    return sorted({*own, *public})
