"""The checker: run your code and asyncio's in the same situations, compare.

How do you tell whether your ``gather`` "works"? Not by reading it, and not
by one happy test: by putting it in the situations where asyncio's own
``gather`` shows its character (a child fails, the caller is cancelled, a
task is passed in twice...) and comparing what happens, line by line.

Each situation is a *scenario*: a small program that is handed an
implementation (asyncio's, or yours) and a ``say`` function, and tells a
story with ``say("b returns")``, ``say("caught", error)``... The checker
runs every scenario twice:

    reference run   the scenario with asyncio's own implementation
    your run        the same scenario with yours

and compares the two *transcripts* (the lists of lines said). Same lines in
the same order: that scenario passes. Otherwise the verdict shows the first
line that differs, the whole of both transcripts, and a hint about what the
scenario is probing.

Things that go wrong are part of the story, not crashes of the checker:

    an exception escapes the scenario     last line: "raised: ValueError('x')"
    a callback fails inside the loop      a line: "loop reported: <message> <error>"
    nothing happens any more              a line: "stopped: still waiting after 1 s"

Async scenarios run on a fresh asyncio event loop of the standard library
(not miniloop's: the reference must be asyncio itself). Scenarios pace
themselves in *turns* of the loop (``await asyncio.sleep(0)``), not in
seconds, so that every run gives the same transcript on a busy machine.

Read next: ``__main__.py`` (the command line), then any ``exNN_*.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib.util
import inspect
import re
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from miniloop.tools.describe import is_library_file

Say = Callable[..., None]


async def turns(count: int) -> None:
    """Give way for ``count`` turns of the loop: the scenarios' clock."""
    for _ in range(count):
        await asyncio.sleep(0)


async def ticker(say: Say, ticks: int) -> None:
    """Say ``tick N`` once a turn, so that a transcript shows where turns end."""
    for tick in range(ticks):
        say("tick", tick)
        await asyncio.sleep(0)

# A scenario that has not finished after this many real seconds is stopped:
# something never woke a task. (Scenarios take milliseconds when they work.)
SOFT_LIMIT = 1.0
# Code that never gives control back (an endless loop) is interrupted by an
# alarm signal after this long, where signals can be used.
HARD_LIMIT = 5.0


STUCK_IN_A_LOOP = f"stopped: still running after {HARD_LIMIT:g} s (an endless loop?)"


class OutOfTime(KeyboardInterrupt):
    """Raised by the alarm when a scenario runs for too long.

    It is a KeyboardInterrupt so that nothing on the way catches it: event
    loops report ordinary exceptions from callbacks and carry on, but they
    let this kind through, exactly as they would let Ctrl-C through.
    """


@dataclass(frozen=True)
class Scenario:
    """One situation to put an implementation in, and what it probes."""

    title: str
    program: Callable[..., Any]  # program(implementation, say), async or plain
    hint: str


@dataclass(frozen=True)
class Exercise:
    """One chapter's exercise: what to write, and how it is checked."""

    chapter: int
    slug: str  # a word naming it: the command line accepts it instead of the number
    title: str
    name: str  # what the learner's file must define
    reference_label: str  # how the verdict names the truth ("asyncio.gather")
    reference: Callable[[], Any]  # returns the reference implementation
    scenarios: tuple[Scenario, ...]
    run: Callable[[Callable[..., Any], Any], list[str]]  # run(program, implementation)
    module: str  # the exercise module: its docstring is the statement
    # A check of the learner's object before any scenario runs (e.g. "this
    # must be a generator function"); returns a complaint, or None.
    precheck: Callable[[Any], str | None] | None = None
    # For exercises whose truth is a fixed transcript rather than a run.
    expected: Callable[[Scenario], list[str]] | None = None
    # The file name the commands suggest for the starter file, when the
    # chapter's text uses another than ``SLUG.py``.
    starter: str = ""

    @property
    def starter_file(self) -> str:
        """``gather.py``: what to call the starter file in the suggested commands."""
        return self.starter or f"{self.slug}.py"

    @property
    def statement(self) -> str:
        """What to write: the exercise module's docstring, as plain text."""
        module = sys.modules.get(self.module) or importlib.import_module(self.module)
        # ``name`` and "::" are how docstrings mark code; a terminal reads
        # `name` and ":" better.
        return inspect.cleandoc(module.__doc__ or "").replace("``", "`").replace("::\n", ":\n")

    @property
    def template_path(self) -> Path:
        """The starter file for the learner."""
        return _exercise_file(self.module, "template")

    @property
    def solution_path(self) -> Path:
        """The reference solution (a file written as a learner would)."""
        return _exercise_file(self.module, "solution")


def _exercise_file(module: str, kind: str) -> Path:
    short = module.rsplit(".", 1)[-1]
    return Path(__file__).with_name(f"{short}_{kind}.py")


# --- running a scenario --------------------------------------------------------------------


def describe_error(exc: BaseException) -> str:
    """``ValueError('boom')``: the exception's type and arguments, as a transcript shows it."""
    return f"{type(exc).__name__}({', '.join(repr(arg) for arg in exc.args)})"


