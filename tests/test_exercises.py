"""The exercises: every reference solution passes its checker, and wrong ones fail.

A checker that always says "well done" would teach nothing, so each
exercise is also given a deliberately wrong solution (a typical mistake,
the one its hint is about) and the template as it comes: both must fail,
and the wrong one must fail at the scenario that probes its mistake.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from miniloop.exercises import MODULES, all_exercises, find
from miniloop.exercises.__main__ import main
from miniloop.exercises.checker import Exercise, check, load, render

EXERCISES = {exercise.slug: exercise for exercise in all_exercises()}

# slug -> (a typical wrong solution, the title of the first scenario it must fail)
WRONG: dict[str, tuple[str, str]] = {
    "pause": ("""
        import types

        @types.coroutine
        def pause(turns):
            yield                      # wrong: gives way even for pause(0)
            for _ in range(turns - 1):
                yield
            return turns
        """, "pause(0) does not give way at all"),
    "loop": ("""
        import heapq, itertools, time
        from collections import deque

        class Handle:
            def __init__(self, callback, args):
                self.callback, self.args, self.cancelled = callback, args, False
            def cancel(self):
                self.cancelled = True

        class TinyLoop:
            def __init__(self):
                self.ready, self.timers, self.stopping = deque(), [], False
                self.numbers = itertools.count()
            def time(self):
                return time.monotonic()
            def call_soon(self, callback, *args):
                handle = Handle(callback, args)
                self.ready.append(handle)
                return handle
            def call_later(self, delay, callback, *args):
                return self.call_at(self.time() + delay, callback, *args)
            def call_at(self, when, callback, *args):
                handle = Handle(callback, args)
                heapq.heappush(self.timers, (when, next(self.numbers), handle))
                return handle
            def stop(self):
                self.stopping = True
            def run_forever(self):
                while not self.stopping:
                    self.run_once()
                self.stopping = False
            def run_once(self):
                if not self.ready and self.timers:
                    time.sleep(max(0, self.timers[0][0] - self.time()))
                while self.timers and self.timers[0][0] <= self.time():
                    self.ready.append(heapq.heappop(self.timers)[2])
                while self.ready:          # wrong: also runs what this turn added
                    handle = self.ready.popleft()
                    if not handle.cancelled:
                        handle.callback(*handle.args)
        """, "a callback scheduled during a turn waits for the next turn"),
    "task": ("""
        import asyncio

        def start(coro):
            loop = asyncio.get_running_loop()
            outcome = loop.create_future()
            def step(error=None):
                try:
                    yielded = coro.send(None) if error is None else coro.throw(error)
                except StopIteration as returned:
                    outcome.set_result(returned.value)
                except BaseException as failure:
                    outcome.set_exception(failure)
                else:
                    if yielded is None:
                        loop.call_soon(step)
                    else:
                        yielded._asyncio_future_blocking = False
                        yielded.add_done_callback(wake_up)
            def wake_up(future):
                loop.call_soon(step, future.exception())   # wrong: one turn too late
            loop.call_soon(step)
            return outcome
        """, "the woken coroutine runs one turn after set_result"),
    "sleep": ("""
        import asyncio

        async def sleep(delay, result=None):
            loop = asyncio.get_running_loop()
            future = loop.create_future()
            loop.call_later(delay, future.set_result, result)   # wrong: a timer for 0 too,
            return await future                                 # and no cancelled check
        """, "sleep(0) and negative delays give way for exactly one turn"),
    "gather": ("""
        import asyncio

        async def gather(*aws, return_exceptions=False):
            children = [asyncio.ensure_future(aw) for aw in aws]
            results = []
            for child in children:        # wrong: one by one, in order
                try:
                    results.append(await child)
                except Exception as error:
                    if not return_exceptions:
                        raise
                    results.append(error)
            return results
        """, "the first failure is raised at once; the others run on"),
    "event": ("""
        import asyncio

        class Event:
            def __init__(self):
                self.flag, self.waiters = False, []
            def is_set(self):
                return self.flag
            def set(self):
                self.flag = True
                for waiter in self.waiters:
                    if not waiter.done():
                        waiter.set_result(True)
            def clear(self):
                self.flag = False
            async def wait(self):
                while not self.flag:      # wrong: looks at the flag again once woken
                    waiter = asyncio.get_running_loop().create_future()
                    self.waiters.append(waiter)
                    try:
                        await waiter
                    finally:
                        self.waiters.remove(waiter)
                return True
        """, "set() then clear(): tasks already waiting still wake"),
    "recv": ("""
        import asyncio

        def wake(future):
            if not future.done():
                future.set_result(None)

        async def sock_recv(sock, nbytes):
            loop = asyncio.get_running_loop()
            while True:
                try:
                    return sock.recv(nbytes)
                except BlockingIOError:
                    pass
                readable = loop.create_future()
                loop.add_reader(sock.fileno(), wake, readable)
                await readable
                loop.remove_reader(sock.fileno())   # wrong: skipped when cancelled
        """, "a cancelled reader leaves the socket to the next one"),
    "future": ("""
        import asyncio

        class Future:
            _asyncio_future_blocking = False
            def __init__(self, *, loop):
                self._loop, self._done, self._cancelled = loop, False, False
                self._result = self._exception = None
                self._callbacks = []
            def get_loop(self):
                return self._loop
            def done(self):
                return self._done
            def cancelled(self):
                return self._cancelled
            def result(self):
                if self._cancelled:
                    raise asyncio.CancelledError()
                if not self._done:
                    raise asyncio.InvalidStateError()
                if self._exception is not None:
                    raise self._exception
                return self._result
            def exception(self):
                if self._cancelled:
                    raise asyncio.CancelledError()
                if not self._done:
                    raise asyncio.InvalidStateError()
                return self._exception
            def _finish(self):
                if self._done:
                    raise asyncio.InvalidStateError()
                self._done = True
                for fn, _ in self._callbacks:
                    fn(self)                  # wrong: called at once, not call_soon
                self._callbacks = []
            def set_result(self, result):
                self._result = result
                self._finish()
            def set_exception(self, exception):
                self._exception = exception
                self._finish()
            def cancel(self, msg=None):
                if self._done:
                    return False
                self._cancelled = True
                self._finish()
                return True
            def add_done_callback(self, fn, *, context=None):
                if self._done:
                    self._loop.call_soon(fn, self, context=context)
                else:
                    self._callbacks.append((fn, context))
            def remove_done_callback(self, fn):
                kept = [(f, c) for f, c in self._callbacks if f != fn]
                removed = len(self._callbacks) - len(kept)
                self._callbacks = kept
                return removed
            def __await__(self):
                if not self._done:
                    self._asyncio_future_blocking = True
                    yield self
                return self.result()
        """, "done callbacks run a turn later, in order"),
    "deadlock": ("""
        import asyncio

        async def use_both(say, name, first, first_name, second, second_name):
            async with first:
                say(name, "holds", first_name)
                async with second:     # "fixed" by no longer giving way: not the same story
                    say(name, "holds", first_name, "and", second_name)
            say(name, "is done")

        async def main(say):
            books, cash = asyncio.Lock(), asyncio.Lock()
            await asyncio.gather(
                use_both(say, "alice", books, "books", cash, "cash"),
                use_both(say, "bob", cash, "cash", books, "books"),
            )
            say("all done")
        """, "the program finishes, and prints what it should"),
}


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


def first_failure(exercise: Exercise, implementation: object) -> str | None:
    verdict = check(exercise, implementation, "test")
    assert verdict.problem is None, verdict.problem
    failed = [outcome.scenario.title for outcome in verdict.outcomes if not outcome.passed]
    return failed[0] if failed else None


def test_there_is_one_exercise_per_chapter_in_order() -> None:
    assert [exercise.chapter for exercise in all_exercises()] == list(range(1, 10))
    assert len(MODULES) == 9
    assert set(WRONG) == set(EXERCISES)


@pytest.mark.parametrize("slug", list(EXERCISES))
def test_the_reference_solution_passes(slug: str) -> None:
    exercise = EXERCISES[slug]
    verdict = check(exercise, load(exercise.solution_path, exercise.name), "solution")
    assert verdict.passed, render(verdict)
    assert "Well done" in render(verdict)


@pytest.mark.parametrize("slug", list(EXERCISES))
def test_the_template_as_given_fails(slug: str) -> None:
    exercise = EXERCISES[slug]
    verdict = check(exercise, load(exercise.template_path, exercise.name), "template")
    assert not verdict.passed
    assert "Not yet" in render(verdict) or "differ" in render(verdict)


@pytest.mark.parametrize("slug", list(EXERCISES))
def test_a_typical_mistake_fails_where_its_hint_is(slug: str, tmp_path: Path) -> None:
    exercise = EXERCISES[slug]
    source, failing_scenario = WRONG[slug]
    wrong = load(write(tmp_path, f"wrong_{slug}.py", source), exercise.name)
    assert first_failure(exercise, wrong) == failing_scenario
    report = render(check(exercise, wrong, "wrong"))
    assert f'First difference, in "{failing_scenario}"' in report
    assert "Hint:" in report


def test_an_async_def_pause_is_refused_before_any_scenario(tmp_path: Path) -> None:
    exercise = EXERCISES["pause"]
    path = write(tmp_path, "mine.py", """
        import asyncio

        async def pause(turns):
            for _ in range(turns):
                await asyncio.sleep(0)
            return turns
        """)
    verdict = check(exercise, load(path, "pause"), str(path))
    assert verdict.problem is not None and "async def" in verdict.problem
    assert verdict.outcomes == []


def test_a_deadlocked_program_is_described_in_the_transcript(tmp_path: Path) -> None:
    # Copied out of the package first, as a learner does: the report treats
    # code inside miniloop's own folder as library code, not the program's.
    exercise = EXERCISES["deadlock"]
    path = write(tmp_path, "bank.py", exercise.template_path.read_text())
    verdict = check(exercise, load(path, "main"), "bank.py")
    lines = verdict.outcomes[0].actual
    assert lines[:2] == ["alice holds books", "bob holds cash"]
    assert lines[2].startswith("deadlock:")
    assert any("A cycle:" in line for line in lines)
    # Both tasks wait on a lock use_both calls 'second': two locks, told apart.
    waits = [line.split(" waits on ")[1] for line in lines if "use_both() waits on" in line]
    assert waits == ["Lock.acquire() on 'second' (main's 'cash') <Lock [locked, waiters:1]>",
                     "Lock.acquire() on 'second' (main's 'books') <Lock [locked, waiters:1]>"]


# --- the command line ---------------------------------------------------------------------


def test_find_accepts_a_number_or_a_name() -> None:
    assert find("5") is find("05") is find("gather") is EXERCISES["gather"]
    assert find("10") is None and find("nope") is None


def test_without_arguments_it_lists_the_exercises(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    for exercise in all_exercises():
        assert exercise.title in out


def test_a_chapter_alone_says_what_to_write_and_how(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["4"]) == 0
    out = capsys.readouterr().out
    assert "`asyncio.sleep` is not magic" in out
    assert "python -m miniloop.exercises 4 --template > sleep.py" in out
    assert "python -m miniloop.exercises 4 sleep.py" in out


@pytest.mark.parametrize("flag", ["--template", "--solution"])
def test_template_and_solution_print_their_files(
        flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    exercise = EXERCISES["event"]
    assert main(["event", flag]) == 0
    path = exercise.template_path if flag == "--template" else exercise.solution_path
    assert capsys.readouterr().out == path.read_text()


def test_checking_a_file_exits_0_when_it_passes_and_1_when_not(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exercise = EXERCISES["pause"]
    assert main(["1", str(exercise.solution_path)]) == 0
    assert "Well done" in capsys.readouterr().out
    assert main(["1", str(exercise.template_path)]) == 1
    out = capsys.readouterr().out
    assert "DIFF" in out and "NotImplementedError" in out


def test_a_file_without_the_name_is_explained(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "mine.py", "def gathr(*aws):\n    pass\n")
    assert main(["gather", str(path)]) == 1
    assert "defines no 'gather'" in capsys.readouterr().out


def test_a_file_that_fails_to_import_is_explained(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "mine.py", "raise RuntimeError('oops')\n")
    assert main(["gather", str(path)]) == 1
    assert "importing" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["10"], "no exercise for chapter '10'"),
    (["nope"], "no exercise for chapter 'nope'"),
    (["3", "no/such/file.py"], "there is no file 'no/such/file.py'"),
    (["3", "x.py", "--template"], "not both"),
    (["--solution"], "say which chapter first"),
    (["3", "--bogus"], "unrecognized arguments: --bogus"),
])
def test_a_bad_command_line_is_one_line_on_stderr_and_status_2(
        argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("miniloop.exercises: error: ")
    assert message in captured.err


def test_python_dash_m_runs_it_with_help() -> None:
    done = subprocess.run([sys.executable, "-m", "miniloop.exercises", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "--template" in done.stdout and "exit status" in done.stdout


# --- errors in the learner's code are shown where they are --------------------------------


def test_a_syntax_error_is_shown_as_python_shows_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "task.py", """
        import asyncio

        def start(coro):
            loop = asyncio.get_running_loop(
            return loop
        """)
    assert main(["task", str(path)]) == 1
    out = capsys.readouterr().out
    python = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                            timeout=60)
    assert out.endswith(f"Not yet: importing {path} failed:\n{python.stderr}")
    assert f'  File "{path}", line 5\n    loop = asyncio.get_running_loop(\n' in out
    assert out.rstrip().endswith("^\nSyntaxError: '(' was never closed")
    assert "SyntaxError(" not in out  # no raw repr


def test_an_error_while_importing_names_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "gather.py", "import asyncio\n\nraise RuntimeError('oops')\n")
    assert main(["gather", str(path)]) == 1
    assert capsys.readouterr().out.endswith(
        f"importing {path} failed:\n"
        f'  File "{path}", line 3, in <module>\n'
        "    raise RuntimeError('oops')\n"
        "RuntimeError: oops\n")


FAILS_IN_A_CALLBACK = """
    import asyncio

    def start(coro):
        loop = asyncio.get_running_loop()
        outcome = loop.create_future()

        def step():
            coro.close()
            outcome.set_result("stepped")
            outcome.set_result("twice")    # line 11: the line that fails

        loop.call_soon(step)
        return outcome
    """


def test_an_error_in_a_callback_is_reported_at_the_line_that_failed(tmp_path: Path) -> None:
    # asyncio's own message says where the callback was defined (its def
    # line, 8): the learner needs the line that raised, even when the error
    # comes from inside asyncio (set_result on a done future).
    exercise = EXERCISES["task"]
    path = write(tmp_path, "task.py", FAILS_IN_A_CALLBACK)
    verdict = check(exercise, load(path, "start"), str(path))
    lines = verdict.outcomes[0].actual
    reported = next(i for i, line in enumerate(lines) if line.startswith("loop reported:"))
    assert lines[reported] == ("loop reported: Exception in callback start.<locals>.step() "
                               "InvalidStateError('invalid state')")
    assert lines[reported + 1:reported + 3] == [
        f'  File "{path}", line 11, in step',
        '    outcome.set_result("twice")    # line 11: the line that fails']
    assert f"{path}:8" not in "\n".join(lines)


# --- the words the checker says --------------------------------------------------------------


def test_passing_says_so_in_plain_english() -> None:
    exercise = EXERCISES["pause"]
    report = render(check(exercise, load(exercise.solution_path, "pause"), "solution"))
    assert "All 6 scenarios agree with asyncio.sleep(0) in a loop. Well done!" in report
    deadlock = EXERCISES["deadlock"]
    report = render(check(deadlock, load(deadlock.solution_path, "main"), "solution"))
    assert "The scenario agrees with the expected output. Well done!" in report


@pytest.mark.parametrize("slug", list(EXERCISES))
def test_the_commands_name_the_starter_file_as_the_chapter_does(
        slug: str, capsys: pytest.CaptureFixture[str]) -> None:
    exercise = EXERCISES[slug]
    assert main([slug]) == 0
    introduction = capsys.readouterr().out
    docs = Path(__file__).resolve().parents[1] / "docs"
    (chapter,) = docs.glob(f"{exercise.chapter:02d}-*.md")
    for text in (introduction, exercise.statement, chapter.read_text(encoding="utf-8")):
        suggested = re.findall(rf"exercises {exercise.chapter} --template > (\S+)", text)
        assert set(suggested) <= {exercise.starter_file}, (chapter.name, suggested)
    assert f"--template > {exercise.starter_file}" in introduction
