"""fast/: the paths that asyncio's own gather, Queue and sleep take on our loop.

Each speed-up of round two (issue 15) is pinned here against the plain
version: the same transcript on the plain loop and the fast one, and,
where the fast path makes an object in its own way, the same object.

    create_task, create_future   every field, as Task() and Future() set them
    a lone done callback         kept as its (callback, context) pair
    done/cancelled/result/...    the same answers and errors in every state
    set_result                   a lone parked task wakes in the same place
    the turn                     epoll asked directly: the same IO events
"""

from __future__ import annotations

import asyncio
import contextvars
import types
from collections.abc import Callable, Coroutine, Generator
from typing import Any

import pytest

import miniloop
from miniloop.assembly import FastLoop
from miniloop.contract import objects
from miniloop.contract.watching import Observer, watch
from miniloop.fast import futures as fast
from miniloop.fast import loop as fast_loop
from tests.fast_checks import (
    Program,
    assert_same_on,
    plain_loop,
    skip_in_plain_mode,
    slot_values,
    socket_pair_with_a_reader,
    transcript,
)

pytestmark = skip_in_plain_mode

PLAIN_AND_FAST = {"plain": plain_loop, "fast": FastLoop}


def assert_same_on_both(program: Program, *, real_time: bool = False) -> list[str]:
    """The transcript of ``program`` on a plain loop, checked equal to a fast loop's."""
    return assert_same_on(PLAIN_AND_FAST, program, real_time=real_time)


# --- objects made in one frame -------------------------------------------------------------


def test_create_task_makes_the_task_task_init_makes() -> None:
    loop = miniloop.Loop()

    async def nothing() -> None:
        pass

    try:
        context = contextvars.copy_context()
        made = loop.create_task(nothing(), name="made", context=context)
        built = fast.Task(nothing(), loop=loop, name="built", context=context)
        assert type(made) is type(built) is fast.Task
        mine, theirs = slot_values(made), slot_values(built)
        assert mine.pop("_coro") is not theirs.pop("_coro")
        assert (mine.pop("_name"), theirs.pop("_name")) == ("made", "built")
        assert mine == theirs
        assert list(loop._ready) == [made, built]  # each its own first ready entry
        assert made in asyncio.all_tasks(loop) and built in asyncio.all_tasks(loop)
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()


def test_create_future_makes_the_future_future_init_makes() -> None:
    loop = miniloop.Loop()
    try:
        made, built = loop.create_future(), fast.Future(loop=loop)
        assert type(made) is type(built) is fast.Future
        assert slot_values(made) == slot_values(built)
        loop.set_debug(True)  # debug mode: the plain steps, which remember the origin
        assert loop.create_future()._source_traceback
    finally:
        loop.close()


# --- asyncio's gather and Queue on our loop -----------------------------------------------------


async def asyncio_gather_and_queue(say: Callable[[str], None]) -> Any:
    async def child(i: int) -> int:
        if i == 3:
            raise ValueError("three")
        await asyncio.sleep(0)
        return i * i

    say(repr(await asyncio.gather(*[child(i) for i in range(3)])))
    say(repr(await asyncio.gather(child(1), child(3), return_exceptions=True)))
    try:
        await asyncio.gather(child(2), child(3))
    except ValueError as exc:
        say(f"gather raised {exc!r}")
    queue: asyncio.Queue[int | None] = asyncio.Queue(maxsize=2)

    async def consume(name: str) -> None:
        while (item := await queue.get()) is not None:
            say(f"{name} got {item}")

    consumers = [asyncio.create_task(consume(f"c{i}")) for i in range(3)]
    for item in range(8):
        await queue.put(item)
    for _ in consumers:
        await queue.put(None)
    await asyncio.gather(*consumers)
    return "done"


def test_asyncio_s_gather_and_queue_run_the_same_on_the_fast_loop() -> None:
    lines = assert_same_on_both(asyncio_gather_and_queue)
    assert lines[-1] == "returned 'done'" and "c0 got 0" in lines


