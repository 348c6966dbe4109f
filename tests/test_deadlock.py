"""The deadlock report: stuck programs end with DeadlockError; finishing ones never see it.

Programs that really deadlock run in a child process (with a timeout), so
that a failure of the detector shows up as a failed test, not a hung suite.
"""

from __future__ import annotations

import asyncio
import gc
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import pytest

import miniloop
from miniloop.tools import deadlock


def run_program(source: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``source`` in a fresh interpreter; its output, status, and no hang."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(source), *args],
                          capture_output=True, text=True, timeout=60)


TWO_LOCKS = """
    import asyncio, miniloop

    async def worker(first, second):
        async with first:
            await asyncio.sleep(0.01)
            async with second:
                print("never printed")

    async def main():
        a, b = asyncio.Lock(), asyncio.Lock()
        await asyncio.gather(worker(a, b), worker(b, a))

    try:
        miniloop.run(main())
    except miniloop.DeadlockError as error:
        print("DeadlockError:", error)
"""


def test_two_tasks_taking_two_locks_in_turn_end_in_a_deadlock_report() -> None:
    done = run_program(TWO_LOCKS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("DeadlockError: deadlock: ")
    assert "Task-2 waits on Lock.acquire() on 'second' (main's 'b')" in done.stdout
    report = done.stderr
    assert "miniloop: deadlock. Every task is waiting" in report
    assert "Task-1 main() waits on gather of 2 (Task-2, Task-3)" in report
    assert "Task-2 worker() waits on Lock.acquire() on 'second' (main's 'b') " \
        "<Lock [locked, waiters:1]>" in report
    assert "held by Task-3 (inside its 'async with')" in report
    assert "held by Task-2 (inside its 'async with')" in report
    assert "at <string>:7 in worker" in report
    assert "A cycle: Task-2 -> Task-3 -> Task-2." in report
    assert "raises DeadlockError in the main task (Task-1)" in report


def test_an_uncaught_deadlock_exits_non_zero_with_a_traceback() -> None:
    done = run_program("""
        import miniloop

        async def main():
            await miniloop.Event().wait()

        miniloop.run(main())
    """)
    assert done.returncode == 1
    assert "Task-1 main() waits on Event.wait()" in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("miniloop.DeadlockError: deadlock: Task-1 waits on")


def test_the_error_surfaces_where_the_task_is_stuck_and_can_be_handled() -> None:
    done = run_program("""
        import miniloop

        async def stuck_child(future):
            try:
                await future
            except miniloop.DeadlockError:
                print("child saw it at its own await")
                raise

        async def main():
            future = miniloop.get_running_loop().create_future()
            child = miniloop.create_task(stuck_child(future))
            try:
                await child
            except miniloop.DeadlockError as error:
                print("main caught:", type(error).__name__, isinstance(error, RuntimeError))
            await miniloop.sleep(0.01)
            return "finished after all"

        print(miniloop.run(main()))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["child saw it at its own await",
                                        "main caught: DeadlockError True",
                                        "finished after all"]


def test_deadlocks_are_found_under_virtual_time_and_on_asyncio_functions() -> None:
    done = run_program("""
        import asyncio, miniloop

        async def main():
            queue = asyncio.Queue()
            await asyncio.sleep(3600)
            await queue.get()

        with miniloop.virtual_time():
            try:
                asyncio.Runner(loop_factory=miniloop.Loop).run(main())
            except miniloop.DeadlockError:
                print("deadlock at", 3600)
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "deadlock at 3600\n"
    assert "Task-1 main() waits on Queue.get() on 'queue' <Queue maxsize=0" in done.stderr


def test_a_loop_run_forever_with_nothing_to_do_raises() -> None:
    done = run_program("""
        import miniloop
        loop = miniloop.Loop()
        try:
            loop.run_forever()
        except miniloop.DeadlockError as error:
            print("raised:", error)
        finally:
            loop.close()
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "raised: deadlock: the loop waits for nothing that can ever happen\n"


# --- never for a program that would finish -------------------------------------------------


def test_a_thread_that_calls_back_later_is_waited_for() -> None:
    async def main() -> str:
        loop = miniloop.get_running_loop()
        future = loop.create_future()

        def later() -> None:
            time.sleep(0.15)
            loop.call_soon_threadsafe(future.set_result, "from a thread")

        threading.Thread(target=later).start()
        return await future  # type: ignore[no-any-return]

    assert miniloop.run(main()) == "from a thread"


def test_executor_jobs_and_io_are_waited_for() -> None:
    async def main() -> tuple[Any, bytes]:
        loop = miniloop.get_running_loop()
        left, right = socket.socketpair()
        left.setblocking(False)
        try:
            threading.Timer(0.1, right.send, (b"!",)).start()
            job = await loop.run_in_executor(None, time.sleep, 0.1)
            return job, await loop.sock_recv(left, 1)
        finally:
            left.close()
            right.close()

    assert miniloop.run(main()) == (None, b"!")
    with miniloop.virtual_time():
        assert miniloop.run(main()) == (None, b"!")


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")
def test_a_python_signal_handler_is_waited_for() -> None:
    async def main() -> str:
        loop = asyncio.get_running_loop()
        future = loop.create_future()

        def on_alarm(signum: int, frame: Any) -> None:
            loop.call_soon_threadsafe(future.set_result, "alarm")

        previous = signal.signal(signal.SIGALRM, on_alarm)
        try:
            signal.setitimer(signal.ITIMER_REAL, 0.1)
            return await future  # type: ignore[no-any-return]
        finally:
            signal.signal(signal.SIGALRM, previous)

    assert asyncio.Runner(loop_factory=miniloop.Loop).run(main()) == "alarm"


def test_the_detector_sees_what_could_still_wake_the_loop() -> None:
    loop = miniloop.Loop()
    left, right = socket.socketpair()
    try:
        assert not deadlock._something_can_wake(loop) or deadlock._other_threads_at_work()
        loop.add_reader(left, lambda: None)
        assert deadlock._something_can_wake(loop)
        loop.remove_reader(left)
        stop = threading.Event()
        worker = threading.Thread(target=stop.wait)
        worker.start()
        try:
            assert deadlock._something_can_wake(loop)
        finally:
            stop.set()
            worker.join()
    finally:
        left.close()
        right.close()
        loop.close()


def test_the_command_line_reports_a_deadlock_and_fails(tmp_path: Path) -> None:
    program = tmp_path / "two_locks.py"
    program.write_text(textwrap.dedent(TWO_LOCKS).replace(
        "miniloop.run(main())", "asyncio.run(main())"), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "miniloop", str(program)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0  # the program catches DeadlockError itself
    assert done.stdout.startswith("DeadlockError: deadlock: Task-1 waits on gather of 2")
    program.write_text("import asyncio\n"
                       "async def main():\n"
                       "    await asyncio.Event().wait()\n"
                       "asyncio.run(main())\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "miniloop", "--virtual-time", str(program)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Task-1 main() waits on Event.wait()" in done.stderr
    assert done.stderr.rstrip().splitlines()[-1].startswith("miniloop.DeadlockError: deadlock")


def test_the_report_names_who_could_still_set_an_event_or_fill_a_queue() -> None:
    done = run_program("""
        import asyncio, miniloop

        async def producer(ready, queue):
            await ready.wait()
            await queue.put(1)

        async def consumer(ready, queue):
            await queue.get()
            ready.set()

        async def main():
            ready, queue = asyncio.Event(), asyncio.Queue()
            await asyncio.gather(producer(ready, queue), consumer(ready, queue))

        try:
            miniloop.run(main())
        except miniloop.DeadlockError:
            pass
    """)
    assert done.returncode == 0, done.stderr
    report = done.stderr
    assert "Task-2 producer() waits on Event.wait() on 'ready' <Event [unset, waiters:1]>\n" \
        "      only Task-3 could wake it (from a reference to it), and it is waiting too" in report
    assert "Task-3 consumer() waits on Queue.get() on 'queue'" in report
    assert "A cycle: Task-2 -> Task-3 -> Task-2." in report


# --- looking at other threads leaves nothing of theirs alive ---------------------------------


@pytest.fixture
def no_gc() -> Any:
    """Only reference counting frees objects during the test, as in a program that
    disabled the collector or ran before it next came round."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Held:
    """An object a thread keeps in a local variable (weakref-able)."""


def test_the_check_for_busy_threads_keeps_no_frame_of_theirs_alive(no_gc: None) -> None:
    captured = threading.Event()
    finish = threading.Event()
    witness: list[weakref.ref[Held]] = []

    def holds_a_local() -> None:
        held = Held()
        witness.append(weakref.ref(held))
        captured.set()
        finish.wait()  # the check below sees this frame, with ``held`` in it

    worker = threading.Thread(target=holds_a_local)
    worker.start()
    captured.wait()
    loop = miniloop.Loop()
    try:
        assert deadlock._something_can_wake(loop)  # the thread could still call back
    finally:
        loop.close()
        finish.set()
        worker.join()
    assert witness[0]() is None, "the thread's local outlived the thread"


SQLITE_CURSOR_OF_A_THREAD = """
    import gc, sqlite3, threading, miniloop

    gc.disable()  # the leak shows whenever the collector has not come round yet
    DATABASE = "file:rough_edges?mode=memory&cache=shared"
    owner = sqlite3.connect(DATABASE, uri=True)
    owner.execute("CREATE TABLE t (x)")
    owner.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
    owner.commit()

    async def main():
        loop = miniloop.get_running_loop()
        done = loop.create_future()

        def read_one_row():
            reader = sqlite3.connect(DATABASE, uri=True)
            cursor = reader.execute("SELECT x FROM t")  # a statement left open
            cursor.fetchone()
            threading.Event().wait(0.2)  # the loop looks at this thread meanwhile
            loop.call_soon_threadsafe(done.set_result, "read")

        worker = threading.Thread(target=read_one_row)
        worker.start()
        print(await done)
        worker.join()

    miniloop.run(main())
    owner.execute("DROP TABLE t")  # the thread's cursor must be gone by now
    print("dropped")
"""


def test_a_cursor_kept_by_a_finished_thread_does_not_lock_its_table() -> None:
    # The library case, reduced: an SQLite wrapper's test failed with
    # "database table is locked" because the thread's cursor outlived the thread.
    done = run_program(SQLITE_CURSOR_OF_A_THREAD)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "read\ndropped\n"


# --- how the report watches the loop ------------------------------------------------------------


def test_every_loop_is_watched_and_only_a_sleep_without_deadline_is_checked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[Any] = []
    # The stand-in says "I woke something: look again", so no turn sleeps for ever.
    monkeypatch.setattr(deadlock, "break_deadlock", lambda loop: checked.append(loop) or True)
    loop = miniloop.Loop()
    try:
        assert loop.observer is None  # nobody watches: the hot paths pay nothing
        loop.call_later(0.001, lambda: None)
        loop._run_once()  # sleeps until the timer: no check
        assert checked == []
        loop._run_once()  # nothing scheduled at all: checked first
        assert checked == [loop]
        watch = deadlock.DeadlockWatch(loop)  # the same check, as an observer
        assert watch.about_to_sleep(1.0) is False and checked == [loop]
        assert watch.about_to_sleep(None) is True and checked == [loop, loop]
        assert not {name for name in vars(loop) if callable(getattr(type(loop), name, None))}
    finally:
        loop.close()


def test_the_core_loop_alone_reports_a_deadlock_too() -> None:
    done = run_program("""
        import miniloop

        loop = miniloop.CoreLoop()

        async def main():
            await loop.create_future()

        try:
            loop.run_until_complete(main())
        except miniloop.DeadlockError as error:
            print("DeadlockError:", error)
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("DeadlockError: deadlock: Task-1 waits on ")
    assert "miniloop: deadlock." in done.stderr


# --- two objects never read the same ----------------------------------------------------------


def waits_on(report: str) -> dict[str, str]:
    """Each stuck task's line of the report: its name -> what it waits on."""
    return dict(re.findall(r"^  (Task-\d+|\w+) \S+ waits on (.*)$", report, re.MULTILINE))


def test_two_locks_a_shared_helper_calls_second_are_named_apart() -> None:
    # Exercise 9's shape: both tasks call one helper with the locks in
    # opposite order; inside it, each waits on a lock it calls 'second'.
    done = run_program("""
        import asyncio, miniloop

        async def use_both(name, first, second):
            async with first:
                await asyncio.sleep(0)
                async with second:
                    print(name, "holds both")

        async def main():
            books, cash = asyncio.Lock(), asyncio.Lock()
            await asyncio.gather(use_both("alice", books, cash), use_both("bob", cash, books))

        try:
            miniloop.run(main())
        except miniloop.DeadlockError:
            pass
    """)
    assert done.returncode == 0, done.stderr
    waits = waits_on(done.stderr)
    assert waits["Task-2"] == \
        "Lock.acquire() on 'second' (main's 'cash') <Lock [locked, waiters:1]>"
    assert waits["Task-3"] == \
        "Lock.acquire() on 'second' (main's 'books') <Lock [locked, waiters:1]>"


def test_locks_no_frame_names_apart_are_numbered() -> None:
    # The locks live in a list: no frame has a name for either of them.
    done = run_program("""
        import asyncio, miniloop

        async def use_both(first, second):
            async with first:
                await asyncio.sleep(0)
                async with second:
                    pass

        async def main():
            locks = [asyncio.Lock(), asyncio.Lock()]
            await asyncio.gather(use_both(*locks), use_both(*reversed(locks)))

        try:
            miniloop.run(main())
        except miniloop.DeadlockError:
            pass
    """)
    assert done.returncode == 0, done.stderr
    waits = waits_on(done.stderr)
    assert waits["Task-2"] == "Lock.acquire() on 'second' <Lock [locked, waiters:1]>"
    assert waits["Task-3"] == "Lock.acquire() on 'second' #2 <Lock [locked, waiters:1]>"


def test_one_object_keeps_one_name_however_many_wait_on_it() -> None:
    done = run_program("""
        import asyncio, miniloop

        async def waiter(ready):
            await ready.wait()

        async def main():
            event = asyncio.Event()
            await asyncio.gather(waiter(event), waiter(event))

        try:
            miniloop.run(main())
        except miniloop.DeadlockError:
            pass
    """)
    assert done.returncode == 0, done.stderr
    waits = waits_on(done.stderr)
    assert waits["Task-2"] == waits["Task-3"] == \
        "Event.wait() on 'ready' (main's 'event') <Event [unset, waiters:2]>"