def where_it_failed(exc: BaseException) -> list[str]:
    """The line that raised ``exc``, as a Python traceback shows it (two lines), or nothing.

    That is the innermost line of the learner's own code in the traceback:
    an error raised deep inside asyncio (``set_result`` on a done future,
    say) is the learner's mistake at the line that called it. Only when no
    such line exists is it the innermost line of all.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    own = [frame for frame in frames if not is_library_file(frame.filename)]
    if not frames:
        return []
    frame = (own or frames)[-1]
    lines = [f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}']
    if frame.line:
        lines.append(f"    {frame.line}")
    return lines


def as_python_shows_it(exc: BaseException) -> str:
    """An error as Python prints it, without the whole traceback.

    A SyntaxError shows its file, line, the source line and a caret under
    the place; any other error, the line that raised it (``where_it_failed``)
    and ``TypeError: message``.
    """
    if isinstance(exc, SyntaxError):
        return "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n")
    what = "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n")
    return "\n".join([*where_it_failed(exc), what])


# asyncio ends "Exception in callback step() at task.py:7" with where the
# callback was *defined*: the def line, not the line that failed.
_DEFINED_AT = re.compile(r" at \S+:\d+$")


class Transcript:
    """The lines a scenario said, with ``say`` as the way to add one."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def say(self, *parts: object) -> None:
        """Add one line: the parts, separated by spaces (as print would)."""
        self.lines.append(" ".join(str(part) for part in parts))


def run_on_asyncio(program: Callable[..., Any], implementation: Any) -> list[str]:
    """Run ``await program(implementation, say)`` as a task on a new asyncio loop."""
    return run_on_loop(program, implementation, asyncio.SelectorEventLoop)


