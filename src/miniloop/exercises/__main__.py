"""The exercises' command line: ``python -m miniloop.exercises CHAPTER [FILE]``.

    python -m miniloop.exercises                         list the exercises
    python -m miniloop.exercises CHAPTER                 what to write, and how to check it
    python -m miniloop.exercises CHAPTER --template      print a starter file
    python -m miniloop.exercises CHAPTER FILE            check FILE (exit status 0: it passes)
    python -m miniloop.exercises CHAPTER --solution      print the reference solution

CHAPTER is the chapter's number (``5``) or the exercise's name (``gather``).
A check prints one line per scenario, then either congratulations or the
first difference from asyncio, with a hint, and exits with status 0 if
every scenario passed and 1 otherwise. A command line that cannot be
understood (an unknown chapter, a missing file) is reported in one line,
``miniloop.exercises: error: ...``, with status 2.

Read next: ``checker.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from miniloop.exercises import all_exercises, find
from miniloop.exercises.checker import Exercise, LoadError, check, load, render

PROG = "python -m miniloop.exercises"
USAGE_ERROR = 2


class UsageError(Exception):
    """A command line that cannot be understood: one line on stderr, status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def make_parser() -> argparse.ArgumentParser:
    """The argument parser (also the source of ``--help``)."""
    parser = _Parser(
        prog=PROG,
        usage=f"{PROG} [CHAPTER [FILE | --template | --solution]]",
        description="Write a piece of asyncio yourself; see whether it behaves like asyncio's.",
        epilog=("examples:\n"
                f"  {PROG}                         list the exercises\n"
                f"  {PROG} 5                       chapter 5: what to write\n"
                f"  {PROG} 5 --template > mine.py  a starter file to fill in\n"
                f"  {PROG} 5 mine.py               check it against asyncio\n"
                f"  {PROG} 5 --solution            read the reference solution\n"
                "\nexit status: 0 all scenarios pass, 1 some differ, 2 bad command line"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("chapter", nargs="?", metavar="CHAPTER",
                        help="a chapter number (1-9) or an exercise's name (e.g. gather)")
    parser.add_argument("file", nargs="?", metavar="FILE", help="your file to check")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--template", action="store_true",
                       help="print a starter file for the exercise")
    shown.add_argument("--solution", action="store_true",
                       help="print the reference solution")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    try:
        return _main(make_parser().parse_args(argv))
    except UsageError as problem:
        print(f"miniloop.exercises: error: {problem}", file=sys.stderr)
        return USAGE_ERROR


def _main(options: argparse.Namespace) -> int:
    if options.chapter is None:
        if options.template or options.solution or options.file:
            raise UsageError("say which chapter first (e.g. 5 or gather)")
        print(listing())
        return 0
    exercise = find(options.chapter)
    if exercise is None:
        known = ", ".join(each.slug for each in all_exercises())
        raise UsageError(f"no exercise for chapter {options.chapter!r} "
                         f"(use a number from 1 to 9, or one of: {known})")
    if options.file is not None and (options.template or options.solution):
        raise UsageError("give either FILE (to check it) or --template/--solution, not both")
    if options.template:
        print(exercise.template_path.read_text(), end="")
        return 0
    if options.solution:
        print(exercise.solution_path.read_text(), end="")
        return 0
    if options.file is None:
        print(introduction(exercise))
        return 0
    path = Path(options.file)
    if not path.is_file():
        raise UsageError(f"there is no file {options.file!r}")
    try:
        implementation = load(path, exercise.name)
    except LoadError as problem:
        print(f"Chapter {exercise.chapter}: {exercise.title}\n\nNot yet: {problem}")
        return 1
    verdict = check(exercise, implementation, str(path))
    print(render(verdict))
    return 0 if verdict.passed else 1


def listing() -> str:
    """The list of exercises, one line each."""
    lines = ["The exercises, one per chapter of the tour (docs/):", ""]
    for exercise in all_exercises():
        lines.append(f"  {exercise.chapter}  {exercise.slug:<9} {exercise.title}")
    lines += ["", f"Start one with: {PROG} CHAPTER   (e.g. {PROG} 1)"]
    return "\n".join(lines)


def introduction(exercise: Exercise) -> str:
    """What to write for ``exercise``, and the commands to go on with."""
    file = exercise.starter_file
    commands = [(f"--template > {file}", "a starter file"), (file, "check it"),
                ("--solution", "when you are done")]
    width = max(len(command) for command, _ in commands)
    return "\n".join([
        f"Chapter {exercise.chapter}: {exercise.title}",
        "",
        exercise.statement,
        "",
        "To do it:",
        *(f"  {PROG} {exercise.chapter} {command.ljust(width)}   # {why}"
          for command, why in commands),
    ])


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        # Whoever read our output left early (`... | head`): nothing went wrong
        # here. Point stdout at nowhere so that exiting does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
