"""The trace: structured events first, then the text log and timeline drawn from them."""

from __future__ import annotations

import asyncio
import gc
import io
import itertools
import re
import socket
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

import miniloop
from miniloop.contract.watching import Observer, Observers, watch
from miniloop.tools.lanes import build_picture
from miniloop.tools.textlog import render_log
from miniloop.tools.timeline import render_timeline
from miniloop.tools.trace import KINDS, Trace, TraceEvent, _LoopRecorder, recording
from tests.differential.harness import Say, run_all, run_one
from tests.differential.test_virtual_time import countasync, timeouts_and_equal_deadlines

Main = Callable[[], Coroutine[Any, Any, Any]]


@pytest.fixture(autouse=True)
def tasks_numbered_from_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's tasks are Task-1, Task-2, ... whatever ran before it."""
    monkeypatch.setattr(miniloop.core.tasks, "task_numbers", itertools.count(1))


def trace_of(main: Main, *, runner: str = "miniloop") -> Trace:
    with miniloop.virtual_time(), recording() as trace:
        if runner == "miniloop":
            miniloop.run(main())
        else:
            asyncio.Runner(loop_factory=miniloop.Loop).run(main())
    assert trace.errors == []
    return trace


def texts(trace: Trace, *kinds: str) -> list[str]:
    return [event.text for event in trace.of_kind(*kinds)]


def count_program() -> Main:
    async def count() -> None:
        await miniloop.sleep(1)

    async def main() -> None:
        await miniloop.gather(count(), count(), count())

    return main


# --- the events ---------------------------------------------------------------------------


