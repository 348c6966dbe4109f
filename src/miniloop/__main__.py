"""The command line: run any Python program on miniloop.

    python -m miniloop [OPTIONS] TARGET [ARGS...]

TARGET is a module name (``demos.countasync``) or a path to a ``.py`` file.
It runs as ``__main__``, the way ``python -m TARGET ARGS`` or
``python TARGET ARGS`` would run it: ``sys.argv`` is ``[its file, *ARGS]``,
and the current directory (for a module) or the file's directory (for a
path) comes first on ``sys.path``. The one difference is what happens
before it starts:

* miniloop's event-loop policy is installed (``miniloop.use_miniloop()``),
  so ``asyncio.run``, ``asyncio.Runner`` and ``asyncio.new_event_loop``
  make miniloop loops: an unmodified asyncio program runs on miniloop;
* the backend-neutral names of ``compat`` (``from compat import run,
  sleep``) resolve to miniloop's own primitives, because compat sees that
  policy.

Options let you watch the loop think (``python -m miniloop --help`` lists them):
``--trace`` logs every event and draws a timeline, ``--trace-html FILE``
draws it as a web page, ``--step`` pauses before each turn of the loop, and
``--virtual-time`` makes sleeping free.

The exit status is the program's. Problems with the command line itself (a
target that cannot be found, an unknown option) are reported in one line,
``miniloop: error: ...``, with status 2. A program stopped with ``q`` in
step mode exits with status 3. A deadlock (every task waiting, nothing
left that could wake one) is reported on stderr and ends the program with
``DeadlockError`` (status 1), where asyncio would hang.

Options come before TARGET; everything after TARGET belongs to the program,
so ``python -m miniloop demos.chained --help`` shows the demo's help.

Read next: ``compat/__init__.py``, the names the demos import, and
``compat/__main__.py``, which runs one program on both backends.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import contextlib
import functools
import importlib.util
import os
import runpy
import signal
import sys
import threading
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, NoReturn, TypeVar


def _import_this_package_not_a_folder_named_like_it() -> None:
    """Make ``miniloop`` mean the package this file is in, from any folder.

    ``git clone`` makes a folder named ``miniloop``; seen from its parent, that
    folder (it has no ``__init__.py``) is a namespace package called
    ``miniloop``. With an editable install, python looks in the current folder
    before it asks the installer's finder, so ``python -m miniloop`` imports
    the empty namespace as the package (and then finds this file through the
    installer). Its submodules still import, but ``miniloop.__version__`` and
    friends do not exist. Here we notice that and import the real package, the
    folder this file is in, in its place.
    """
    package = sys.modules.get("miniloop")
    if package is None or getattr(package, "__file__", None) is not None:
        return  # not imported yet (python -c "import miniloop.__main__"), or the real one
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        "miniloop", os.path.join(here, "__init__.py"), submodule_search_locations=[here])
    assert spec is not None and spec.loader is not None
    real = importlib.util.module_from_spec(spec)
    sys.modules["miniloop"] = real
    try:
        spec.loader.exec_module(real)
    except BaseException:
        sys.modules["miniloop"] = package
        raise


_import_this_package_not_a_folder_named_like_it()

import miniloop  # noqa: E402  (after the check above, by design)

# The tracer and the step mode are imported by the runs that ask for them
# (``traced`` and ``stepping`` below): a plain run starts sooner without them.
STEP_QUIT_STATUS = 3  # tools/stepper.py: QUIT_STATUS (tests/test_imports.py checks they agree)

USAGE = "python -m miniloop [OPTIONS] TARGET [ARGS...]"

# The exit status of a command line that could not be understood, as for
# argparse and python itself.
USAGE_ERROR = 2
INTERRUPTED = 128 + 2  # Ctrl-C: what a shell reports for a python it ended
interrupted = threading.Event()  # the program ended in an uncaught KeyboardInterrupt


class UsageError(Exception):
    """A problem with the command line itself: reported in one line, status 2."""


# --- the options ---------------------------------------------------------------
#
# Every option is one row of OPTIONS. A row names its flags, says whether it
# takes a value, and has an ``apply`` function that records its effect in
# RunSettings. The parser, the --help text, and the splitting of OPTIONS from
# TARGET are all built from the table, so adding an option is adding a row.
#
# ``clock_factory`` reaches every loop the program makes (through the policy);
# ``around_run`` holds context managers entered, in order, just before the
# target starts and left just after it ends (a tracer starts recording, then
# writes its report). The tools behind the rows are in miniloop/tools/.


@dataclass
class RunSettings:
    """What the options ask for; read when the target is about to run."""

    clock_factory: Callable[[], Any] | None = None
    around_run: list[Callable[[], AbstractContextManager[object]]] = field(default_factory=list)
    explore_runs: int | None = None  # --explore N: run under N schedules instead of once


SettingsT = TypeVar("SettingsT")


@dataclass(frozen=True)
class Option(Generic[SettingsT]):
    """One command-line option: its flags, its help, and what it changes.

    ``apply(settings, value)`` records the option's effect; ``value`` is
    True for a switch, the string given for an option that takes a value.
    """

    flags: tuple[str, ...]
    help: str
    apply: Callable[[SettingsT, Any], None]
    metavar: str | None = None  # None: a switch; otherwise it takes one value

    @property
    def dest(self) -> str:
        """The attribute argparse stores the option's value under."""
        return self.flags[-1].lstrip("-").replace("-", "_")


