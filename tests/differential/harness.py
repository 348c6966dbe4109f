"""Run one program on asyncio and on miniloop; compare what each said.

A *program* is an async function ``program(aio, say)``:

* ``aio`` is the toolkit to use: the ``asyncio`` module, or the
  ``miniloop`` module (same names, miniloop's own code);
* ``say(*parts)`` appends one line to the transcript.

The harness runs it in up to three ways and keeps one transcript each:

    asyncio              asyncio's functions on asyncio's loop
    miniloop             miniloop's functions on miniloop's loop
    asyncio-on-miniloop  asyncio's functions on miniloop's loop (the bridge)

An exception escaping the program becomes the last line of its transcript
(``raised: ValueError('boom')``), and so do errors reported to the loop's
exception handler (``handler: <message>``), so nothing is silently lost.
"""

from __future__ import annotations

import asyncio
import difflib
import gc
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import miniloop

Say = Callable[..., None]
Program = Callable[[Any, Say], Awaitable[object]]

KINDS = ("asyncio", "miniloop", "asyncio-on-miniloop")


@dataclass
class Transcripts:
    """The lines each backend produced, and how they compare."""

    lines: dict[str, list[str]] = field(default_factory=dict)

    @property
    def same(self) -> bool:
        """True when every backend said exactly the same lines."""
        first = next(iter(self.lines.values()))
        return all(lines == first for lines in self.lines.values())

    @property
    def diff(self) -> str:
        """A unified diff of each backend against asyncio (for assertion messages)."""
        kinds = list(self.lines)
        base = kinds[0]
        out = []
        for kind in kinds[1:]:
            out.extend(difflib.unified_diff(
                self.lines[base], self.lines[kind], base, kind, lineterm=""))
        return "\n".join(out) or "(no difference)"

    def __getitem__(self, kind: str) -> list[str]:
        return self.lines[kind]


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}({', '.join(repr(a) for a in exc.args)})"


def run_one(program: Program, kind: str, *, clock: Any = None) -> list[str]:
    """Run ``program`` on one backend and return its transcript."""
    transcript: list[str] = []

    def say(*parts: object) -> None:
        transcript.append(" ".join(str(part) for part in parts))

    def handler(loop: Any, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        detail = f" {_describe(exc)}" if exc is not None else ""
        transcript.append(f"handler: {context.get('message')}{detail}")

    aio: Any = miniloop if kind == "miniloop" else asyncio

    async def main() -> None:
        aio.get_running_loop().set_exception_handler(handler)
        await program(aio, say)

    try:
        if kind == "asyncio":
            asyncio.run(main())
        elif kind == "miniloop":
            miniloop.run(main(), clock=clock)
        elif kind == "asyncio-on-miniloop":
            factory = (lambda: miniloop.Loop(clock=clock)) if clock else miniloop.Loop
            with asyncio.Runner(loop_factory=factory) as runner:
                runner.run(main())
        else:
            raise ValueError(f"unknown backend kind {kind!r}")
    except BaseException as exc:  # the program's own failure is part of its transcript
        transcript.append(f"raised: {_describe(exc)}")
    # A task that dies in a reference cycle reports "never retrieved" only when
    # the collector frees it, whenever that happens to run. Collect now, so
    # such late reports land in this transcript on every backend, every time.
    gc.collect()
    return transcript


def run_all(
    program: Program, kinds: Iterable[str] = KINDS, *, clock_factory: Any = None
) -> Transcripts:
    """Run ``program`` on every backend in ``kinds``."""
    result = Transcripts()
    for kind in kinds:
        clock = clock_factory() if clock_factory and kind != "asyncio" else None
        result.lines[kind] = run_one(program, kind, clock=clock)
    return result


class BothBackends:
    """The ``both_backends`` fixture: ``both_backends.run(program)``."""

    def run(self, program: Program, kinds: Iterable[str] = KINDS) -> Transcripts:
        """Run on asyncio, miniloop and asyncio-on-miniloop; see Transcripts."""
        return run_all(program, kinds)
