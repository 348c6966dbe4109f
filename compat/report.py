"""Report: two runs side by side, then the verdict.

    #    time  asyncio                     |    time  miniloop
    1   0.041  One                         |   0.083  One
  ~ 7   1.044  ... executed in 1.00 s...   |   1.086  ... executed in 1.00 s...

Each row is one line number of stdout: when that line appeared (seconds
since the process started) and what it said, for each backend. The mark in
the first column says how the two compare: blank when identical, ``~`` when
they are the same once measurements are masked, ``!`` when they differ.
Standard error follows in a second table of the same shape (shown, not
compared). Lines wider than their column are cut with ``…``; the verdict
below always shows differing lines in full. A table longer than
``HEAD_LINES + TAIL_LINES`` rows shows its beginning and its end, and one
row in between that says how many rows were cut (all of them were
compared). Control characters and bytes that are not UTF-8 are shown as
escapes (``\\r``, ``\\xff``); colour codes are shown as colours.

Read next: ``__main__.py``, the command line that puts it all together.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

from compat.compare import Masker, Verdict
from compat.runs import HEAD_LINES, TAIL_LINES, Line, Run, Transcript, shown

# Terminal colour codes take no room on screen; count around them.
_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_RESET = "\x1b[0m"

_TIME_WIDTH = 7  # " 12.345"
_GUTTER = 6  # mark and line number: "~ 123 "


def visible_length(text: str) -> int:
    """How many columns ``text`` takes on a terminal (colour codes take none)."""
    return len(_ESCAPE.sub("", text))


def fit(text: str, width: int) -> str:
    """``text`` padded or cut to exactly ``width`` visible columns."""
    if visible_length(text) <= width:
        return text + (_RESET if "\x1b" in text else "") + " " * (width - visible_length(text))
    kept, used, position = [], 0, 0
    while used < width - 1:
        escape = _ESCAPE.match(text, position)
        if escape:
            kept.append(escape.group(0))
            position = escape.end()
            continue
        kept.append(text[position])
        position += 1
        used += 1
    return "".join(kept) + "…" + (_RESET if "\x1b" in text else "")


def describe_command(command: Sequence[str]) -> str:
    """A command as a user would type it (``python`` for the interpreter)."""
    return shlex.join(["python", *command[1:]])


def side_by_side(first: Transcript, second: Transcript, names: tuple[str, str],
                 width: int, masker: Masker | None = None) -> list[str]:
    """A table of two timed transcripts; with a ``masker``, rows are marked.

    A long transcript shows its first HEAD_LINES and last TAIL_LINES rows,
    and one row between them that says how many were left out.
    """
    column = max(10, (width - _GUTTER - 3 - 2 * (_TIME_WIDTH + 2)) // 2)
    rows = [f"{'#':>{_GUTTER - 1}} {'time':>{_TIME_WIDTH}}  {fit(names[0], column)} | "
            f"{'time':>{_TIME_WIDTH}}  {names[1]}"]
    total = max(first.count, second.count)
    tail_from = max(HEAD_LINES, total - TAIL_LINES)
    for index in [*range(min(total, HEAD_LINES)), *range(tail_from, total)]:
        if index == tail_from and tail_from > HEAD_LINES:
            rows.append(f"{'…':>{_GUTTER - 1}} {_cut(HEAD_LINES, tail_from, names, first, second)}")
        a, b = first.line(index), second.line(index)
        mark = " " if masker is None else _mark(a, b, masker)
        rows.append(f"{mark}{index + 1:>{_GUTTER - 2}} {_timed(a, column)} | "
                    f"{_timed(b, column).rstrip()}")
    return rows


def _cut(start: int, end: int, names: tuple[str, str], first: Transcript,
         second: Transcript) -> str:
    """The row that stands for the rows start+1..end, left out of a long table."""
    return (f"{end - start:,} rows cut, lines {start + 1:,} to {end:,} ({names[0]} printed "
            f"{first.count:,} lines, {names[1]} {second.count:,})")


def _mark(a: Line | None, b: Line | None, masker: Masker) -> str:
    if a is None or b is None:
        return "!"
    if a.text == b.text:
        return " "
    return "~" if masker.mask(a.text) == masker.mask(b.text) else "!"


def _timed(line: Line | None, column: int) -> str:
    if line is None:
        return " " * _TIME_WIDTH + "  " + " " * column
    return f"{line.time:>{_TIME_WIDTH}.3f}  {fit(shown(line.text, colours=True), column)}"


def render(first: Run, second: Run, verdict: Verdict | None, *, width: int,
           masker: Masker, mark_rows: bool = True, notes: Sequence[str] = ()) -> str:
    """The whole report: commands, notes, stdout table, stderr table, endings, verdict.

    Runs stopped by the timeout or Ctrl-C have no exit status and get no verdict (None).
    """
    names = (first.backend, second.backend)
    out = [f"{run.backend + ':':<10}{describe_command(run.command)}" for run in (first, second)]
    out += notes
    out.append("")
    out += side_by_side(first.stdout, second.stdout, names, width,
                        masker if mark_rows else None)
    if first.stderr.count or second.stderr.count:
        out += ["", "standard error (shown, not compared):"]
        out += side_by_side(first.stderr, second.stderr, names, width)
    out.append("")
    out.append(" | ".join(_ending(run) for run in (first, second)))
    if verdict is None:
        return "\n".join(out)
    out.append("")
    out += verdict.explanation
    if verdict.measured:
        out.append(f"measurements, masked for the comparison ({names[0]} | {names[1]}):")
        out += [f"  {each}" for each in verdict.measured]
    return "\n".join(out)


def _ending(run: Run) -> str:
    if run.status is None:
        return f"{run.backend}: stopped after {run.duration:.2f} s"
    return f"{run.backend}: exit status {run.status} after {run.duration:.2f} s"
