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
hardly compete for the CPU. A program that writes to a fixed file, or
otherwise cannot share the machine with a twin, can be run one after the
other instead (``--sequential``).

Read next: ``compare.py``, which decides whether two runs said the same.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

from compat import BACKEND_ENV


@dataclass(frozen=True)
class Line:
    """One line a program printed, and when (seconds since it was started)."""

    time: float
    text: str


@dataclass
class Run:
    """Everything one process did: its command, its stdout and stderr, its end."""

    backend: str
    command: list[str]
    stdout: list[Line] = field(default_factory=list)
    stderr: list[Line] = field(default_factory=list)
    status: int | None = None  # the exit status (negative: killed by that signal)
    duration: float = 0.0

    @property
    def texts(self) -> list[str]:
        """The stdout lines, without their times."""
        return [line.text for line in self.stdout]

    @property
    def stderr_texts(self) -> list[str]:
        """The stderr lines, without their times."""
        return [line.text for line in self.stderr]


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

    def _note_lines(self, pipe: IO[bytes], into: list[Line]) -> None:
        with pipe:
            for raw in iter(pipe.readline, b""):
                arrived = time.monotonic() - self.started
                text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                into.append(Line(arrived, text))

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
    """Run the program on asyncio and on miniloop; return (asyncio run, miniloop run)."""
    on_asyncio = Run("asyncio", backend_command("asyncio", python_target, args))
    on_miniloop = Run("miniloop", backend_command("miniloop", python_target, args,
                                                  miniloop_options))
    try:
        run_programs([on_asyncio, on_miniloop], parallel=parallel, timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        raise RunsStopped(on_asyncio, on_miniloop) from expired
    return on_asyncio, on_miniloop


class RunsStopped(Exception):
    """The timeout stopped the runs; ``runs`` hold what they printed until then."""

    def __init__(self, *runs: Run) -> None:
        super().__init__("the runs were stopped by the timeout")
        self.runs = runs