def check_writable(path: str) -> str:
    """``path``, if a file can be written there; otherwise UsageError saying why not.

    Checked before the program starts: a trace is written as the program runs
    (or, for the web page, when it ends), and finding out only then would
    lose the run.
    """
    if os.path.isdir(path):
        raise UsageError(f"can't write {path!r}: it is a folder")
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise UsageError(f"can't write {path!r}: there is no folder {folder!r}")
    existed = os.path.exists(path)
    try:
        with open(path, "a", encoding="utf-8"):
            pass  # "a": an existing file keeps its content until the trace replaces it
    except OSError as problem:
        raise UsageError(f"can't write {path!r}: {problem.strerror or problem}") from None
    if not existed:
        os.remove(path)  # leave nothing behind if the program then does not run
    return path


def _version(version: str) -> str:
    return f"miniloop {version} (Python {sys.version.split()[0]})"


@contextlib.contextmanager
def plain_loops() -> Iterator[None]:
    """Every loop made meanwhile is plain: only the teaching core's code runs (no fast/)."""
    previous = os.environ.get("MINILOOP_PLAIN")
    os.environ["MINILOOP_PLAIN"] = "1"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["MINILOOP_PLAIN"]
        else:
            os.environ["MINILOOP_PLAIN"] = previous


def traced(**where: Any) -> AbstractContextManager[Any]:
    """``tools/session.py: traced``, imported for the runs that trace."""
    from miniloop.tools import session

    return session.traced(**where)


def stepping() -> AbstractContextManager[Any]:
    """``tools/stepper.py: stepping``, imported for the runs that step."""
    from miniloop.tools import stepper

    return stepper.stepping()


OPTIONS: list[Option[RunSettings]] = [
    Option(("--plain",),
           "run on the plain loop: exactly the code of core/ a learner reads, without "
           "the speed-ups of fast/ (same behaviour, slower; MINILOOP_PLAIN=1 does the same)",
           lambda settings, _: settings.around_run.append(plain_loops)),
    Option(("--virtual-time",),
           "simulated time: when nothing can run, jump to the next timer (sleeps cost "
           "nothing; loop.time() still moves by exactly the sleeps)",
           lambda settings, _: settings.around_run.append(miniloop.virtual_time)),
    Option(("--trace",),
           "log what the loop does on stderr, one line per event, then draw a timeline",
           lambda settings, _: settings.around_run.append(lambda: traced(stream=sys.stderr))),
    Option(("--trace-to",), "like --trace, but write the log and timeline to FILE",
           lambda settings, path: settings.around_run.append(
               functools.partial(traced, path=check_writable(path))),
           metavar="FILE"),
    Option(("--trace-html",),
           "draw the run as a web page in FILE (a timeline, a lane per task, and the "
           "loop's state at every turn)",
           lambda settings, path: settings.around_run.append(
               functools.partial(traced, html_path=check_writable(path))),
           metavar="FILE"),
    Option(("--trace-json",),
           "write the run as Chrome trace-event JSON to FILE (open it in Perfetto)",
           lambda settings, path: settings.around_run.append(
               functools.partial(traced, json_path=check_writable(path))),
           metavar="FILE"),
    Option(("--step",),
           "pause before each turn of the loop and show its state; commands from "
           f"stdin: Enter one turn, N turns, c continue, t tasks, q quit (exit status "
           f"{STEP_QUIT_STATUS})",
           lambda settings, _: settings.around_run.append(stepping)),
    Option(("--explore",),
           "run the program N times, each under another seeded schedule (how long steps, "
           "IO and thread jobs take; the order of ready sockets, equal deadlines, sets), "
           "report the distinct outcomes and a --seed that replays each; exit status 1 "
           "when they differ",
           lambda settings, runs: setattr(settings, "explore_runs", explore_runs(runs)),
           metavar="N"),
    Option(("--seed",),
           "replay one schedule of --explore exactly (virtual time); combine with "
           "--trace, --trace-html or --step to watch it",
           lambda settings, seed: settings.around_run.append(seeded(seed)),
           metavar="S"),
]


