"""Compare: did two runs of a program say the same thing?

Mostly this is "are the stdout lines equal, one by one". Two things make
it more interesting.

**Measurements.** A demo that prints its own elapsed time ("executed in
1.00 seconds") prints 1.00 on one run and 1.01 on the next, whatever the
backend. Such figures are measurements, not behaviour: before comparing,
each one is masked, and the report shows both values instead. A
measurement is a decimal number followed by a unit of time (``1.00
seconds``, ``0.52s``, ``12.5 ms``), a decimal number introduced as elapsed
time (``elapsed: 1.002``, ``took 0.51``), or a clock time (``12:04:17``).
Whole numbers are never masked: "sleeping for 4 seconds" is the program's
decision, and must match. A program can add patterns of its own (below).

**Concurrent lines.** When two tasks wake at the same moment, which prints
first can depend on microseconds of scheduling, on either backend. A
program whose own semantics make its line order genuinely concurrent says
so, and its lines are then compared as a multiset (same lines, same
number of times, in any order), and the verdict says that it did so.

A program declares these with module-level constants, read from its
source without running it:

    COMPAT_LINE_ORDER = "concurrent"          # default: "sequential"
    COMPAT_MEASUREMENTS = (r"\\d+ ticks",)     # extra regular expressions

Standard error (logging) is shown but never decides the verdict, except
that the exit statuses must match, and when both runs failed, they must
have failed with the same last line (the exception).

Read next: ``report.py``, which shows two runs side by side.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from compat.runs import Run

_NUMBER = r"\d+\.\d+(?:e[-+]?\d+)?"
_UNIT = r"(?:seconds?|secs?|s|milliseconds?|msecs?|ms|microseconds?|usecs?|us|µs)\b"

MEASUREMENT_PATTERNS: tuple[str, ...] = (
    # a decimal number announced as elapsed time: "elapsed: 1.002", "took 0.51 s"
    rf"\b(?:elapsed|took|duration|waited)\b[:=]?\s*{_NUMBER}(?:\s?{_UNIT})?",
    # a decimal number with a unit of time: "1.00 seconds", "0.5s", "12.25 ms"
    rf"{_NUMBER}\s?{_UNIT}",
    # a time of day: "12:04:17", "12:04:17.250"
    r"\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b",
)

MASK = "<measured>"

SEQUENTIAL = "sequential"
CONCURRENT = "concurrent"


@dataclass(frozen=True)
class Masker:
    """Finds measurements in lines and hides them for the comparison."""

    pattern: re.Pattern[str]

    @classmethod
    def with_patterns(cls, extra: Iterable[str] = ()) -> Masker:
        """A masker for the standard patterns plus ``extra`` ones."""
        patterns = [*MEASUREMENT_PATTERNS, *extra]
        return cls(re.compile("|".join(f"(?:{each})" for each in patterns)))

    def mask(self, text: str) -> str:
        """``text`` with every measurement replaced by MASK."""
        return self.pattern.sub(MASK, text)

    def measurements(self, text: str) -> list[str]:
        """The measurements in ``text``, as printed."""
        return [match.group(0) for match in self.pattern.finditer(text)]


@dataclass(frozen=True)
class Declarations:
    """How a program asks to be compared (see the module docstring)."""

    line_order: str = SEQUENTIAL
    measurement_patterns: tuple[str, ...] = ()


def read_declarations(source: Path | None) -> Declarations:
    """The COMPAT_* constants of a program, read from its source without running it."""
    if source is None:
        return Declarations()
    try:
        tree = ast.parse(source.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return Declarations()
    found: dict[str, object] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign | ast.AnnAssign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id.startswith("COMPAT_"):
                    try:
                        found[target.id] = ast.literal_eval(statement.value)  # type: ignore[arg-type]
                    except ValueError:
                        pass  # not a plain constant: ignore it
    order = found.get("COMPAT_LINE_ORDER", SEQUENTIAL)
    if order not in (SEQUENTIAL, CONCURRENT):
        raise ValueError(f"COMPAT_LINE_ORDER must be {SEQUENTIAL!r} or {CONCURRENT!r}, "
                         f"not {order!r} (in {source})")
    patterns = found.get("COMPAT_MEASUREMENTS", ())
    if isinstance(patterns, str):
        patterns = (patterns,)
    if not isinstance(patterns, tuple | list) or not all(isinstance(p, str) for p in patterns):
        raise ValueError(f"COMPAT_MEASUREMENTS must be a tuple of regular expressions "
                         f"(in {source})")
    return Declarations(str(order), tuple(patterns))


@dataclass
class Verdict:
    """The outcome of a comparison: same or not, and the lines that explain it."""

    same: bool
    explanation: list[str] = field(default_factory=list)
    measured: list[str] = field(default_factory=list)  # "line 7: 1.00 s | 1.01 s"


def compare_runs(first: Run, second: Run, declarations: Declarations = Declarations()) -> Verdict:
    """Compare two runs of one program: stdout lines, then how each ended."""
    masker = Masker.with_patterns(declarations.measurement_patterns)
    if declarations.line_order == CONCURRENT:
        verdict = _compare_as_multisets(first, second, masker)
    else:
        verdict = _compare_in_order(first, second, masker)
    _compare_endings(first, second, verdict, masker)
    return verdict


def _compare_in_order(first: Run, second: Run, masker: Masker) -> Verdict:
    a_lines, b_lines = first.texts, second.texts
    for number in range(1, max(len(a_lines), len(b_lines)) + 1):
        a = a_lines[number - 1] if number <= len(a_lines) else None
        b = b_lines[number - 1] if number <= len(b_lines) else None
        if a is None or b is None or masker.mask(a) != masker.mask(b):
            return Verdict(False, [
                f"different output: the first difference is at line {number}",
                f"  {first.backend:<8}  {_shown(a)}",
                f"  {second.backend:<8}  {_shown(b)}",
            ])
    measured = []
    for number, (a, b) in enumerate(zip(a_lines, b_lines, strict=True), start=1):
        measured += _measured_pair(number, a, b, masker)
    return Verdict(True, [f"same output: {_count(a_lines)}, in the same order"], measured)


def _compare_as_multisets(first: Run, second: Run, masker: Masker) -> Verdict:
    a_lines, b_lines = first.texts, second.texts
    a_counts = Counter(masker.mask(line) for line in a_lines)
    b_counts = Counter(masker.mask(line) for line in b_lines)
    why = ("  (the program declares COMPAT_LINE_ORDER = 'concurrent': lines printed "
           "at the same moment may come in either order)")
    if a_counts != b_counts:
        only_a, only_b = a_counts - b_counts, b_counts - a_counts
        explanation = ["different output, compared as a multiset", why]
        for run, extra in ((first, only_a), (second, only_b)):
            lines = list(extra.elements())
            explanation.append(f"  only on {run.backend} ({_count(lines)}):")
            explanation += [f"    {_shown(line)}" for line in lines[:5]]
            if len(lines) > 5:
                explanation.append(f"    ... and {len(lines) - 5} more")
        return Verdict(False, explanation)
    in_order = [masker.mask(line) for line in a_lines] == [masker.mask(line) for line in b_lines]
    explanation = [
        f"same output: {_count(a_lines)}, compared as a multiset",
        why,
        "  the order matched too" if in_order else "  the order differed, which is allowed here",
    ]
    # Pair the measurements of equal lines by the order in which they came.
    waiting: dict[str, list[str]] = {}
    for line in b_lines:
        waiting.setdefault(masker.mask(line), []).append(line)
    measured = []
    for number, a in enumerate(a_lines, start=1):
        measured += _measured_pair(number, a, waiting[masker.mask(a)].pop(0), masker)
    return Verdict(True, explanation, measured)


def _compare_endings(first: Run, second: Run, verdict: Verdict, masker: Masker) -> None:
    statuses = f"exit status {first.status} on {first.backend}, {second.status} on {second.backend}"
    if first.status != second.status:
        verdict.same = False
        verdict.explanation.append(f"different endings: {statuses}")
        return
    if first.status == 0:
        return
    a_error, b_error = _last_words(first.stderr_texts), _last_words(second.stderr_texts)
    if masker.mask(a_error) != masker.mask(b_error):
        verdict.same = False
        verdict.explanation += [
            f"both failed (status {first.status}), but differently:",
            f"  {first.backend:<8}  {_shown(a_error)}",
            f"  {second.backend:<8}  {_shown(b_error)}",
        ]
    else:
        verdict.explanation.append(
            f"both failed the same way (status {first.status}): {_shown(a_error)}")


def _measured_pair(number: int, a: str, b: str, masker: Masker) -> list[str]:
    a_values, b_values = masker.measurements(a), masker.measurements(b)
    if not a_values:
        return []
    return [f"line {number}: {' '.join(a_values)} | {' '.join(b_values)}"]


def _last_words(lines: Sequence[str]) -> str:
    """The last non-blank line: for a crash, the exception."""
    for line in reversed(lines):
        if line.strip():
            return line
    return ""


def _count(lines: Sequence[str]) -> str:
    return "1 line" if len(lines) == 1 else f"{len(lines)} lines"


def _shown(line: str | None) -> str:
    if line is None:
        return "(no line: the output had ended)"
    if line != line.strip():
        return repr(line)  # make leading and trailing spaces visible
    return line + "\x1b[0m" if "\x1b" in line else line  # don't leak a colour
