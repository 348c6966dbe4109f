"""Observers: tools watch a loop through the moments it declares, and never patch it."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from collections import deque
from pathlib import Path
from typing import Any

import pytest

import miniloop
from miniloop.contract.watching import Observer, Observers, unwatch, watch
from miniloop.tools.describe import callback_name, task_name, task_stepped_by
from miniloop.tools.stepper import stepping
from miniloop.tools.trace import recording


def shadowed_methods(loop: Any) -> set[str]:
    """The names of the loop's own attributes that hide a method of its class."""
    return {name for name in vars(loop) if callable(getattr(type(loop), name, None))}


def observers_of(loop: Any) -> list[Observer]:
    observer = loop.observer
    if observer is None:
        return []
    return list(observer.observers) if isinstance(observer, Observers) else [observer]


def test_a_watched_loop_runs_the_methods_of_its_class() -> None:
    plain = miniloop.Loop()
    try:
        assert shadowed_methods(plain) == set()
        ready_type = type(plain._ready)
    finally:
        plain.close()
    with recording() as trace, stepping(io.StringIO("c\n"), io.StringIO()):
        loop = miniloop.Loop()
        try:
            kinds = {type(observer).__name__ for observer in observers_of(loop)}
            assert {"_LoopRecorder", "_PauseBeforeTurns"} <= kinds
            assert loop.run_until_complete(miniloop.sleep(0.001, "slept")) == "slept"
            assert trace.of_kind("finished")
            assert shadowed_methods(loop) == set()
            assert type(loop._ready) is ready_type is deque
        finally:
            loop.close()
    # The tools let go of the loop when their blocks end.
    assert observers_of(loop) == []


class Diary(Observer):
    """Writes down every moment, with what it is about in words."""

    def __init__(self, loop: Any) -> None:
        self.loop = loop
        self.origin = loop.time()
        self.moments: list[str] = []

    def note(self, moment: str, about: str = "") -> None:
        self.moments.append(f"{moment} {about}".strip())

    def turn_started(self) -> None:
        self.note("turn_started")

    def about_to_sleep(self, deadline: float | None) -> bool:
        self.note("about_to_sleep", "for IO" if deadline is None
                  else f"until {deadline - self.origin:.1f}")
        return False

    def timer_armed(self, timer: Any) -> None:
        self.note("timer_armed", f"at {timer.when() - self.origin:.1f}")

    def timer_cancelled(self, timer: Any) -> None:
        self.note("timer_cancelled", f"at {timer.when() - self.origin:.1f}")

    def scheduled(self, entry: Any) -> None:
        self.note("scheduled", entry_name(entry))

    def running(self, entry: Any) -> None:
        self.note("running", entry_name(entry))

    def ran(self, entry: Any) -> None:
        self.note("ran", entry_name(entry))

    def task_created(self, task: Any, coro: Any) -> None:
        self.note("task_created", task_name(task))

    def step_started(self, task: Any) -> None:
        self.note("step_started", task_name(task))

    def step_ended(self, task: Any) -> None:
        self.note("step_ended", task_name(task))


def entry_name(entry: Any) -> str:
    """A ready-queue entry in words, the same for both shapes of a task's step."""
    task = task_stepped_by(entry)
    if task is not None:
        return f"step of {task_name(task)}"  # a Handle calling _step/_wakeup, or the task
    kind = "timer" if hasattr(entry, "when") else "callback"
    return f"{kind} {callback_name(entry._callback)}"


@pytest.mark.parametrize("plain", [True, False], ids=["plain", "fast"])
def test_the_observer_sees_each_moment_in_order(plain: bool) -> None:
    async def child() -> str:
        await miniloop.sleep(1)
        return "child done"

    async def main() -> str:
        return await miniloop.create_task(child(), name="child")  # type: ignore[no-any-return]

    loop = miniloop.Loop(clock=miniloop.VirtualClock(), plain=plain)
    diary = Diary(loop)
    watch(loop, diary)
    try:
        assert loop.run_until_complete(loop.create_task(main(), name="main")) == "child done"
    finally:
        unwatch(loop, diary)
        loop.close()
    assert diary.moments == [
        "scheduled step of main", "task_created main",
        "turn_started",
        "running step of main", "step_started main",
        "scheduled step of child", "task_created child",  # created inside main's step
        "step_ended main", "ran step of main",
        "turn_started",
        "running step of child", "step_started child",
        "timer_armed at 1.0",  # the sleep
        "step_ended child", "ran step of child",
        "turn_started", "about_to_sleep until 1.0",
        "running timer set_result_unless_cancelled",  # it fired
        "scheduled step of child",  # the sleep is over: child is woken
        "ran timer set_result_unless_cancelled",
        "turn_started",
        "running step of child", "step_started child",
        "scheduled step of main",  # child returned: main is woken
        "step_ended child", "ran step of child",
        "turn_started",
        "running step of main", "step_started main",
        "scheduled callback _run_until_complete_cb",  # main returned: the loop may stop
        "step_ended main", "ran step of main",
        "turn_started",
        "running callback _run_until_complete_cb", "ran callback _run_until_complete_cb",
    ]


def test_trace_step_mode_and_the_deadlock_report_watch_one_loop_together(
        tmp_path: Path) -> None:
    program = tmp_path / "stuck.py"
    program.write_text(textwrap.dedent("""\
        import miniloop

        async def main():
            await miniloop.sleep(0)
            await miniloop.Event().wait()

        try:
            miniloop.run(main())
        except miniloop.DeadlockError as error:
            print("DeadlockError:", error)
    """), encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-m", "miniloop", "--step", "--trace",
                           "--virtual-time", str(program)], input="\n\nc\n",
                          capture_output=True, text=True, timeout=60, cwd=root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("DeadlockError: deadlock: Task-1 waits on Event.wait()")
    err = done.stderr
    # Step mode pauses before each turn, and the trace shows what the turn did...
    assert err.index("--- before turn 1") < err.index("Task-1 step 1 (first step)") \
        < err.index("--- before turn 2") < err.index("Task-1 step 2 (again after a bare yield)")
    # ...until the loop would sleep for ever: the report wakes the main task with the error.
    assert err.index("loop idle: nothing to run, waiting for IO or another thread") \
        < err.index("miniloop: deadlock. Every task is waiting") \
        < err.index("Task-1 failed: DeadlockError: deadlock: Task-1 waits on Event.wait()")
