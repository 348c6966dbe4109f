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
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from compat.compare import CONCURRENT, Masker, compare_runs, read_declarations
from compat.report import render, visible_length
from compat.runs import BY_CTRL_C, HEAD_LINES, TAIL_LINES, Run, RunsStopped, run_both, shown
from miniloop.__main__ import (
    INTERRUPTED,
    USAGE_ERROR,
    Option,
    UsageError,
    apply_options,
    build_parser,
    demos_help,
    end_as_interrupted,
    exit_status,
    first_on_sys_path,
    parse_command_line,
    resolve_target,
)
from miniloop.tools.session import timeline_section

USAGE = "python -m compat [OPTIONS] TARGET [ARGS...]"

interrupted = threading.Event()  # Ctrl-C stopped the runs: end as python ends on it


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
           "half the time, unless the program writes files; use this for programs "
           "that cannot share the machine with a twin in ways their source does not show)",
           lambda settings, _: setattr(settings, "parallel", False)),
    Option(("--timeout",), "stop both runs after this many seconds (default: no limit)",
           _set_timeout, metavar="SECONDS"),
    Option(("--trace",),
           "trace the miniloop run, and show its timeline (a lane per task) under the "
           "two transcripts",
           lambda settings, _: setattr(settings, "trace", True)),
    Option(("--plain",),
           "run the miniloop side on the plain loop: only the teaching core's code, "
           "without the speed-ups of fast/ (python -m miniloop --plain)",
           lambda settings, _: settings.miniloop_options.append("--plain")),
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
            "Both run at once, except a program that writes files (its source opens a\n"
            "file for writing, or calls write_text/write_bytes) or declares\n"
            "COMPAT_RUNS = 'sequential': asyncio runs first, then miniloop, so the two\n"
            "never write the same file at the same time (the report says so).\n\n"
            "Lines are compared byte for byte; control characters and bytes that are\n"
            "not UTF-8 are shown as escapes (\\r, \\x1b, \\xff). A long transcript is\n"
            "compared in full, but the table shows only its first "
            f"{HEAD_LINES} and last {TAIL_LINES}\n"
            "lines, with a row that says how many were cut. On Ctrl-C or --timeout, the\n"
            "report shows what both runs printed until they were stopped.\n\n"
            "Options go before TARGET; everything after TARGET is the program's."),
        epilog=demos_help("python -m compat"),
    )


def _report_width(first: Run, second: Run) -> int:
    """The terminal's width; when the report goes to a file or a pipe, room for every line."""
    if sys.stdout.isatty():
        return max(80, shutil.get_terminal_size().columns)
    longest = max((visible_length(shown(line.text, colours=True)) for run in (first, second)
                   for line in (*run.stdout.kept(), *run.stderr.kept())), default=0)
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

    parallel = settings.parallel and declarations.runs_one_after_the_other is None
    notes = []
    if settings.parallel and not parallel:
        notes.append(f"asyncio ran first, then miniloop: {declarations.runs_one_after_the_other}")
    masker = Masker.with_patterns(declarations.measurement_patterns)
    mark_rows = declarations.line_order != CONCURRENT
    with tempfile.TemporaryDirectory(prefix="compat-trace-") as folder:
        trace_file = os.path.join(folder, "trace.txt")
        if settings.trace:
            # The trace goes to a file, so that miniloop's stderr stays the program's.
            settings.miniloop_options += ["--trace-to", trace_file]
        try:
            first, second = run_both(target.python_command, args, parallel=parallel,
                                     timeout=settings.timeout,
                                     miniloop_options=settings.miniloop_options)
        except RunsStopped as stopped:
            # Show what each printed before it was stopped: often where it hangs.
            first, second = stopped.runs
            print(render(first, second, None, width=_report_width(first, second), masker=masker,
                         mark_rows=mark_rows, notes=notes))
            if stopped.why == BY_CTRL_C:
                print("compat: interrupted (Ctrl-C); above is what the runs printed until then",
                      file=sys.stderr)
                interrupted.set()
                return INTERRUPTED
            print(f"compat: the runs took longer than {settings.timeout:g} s and were stopped;"
                  " above is what they printed until then", file=sys.stderr)
            return 1
        try:
            verdict = compare_runs(first, second, declarations)
            timeline = _miniloop_timeline(trace_file) if settings.trace else ""
            print(render(first, second, verdict, width=_report_width(first, second),
                         masker=masker, mark_rows=mark_rows, notes=notes))
        except KeyboardInterrupt:  # while comparing a long transcript
            print("compat: interrupted (Ctrl-C) while comparing", file=sys.stderr)
            interrupted.set()
            return INTERRUPTED
        finally:
            first.close()
            second.close()
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
    status = main()
    if interrupted.is_set():
        end_as_interrupted()
    sys.exit(status)
