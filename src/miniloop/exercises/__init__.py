"""Exercises: write a piece of asyncio yourself, and let asyncio judge it.

Each chapter of the tour (``docs/``) ends with one exercise. You write a
small thing in a file of your own (a generator that pauses, a loop, a
task, ``sleep``, ``gather``, an ``Event``...), and the checker runs it in
a handful of situations next to asyncio's own version, comparing what
happens line by line::

    python -m miniloop.exercises                        the list
    python -m miniloop.exercises 5                      chapter 5: what to write
    python -m miniloop.exercises 5 --template > mine.py a starter file
    python -m miniloop.exercises 5 mine.py              check it
    python -m miniloop.exercises 5 --solution           the reference solution

Every exercise lives in three files here, named after it:

    ex05_gather.py            the statement (its docstring) and the scenarios
    ex05_gather_template.py   the starter file
    ex05_gather_solution.py   a reference solution, written as a learner would

The tests run every reference solution through the same checker, and a
wrong solution too, so the checker is known to say both "yes" and "no".

Read next: ``checker.py`` (how a check works), then ``ex01_pause.py``.
"""

from __future__ import annotations

import importlib

from miniloop.exercises.checker import Exercise

# One module per chapter, in the order of the tour.
MODULES = (
    "ex01_pause",
    "ex02_loop",
    "ex03_task",
    "ex04_sleep",
    "ex05_gather",
    "ex06_event",
    "ex07_recv",
    "ex08_future",
    "ex09_deadlock",
)


def all_exercises() -> list[Exercise]:
    """Every exercise, in chapter order."""
    return [importlib.import_module(f"{__name__}.{name}").EXERCISE for name in MODULES]


def find(chapter: str) -> Exercise | None:
    """The exercise for ``chapter``: a number ("5", "05") or its slug ("gather")."""
    wanted = chapter.strip().lower()
    for exercise in all_exercises():
        if wanted in (str(exercise.chapter), f"{exercise.chapter:02d}", exercise.slug):
            return exercise
    return None


__all__ = ["MODULES", "Exercise", "all_exercises", "find"]
