"""A fourth way to run a differential program, for the sync objects and queues.

The harness runs a program three ways (asyncio, miniloop, asyncio's
functions on miniloop's loop). miniloop's sync objects and queues must also
work on asyncio's own loop, with asyncio's tasks, because they only ask the
running loop for futures. So the programs here also run with a toolkit that
is asyncio everywhere except for miniloop's Lock, Queue and friends, on
asyncio's loop.

Programs print reprs, which contain addresses: ``shown(obj)`` hides them.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import miniloop
from tests.differential.harness import BothBackends, Program, Say, Transcripts, run_one

# What miniloop's sync and queues modules provide.
OWN_OBJECTS = frozenset({
    "Barrier", "BoundedSemaphore", "BrokenBarrierError", "Condition", "Event", "LifoQueue",
    "Lock", "PriorityQueue", "Queue", "QueueEmpty", "QueueFull", "QueueShutDown", "Semaphore",
})


class _MiniloopObjectsOnAsyncio:
    """asyncio's toolkit, except for the names in OWN_OBJECTS, which are miniloop's."""

    def __getattr__(self, name: str) -> Any:
        source = miniloop if name in OWN_OBJECTS else asyncio
        return getattr(source, name)


# A program that should finish in milliseconds but waits this long is stuck
# (a lost wake-up): it is cancelled, and its transcript says so.
WATCHDOG_SECONDS = 5.0


def _with_own_objects(program: Program) -> Program:
    async def wrapped(aio: Any, say: Say) -> object:
        return await program(_MiniloopObjectsOnAsyncio(), say)
    return wrapped


def _with_watchdog(program: Program) -> Program:
    async def guarded(aio: Any, say: Say) -> object:
        # A far-away timer changes nothing in the order of events unless it fires.
        main = asyncio.current_task()
        assert main is not None
        watchdog = asyncio.get_running_loop().call_later(WATCHDOG_SECONDS, main.cancel)
        try:
            return await program(aio, say)
        except asyncio.CancelledError:
            if main.cancelling():
                say("stuck: cancelled by the watchdog")
            raise
        finally:
            watchdog.cancel()
    return guarded


def run_everywhere(both_backends: BothBackends, program: Program) -> Transcripts:
    """Run on the harness's three backends, and with miniloop's objects on asyncio's loop."""
    guarded = _with_watchdog(program)
    transcripts = both_backends.run(guarded)
    transcripts.lines["miniloop-objects-on-asyncio"] = run_one(
        _with_own_objects(guarded), "asyncio")
    return transcripts


def shown(obj: object) -> str:
    """``repr(obj)`` with memory addresses blanked out (they differ from run to run)."""
    return re.sub(r"0x[0-9a-f]+", "0x?", repr(obj))
