"""Replaying a trace: the loop's state before each turn, rebuilt afterwards,
is the state step mode shows live before that turn."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

import miniloop
from demos import asyncq, countasync
from miniloop.tools.replay import replay
from miniloop.tools.stepper import stepping
from miniloop.tools.trace import Trace, recording


@pytest.fixture(autouse=True)
def tasks_numbered_from_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(miniloop.core.tasks, "task_numbers", itertools.count(1))


def stepped_and_traced(main: Callable[[], Coroutine[Any, Any, Any]]) -> tuple[str, Trace]:
    out = io.StringIO()
    with miniloop.virtual_time(), recording() as trace, stepping(io.StringIO("\n" * 5000), out):
        miniloop.run(main())
    return out.getvalue(), trace


def live_states(output: str) -> dict[int, tuple[int, int]]:
    """Turn -> (ready entries, live timers), as step mode printed them."""
    states = {}
    for block in output.split("--- before turn ")[1:]:
        turn = int(block.split()[0])
        ready = re.search(r"ready \((\d+)\)", block)
        timers = re.search(r"timers \((\d+)\)", block)
        assert ready and timers
        states[turn] = (int(ready.group(1)), int(timers.group(1)))
    return states


@pytest.mark.parametrize("main", [lambda: countasync.main(1), lambda: asyncq.main(3, 2, 5, 0.1)],
                         ids=["countasync", "asyncq"])
def test_the_replayed_queue_and_timers_are_what_step_mode_showed(
        main: Callable[[], Coroutine[Any, Any, Any]]) -> None:
    output, trace = stepped_and_traced(main)
    history = replay(trace.events)
    live = live_states(output)
    assert len(live) > 5
    replayed = {turn: (len(history.ready_before(turn)), len(history.timers_before(turn)))
                for turn in live}
    assert replayed == live


def test_task_states_say_what_each_task_waits_on_and_where() -> None:
    _, trace = stepped_and_traced(lambda: countasync.main(1))
    states = replay(trace.events).task_states_before(3)
    assert {key: state.state for key, state in states.items()} == {
        "Task-1": "waiting", "Task-2": "waiting", "Task-3": "waiting", "Task-4": "waiting"}
    assert states["Task-2"].label == "sleep(1) until 1.000"
    assert states["Task-2"].where == "demos/countasync.py:30 in count"
    later = replay(trace.events).task_states_before(5)
    assert later["Task-2"].state == "done" and later["Task-1"].state == "waiting"
