"""Runs: one program, started as a process, with every line it printed timed.

To compare two backends fairly, each runs in a process of its own, exactly
as a user would start it:

    asyncio    python -m demos.countasync ARGS     (or: python prog.py ARGS)
    miniloop   python -m miniloop demos.countasync ARGS

``PYTHONUNBUFFERED=1`` makes every ``print`` reach our pipe at once, so the
time we note when a line arrives is the time the program printed it. A
reader thread per pipe does the noting; the program never waits for us.

The two runs go side by side, in parallel, by default: the whole comparison
then takes as long as the slower program rather than the sum, and the two
time columns describe the same stretch of wall-clock time. Sleep-bound demos
hardly compete for the CPU. A program that writes files runs one after the
other instead (``compare.py`` decides), so the twins never write the same
file at once.

What a run keeps is bounded, however much the program prints: each stream's
lines go to a spool file (on disk once it is past a megabyte), and only the
first ``HEAD_LINES`` and the last ``TAIL_LINES`` stay in memory, with their
times, for the report. The comparison reads the spool back line by line.

Lines are kept exactly as printed: the bytes are decoded as UTF-8 with
``surrogateescape``, so two lines compare equal only if their bytes are
equal, and an undecodable byte survives as itself. ``shown`` turns a line
into something safe for a terminal, every control character and stray byte
as an escape (``\\r``, ``\\x1b``, ``\\xff``).

Read next: ``compare.py``, which decides whether two runs said the same.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

from compat import BACKEND_ENV

HEAD_LINES = 1000  # kept in memory (and shown) from the start of each stream
TAIL_LINES = 100  # and from its end: where a program ended, or how it failed
_SPOOL_IN_MEMORY = 1 << 20  # bytes; past this the spool is a temporary file


@dataclass(frozen=True)
class Line:
    """One line a program printed, and when (seconds since it was started)."""

    time: float
    text: str  # the bytes, decoded with surrogateescape; no line ending


def decoded(raw: bytes) -> str:
    """``raw`` as text that keeps every byte (see the module docstring)."""
    return raw.decode("utf-8", errors="surrogateescape")


_COLOUR = re.compile(r"(\x1b\[[0-9;]*m)")


def shown(text: str, *, colours: bool = False) -> str:
    """``text`` as it can be shown on a terminal: nothing in it acts on the terminal.

    Control characters (tab, carriage return, escape...) and bytes that are
    not UTF-8 appear as escapes, ``\\t``, ``\\r``, ``\\x1b``, ``\\xff``. With
    ``colours``, colour codes stay what they are (the side-by-side table
    shows a coloured demo in its colours); without, they are escaped too (a
    verdict shows exactly what differs).
    """
    if text.isprintable():
        return text
    parts = _COLOUR.split(text) if colours else [text]
    # With colours, split() puts the colour codes at the odd positions.
    return "".join(part if colours and index % 2 else _escaped(part)
                   for index, part in enumerate(parts))


def _escaped(text: str) -> str:
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def _escape(char: str) -> str:
    if "\udc80" <= char <= "\udcff":  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{ord(char) - 0xDC00:02x}"
    return repr(char)[1:-1]  # \t, \r, \x1b, \u200b...


class Transcript:
    """Every line one stream of a run printed; the first and last few in memory.

    ``count`` lines in all; ``line(i)`` is the i-th (from 0) if it is kept
    in memory, ``texts()`` reads them all back from the spool.
    """

    def __init__(self) -> None:
        self.head: list[Line] = []
        self.tail: deque[Line] = deque(maxlen=TAIL_LINES)
        self.count = 0
        self.ends_with_newline = True  # False: the last line had no line ending
        self._spool: IO[bytes] = tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY)

    @classmethod
    def of(cls, texts: Iterable[str], *, every: float = 0.1) -> Transcript:
        """A transcript of ``texts``, one line each, ``every`` seconds apart (for tests)."""
        transcript = cls()
        for index, text in enumerate(texts):
            transcript.add(text.encode("utf-8", errors="surrogateescape") + b"\n",
                           index * every)
        return transcript

    def add(self, raw: bytes, arrived: float) -> None:
        """Note one line as read from the pipe (with its line ending, unless it is the last)."""
        self._spool.write(raw)
        self.ends_with_newline = raw.endswith(b"\n")
        line = Line(arrived, decoded(raw.removesuffix(b"\n")))
        if len(self.head) < HEAD_LINES:
            self.head.append(line)
        else:
            self.tail.append(line)
        self.count += 1

    def kept(self) -> list[Line]:
        """The lines kept in memory, in order (all of them, for a short transcript)."""
        return [*self.head, *self.tail]

    def line(self, index: int) -> Line | None:
        """The line at ``index`` (from 0), if it is kept in memory; otherwise None."""
        if index < len(self.head):
            return self.head[index]
        first_in_tail = self.count - len(self.tail)
        if first_in_tail <= index < self.count:
            return self.tail[index - first_in_tail]
        return None

    def texts(self) -> Iterator[str]:
        """Every line's text, in order, read back from the spool (once the run ended).

        Each call reads from its own position, so two readings may be interleaved.
        """
        position, rest = 0, b""
        while True:
            self._spool.seek(position)
            chunk = self._spool.read(1 << 16)
            if not chunk:
                break
            position += len(chunk)
            *whole, rest = (rest + chunk).split(b"\n")
            for raw in whole:
                yield decoded(raw)
        if rest:
            yield decoded(rest)  # the last line, printed without a line ending

    def close(self) -> None:
        """Let go of the spool."""
        self._spool.close()


@dataclass
class Run:
    """Everything one process did: its command, its stdout and stderr, its end."""

    backend: str
    command: list[str]
    stdout: Transcript = field(default_factory=Transcript)
    stderr: Transcript = field(default_factory=Transcript)
    status: int | None = None  # the exit status (negative: killed by that signal)
    duration: float = 0.0

    def close(self) -> None:
        """Let go of both transcripts' spools."""
        self.stdout.close()
        self.stderr.close()