def test_every_event_kind_is_documented_and_events_are_in_order() -> None:
    trace = trace_of(count_program())
    assert {event.kind for event in trace.events} <= set(KINDS)
    seqs = [event.seq for event in trace.events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    times = [event.time for event in trace.events]
    assert times == sorted(times)


def test_tasks_are_created_by_whoever_ran_when_they_were_made() -> None:
    trace = trace_of(count_program())
    created = trace.of_kind("task-created")
    assert [(e.task, e.data["coro"], e.data["creator"]) for e in created[:4]] == [
        ("Task-1", "count_program.main()", "the program"),
        ("Task-2", "count_program.count()", "Task-1"),
        ("Task-3", "count_program.count()", "Task-1"),
        ("Task-4", "count_program.count()", "Task-1"),
    ]
    assert created[1].data["where"].startswith("tests/test_trace.py:")
    assert created[1].depth == 1  # it happened inside Task-1's step


def test_a_step_says_what_it_gave_back() -> None:
    trace = trace_of(count_program())
    waits = {event.task: event for event in trace.of_kind("waits")}
    assert waits["Task-1"].data["wait"] == "gather"
    assert waits["Task-1"].data["tasks"] == ["Task-2", "Task-3", "Task-4"]
    assert waits["Task-1"].data["label"] == "gather of 3 (Task-2, Task-3, Task-4)"
    assert waits["Task-2"].data["wait"] == "sleep"
    assert waits["Task-2"].data["until"] == 1.0
    assert waits["Task-2"].data["label"] == "sleep(1) until 1.000"
    assert "in count" in waits["Task-2"].data["where"]
    assert texts(trace, "finished")[:4] == [
        "Task-2 finished, returned None", "Task-3 finished, returned None",
        "Task-4 finished, returned None", "Task-1 finished, returned None"]


def test_steps_know_why_they_run_and_what_woke_them() -> None:
    trace = trace_of(count_program())
    steps = [(e.task, e.data["step"], e.data["reason"]) for e in trace.of_kind("step")][:8]
    assert steps == [
        ("Task-1", 1, "first step"),
        ("Task-2", 1, "first step"), ("Task-3", 1, "first step"), ("Task-4", 1, "first step"),
        ("Task-2", 2, "sleep(1) until 1.000 done"), ("Task-3", 2, "sleep(1) until 1.000 done"),
        ("Task-4", 2, "sleep(1) until 1.000 done"),
        ("Task-1", 2, "gather of 3 (Task-2, Task-3, Task-4) done"),
    ]
    by_seq = {event.seq: event for event in trace.events}
    woken = next(e for e in trace.of_kind("woken") if e.task == "Task-2")
    assert woken.data["by"] == "a timer"
    assert by_seq[woken.cause or 0].kind == "timer-fired"
    step_two = [e for e in trace.of_kind("step") if e.task == "Task-2"][1]
    assert step_two.cause == woken.seq
    main_woken = next(e for e in trace.of_kind("woken") if e.task == "Task-1")
    assert main_woken.data["by"] == "callback gather.child_done"


def test_timers_are_armed_fired_and_cancelled() -> None:
    async def main() -> None:
        await miniloop.sleep(2)
        try:
            await miniloop.wait_for(miniloop.sleep(10), 1)
        except TimeoutError:
            pass

    trace = trace_of(lambda: main())
    armed = trace.of_kind("timer-armed")
    assert [e.data["when"] for e in armed][:3] == [2.0, 3.0, 12.0]
    fired = trace.of_kind("timer-fired")
    assert fired[0].data["timer"] == "end of sleep for Task-1"
    assert fired[0].data["wakes"] == ["Task-1"]
    assert fired[0].cause == armed[0].seq
    cancelled = trace.of_kind("timer-cancelled")
    assert [e.data["when"] for e in cancelled] == [12.0]
    idle = trace.of_kind("idle")
    assert [e.data["until"] for e in idle][:2] == [2.0, 3.0]


def test_bare_yields_failures_and_cancellations_are_told_apart() -> None:
    async def polite() -> None:
        await miniloop.sleep(0)

    async def broken() -> None:
        raise ValueError("boom")

    async def sleepy() -> None:
        await miniloop.sleep(100)

    async def main() -> None:
        victim = miniloop.create_task(sleepy())
        await miniloop.gather(polite(), broken(), return_exceptions=True)
        victim.cancel()
        await asyncio.sleep(0)

    trace = trace_of(lambda: main())
    assert [e.task for e in trace.of_kind("yields")][:2] == ["Task-3", "Task-1"]
    assert texts(trace, "failed") == ["Task-4 failed: ValueError: boom"]
    assert texts(trace, "cancelled") == ["Task-2 cancelled"]
    woken = next(e for e in trace.of_kind("woken") if e.task == "Task-2")
    assert woken.data["outcome"] == "cancelled"


def test_primitives_and_asyncio_functions_are_named_by_what_they_are() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue: miniloop.Queue[int] = miniloop.Queue()
        lock = miniloop.Lock()
        event = asyncio.Event()

        async def consumer() -> None:
            await queue.get()

        async def locker() -> None:
            async with lock:
                pass

        async def reader(sock: socket.socket) -> None:
            await loop.sock_recv(sock, 1)

        left, right = socket.socketpair()
        left.setblocking(False)
        try:
            async with lock:
                tasks = [asyncio.create_task(consumer()), asyncio.create_task(locker()),
                         asyncio.create_task(event.wait()), asyncio.create_task(reader(left)),
                         asyncio.create_task(asyncio.to_thread(sum, [1, 2]))]
                await asyncio.sleep(1)
            queue.put_nowait(1)
            event.set()
            right.send(b"x")
            await asyncio.gather(*tasks)
        finally:
            left.close()
            right.close()

    trace = trace_of(lambda: main(), runner="asyncio")
    kinds = {e.task: e.data["wait"] for e in trace.of_kind("waits") if e.task != "Task-1"}
    assert kinds == {"Task-2": "queue get", "Task-3": "lock", "Task-4": "event",
                     "Task-5": "socket read", "Task-6": "thread"}
    labels = {e.task: e.data["label"] for e in trace.of_kind("waits")}
    assert labels["Task-2"] == "Queue.get() on 'queue' <Queue maxsize=0 _getters[1]>"
    assert labels["Task-3"] == "Lock.acquire() on 'lock' <Lock [locked, waiters:1]>"
    assert labels["Task-5"].startswith("sock_recv() on socket fd")
    main_waits = [e.data["label"] for e in trace.of_kind("waits") if e.task == "Task-1"]
    assert main_waits[0] == "sleep(1) until 1.000"
    assert trace.of_kind("io-watch") and trace.of_kind("io-ready")


def test_tasks_are_named_as_the_program_named_them_on_every_python() -> None:
    # On 3.11 and 3.12 asyncio names a task after making it: the trace
    # still records the name given, not the Task-N it had for a moment.
    async def worker(number: int, label: str, queue: object) -> None:
        await asyncio.sleep(0)

    async def main() -> None:
        first = asyncio.create_task(worker(1, "one", None), name="first")
        async with asyncio.TaskGroup() as group:
            group.create_task(worker(2, "two", asyncio.Queue()), name="in a group")
        await first

    trace = trace_of(main, runner="asyncio")
    created = trace.of_kind("task-created")
    assert [event.task for event in created][:3] == ["Task-1", "first", "in a group"]
    calls = [event.data["call"] for event in created][1:3]
    assert calls[0].endswith(".worker(1, 'one', None)")  # test_...python.worker: a local
    assert calls[1].endswith(".worker(2, 'two', …)")


def test_awaiting_a_task_names_the_task() -> None:
    async def child() -> int:
        await miniloop.sleep(1)
        return 7

    async def main() -> int:
        return await miniloop.create_task(child())  # type: ignore[no-any-return]

    trace = trace_of(lambda: main())
    first_wait = trace.of_kind("waits")[0]
    assert (first_wait.task, first_wait.data["wait"], first_wait.data["tasks"]) == (
        "Task-1", "task", ["Task-2"])
    assert texts(trace, "finished")[:2] == ["Task-2 finished, returned 7",
                                            "Task-1 finished, returned 7"]


def test_tracing_changes_nothing_a_program_can_see() -> None:
    plain = run_all(timeouts_and_equal_deadlines, clock_factory=miniloop.VirtualClock)
    with recording() as trace:
        traced = run_all(timeouts_and_equal_deadlines, clock_factory=miniloop.VirtualClock)
    assert traced.lines == plain.lines
    assert traced.same, traced.diff
    assert len(trace.task_keys()) > 10


async def failures_and_a_dropped_future(aio: Any, say: Say) -> None:
    loop = aio.get_running_loop()

    async def fails() -> None:
        await aio.sleep(0)
        raise ValueError("inner failed")

    try:
        await aio.shield(fails())
    except ValueError as exc:
        say("caught:", exc)
    doomed = loop.create_future()
    doomed.set_exception(KeyError("nobody listens"))
    say("returning with a failed future nobody looked at:", doomed.done())


def test_tracing_does_not_keep_a_failed_task_alive_longer() -> None:
    # The traceback of a failed step links back to the recorder's frames; had
    # they held the task, the dropped future would be reported late or never.
    gc.collect()
    gc.disable()  # only reference counting may free the future, as in an untraced run
    try:
        with recording():
            traced = run_all(failures_and_a_dropped_future)
    finally:
        gc.enable()
    assert traced.same, traced.diff
    assert traced["miniloop"][-1] == ("handler: Future exception was never retrieved "
                                      "KeyError('nobody listens')")


def test_odd_objects_get_plain_descriptions_and_never_break_the_program() -> None:
    class NoRepr:
        def __repr__(self) -> str:
            raise ValueError("no repr for you")

    seen: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.call_soon(lambda thing: seen.append(type(thing).__name__), NoRepr())
        await asyncio.sleep(0)

    trace = trace_of(lambda: main())
    assert seen == ["NoRepr"]
    assert any(e.data["callback"].endswith("(<NoRepr>)") for e in trace.of_kind("callback"))


def test_a_failing_log_stops_logging_but_not_the_program() -> None:
    class BrokenPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError("reader went away")

    with miniloop.virtual_time(), recording(log=BrokenPipe()) as trace:
        assert miniloop.run(count_program()()) is None
    assert len(trace.errors) == 1 and "BrokenPipeError" in trace.errors[0]
    assert trace.of_kind("finished")


def test_a_traced_loop_runs_the_methods_of_its_class() -> None:
    with recording() as trace:
        watched = miniloop.Loop()
        assert any(isinstance(observer, _LoopRecorder) for observer in observers_of(watched))
        watched.run_until_complete(miniloop.sleep(0))
        assert trace.events
        assert not {name for name in vars(watched) if callable(getattr(type(watched), name, None))}
        assert type(watched._ready) is deque
    try:
        # The recording ended: the loop no longer shows its moments to the trace.
        assert not any(isinstance(observer, _LoopRecorder) for observer in observers_of(watched))
        recorded = len(trace.events)
        watched.run_until_complete(miniloop.sleep(0))
        assert len(trace.events) == recorded
    finally:
        watched.close()


def test_a_trace_watches_beside_the_loop_s_other_observers() -> None:
    class Turns(Observer):
        count = 0

        def turn_started(self) -> None:
            self.count += 1

    loop = miniloop.Loop()
    turns, trace = Turns(), Trace()
    try:
        watch(loop, turns)
        trace.attach(loop)
        loop.run_until_complete(miniloop.sleep(0))
        assert turns.count == trace.turns > 0
        trace.detach_all()
        assert turns in observers_of(loop)
    finally:
        loop.close()


def observers_of(loop: Any) -> list[Observer]:
    observer = loop.observer
    if observer is None:
        return []
    return list(observer.observers) if isinstance(observer, Observers) else [observer]


class TaskAsItsOwnEntry(miniloop.Loop.task_class):  # type: ignore[misc,name-defined]
    """A task that goes back on the ready queue itself after a bare yield (the fast shape)."""

    __slots__ = ()

    def _park_on(self, result: Any) -> None:
        if result is not None:
            super()._park_on(result)
            return
        self._loop._ready.append(self)
        if self._loop.observer:
            self._loop.observer.scheduled(self)

    def _run(self) -> None:
        self._step()


class LoopOfTasksAsEntries(miniloop.Loop):  # type: ignore[misc]
    task_class = TaskAsItsOwnEntry


def test_a_task_that_is_its_own_ready_queue_entry_is_traced_the_same() -> None:
    async def polite(name: str) -> str:
        await miniloop.sleep(0)
        await miniloop.sleep(0.5)
        await miniloop.sleep(0)
        return name

    async def main() -> list[str]:
        return await miniloop.gather(polite("a"), polite("b"))

    def trace_on(loop_class: Any) -> list[str]:
        miniloop.core.tasks.task_numbers = itertools.count(1)
        with miniloop.virtual_time(), recording() as trace:
            loop = loop_class(plain=True)
            try:
                assert loop.run_until_complete(main()) == ["a", "b"]
            finally:
                loop.close()
        first = trace.events[0].seq
        return [f"{e.turn} {e.depth} {e.cause and e.cause - first} {e.text}"
                for e in trace.events]

    plain = trace_on(miniloop.Loop)
    assert trace_on(LoopOfTasksAsEntries) == plain
    assert sum("yields (a bare yield" in line for line in plain) == 4


def test_callbacks_scheduled_from_other_threads_are_recorded() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sum, [1, 2])

    trace = trace_of(lambda: main())
    assert any("from another thread" in e.text for e in trace.of_kind("callback-scheduled"))