def explore_runs(text: str) -> int:
    """The N of ``--explore N``: how many runs, 1 or more."""
    runs = int(text) if text.isdigit() else 0
    if runs < 1:
        raise UsageError(f"--explore {text!r}: give the number of runs, 1 or more")
    return runs


def seeded(seed: str) -> Callable[[], AbstractContextManager[Any]]:
    """``tools/explore.py: seeded``, imported for the runs that replay a schedule."""
    from miniloop.tools import explore

    try:
        explore.parse_seed(seed)
    except explore.ScheduleError as problem:
        raise UsageError(str(problem)) from None
    return functools.partial(explore.seeded, seed)


# Options that watch one run: --explore makes many runs, so it refuses them.
WATCHING_ONE_RUN = ("--seed", "--step", "--trace", "--trace-to", "--trace-html", "--trace-json")


def exploring(runs: int, argv: Sequence[str], args: Sequence[str]) -> int:
    """Run TARGET under ``runs`` schedules, each in a new process (``tools/explore.py``)."""
    from miniloop.tools import explore

    split = len(argv) - len(args) - 1  # our options, then TARGET and its ARGS
    ours, program = argv[:split], list(argv[split:])
    kept: list[str] = []
    tokens = iter(token for token in ours if token != "--")
    for token in tokens:
        if token == "--explore":
            next(tokens, None)  # and its N
        elif token.split("=")[0] in WATCHING_ONE_RUN:
            raise UsageError(f"--explore runs the program many times and {token} watches "
                             "one run: replay a schedule with --seed S to watch it")
        elif not token.startswith("--explore="):
            kept.append(token)
    if program[0].startswith("-"):
        program.insert(0, "--")
    return explore.explore(runs, [sys.executable, "-m", "miniloop", *kept], program)


# --- the parser ------------------------------------------------------------------


class _OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but errors become UsageError instead of usage text plus exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser(
    options: Sequence[Option[Any]], *, prog: str, usage: str, description: str, epilog: str,
    version: str | None = None,
) -> argparse.ArgumentParser:
    """An argparse parser for ``options`` (TARGET and ARGS appear for --help only)."""
    parser = _OneLineErrorParser(
        prog=prog, usage=usage, description=description, epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        # Abbreviations would make "which tokens are ours" depend on spelling.
        allow_abbrev=False,
    )
    parser.add_argument("target", nargs="?", metavar="TARGET",
                        help="a module name (demos.countasync) or a path to a .py file")
    parser.add_argument("args", nargs="*", metavar="ARGS",
                        help="passed to the program as sys.argv[1:]")
    if version is not None:
        parser.add_argument("--version", action="version", version=version)
    for option in options:
        if option.metavar is None:
            parser.add_argument(*option.flags, dest=option.dest, action="store_true",
                                help=option.help)
        else:
            parser.add_argument(*option.flags, dest=option.dest, metavar=option.metavar,
                                help=option.help)
    return parser