def run_on_loop(program: Callable[..., Any], implementation: Any,
                make_loop: Callable[[], Any], *,
                limit: float = SOFT_LIMIT,
                when_stuck: Callable[[Any, Say], None] | None = None) -> list[str]:
    """Run ``await program(implementation, say)`` as a task on ``make_loop()``.

    After ``limit`` seconds of the loop's time the run is stopped;
    ``when_stuck(loop, say)`` may first describe what everyone waits for.
    """
    transcript = Transcript()
    loop = make_loop()
    why_stopped: list[str] = []

    def report(loop: Any, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = str(context.get("message"))
        failed_at = where_it_failed(exc) if exc is not None else []
        if failed_at:
            message = _DEFINED_AT.sub("", message)  # the failing line follows instead
        detail = f" {describe_error(exc)}" if exc is not None else ""
        transcript.say(f"loop reported: {message}{detail}")
        for line in failed_at:
            transcript.say(line)
        if isinstance(exc, NotImplementedError):
            # A template's placeholder failed in a callback: nothing is going
            # to wake the scenario, so do not wait for the time limit.
            why_stopped.append("stopped: the placeholder raised NotImplementedError")
            loop.stop()

    def give_up() -> None:
        if when_stuck is not None:
            when_stuck(loop, transcript.say)
        why_stopped.append(f"stopped: still waiting after {limit:g} s "
                           "(a task that nobody wakes?)")
        loop.stop()

    loop.set_exception_handler(report)
    task = loop.create_task(program(implementation, transcript.say))
    stopper = loop.call_later(limit, give_up)
    try:
        with alarm(HARD_LIMIT):
            loop.run_until_complete(task)
    except OutOfTime:
        transcript.say(STUCK_IN_A_LOOP)
    except BaseException as exc:  # the scenario's own failure ends its story
        transcript.say(why_stopped[0] if why_stopped and not task.done()
                       else f"raised: {describe_error(exc)}")
    finally:
        stopper.cancel()
        _close(loop)
    return transcript.lines


def _close(loop: Any) -> None:
    """Cancel what is left (without waiting long for it), close the loop."""
    leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in leftovers:
        task.cancel()
    if leftovers:
        with contextlib.suppress(BaseException), alarm(1.0):
            loop.run_until_complete(asyncio.wait(leftovers, timeout=0.1))
    loop.close()


def run_plain(program: Callable[..., Any], implementation: Any) -> list[str]:
    """Call ``program(implementation, say)``: for scenarios that drive a loop themselves."""
    transcript = Transcript()
    try:
        with alarm(HARD_LIMIT):
            program(implementation, transcript.say)
    except OutOfTime:
        transcript.say(STUCK_IN_A_LOOP)
    except BaseException as exc:
        transcript.say(f"raised: {describe_error(exc)}")
    return transcript.lines


@contextlib.contextmanager
def alarm(seconds: float) -> Iterator[None]:
    """Raise OutOfTime if the block runs longer than ``seconds`` (main thread, Unix)."""
    usable = (threading.current_thread() is threading.main_thread()
              and hasattr(signal, "setitimer"))
    if not usable:
        yield
        return

    def ring(signum: int, frame: Any) -> None:
        raise OutOfTime()

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- comparing ------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One scenario's result: both transcripts, and whether they agree."""

    scenario: Scenario
    expected: list[str]
    actual: list[str]

    @property
    def passed(self) -> bool:
        """True when the two transcripts are the same, line for line."""
        return self.expected == self.actual


@dataclass
class Verdict:
    """The whole check: a complaint before running, or one outcome per scenario."""

    exercise: Exercise
    source: str  # where the checked code came from, for the report
    problem: str | None = None  # the code could not be checked at all
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every scenario passed."""
        return self.problem is None and all(outcome.passed for outcome in self.outcomes)


_reference_transcripts: dict[tuple[str, int], list[str]] = {}


def reference_transcript(exercise: Exercise, index: int) -> list[str]:
    """What the truth says in scenario ``index`` (computed once per process)."""
    key = (exercise.slug, index)
    if key not in _reference_transcripts:
        scenario = exercise.scenarios[index]
        if exercise.expected is not None:
            lines = exercise.expected(scenario)
        else:
            lines = exercise.run(scenario.program, exercise.reference())
        _reference_transcripts[key] = lines
    return list(_reference_transcripts[key])


def check(exercise: Exercise, implementation: Any, source: str) -> Verdict:
    """Run every scenario with ``implementation`` and compare with the reference."""
    verdict = Verdict(exercise, source)
    if exercise.precheck is not None:
        verdict.problem = exercise.precheck(implementation)
        if verdict.problem is not None:
            return verdict
    with warnings.catch_warnings():
        # Unfinished code leaves coroutines unawaited and sockets open; the
        # transcripts already tell that story, without the noise.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", ResourceWarning)
        for index, scenario in enumerate(exercise.scenarios):
            expected = reference_transcript(exercise, index)
            actual = exercise.run(scenario.program, implementation)
            verdict.outcomes.append(Outcome(scenario, expected, actual))
            if actual and actual[-1] == STUCK_IN_A_LOOP:
                break  # the next scenarios would most likely hang too: fix this first
        gc.collect()  # (what is left in reference cycles warns now, or never)
    return verdict


# --- loading the learner's file -----------------------------------------------------------


class LoadError(Exception):
    """The learner's file could not be loaded, or lacks the name to check."""


def load(path: Path, name: str) -> Any:
    """Import the file at ``path`` as a fresh module and return its ``name``."""
    if not path.is_file():
        raise LoadError(f"there is no file {str(path)!r}")
    module_name = f"_miniloop_exercise_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"{path} cannot be imported (is it a .py file?)")
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up here
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise LoadError(f"importing {path} failed:\n{as_python_shows_it(exc)}") from exc
    if not hasattr(module, name):
        raise LoadError(f"{path} defines no {name!r}: that is the name the checker looks for")
    return getattr(module, name)


# --- the report ----------------------------------------------------------------------------


def render(verdict: Verdict) -> str:
    """The verdict for people: what passed, the first difference, a hint."""
    exercise = verdict.exercise
    lines = [f"Chapter {exercise.chapter}: {exercise.title}",
             f"checking {exercise.name} from {verdict.source} "
             f"against {exercise.reference_label}", ""]
    if verdict.problem is not None:
        lines += [f"Not yet: {verdict.problem}", ""]
        return "\n".join(lines)
    for outcome in verdict.outcomes:
        mark = "ok  " if outcome.passed else "DIFF"
        lines.append(f"  {mark}  {outcome.scenario.title}")
    not_run = len(exercise.scenarios) - len(verdict.outcomes)
    if not_run:
        lines.append(f"  (and {not_run} more, not run: the last one never gave control back)")
    failures = [outcome for outcome in verdict.outcomes if not outcome.passed]
    lines.append("")
    if not failures:
        count = len(verdict.outcomes)
        every = "The scenario agrees" if count == 1 else f"All {count} scenarios agree"
        lines += [f"{every} with {exercise.reference_label}. Well done!",
                  f"Compare with the reference solution: "
                  f"python -m miniloop.exercises {exercise.chapter} --solution"]
        return "\n".join(lines)
    lines += _first_difference(failures[0], exercise.reference_label)
    lines += ["", f"{len(failures)} of {len(verdict.outcomes)} scenarios differ. "
              "Fix the first difference, then run the check again."]
    return "\n".join(lines)


def _first_difference(outcome: Outcome, reference_label: str) -> list[str]:
    expected, actual = outcome.expected, outcome.actual
    at = next((i for i, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b),
              min(len(expected), len(actual)))
    lines = [f"First difference, in \"{outcome.scenario.title}\", at line {at + 1}:", ""]
    lines += [f"  with {reference_label}:", *_numbered(expected, at)]
    lines += ["  with yours:", *_numbered(actual, at)]
    if any(line.startswith("raised: NotImplementedError") for line in actual):
        lines += ["", "(NotImplementedError: the template's placeholder is still there.)"]
    lines += ["", f"Hint: {outcome.scenario.hint}"]
    return lines


def _numbered(lines: Sequence[str], marked: int) -> list[str]:
    """The transcript, numbered, with the first differing line marked by ``>``."""
    shown = [f"  {'>' if number == marked else ' '} {number + 1:3d}  {line}"
             for number, line in enumerate(lines)]
    if marked >= len(lines):
        shown.append(f"  > {marked + 1:3d}  (nothing more)")
    return shown