# --- renderers over the events ---------------------------------------------------------------


def test_the_live_log_writes_one_line_per_event() -> None:
    stream = io.StringIO()
    with miniloop.virtual_time(), recording(log=stream) as trace:
        miniloop.run(count_program()())
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith(" turn      time  what happened")
    assert lines[1:] == render_log(trace.events).splitlines()[1:]
    assert "    2     0.000  Task-2 waits on sleep(1) until 1.000, at tests/test_trace.py:" \
        in "\n".join(lines)
    assert "    3     0.000  loop idle until 1.000 (next timer: end of sleep for Task-2)" in lines
    assert "    3     1.000  timer fired: end of sleep for Task-2" in lines
    assert "    3     1.000    Task-2 woken: sleep(1) until 1.000 done (by a timer)" in lines


def test_the_timeline_draws_a_lane_per_task() -> None:
    trace = trace_of(count_program())
    text = render_timeline(trace.events)
    lines = text.splitlines()
    assert lines[0].startswith("timeline: # step")
    lane = {line.split()[0]: line for line in lines if line.startswith(("Task-", "loop"))}
    assert set(lane) == {"Task-1", "Task-2", "Task-3", "Task-4", "Task-5", "Task-6", "loop"}
    assert "#-----" in lane["Task-2"] and "waited 1.000 s on sleep(1) until 1.000" in lane["Task-2"]
    assert "gather of 3" in lane["Task-1"] and lane["Task-1"].rstrip().count("#") == 2
    assert "T" in lane["loop"] and "~" in lane["loop"]
    time_row = next(line for line in lines if line.startswith("time (s)"))
    assert "0.000" in time_row and "1.000" in time_row


