"""Fix a deadlock, with miniloop's tools watching.

The starter file for this chapter is a small program that never finishes.
Alice and Bob each need two locks, the books and the cash; each takes one,
gives way for a turn, then asks for the other. On asyncio it hangs for
ever, silently. Run it on miniloop instead::

    python -m miniloop.exercises 9 --template > bank.py
    python -m miniloop bank.py             # the deadlock report: who waits for whom
    python -m miniloop --trace bank.py     # every step, then the timeline

Read the report, then fix ``main`` so that the program finishes. Change
as little as you can: keep both tasks, both locks, and the turn each task
gives away while holding its first lock. A correct fix prints exactly::

    alice holds books
    alice holds books and cash
    alice is done
    bob holds books
    bob holds books and cash
    bob is done
    all done

The checker first runs your ``main(say)`` on a miniloop loop with virtual
time, where a deadlock is found at once and described; if there is none,
it runs it on asyncio and compares what it printed with the lines above.
"""

from __future__ import annotations

import asyncio
from typing import Any

import miniloop
from miniloop.exercises.checker import Exercise, Say, Scenario, run_on_asyncio, run_on_loop
from miniloop.tools.deadlock import build_report

EXPECTED = [
    "alice holds books",
    "alice holds books and cash",
    "alice is done",
    "bob holds books",
    "bob holds books and cash",
    "bob is done",
    "all done",
]

# Virtual seconds after which a run that is still waiting counts as stuck.
# With virtual time the clock jumps there at once when every task waits.
PATIENCE = 60.0


def _describe_deadlock(loop: Any, say: Say) -> None:
    # The report's middle: who waits on what, held by whom, and where.
    lines = [line for line in build_report(loop).text.splitlines() if line.strip()]
    say("deadlock: every task waits, and nothing can wake any of them:")
    for line in lines[2:-1]:
        say(" ", line)


def run_watched(program: Any, main: Any) -> list[str]:
    """On miniloop first (a deadlock is described there), then on asyncio."""
    on_miniloop = run_on_loop(
        program, main, lambda: miniloop.Loop(clock=miniloop.VirtualClock()),
        limit=PATIENCE, when_stuck=_describe_deadlock)
    if any(line.startswith("deadlock:") for line in on_miniloop):
        return on_miniloop
    return run_on_asyncio(program, main)


async def run_main(main: Any, say: Say) -> None:
    """The whole program: ``await main(say)``."""
    await main(say)


def _expected(scenario: Scenario) -> list[str]:
    return list(EXPECTED)


def _must_be_async(main: Any) -> str | None:
    if not asyncio.iscoroutinefunction(main):
        return "main must be an `async def` function taking one argument, say."
    return None


EXERCISE = Exercise(
    chapter=9,
    slug="deadlock",
    title="fix a deadlock, with miniloop's tools watching",
    name="main",
    reference_label="the expected output",
    reference=lambda: None,
    scenarios=(
        Scenario("the program finishes, and prints what it should", run_main,
                 "each task holds one lock and waits for the other: a cycle. Make both "
                 "tasks take the locks in the same order (books first), and the cycle "
                 "cannot form."),
    ),
    run=run_watched,
    module=__name__,
    precheck=_must_be_async,
    expected=_expected,
    starter="bank.py",
)