async def done_callbacks(say: Callable[[str], None]) -> Any:
    loop = asyncio.get_running_loop()
    variable: contextvars.ContextVar[str] = contextvars.ContextVar("variable", default="-")

    def report(name: str) -> Callable[[Any], None]:
        def callback(future: Any) -> None:
            say(f"{name}: {future.result()!r} in {variable.get()}")
        return callback

    lone = loop.create_future()
    variable.set("outer")
    lone.add_done_callback(report("lone"))
    say(f"lone registered: {len(lone._callbacks)}")
    lone.set_result(1)
    pair = loop.create_future()
    first, second = report("first"), report("second")
    pair.add_done_callback(first)
    own = contextvars.Context()
    own.run(variable.set, "own")
    pair.add_done_callback(second, context=own)
    pair.add_done_callback(first)
    say(f"removed {pair.remove_done_callback(first)}, left {len(pair._callbacks)}")
    pair.set_result(2)
    removed = loop.create_future()
    removed.add_done_callback(first)
    say(f"removed {removed.remove_done_callback(second)} then "
        f"{removed.remove_done_callback(first)}")
    removed.set_result(3)
    done_already = loop.create_future()
    done_already.set_result(4)
    done_already.add_done_callback(report("late"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    return "done"


def test_a_lone_done_callback_runs_as_the_plain_one_does() -> None:
    assert assert_same_on_both(done_callbacks) == [
        "lone registered: 1", "removed 2, left 1", "removed 0 then 1",
        "lone: 1 in outer", "second: 2 in own", "late: 4 in outer", "returned 'done'"]


def test_a_lone_done_callback_is_kept_as_its_pair() -> None:
    loop = miniloop.Loop()
    try:
        future = loop.create_future()
        context = contextvars.copy_context()
        future.add_done_callback(print, context=context)
        assert future._waiting == (print, context)  # no list
        assert future._callbacks == [(print, context)]
        future.add_done_callback(repr, context=context)
        assert future._waiting == [(print, context), (repr, context)]
    finally:
        loop.close()


# --- reading and filling a future ---------------------------------------------------------------


def outcomes(future: Any) -> list[str]:
    """What each reading method says about ``future``, as text."""
    seen = []
    for method in ("done", "cancelled", "exception", "result"):
        try:
            seen.append(f"{method} -> {getattr(future, method)()!r}")
        except BaseException as exc:
            seen.append(f"{method} raises {exc!r}")
    return [*seen, f"log_tb {future._log_tb}"]


@pytest.mark.parametrize("state", ["pending", "result", "exception", "cancelled"])
def test_reading_a_future_answers_as_the_plain_one(state: str) -> None:
    answers = []
    for plain in (True, False):
        loop = miniloop.Loop(plain=plain)
        try:
            future = loop.create_future()
            task_like = {"result": lambda f: f.set_result(7),
                         "exception": lambda f: f.set_exception(KeyError("k")),
                         "cancelled": lambda f: f.cancel("why"),
                         "pending": lambda f: None}[state]
            task_like(future)
            answers.append(outcomes(future))
        finally:
            loop.close()
    assert answers[0] == answers[1]


def test_a_failed_future_s_result_raises_with_the_traceback_it_came_with() -> None:
    names = []
    for plain in (True, False):
        loop = miniloop.Loop(plain=plain)
        try:
            future = loop.create_future()
            try:
                raise ValueError("stored")
            except ValueError as exc:
                future.set_exception(exc)
            for _ in range(2):  # the traceback does not grow at each reading
                with pytest.raises(ValueError) as raised:
                    future.result()
                names.append([frame.f_code.co_name for frame in _frames(raised.value)])
            assert future._log_tb is False
        finally:
            loop.close()
    assert names[0] == names[1] == names[2] == names[3]
    assert names[0][1] == "result"  # one frame of the future's, as the plain one shows


def _frames(exc: BaseException) -> Any:
    tb = exc.__traceback__
    while tb is not None:
        yield tb.tb_frame
        tb = tb.tb_next


def test_a_task_still_refuses_set_result() -> None:
    loop = miniloop.Loop()

    async def nothing() -> None:
        pass

    try:
        task = loop.create_task(nothing())
        with pytest.raises(RuntimeError, match="Task does not support set_result"):
            task.set_result(1)
        loop.run_until_complete(task)
    finally:
        loop.close()


async def woken_in_order(say: Callable[[str], None]) -> Any:
    loop = asyncio.get_running_loop()
    futures = [loop.create_future() for _ in range(3)]

    async def wait(i: int) -> None:
        say(f"{i} woke with {await futures[i]!r}")

    async def tick() -> None:
        for turn in range(3):
            say(f"tick {turn}")
            await asyncio.sleep(0)

    tasks = [asyncio.create_task(wait(i)) for i in range(3)]
    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)
    futures[2].set_result("c")
    loop.call_soon(say, "a callback between")
    futures[0].set_result("a")
    futures[1].add_done_callback(lambda f: say("a done callback"))  # a pair: the plain steps
    futures[1].set_result("b")
    await asyncio.gather(*tasks, ticker)
    return "done"


def test_set_result_wakes_a_lone_parked_task_where_the_plain_one_does() -> None:
    lines = assert_same_on_both(woken_in_order)
    assert lines.index("2 woke with 'c'") < lines.index("a callback between")


# --- the turn -----------------------------------------------------------------------------


async def io_and_callbacks(say: Callable[[str], None]) -> Any:
    left, right, got = socket_pair_with_a_reader(say)

    async def busy() -> None:
        for turn in range(3):
            say(f"busy {turn}")
            await asyncio.sleep(0)

    task = asyncio.create_task(busy())
    right.send(b"ping")
    await got
    await task
    _reader, writer = await asyncio.open_connection(sock=right)
    writer.write(b"pong")
    say(f"echoed {left.recv(10)!r}")
    writer.close()
    left.close()
    await asyncio.sleep(0.001)  # a timer due by the next look: the poll without sleeping
    return "done"


def test_the_turn_s_direct_epoll_sees_the_io_the_selector_does() -> None:
    if fast_loop._EPOLL_SELECTOR is None:
        pytest.skip("no epoll here")
    loop = miniloop.Loop()
    loop.close()
    assert type(loop._selector) is fast_loop._EPOLL_SELECTOR  # the direct path is taken
    lines = assert_same_on_both(io_and_callbacks, real_time=True)
    assert lines[-1] == "returned 'done'" and "read b'ping'" in lines


# How epoll's own answer is read (as select() reads it): tests/test_fast_readiness.py.


def test_a_watched_loop_takes_the_plain_turn() -> None:
    loop = miniloop.Loop()
    try:
        assert isinstance(loop, fast_loop.FastLoopMixin)
        seen = []

        class Watcher:
            def __getattr__(self, moment: str) -> Any:
                return lambda *args: seen.append(moment) and False

        loop.observer = Watcher()
        loop.call_soon(lambda: None)
        loop._run_once()
        assert "turn_started" in seen and "running" in seen
    finally:
        loop.observer = None
        loop.close()


class StepWatcher(Observer):
    """Writes down the moments of tasks' steps, by task name."""

    def __init__(self, said: Callable[[str], None]) -> None:
        self.said = said

    def scheduled(self, entry: Any) -> None:
        # The plain loop schedules a Handle of task._step, the fast one the task.
        task = getattr(getattr(entry, "_callback", None), "__self__", entry)
        if isinstance(task, asyncio.Task):
            self.said(f"scheduled {name_of(task)}")

    def step_started(self, task: Any) -> None:
        self.said(f"step of {name_of(task)} (current: {asyncio.current_task() is task}, "
                  f"context: {which.get()})")

    def step_ended(self, task: Any) -> None:
        self.said(f"stepped {name_of(task)} (done: {task.done()})")


def name_of(task: Any) -> str:
    name: str = task.get_name()
    return "main" if name.startswith("Task-") else name  # numbered in the order of the process


which: contextvars.ContextVar[str] = contextvars.ContextVar("which", default="none")


async def watched_tasks(say: Callable[[str], None]) -> str:
    # Watched from here on: the steps of the scene are all seen from their start.
    watch(asyncio.get_running_loop(), StepWatcher(say))
    return await asyncio.create_task(scene_of_steps(), name="scene")


async def scene_of_steps() -> str:
    loop = asyncio.get_running_loop()
    blocker = loop.create_future()

    async def spins() -> None:
        which.set("spins")
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    async def fails() -> None:
        await asyncio.sleep(0)
        raise ValueError("no")

    async def waits() -> None:
        await blocker

    first, second, third = (asyncio.create_task(coro(), name=coro.__name__)
                            for coro in (spins, fails, waits))
    await asyncio.sleep(0)
    third.cancel("enough")
    results = await asyncio.gather(first, second, third, return_exceptions=True)
    return repr(results)


def test_a_watched_fast_loop_tells_the_observer_what_the_plain_one_does() -> None:
    # The fast step asks once whether anyone watches; if so, the plain step
    # runs and tells the observer every moment, in the task's context.
    lines = assert_same_on_both(watched_tasks)
    assert "step of spins (current: True, context: spins)" in lines
    assert "stepped fails (done: True)" in lines
    assert "scheduled spins" in lines
    assert lines[-1] == "returned \"[None, ValueError('no'), CancelledError('')]\""


def test_the_fast_handle_is_the_contract_s() -> None:
    assert fast.Handle is objects.Handle


# --- coroutines of other kinds: their steps send through their own method ---------------------


class Countdown(Coroutine[Any, Any, str]):
    """A coroutine written as a class: CoroutineType.send would refuse it."""

    def __init__(self, say: Callable[[str], None], steps: int) -> None:
        self.say, self.left = say, steps

    def send(self, value: Any) -> Any:
        if self.left == 0:
            raise StopIteration("counted down")
        self.say(f"countdown {self.left}")
        self.left -= 1
        return None  # a bare yield: step again next turn

    def throw(self, *error: Any) -> Any:
        self.say(f"countdown got {error[-1] if len(error) > 1 else error[0]!r}")
        raise StopIteration("stopped")

    def close(self) -> None:
        pass

    def __await__(self) -> Any:
        return self


@types.coroutine
def old_style(say: Callable[[str], None]) -> Generator[Any, Any, str]:
    say("old style starts")
    yield
    say("old style ends")
    return "generator"


async def other_kinds(say: Callable[[str], None]) -> list[str]:
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(Countdown(say, 3)), loop.create_task(old_style(say)),
             loop.create_task(Countdown(say, 5))]
    say(" ".join(type(task).__name__ for task in tasks))
    await asyncio.sleep(0)
    tasks[2].cancel("no more")
    return await asyncio.gather(*tasks)