def test_the_picture_links_wakers_to_the_steps_they_woke() -> None:
    trace = trace_of(count_program())
    picture = build_picture(trace.events)
    by_seq: dict[int, TraceEvent] = {e.seq: e for e in trace.events}
    wakes = [(by_seq[a.source].kind, by_seq[a.target].task) for a in picture.arrows
             if a.kind == "wake"]
    assert ("timer-fired", "Task-2") in wakes
    assert ("callback", "Task-1") in wakes
    creates = {(by_seq[a.source].task, by_seq[a.target].task) for a in picture.arrows
               if a.kind == "create"}
    assert {("Task-1", "Task-2"), ("Task-1", "Task-3"), ("Task-1", "Task-4")} <= creates
    sleeping = [s for s in picture.lanes[1].stretches if s.state == "waiting"]
    assert [(s.label, s.start, s.end) for s in sleeping] == [("sleep(1) until 1.000", 0.0, 1.0)]
    assert any(picture.gaps)  # the one-second sleep gets a column of its own


def test_a_long_run_is_squeezed_into_the_width() -> None:
    async def main() -> None:
        for _ in range(500):
            await miniloop.sleep(0)

    text = render_timeline(trace_of(lambda: main()).events, width=100)
    assert "(squeezed: each column is" in text
    assert max(len(line) for line in text.splitlines() if line.startswith("Task-1")) < 140


