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

**Files.** Both runs go at once, but two copies of a program that writes a
file (``demos.areq`` writes ``foundurls.txt``) would write it at the same
time, and each would spoil the other's. So a program whose source visibly
writes files (an ``open()`` for writing, ``.write_text()``,
``.write_bytes()``) runs on asyncio first and on miniloop after it, and the
report says why. A program that writes in ways its source does not show
declares it.

A program declares these with module-level constants, read from its
source without running it:

    COMPAT_LINE_ORDER = "concurrent"          # default: "sequential"
    COMPAT_MEASUREMENTS = (r"\\d+ ticks",)     # extra regular expressions
    COMPAT_RUNS = "sequential"                # default: "parallel"

Standard error (logging) is shown but never decides the verdict, except
that the exit statuses must match, and when both runs failed, they must
have failed with the same last line (the exception).

Read next: ``report.py``, which shows two runs side by side.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

from compat.runs import Run, shown

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


PARALLEL = "parallel"


@dataclass(frozen=True)
class Declarations:
    """How a program asks to be compared and run (see the module docstring)."""

    line_order: str = SEQUENTIAL
    measurement_patterns: tuple[str, ...] = ()
    # Why the two runs must not overlap (None: they may run at once).
    runs_one_after_the_other: str | None = None


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
    runs = found.get("COMPAT_RUNS", PARALLEL)
    if runs not in (PARALLEL, SEQUENTIAL):
        raise ValueError(f"COMPAT_RUNS must be {PARALLEL!r} or {SEQUENTIAL!r}, "
                         f"not {runs!r} (in {source})")
    writes = _first_file_write(tree)
    if runs == SEQUENTIAL:
        one_after_the_other: str | None = "the program declares COMPAT_RUNS = 'sequential'"
    elif writes is not None:
        one_after_the_other = f"the program writes files ({source.name}, line {writes})"
    else:
        one_after_the_other = None
    return Declarations(str(order), tuple(patterns), one_after_the_other)


_WRITING_METHODS = {"write_text", "write_bytes"}