def test_tasks_driving_other_kinds_of_coroutine_step_as_on_the_plain_loop() -> None:
    lines = assert_same_on_both(other_kinds)
    assert lines[0] == "Task Task Task"
    assert "countdown got CancelledError('no more')" in lines
    assert lines[-1] == "returned ['counted down', 'generator', 'stopped']"


def test_only_a_task_of_another_kind_of_coroutine_changes_class() -> None:
    loop = miniloop.Loop()
    try:
        native = loop.create_task(asyncio.sleep(0))
        other = fast.Task(Countdown(lambda line: None, 1), loop=loop)
        assert type(native) is fast.Task
        assert type(other) is not fast.Task and isinstance(other, fast.Task)
        assert type(other).__name__ == "Task" and repr(other).startswith("<Task pending")
        loop.run_until_complete(asyncio.gather(native, other))
        assert other.result() == "counted down"
    finally:
        loop.close()


# --- the current task: asyncio's registry written directly ---------------------------------


async def steps_and_their_current_task(say: Callable[[str], None]) -> None:
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()

    def between_steps() -> None:
        say(f"between steps: {asyncio.current_task()}")

    async def worker(name: str) -> None:
        for step in range(2):
            say(f"{name} step {step}: {asyncio.current_task().get_name()}")  # type: ignore[union-attr]
            loop.call_soon(between_steps)
            await asyncio.sleep(0)

    await asyncio.gather(*(asyncio.create_task(worker(name), name=name) for name in "ab"))
    say(f"main is current: {asyncio.current_task() is main}")


