"""Step mode: the loop's state before each turn, driven by commands on a stream."""

from __future__ import annotations

import io
import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest

import miniloop
from miniloop.tools.stepper import HELP, QUIT_STATUS, StepQuit, stepping
from miniloop.tools.trace import recording


@pytest.fixture(autouse=True)
def tasks_numbered_from_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(miniloop.core.tasks, "task_numbers", itertools.count(1))


async def count() -> None:
    await miniloop.sleep(1)


async def main() -> str:
    await miniloop.gather(count(), count(), count())
    return "done"


def step_through(commands: str) -> tuple[str, object]:
    out = io.StringIO()
    with miniloop.virtual_time(), stepping(io.StringIO(commands), out):
        try:
            result: object = miniloop.run(main())
        except SystemExit as exit_request:
            result = exit_request
    return out.getvalue(), result


def states(output: str) -> list[str]:
    """The state blocks printed before each turn (without the prompts)."""
    blocks = output.split("--- before turn ")[1:]
    return [block.split("step> ")[0] for block in blocks]


def test_enter_runs_one_turn_and_shows_the_queue_timers_and_io() -> None:
    output, result = step_through("\n\n\n")
    assert result == "done"  # at the end of the commands it carries on
    first, second, third = states(output)[:3]
    assert first.splitlines() == [
        "1 · loop time 0.000 ------------------------------",
        "ready (1), run in this order:",
        "  1. Task-1 main(): first step",
        "timers (0): none",
        "io: nothing watched (besides the loop's own wake-up pipe)",
    ]
    assert "ready (3), run in this order:\n  1. Task-2 count(): first step" in second
    assert third.splitlines()[1:5] == [
        "ready (0): nothing",
        "timers (3), soonest first:",
        "      1.000 (in 1.000 s)  end of sleep for Task-2",
        "      1.000 (in 1.000 s)  end of sleep for Task-3",
    ]
    assert output.rstrip().endswith("(end of input: continuing to the end)")
    assert output.count("step> ") == 4  # three Enters, then the end of input


def test_numbers_skip_turns_and_c_runs_to_the_end() -> None:
    output, result = step_through("3\nc\n")
    assert result == "done"
    assert [block.split(" ")[0] for block in states(output)] == ["1", "4"]
    assert "Task-2 count(): sleep(1) until 1.000 is done" in states(output)[1]


def test_t_lists_the_tasks_and_h_shows_help() -> None:
    output, _ = step_through("\n\nt\nh\nwhat\nc\n")
    assert "tasks (4):\n  Task-1 main(): waits on gather of 3 (Task-2, Task-3, Task-4)" in output
    assert "  Task-2 count(): waits on sleep(1) until 1.000, at tests/test_stepper.py:" in output
    assert HELP in output
    assert "unknown command 'what'" in output


def test_t_says_a_woken_task_is_ready_not_waiting() -> None:
    # Before turn 4 the sleeps have ended: the counts are on the ready queue.
    output, _ = step_through("\n\n\nt\nc\n")
    assert ("  Task-2 count(): ready to run (sleep(1) until 1.000 is done), "
            "at tests/test_stepper.py:") in output


def test_t_shows_loop_time_as_the_state_does_on_a_real_clock() -> None:
    async def nap() -> None:
        await miniloop.sleep(0.05)

    out = io.StringIO()
    with stepping(io.StringIO("\nt\nc\n"), out):
        miniloop.run(nap())
    turn_two = out.getvalue().split("--- before turn ")[2]
    state, listing = turn_two.split("tasks (1):")
    assert re.search(r"\n +0\.05\d \(in 0\.0\d\d s\)  end of sleep for Task-1", state)
    assert re.search(r"Task-1 .*nap\(\): waits on sleep\(0\.05\) until 0\.05\d, at ", listing)


def test_q_quits_with_its_own_status_and_cleans_up() -> None:
    cleaned: list[str] = []

    async def careful() -> None:
        try:
            await miniloop.sleep(10)
        finally:
            cleaned.append("finally ran")

    out = io.StringIO()
    with miniloop.virtual_time(), stepping(io.StringIO("\n\nq\n"), out):
        with pytest.raises(StepQuit) as quitting:
            miniloop.run(careful())
    assert quitting.value.code == QUIT_STATUS == 3
    assert cleaned == ["finally ran"]
    assert "quitting at turn 3: cancelling the program's tasks" in out.getvalue()


def test_step_mode_wraps_a_traced_turn() -> None:
    out = io.StringIO()
    with miniloop.virtual_time(), stepping(io.StringIO("\n\nc\n"), out), recording() as trace:
        assert miniloop.run(main()) == "done"
    assert trace.of_kind("finished")
    assert len(states(out.getvalue())) == 3  # Enter, Enter, c


# --- driven through a pipe, from the command line ----------------------------------------------


def run_stepping(commands: str, *options: str) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parent.parent
    return subprocess.run([sys.executable, "-m", "miniloop", "--step", *options,
                           "demos.countasync"], input=commands, capture_output=True,
                          text=True, timeout=120, cwd=root)


def test_a_pipe_drives_step_mode_to_the_end() -> None:
    done = run_stepping("\n\nt\nc\n", "--virtual-time")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("One\nOne\nOne\nTwo\nTwo\nTwo\n"
                           "countasync.py executed in 1.00 seconds.\n")
    assert [block.split(" ")[0] for block in states(done.stderr)] == ["1", "2", "3"]
    assert "timers (3), soonest first:" in states(done.stderr)[2]
    assert "Task-2 count(): waits on sleep(1) until 1.000, at demos/countasync.py:" \
        in done.stderr


def test_q_on_the_pipe_exits_with_status_3() -> None:
    done = run_stepping("\nq\n")
    assert done.returncode == QUIT_STATUS
    assert done.stdout == ""  # stopped before count() printed anything
    assert "quitting at turn 2" in done.stderr


def test_step_and_trace_together_show_state_then_the_turn() -> None:
    done = run_stepping("\nc\n", "--virtual-time", "--trace")
    assert done.returncode == 0, done.stderr
    err = done.stderr
    assert err.index("--- before turn 1") < err.index("Task-1 step 1 (first step)") \
        < err.index("--- before turn 2")