def backend_command(backend: str, python_target: Sequence[str], args: Sequence[str],
                    miniloop_options: Sequence[str] = ()) -> list[str]:
    """The command that runs the program on ``backend``.

    ``python_target`` is how plain python names it: ``["-m", "pkg.mod"]``
    or ``["prog.py"]``.
    """
    if backend == "asyncio":
        return [sys.executable, *python_target, *args]
    target = python_target[-1]  # python -m miniloop takes a module name or a path alike
    return [sys.executable, "-m", "miniloop", *miniloop_options, target, *args]


def environment_for(backend: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a run: unbuffered, UTF-8, and the backend named for compat."""
    env = dict(os.environ if base is None else base)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    env[BACKEND_ENV] = backend  # explicit, so an inherited value cannot mix them up
    return env


class _Recording:
    """A started process and the threads that note each line it prints."""

    def __init__(self, run: Run, env: Mapping[str, str]) -> None:
        self.run = run
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            run.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=dict(env))
        assert self.process.stdout is not None and self.process.stderr is not None
        self.readers = [
            threading.Thread(target=self._note_lines, args=(self.process.stdout, run.stdout),
                             daemon=True),
            threading.Thread(target=self._note_lines, args=(self.process.stderr, run.stderr),
                             daemon=True),
        ]
        for reader in self.readers:
            reader.start()

    def _note_lines(self, pipe: IO[bytes], into: Transcript) -> None:
        with pipe:
            for raw in iter(pipe.readline, b""):
                into.add(raw, time.monotonic() - self.started)

    def wait(self, deadline: float | None) -> None:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            self.run.status = self.process.wait(timeout)
        finally:
            self.run.duration = time.monotonic() - self.started
        for reader in self.readers:
            reader.join()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
            self.run.duration = time.monotonic() - self.started
        for reader in self.readers:
            reader.join()


def run_programs(runs: Sequence[Run], *, parallel: bool = True,
                 timeout: float | None = None) -> None:
    """Run each of ``runs`` (in parallel, or one after the other), filling them in.

    ``timeout`` bounds the whole lot (subprocess.TimeoutExpired when it
    passes). On a timeout or an interrupt (Ctrl-C), every process still running is
    killed before the exception goes on: no program is left behind.
    """
    recordings: list[_Recording] = []
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        if parallel:
            recordings = [_Recording(run, environment_for(run.backend)) for run in runs]
            for recording in recordings:
                recording.wait(deadline)
        else:
            for run in runs:
                recordings.append(_Recording(run, environment_for(run.backend)))
                recordings[-1].wait(deadline)
    finally:
        for recording in recordings:
            recording.kill()


def run_both(python_target: Sequence[str], args: Sequence[str], *, parallel: bool = True,
             timeout: float | None = None, miniloop_options: Sequence[str] = ()) -> tuple[Run, Run]:
    """Run the program on asyncio and on miniloop; return (asyncio run, miniloop run).

    RunsStopped if the timeout or Ctrl-C stopped them: it holds what they printed until then.
    """
    on_asyncio = Run("asyncio", backend_command("asyncio", python_target, args))
    on_miniloop = Run("miniloop", backend_command("miniloop", python_target, args,
                                                  miniloop_options))
    try:
        run_programs([on_asyncio, on_miniloop], parallel=parallel, timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        raise RunsStopped(BY_TIMEOUT, on_asyncio, on_miniloop) from expired
    except KeyboardInterrupt as interrupt:
        raise RunsStopped(BY_CTRL_C, on_asyncio, on_miniloop) from interrupt
    return on_asyncio, on_miniloop


BY_TIMEOUT = "the timeout"
BY_CTRL_C = "Ctrl-C"


class RunsStopped(Exception):
    """The runs were stopped before they ended; ``runs`` hold what they printed until then.

    ``why`` is BY_TIMEOUT or BY_CTRL_C.
    """

    def __init__(self, why: str, *runs: Run) -> None:
        super().__init__(f"the runs were stopped by {why}")
        self.why = why
        self.runs = runs