async def a_step_while_another_task_is_current(say: Callable[[str], None]) -> None:
    loop = asyncio.get_running_loop()
    # (The stuck task's "destroyed but pending" comes when the collector
    # finds it, which differs between the loops: only the errors are said.)
    loop.set_exception_handler(lambda _, context: "exception" in context and say(
        f"handler: {context['exception']!r}"))
    intruder = "intruder"

    async def victim() -> None:
        say("victim ran")

    def enter_intruder() -> None:
        asyncio.tasks._enter_task(loop, intruder)  # type: ignore[attr-defined]

    def leave_intruder() -> None:
        asyncio.tasks._leave_task(loop, intruder)  # type: ignore[attr-defined]

    loop.call_soon(enter_intruder)
    task = loop.create_task(victim(), name="victim")  # its step comes after enter_intruder
    loop.call_soon(leave_intruder)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    say(f"victim done: {task.done()}")  # its one scheduled step failed: stuck, as in asyncio
    task.get_coro().close()  # type: ignore[union-attr]  # (no "never awaited" warning)


async def a_step_that_leaves_itself(say: Callable[[str], None]) -> None:
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    loop.set_exception_handler(lambda _, context: say(f"handler: {context.get('exception')!r}"))

    async def leaver() -> None:
        asyncio.tasks._leave_task(loop, asyncio.current_task())  # type: ignore[attr-defined,arg-type]
        say("left the registry by hand")

    task = loop.create_task(leaver(), name="leaver")
    try:
        await task
    except BaseException as exc:  # whatever happens is the transcript
        say(f"await task: {exc!r}")
    say(f"current after: {asyncio.current_task() is main}")