def _first_file_write(tree: ast.AST) -> int | None:
    """The first line that visibly writes a file: ``open(..., "w")`` (or "a", "x",
    "+"; any function or method called open), ``.write_text()``, ``.write_bytes()``."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else None)
        if name in _WRITING_METHODS or (name == "open" and _opens_for_writing(node)):
            lines.append(node.lineno)
    return min(lines, default=None)


def _opens_for_writing(call: ast.Call) -> bool:
    # The mode is the second argument of open(), the first of Path.open().
    candidates = [*call.args[:2], *(kw.value for kw in call.keywords if kw.arg == "mode")]
    return any(isinstance(each, ast.Constant) and isinstance(each.value, str)
               and 0 < len(each.value) <= 3 and set(each.value) <= set("rwxabt+")
               and bool(set(each.value) & set("wax+"))
               for each in candidates)


@dataclass
class Verdict:
    """The outcome of a comparison: same or not, and the lines that explain it."""

    same: bool
    explanation: list[str] = field(default_factory=list)
    measured: list[str] = field(default_factory=list)  # "line 7: 1.00 s | 1.01 s"


MEASURED_SHOWN = 20  # lines with measurements listed under the verdict; the rest counted


def compare_runs(first: Run, second: Run, declarations: Declarations = Declarations()) -> Verdict:
    """Compare two runs of one program: stdout lines, then how each ended."""
    masker = Masker.with_patterns(declarations.measurement_patterns)
    if declarations.line_order == CONCURRENT:
        verdict = _compare_as_multisets(first, second, masker)
    else:
        verdict = _compare_in_order(first, second, masker)
    _compare_endings(first, second, verdict, masker)
    return verdict


# Both comparisons read the transcripts line by line from their spools
# (runs.py), keeping only a few lines at a time: a program may print millions.


def _compare_in_order(first: Run, second: Run, masker: Masker) -> Verdict:
    measured = _Measurements()
    pairs = zip_longest(first.stdout.texts(), second.stdout.texts())
    for number, (a, b) in enumerate(pairs, start=1):
        if a is None or b is None or (a != b and masker.mask(a) != masker.mask(b)):
            return _first_difference(first, second, number, a, b)
        measured.note(number, a, b, masker)
    if first.stdout.ends_with_newline != second.stdout.ends_with_newline:
        last = first.stdout.count
        unended = first if not first.stdout.ends_with_newline else second
        return Verdict(False, [
            f"different output: line {last} ends without a line ending on {unended.backend}"])
    return Verdict(True, [f"same output: {_count(first.stdout.count)}, in the same order"],
                   measured.listed())


def _first_difference(first: Run, second: Run, number: int, a: str | None,
                      b: str | None) -> Verdict:
    return Verdict(False, [
        f"different output: the first difference is at line {number}",
        f"  {first.backend:<8}  {_shown(a)}",
        f"  {second.backend:<8}  {_shown(b)}",
    ])


def _compare_as_multisets(first: Run, second: Run, masker: Masker) -> Verdict:
    # Count each distinct masked line by its hash, not its text: the memory
    # this takes grows with the number of different lines, not their length.
    a_counts = Counter(hash(masker.mask(line)) for line in first.stdout.texts())
    b_counts = Counter(hash(masker.mask(line)) for line in second.stdout.texts())
    why = ("  (the program declares COMPAT_LINE_ORDER = 'concurrent': lines printed "
           "at the same moment may come in either order)")
    if a_counts != b_counts:
        explanation = ["different output, compared as a multiset", why]
        for run, extra in ((first, a_counts - b_counts), (second, b_counts - a_counts)):
            total = extra.total()
            explanation.append(f"  only on {run.backend} ({_count(total)}):")
            explanation += [f"    {_shown(line)}" for line in _examples(run, extra, masker, 5)]
            if total > 5:
                explanation.append(f"    ... and {total - 5} more")
        return Verdict(False, explanation)
    in_order = all(a == b or masker.mask(a) == masker.mask(b)
                   for a, b in zip(first.stdout.texts(), second.stdout.texts(), strict=True))
    explanation = [
        f"same output: {_count(first.stdout.count)}, compared as a multiset",
        why,
        "  the order matched too" if in_order else "  the order differed, which is allowed here",
    ]
    return Verdict(True, explanation, _measurements_of_equal_lines(first, second, masker))


def _examples(run: Run, extra: Counter[int], masker: Masker, most: int) -> list[str]:
    """Up to ``most`` of the lines of ``run`` that ``extra`` counts (by hash)."""
    left, found = Counter(extra), []
    for line in run.stdout.texts():
        key = hash(masker.mask(line))
        if left[key] > 0:
            left[key] -= 1
            found.append(line)
            if len(found) == most:
                break
    return found


def _measurements_of_equal_lines(first: Run, second: Run, masker: Masker) -> list[str]:
    """Pair the measurements of equal lines by the order in which they came.

    The n-th line of the first run that reads (masked) like X goes with the
    n-th such line of the second run. Only the first few are listed, so only
    those are looked for.
    """
    wanted: dict[tuple[str, int], tuple[int, str]] = {}  # (masked, n) -> (number, line)
    seen: Counter[str] = Counter()
    more = 0
    for number, line in enumerate(first.stdout.texts(), start=1):
        if not masker.measurements(line):
            continue
        masked = masker.mask(line)
        if len(wanted) < MEASURED_SHOWN:
            wanted[masked, seen[masked]] = (number, line)
        else:
            more += 1
        seen[masked] += 1
    partners: dict[tuple[str, int], str] = {}
    seen.clear()
    looked_for = {masked for masked, _ in wanted}
    for line in second.stdout.texts():
        masked = masker.mask(line)
        if masked in looked_for:
            partners[masked, seen[masked]] = line
            seen[masked] += 1
    listed = [_measured_pair(number, line, partners[key], masker)
              for key, (number, line) in sorted(wanted.items(), key=lambda item: item[1][0])]
    return _with_more(listed, more)


class _Measurements:
    """The measured pairs of an in-order comparison: the first few listed, the rest counted."""

    def __init__(self) -> None:
        self.pairs: list[str] = []
        self.more = 0

    def note(self, number: int, a: str, b: str, masker: Masker) -> None:
        if len(self.pairs) < MEASURED_SHOWN:
            pair = _measured_pair(number, a, b, masker)
            if pair:
                self.pairs.append(pair)
        elif masker.pattern.search(a):
            self.more += 1

    def listed(self) -> list[str]:
        return _with_more(self.pairs, self.more)


def _with_more(listed: list[str], more: int) -> list[str]:
    return [*listed, f"... and {more} more lines with measurements"] if more else listed


def _compare_endings(first: Run, second: Run, verdict: Verdict, masker: Masker) -> None:
    statuses = f"exit status {first.status} on {first.backend}, {second.status} on {second.backend}"
    if first.status != second.status:
        verdict.same = False
        verdict.explanation.append(f"different endings: {statuses}")
        return
    if first.status == 0:
        return
    a_error, b_error = _last_words(first), _last_words(second)
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


def _measured_pair(number: int, a: str, b: str, masker: Masker) -> str:
    """"line 7: 1.00 s | 1.01 s", or "" if line ``a`` has no measurement."""
    a_values = masker.measurements(a)
    if not a_values:
        return ""
    return f"line {number}: {' '.join(a_values)} | {' '.join(masker.measurements(b))}"


def _last_words(run: Run) -> str:
    """The last non-blank line of standard error: for a crash, the exception."""
    for line in reversed(run.stderr.kept()):
        if line.text.strip():
            return line.text
    return ""


def _count(lines: int) -> str:
    return "1 line" if lines == 1 else f"{lines} lines"


def _shown(line: str | None) -> str:
    """A line of the verdict: every character visible, spaces at its ends too."""
    if line is None:
        return "(no line: the output had ended)"
    text = shown(line)
    return f"'{text}'" if text != text.strip() else text
