"""python -m compat: one program, on asyncio and on miniloop, side by side.

    python -m compat [OPTIONS] TARGET [ARGS...]

runs TARGET (a module name or a .py file) twice, each in its own process:

    asyncio    python -m TARGET ARGS          (python TARGET ARGS for a file)
    miniloop   python -m miniloop TARGET ARGS

then prints both transcripts side by side, with the time each line
appeared, and a verdict: "same output", or where the first difference is.
The exit status says it too: 0 same, 1 different, 2 for a command line
that could not be understood.

How the pieces fit:

    runs.py     start the two processes, note every line and when it came
    compare.py  mask measurements, compare in order (or as a multiset)
    report.py   draw the two columns and the verdict

Read next: ``compat/runs.py``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from compat.compare import CONCURRENT, Masker, compare_runs, read_declarations
from compat.report import render, visible_length
from compat.runs import Run, RunsStopped, run_both
from miniloop.__main__ import (
    USAGE_ERROR,
    Option,
    UsageError,
    apply_options,
    build_parser,
    demos_help,
    exit_status,
    first_on_sys_path,
    parse_command_line,
    resolve_target,
)
from miniloop.tools.session import timeline_section

USAGE = "python -m compat [OPTIONS] TARGET [ARGS...]"


@dataclass
class CompareSettings:
    """What the options ask for."""

    parallel: bool = True
    timeout: float | None = None
    # Options passed on to `python -m miniloop` for the miniloop run.
    miniloop_options: list[str] = field(default_factory=list)
    # --trace: show miniloop's timeline of its run under the two transcripts.
    trace: bool = False


def _set_timeout(settings: CompareSettings, value: str) -> None:
    try:
        settings.timeout = float(value)
    except ValueError:
        raise UsageError(f"--timeout wants a number of seconds, not {value!r}")
    if not settings.timeout > 0:
        raise UsageError(f"--timeout wants a positive number of seconds, not {value!r}")


# One row per option, as in miniloop's command line (see miniloop/__main__.py).
OPTIONS: list[Option[CompareSettings]] = [
    Option(("--sequential",),
           "run asyncio first, then miniloop (default: both at once, which takes "
           "half the time; use this for programs that cannot share the machine "
           "with a twin, e.g. ones that write a fixed file)",
           lambda settings, _: setattr(settings, "parallel", False)),
    Option(("--timeout",), "stop both runs after this many seconds (default: no limit)",
           _set_timeout, metavar="SECONDS"),
    Option(("--trace",),
           "trace the miniloop run, and show its timeline (a lane per task) under the "
           "two transcripts",
           lambda settings, _: setattr(settings, "trace", True)),
]


def _make_parser() -> argparse.ArgumentParser:
    return build_parser(
        OPTIONS, prog="compat", usage=USAGE,
        description=(
            "Run a program on asyncio and on miniloop (each in its own process), show\n"
            "the two transcripts side by side with the time of each line, and say\n"
            "whether they match. Exit status: 0 same output, 1 different, 2 usage error.\n\n"
            "Figures that are measurements (a decimal number with a unit of time, like\n"
            "'1.00 seconds') are masked when comparing; both values are shown. A program\n"
            "whose lines are genuinely concurrent declares COMPAT_LINE_ORDER = 'concurrent'\n"
            "and is compared as a multiset of lines.\n\n"
            "Options go before TARGET; everything after TARGET is the program's."),
        epilog=demos_help("python -m compat"),
    )


def _report_width(first: Run, second: Run) -> int:
    """The terminal's width; when the report goes to a file or a pipe, room for every line."""
    if sys.stdout.isatty():
        return max(80, shutil.get_terminal_size().columns)
    longest = max((visible_length(line.text) for run in (first, second)
                   for line in (*run.stdout, *run.stderr)), default=0)
    return max(80, min(2 * longest + 40, 400))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m compat``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _make_parser()
    try:
        try:
            namespace, target_text, args = parse_command_line(parser, OPTIONS, argv)
        except SystemExit as done:  # --help printed what was asked
            return exit_status(done.code)
        if target_text is None:
            raise UsageError("no TARGET given: which program should run?")
        settings = apply_options(OPTIONS, namespace, CompareSettings())
        with first_on_sys_path(os.getcwd()):
            target = resolve_target(target_text)
            declarations = read_declarations(target.source())
    except (UsageError, ValueError) as problem:
        print(f"compat: error: {problem} (see: python -m compat --help)", file=sys.stderr)
        return USAGE_ERROR

    with tempfile.TemporaryDirectory(prefix="compat-trace-") as folder:
        trace_file = os.path.join(folder, "trace.txt")
        if settings.trace:
            # The trace goes to a file, so that miniloop's stderr stays the program's.
            settings.miniloop_options += ["--trace-to", trace_file]
        try:
            first, second = run_both(target.python_command, args, parallel=settings.parallel,
                                     timeout=settings.timeout,
                                     miniloop_options=settings.miniloop_options)
            verdict = compare_runs(first, second, declarations)
        except RunsStopped as stopped:
            # Show what each printed before it was stopped: often where it hangs.
            first, second = stopped.runs
            masker = Masker.with_patterns(declarations.measurement_patterns)
            print(render(first, second, None, width=_report_width(first, second), masker=masker,
                         mark_rows=declarations.line_order != CONCURRENT))
            print(f"compat: the runs took longer than {settings.timeout:g} s and were stopped;"
                  " above is what they printed until then", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 128 + 2  # the runs were stopped on the way out (run_programs)
        timeline = _miniloop_timeline(trace_file) if settings.trace else ""
    masker = Masker.with_patterns(declarations.measurement_patterns)
    print(render(first, second, verdict, width=_report_width(first, second), masker=masker,
                 mark_rows=declarations.line_order != CONCURRENT))
    if settings.trace:
        print("\nminiloop's run, as its trace drew it:")
        print(timeline.rstrip() or "(no trace was written: did the miniloop run start?)")
    return 0 if verdict.same else 1


def _miniloop_timeline(trace_file: str) -> str:
    """The timeline part of the trace file the miniloop run wrote ("" if none)."""
    try:
        with open(trace_file, encoding="utf-8") as trace:
            return timeline_section(trace.read())
    except OSError:
        return ""


if __name__ == "__main__":
    sys.exit(main())