REGISTRY_PROGRAMS = [steps_and_their_current_task, a_step_while_another_task_is_current,
                     a_step_that_leaves_itself]


@pytest.mark.parametrize("program", REGISTRY_PROGRAMS, ids=lambda p: p.__name__)
def test_a_step_registers_its_task_as_the_plain_one_does(program: Program) -> None:
    lines = assert_same_on_both(program)
    assert lines[-1].startswith("returned")


def test_the_registry_written_directly_is_the_one_current_task_reads() -> None:
    # Python 3.11-3.13 keep it in a dict; the step then writes it itself.
    assert type(fast._CURRENT_TASKS) is dict
    assert fast._CURRENT_TASKS is asyncio.tasks._current_tasks  # type: ignore[attr-defined]


@pytest.mark.parametrize("program", REGISTRY_PROGRAMS, ids=lambda p: p.__name__)
def test_without_a_dict_registry_the_step_asks_asyncio_s_functions(
        program: Program, monkeypatch: pytest.MonkeyPatch) -> None:
    # As on a Python that keeps the running task elsewhere (3.14).
    plain = transcript(program, plain_loop, miniloop.VirtualClock())
    monkeypatch.setattr(fast, "_CURRENT_TASKS", fast._RegistryThroughCalls())
    assert transcript(program, FastLoop, miniloop.VirtualClock()) == plain


# --- the classes a loop makes its objects from, asked once ------------------------------------


def test_a_fast_loop_subclass_naming_its_own_classes_gets_them() -> None:
    class MyFuture(fast.Future):  # type: ignore[misc]
        __slots__ = ()

    class MyTask(fast.Task):
        __slots__ = ()

    class MyLoop(FastLoop):
        future_class = MyFuture
        task_class = MyTask

    async def nothing() -> None:
        pass

    loop = MyLoop()
    try:
        assert type(loop.create_future()) is MyFuture
        task = loop.create_task(nothing())
        assert type(task) is MyTask
        loop.run_until_complete(task)
    finally:
        loop.close()
    default = miniloop.Loop()
    try:
        assert type(default.create_future()) is fast.Future
    finally:
        default.close()


# --- __del__ only for a future that may have lost an exception --------------------------------


def lost_and_found_exceptions(plain: bool) -> list[str]:
    """What the exception handler hears of futures dropped with and without a lost error."""
    heard: list[str] = []
    loop = miniloop.Loop(plain=plain)
    loop.set_exception_handler(
        lambda _, context: heard.append(f"{context['message']}: {context['exception']!r}"))
    try:
        lost = loop.create_future()
        lost.set_exception(ValueError("lost"))
        heard.append(f"{lost!r} {type(lost).__name__} {isinstance(lost, asyncio.Future)}")
        found = loop.create_future()
        found.set_exception(KeyError("found"))
        found.exception()
        fine = loop.create_future()
        fine.set_result(1)
        del lost, found, fine  # each goes now: a future is in no cycle
        heard.append("dropped")
    finally:
        loop.close()
    return heard


def test_a_lost_exception_is_reported_as_the_plain_loop_reports_it() -> None:
    plain = lost_and_found_exceptions(plain=True)
    assert plain == [
        "<Future finished exception=ValueError('lost')> Future True",
        "Future exception was never retrieved: ValueError('lost')",
        "dropped",
    ]
    assert lost_and_found_exceptions(plain=False) == plain


def test_a_future_without_an_exception_has_no_del_frame() -> None:
    loop = miniloop.Loop()
    try:
        future = loop.create_future()
        assert type(future).__del__ is object.__sizeof__  # a C method: no Python frame
        future.set_exception(ValueError())
        assert type(future).__del__ is fast._report_if_lost
        assert type(future).__name__ == "Future" and isinstance(future, fast.Future)
        future.exception()
    finally:
        loop.close()


def test_a_turn_that_sleeps_in_epoll_itself_never_wakes_before_the_timer() -> None:
    if fast_loop._EPOLL_SELECTOR is None:
        pytest.skip("no epoll here")
    loop = miniloop.Loop()
    try:
        assert type(loop._selector) is fast_loop._EPOLL_SELECTOR  # the direct wait is taken
        woke: list[tuple[float, float]] = []
        for delay in (0.0004, 0.0123, 0.02):  # under, between and on milliseconds
            when = loop.time() + delay
            loop.call_at(when, lambda due: woke.append((loop.time(), due)), when)
            loop.run_until_complete(asyncio.sleep(0.03))
        assert len(woke) == 3
        assert all(now >= when for now, when in woke)
    finally:
        loop.close()