def split_command_line(
    argv: Sequence[str], valued_flags: set[str]
) -> tuple[list[str], str | None, list[str]]:
    """Split ``argv`` into (our options, TARGET, the program's ARGS).

    The first token that is not an option (or the token after ``--``) is
    TARGET; whatever follows it is the program's, even if it looks like
    one of our options.
    """
    ours: list[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        if token == "--":
            index += 1
            break
        if token == "-" or not token.startswith("-"):
            break
        ours.append(token)
        if token in valued_flags and index + 1 < len(argv):
            ours.append(argv[index + 1])  # "--trace-html FILE": FILE is ours too
            index += 1
        index += 1
    if index >= len(argv):
        return ours, None, []
    return ours, argv[index], list(argv[index + 1:])


def parse_command_line(
    parser: argparse.ArgumentParser, options: Sequence[Option[Any]], argv: Sequence[str]
) -> tuple[argparse.Namespace, str | None, list[str]]:
    """Parse our options (argparse) and split off TARGET and its ARGS."""
    valued = {flag for option in options if option.metavar is not None for flag in option.flags}
    ours, target, args = split_command_line(argv, valued)
    namespace = parser.parse_args(ours)
    return namespace, target, args


def apply_options(
    options: Sequence[Option[SettingsT]], namespace: argparse.Namespace, settings: SettingsT
) -> SettingsT:
    """Let every option that was given record its effect in ``settings``."""
    for option in options:
        value = getattr(namespace, option.dest)
        if value not in (None, False):
            option.apply(settings, value)
    return settings


# --- finding the target ------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A program to run: a module (run like ``python -m``) or a file path."""

    kind: Literal["module", "path"]
    name: str  # the module name, or the path as given

    @property
    def python_command(self) -> list[str]:
        """How plain python runs it: ``["-m", name]`` or ``[name]``."""
        return ["-m", self.name] if self.kind == "module" else [self.name]

    def source(self) -> Path | None:
        """The file that runs (a package's ``__main__.py``); None if unknown."""
        if self.kind == "path":
            path = Path(self.name)
            return path / "__main__.py" if path.is_dir() else path
        try:
            spec = importlib.util.find_spec(self.name)
            if spec is not None and spec.submodule_search_locations is not None:
                spec = importlib.util.find_spec(f"{self.name}.__main__")
        except Exception:
            return None
        return Path(spec.origin) if spec is not None and spec.origin else None


def resolve_target(text: str) -> Target:
    """Decide whether ``text`` names a module or a file; UsageError if neither exists.

    Something that looks like a path (it has a slash or ends in .py) is a
    path; anything else is tried as a module first, then as a file.
    """
    looks_like_path = os.sep in text or "/" in text or text.endswith((".py", ".pyw"))
    if looks_like_path or text == "-":
        return _resolve_path(text)
    problem = _module_problem(text)
    if problem is None:
        return Target("module", text)
    if os.path.exists(text):
        return _resolve_path(text)
    raise UsageError(problem)


def _resolve_path(text: str) -> Target:
    if not os.path.exists(text):
        raise UsageError(f"can't open file {text!r}: no such file")
    if os.path.isdir(text) and not os.path.exists(os.path.join(text, "__main__.py")):
        raise UsageError(f"can't run directory {text!r}: it has no __main__.py")
    return Target("path", text)


def _module_problem(name: str) -> str | None:
    """Why ``name`` cannot be run as a module (None if it can)."""
    if not all(part.isidentifier() for part in name.split(".")):
        return f"{name!r} is neither a module name nor an existing file"
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError as missing:
        return f"no module named {missing.name or name!r} (looked for {name!r})"
    except Exception as exc:  # the parent package failed to import: say how
        return f"error while finding module {name!r} ({type(exc).__name__}: {exc})"
    if spec is None:
        return f"no module named {name!r}"
    if spec.submodule_search_locations is not None:
        # A package runs as its __main__ module, if it has one.
        if _module_problem(f"{name}.__main__") is None:
            return None
        return f"{name!r} is a package and cannot be run directly (it has no __main__ module)"
    if spec.origin is None or not spec.has_location:
        return f"module {name!r} has no file to run"
    return None


# --- the demos, for --help -------------------------------------------------------------


def discover_demos() -> list[tuple[str, str]]:
    """(name, one-line summary) for each demos/*.py, read without importing it."""
    try:
        spec = importlib.util.find_spec("demos")
    except Exception:
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    found = []
    for folder in spec.submodule_search_locations:
        for path in sorted(Path(folder).glob("*.py")):
            if path.stem.startswith("_"):
                continue
            found.append((path.stem, _first_docstring_line(path)))
    return found


def _first_docstring_line(path: Path) -> str:
    try:
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    except (OSError, SyntaxError, ValueError):
        return "(could not be read)"
    return docstring.strip().splitlines()[0] if docstring else ""


def demos_help(runner: str) -> str:
    """The demos section of --help."""
    demos = discover_demos()
    if not demos:
        return "demos: none found (the demos package is not importable from here)"
    width = max(len(name) for name, _ in demos)
    lines = [f"demos (run one with: {runner} demos.NAME [--help]):"]
    lines += [f"  {name:<{width}}  {summary}" for name, summary in demos]
    return "\n".join(lines)


# --- running the target ----------------------------------------------------------------


def exit_status(code: object) -> int:
    """The process exit status python gives ``SystemExit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # sys.exit("message") prints it and fails
    return 1


@contextlib.contextmanager
def first_on_sys_path(folder: str) -> Iterator[None]:
    """Put ``folder`` first on sys.path (unless it is already); restore sys.path after."""
    saved_path = sys.path[:]
    if not sys.path or sys.path[0] not in (folder, ""):
        sys.path.insert(0, folder)
    try:
        yield
    finally:
        sys.path[:] = saved_path


@contextlib.contextmanager
def _as_main_program(target: Target, args: Sequence[str]) -> Iterator[None]:
    """Give the target python's view of sys.argv and sys.path; put them back after."""
    if target.kind == "module":
        top = os.getcwd()  # what `python -m` puts first
    else:
        top = os.path.dirname(os.path.abspath(target.name))  # what `python file.py` puts first
    saved_argv = sys.argv
    sys.argv = [target.name, *args]  # runpy replaces [0] with the file it runs
    try:
        with first_on_sys_path(top):
            yield
    finally:
        sys.argv = saved_argv


@contextlib.contextmanager
def _miniloop_policy(settings: RunSettings) -> Iterator[None]:
    """Make asyncio create miniloop loops while the target runs."""
    previous = asyncio.get_event_loop_policy()
    miniloop.use_miniloop(clock_factory=settings.clock_factory)
    try:
        yield
    finally:
        # Leave the interpreter as we found it (matters when main() is
        # called from Python rather than from the shell).
        asyncio.set_event_loop_policy(previous)


def run_target(target: Target, args: Sequence[str], settings: RunSettings) -> int:
    """Run ``target`` as ``__main__`` on miniloop; return its exit status."""
    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(_as_main_program(target, args))
            stack.enter_context(_miniloop_policy(settings))
            for make_context in settings.around_run:
                stack.enter_context(make_context())
            if target.kind == "module":
                runpy.run_module(target.name, run_name="__main__", alter_sys=True)
            else:
                # Absolute, as python makes __file__ of the script it runs.
                runpy.run_path(os.path.abspath(target.name), run_name="__main__")
    except SystemExit as exit_request:
        return exit_status(exit_request.code)
    except KeyboardInterrupt as interrupt:
        _report_uncaught(interrupt)
        interrupted.set()
        return INTERRUPTED
    except BaseException as failure:
        _report_uncaught(failure)
        return 1
    return 0


def _report_uncaught(exc: BaseException) -> None:
    """Print the traceback python would print: from the target's frames on.

    When no frame is the target's (its file does not compile: a
    SyntaxError), there is no traceback at all, only the error, as from
    ``python prog.py``.
    """
    tb = exc.__traceback__
    while tb is not None and _is_plumbing(tb.tb_frame):
        tb = tb.tb_next
    # The default hook prints exc.__traceback__, whatever tb it is given.
    sys.excepthook(type(exc), exc.with_traceback(tb), tb)


def _is_plumbing(frame: types.FrameType) -> bool:
    """A frame the user did not write: ours, runpy's, or the import system's
    (which compiles a module target for runpy)."""
    return (frame.f_globals is globals() or frame.f_globals is vars(runpy)
            or frame.f_code.co_filename.startswith("<frozen importlib."))


# --- main ----------------------------------------------------------------------------


def _make_parser() -> argparse.ArgumentParser:
    return build_parser(
        OPTIONS, prog="miniloop", usage=USAGE,
        description=(
            "Run a Python program on miniloop's event loop.\n\n"
            "TARGET runs as __main__, like `python -m TARGET` or `python TARGET`;\n"
            "asyncio.run(), asyncio.Runner and the compat names use miniloop.\n"
            "Options go before TARGET; everything after TARGET is the program's."),
        epilog=demos_help("python -m miniloop") + (
            "\n\nto see a program on asyncio and on miniloop side by side:"
            "\n  python -m compat TARGET [ARGS...]"
            "\n\nthe tour of the source (docs/) and its exercises:"
            "\n  python -m miniloop.exercises"),
        version=_version(miniloop.__version__),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m miniloop`` and of the ``miniloop`` command."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _make_parser()
    try:
        try:
            namespace, target_text, args = parse_command_line(parser, OPTIONS, argv)
        except SystemExit as done:  # --help or --version printed what was asked
            return exit_status(done.code)
        if target_text is None:
            raise UsageError("no TARGET given: which program should run?")
        settings = apply_options(OPTIONS, namespace, RunSettings())
        with first_on_sys_path(os.getcwd()):  # modules are found as `python -m` finds them
            target = resolve_target(target_text)
        if settings.explore_runs is not None:
            return exploring(settings.explore_runs, argv, args)
    except UsageError as problem:
        print(f"miniloop: error: {problem} (see: python -m miniloop --help)", file=sys.stderr)
        return USAGE_ERROR
    return run_target(target, args, settings)


def end_as_interrupted() -> None:
    """End the way python ends after an uncaught KeyboardInterrupt: killed by SIGINT.

    The parent then sees the signal (a shell prints 130, subprocess gives -2),
    exactly as for the same program run with plain python.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)


if __name__ == "__main__":
    status = main()
    if interrupted.is_set():
        end_as_interrupted()
    sys.exit(status)