def test_each_time_starts_under_the_turn_number_it_belongs_to() -> None:
    async def ticker(delay: float) -> None:
        for _ in range(40):
            await miniloop.sleep(delay)

    async def main() -> None:
        await miniloop.gather(ticker(0.001), ticker(0.0017), ticker(0.0023))

    lines = render_timeline(trace_of(main).events, width=100).splitlines()
    turns = next(line for line in lines if line.startswith("turn "))
    times = next(line for line in lines if line.startswith("time (s)"))
    starts = [match.start() for match in re.finditer(r"\d+\.\d{3}", times)]
    assert len(starts) > 3
    for start in starts:  # a number of the turn ruler starts right there
        assert turns[start].isdigit() and turns[start - 1] == " ", (turns, times)


def test_the_demo_transcript_is_untouched_by_tracing() -> None:
    with recording():
        traced = run_one(countasync, "miniloop", clock=miniloop.VirtualClock())
    assert traced == run_one(countasync, "asyncio")


# --- the command line ----------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parent.parent
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=120, cwd=root)


def test_trace_flag_logs_to_stderr_and_leaves_stdout_alone() -> None:
    plain = run_cli("-m", "miniloop", "--virtual-time", "demos.countasync")
    traced = run_cli("-m", "miniloop", "--virtual-time", "--trace", "demos.countasync")
    assert traced.returncode == plain.returncode == 0, traced.stderr
    assert traced.stdout == plain.stdout == (
        "One\nOne\nOne\nTwo\nTwo\nTwo\ncountasync.py executed in 1.00 seconds.\n")
    log = traced.stderr.splitlines()
    assert log[0].startswith(" turn      time  what happened (miniloop trace")
    assert any(line.startswith("    2     0.000  Task-2 waits on sleep(1) until 1.000, at "
                               "demos/countasync.py:") and line.endswith(" in count")
               for line in log)
    assert "    3     1.000  timer fired: end of sleep for Task-2" in log
    timeline = traced.stderr[traced.stderr.index("\ntimeline: "):]
    assert "Task-2 count()" in timeline and "waited 1.000 s on sleep(1) until 1.000" in timeline


def test_trace_to_writes_the_trace_to_a_file(tmp_path: Path) -> None:
    trace_file = tmp_path / "trace.txt"
    done = run_cli("-m", "miniloop", "--virtual-time", "--trace-to", str(trace_file),
                   "demos.countasync")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    text = trace_file.read_text(encoding="utf-8")
    assert "Task-1 waits on gather of 3 (Task-2, Task-3, Task-4)" in text
    assert "\ntimeline: # step" in text


def test_compat_trace_shows_the_timeline_under_the_transcripts() -> None:
    done = run_cli("-m", "compat", "--trace", "demos.countasync", "--speed", "20")
    assert done.returncode == 0, done.stdout + done.stderr
    report = done.stdout
    assert "same output: 7 lines, in the same order" in report
    after = report[report.index("miniloop's run, as its trace drew it:"):]
    assert "timeline: # step" in after
    assert [line.split()[0] for line in after.splitlines()[4:11]] == [
        "Task-1", "Task-2", "Task-3", "Task-4", "Task-5", "Task-6", "loop"]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are 3.12+")
def test_eager_tasks_are_recorded_with_their_first_step() -> None:
    async def quick() -> int:
        return 1

    async def slow() -> int:
        await asyncio.sleep(1)
        return 2

    async def main() -> list[int]:
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
        first, second = asyncio.create_task(quick()), asyncio.create_task(slow())
        return [await first, await second]

    trace = trace_of(lambda: main(), runner="asyncio")
    created = [e for e in trace.of_kind("task-created") if e.data["creator"] == "Task-1"]
    assert [e.data["coro"] for e in created] == ["test_eager_tasks_are_recorded_with_their_"
                                                 "first_step.quick()",
                                                 "test_eager_tasks_are_recorded_with_their_"
                                                 "first_step.slow()"]
    assert all("created eagerly by Task-1" in e.text for e in created)
    eager_steps = [e for e in trace.of_kind("step") if e.data["reason"] == "eager first step"]
    assert [e.task for e in eager_steps] == [e.task for e in created]
    slow_task = created[1].task
    assert [e.data["step"] for e in trace.for_task(slow_task) if e.kind == "step"] == [1, 2]
    assert [e.kind for e in trace.for_task(created[0].task)][-1] == "finished"


@pytest.mark.parametrize("plain", [True, False], ids=["plain", "fast"])
def test_a_first_step_taken_inside_the_creator_s_step_is_nested_under_it(plain: bool) -> None:
    # What an eager task does (3.12+), on any Python: the first step runs in create_task.
    base: Any = miniloop.Loop if plain else miniloop.assembly.FastLoop

    class StartsAtOnce(base.task_class):  # type: ignore[misc,name-defined]
        __slots__ = ()

        def _start(self) -> None:
            loop = self._loop
            if not loop.is_running():
                super()._start()
                return
            creator = asyncio.current_task(loop)
            asyncio.tasks._leave_task(loop, creator)
            try:
                self._run() if hasattr(self, "_run") else self._step()
            finally:
                asyncio.tasks._enter_task(loop, creator)
            if not self.done():
                miniloop.core.events.register_task(self)

    class LoopOfEagerTasks(base):  # type: ignore[misc,valid-type]
        task_class = StartsAtOnce

    async def quick() -> int:
        return 1

    async def slow() -> int:
        await miniloop.sleep(1)
        return 2

    async def main() -> list[int]:
        first, second = miniloop.create_task(quick()), miniloop.create_task(slow())
        return [await first, await second]

    with recording() as trace:
        loop = LoopOfEagerTasks(clock=miniloop.VirtualClock())
        try:
            assert loop.run_until_complete(main()) == [1, 2]
        finally:
            loop.close()
    lines = [f"{event.turn} {'  ' * event.depth}{event.text.split(', at ')[0]}"
             for event in trace.events if event.turn == 1]
    assert lines == [
        "1 Task-1 step 1 (first step)",
        "1   Task-2 test_a_first_step_taken_inside_the_creator_s_step_is_nested_under_it"
        ".quick() created eagerly by Task-1",
        "1   Task-2 step 1 (eager: it ran at once, inside Task-1's step)",
        "1   Task-2 finished, returned 1",
        "1   Task-3 test_a_first_step_taken_inside_the_creator_s_step_is_nested_under_it"
        ".slow() created eagerly by Task-1",
        "1   Task-3 step 1 (eager: it ran at once, inside Task-1's step)",
        "1   timer armed for 1.000: end of sleep",
        "1   Task-3 waits on sleep(1) until 1.000",
        "1 Task-1 waits on Task-3 test_a_first_step_taken_inside_the_creator_s_step_is_nested_"
        "under_it.slow()",
    ]
    assert [e.data["step"] for e in trace.for_task("Task-3") if e.kind == "step"] == [1, 2]
    eager_step = next(e for e in trace.of_kind("step") if e.task == "Task-2")
    assert eager_step.cause == trace.of_kind("step")[0].seq  # caused by Task-1's step


def test_a_cancelled_handle_is_described_without_its_dropped_arguments() -> None:
    from miniloop.tools.describe import describe_callback

    loop = miniloop.Loop()
    try:
        handle = loop.call_soon(print, "hello")
        handle.cancel()  # drops callback and arguments, as asyncio's handles do
        assert describe_callback(print, handle._args) == "print()"
        assert describe_callback(print, ("hello",)) == "print('hello')"
    finally:
        loop.close()
