"""compat: backend-neutral names, and the runner that compares the two backends."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import compat
import miniloop
from compat.compare import (
    MASK,
    MEASURED_SHOWN,
    Declarations,
    Masker,
    compare_runs,
    read_declarations,
)
from compat.report import side_by_side
from compat.runs import HEAD_LINES, TAIL_LINES, Run, Transcript, decoded, shown
from tests.children import hear_ctrl_c

TIMEOUT = 60


# --- choosing the backend ---------------------------------------------------------


@pytest.fixture
def no_backend_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(compat.BACKEND_ENV, raising=False)


@pytest.fixture
def miniloop_policy() -> Iterator[None]:
    previous = asyncio.get_event_loop_policy()
    miniloop.use_miniloop()
    try:
        yield
    finally:
        asyncio.set_event_loop_policy(previous)


def test_plain_python_gets_asyncio(no_backend_env: None) -> None:
    assert compat.backend() == "asyncio"
    assert compat.sleep is asyncio.sleep
    assert compat.gather is asyncio.gather
    assert compat.backend_module() is asyncio


def test_miniloops_policy_means_miniloop(no_backend_env: None, miniloop_policy: None) -> None:
    assert compat.backend() == "miniloop"
    assert compat.sleep is miniloop.sleep
    assert compat.run is miniloop.run
    assert compat.create_task is miniloop.create_task


def test_the_environment_variable_wins(
    monkeypatch: pytest.MonkeyPatch, miniloop_policy: None,
) -> None:
    monkeypatch.setenv(compat.BACKEND_ENV, "asyncio")
    assert compat.backend() == "asyncio" and compat.sleep is asyncio.sleep
    monkeypatch.setenv(compat.BACKEND_ENV, " MiniLoop ")
    assert compat.backend() == "miniloop" and compat.sleep is miniloop.sleep


def test_a_misspelt_backend_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(compat.BACKEND_ENV, "uvloop")
    with pytest.raises(RuntimeError, match="'uvloop' is not a backend"):
        compat.backend()


def test_any_name_the_backend_has_is_forwarded(monkeypatch: pytest.MonkeyPatch) -> None:
    # Names are not listed in compat: what miniloop grows, compat has.
    monkeypatch.setenv(compat.BACKEND_ENV, "miniloop")
    for name in ("Future", "Task", "Loop", "get_running_loop", "all_tasks", "wrap_future"):
        assert getattr(compat, name) is getattr(miniloop, name)
    monkeypatch.setenv(compat.BACKEND_ENV, "asyncio")
    assert compat.Queue is asyncio.Queue
    assert "sleep" in dir(compat) and "backend" in dir(compat)


def test_a_name_the_backend_lacks_says_which_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(compat.BACKEND_ENV, "asyncio")
    with pytest.raises(AttributeError, match="the asyncio backend does not provide it"):
        compat.VirtualClock  # noqa: B018
    with pytest.raises(ImportError):
        from compat import no_such_primitive  # noqa: F401


def test_private_and_dunder_names_are_not_forwarded() -> None:
    assert not hasattr(compat, "__all__")
    assert not hasattr(compat, "_get_running_loop")


def test_names_are_looked_up_when_used_not_when_compat_is_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(compat.BACKEND_ENV, "asyncio")
    on_asyncio = compat.sleep
    monkeypatch.setenv(compat.BACKEND_ENV, "miniloop")
    assert (on_asyncio, compat.sleep) == (asyncio.sleep, miniloop.sleep)


def test_the_miniloop_command_line_uses_the_same_variable_name() -> None:
    from compat import runs

    assert runs.environment_for("miniloop", {})[compat.BACKEND_ENV] == "miniloop"
    assert runs.environment_for("asyncio", {compat.BACKEND_ENV: "miniloop"})[
        compat.BACKEND_ENV] == "asyncio"


# --- measurements -----------------------------------------------------------------


@pytest.mark.parametrize("line", [
    "countasync.py executed in 1.00 seconds.",
    "done after 0.5s",
    "took 12.25 ms",
    "it took 0.51",
    "elapsed: 1.002",
    "at 12:04:17.250 the item was put",
    "waited 3.1e-05 s",
])
def test_measurements_are_masked(line: str) -> None:
    masker = Masker.with_patterns()
    assert MASK in masker.mask(line)
    assert masker.measurements(line)


@pytest.mark.parametrize("line", [
    "part1(9) sleeping for 4 seconds.",
    "trying again in 2 s",
    "Python 3.11 is running",
    "3.5 sheep",
    "result r9.2 (from r9.1)",
])
def test_decisions_are_not_measurements(line: str) -> None:
    assert Masker.with_patterns().mask(line) == line


def test_a_program_can_add_measurement_patterns() -> None:
    masker = Masker.with_patterns([r"\d+ ticks"])
    assert masker.mask("ran 40 ticks") == f"ran {MASK}"


def test_declarations_are_read_from_the_source_without_running_it(tmp_path: Path) -> None:
    source = tmp_path / "prog.py"
    source.write_text(textwrap.dedent("""\
        raise SystemExit("never run")
        COMPAT_LINE_ORDER = "concurrent"
        COMPAT_MEASUREMENTS = (r"\\d+ ticks",)
    """))
    assert read_declarations(source) == Declarations("concurrent", (r"\d+ ticks",))
    assert read_declarations(None) == Declarations()
    source.write_text("COMPAT_LINE_ORDER = 'shuffled'\n")
    with pytest.raises(ValueError, match="COMPAT_LINE_ORDER"):
        read_declarations(source)


# --- verdicts ----------------------------------------------------------------------


def a_run(backend: str, *lines: str, status: int = 0, stderr: tuple[str, ...] = ()) -> Run:
    return Run(backend, ["python"], Transcript.of(lines), Transcript.of(stderr), status)


def test_same_lines_in_order_with_measurements_shown() -> None:
    verdict = compare_runs(a_run("asyncio", "One", "ran in 1.00 seconds"),
                           a_run("miniloop", "One", "ran in 1.02 seconds"))
    assert verdict.same
    assert verdict.explanation == ["same output: 2 lines, in the same order"]
    assert verdict.measured == ["line 2: 1.00 seconds | 1.02 seconds"]


def test_the_first_difference_is_named_with_both_lines() -> None:
    verdict = compare_runs(a_run("asyncio", "a", "b", "c"), a_run("miniloop", "a", "B", "c"))
    assert not verdict.same
    assert verdict.explanation == [
        "different output: the first difference is at line 2",
        "  asyncio   b",
        "  miniloop  B",
    ]


def test_a_missing_line_is_a_difference() -> None:
    verdict = compare_runs(a_run("asyncio", "a", "b"), a_run("miniloop", "a"))
    assert not verdict.same
    assert verdict.explanation[2] == "  miniloop  (no line: the output had ended)"


def test_concurrent_lines_compare_as_a_multiset_and_say_so() -> None:
    concurrent = Declarations(line_order="concurrent")
    verdict = compare_runs(a_run("asyncio", "x", "y", "took 1.0 s"),
                           a_run("miniloop", "y", "x", "took 1.1 s"), concurrent)
    assert verdict.same
    assert "compared as a multiset" in verdict.explanation[0]
    assert "the order differed, which is allowed here" in verdict.explanation[2]
    assert verdict.measured == ["line 3: took 1.0 s | took 1.1 s"]
    different = compare_runs(a_run("asyncio", "x", "y"), a_run("miniloop", "y", "y"), concurrent)
    assert not different.same
    assert "  only on asyncio (1 line):" in different.explanation
    assert "    x" in different.explanation


def test_stderr_does_not_decide_but_exit_statuses_do() -> None:
    logs_differ = compare_runs(a_run("asyncio", "a", stderr=("INFO one",)),
                               a_run("miniloop", "a", stderr=("INFO two", "more")))
    assert logs_differ.same
    crashed = compare_runs(a_run("asyncio", "a"),
                           a_run("miniloop", "a", status=1, stderr=("ValueError: x",)))
    assert not crashed.same
    assert crashed.explanation[-1] == "different endings: exit status 0 on asyncio, 1 on miniloop"


def test_both_failing_must_fail_the_same_way() -> None:
    same_way = compare_runs(a_run("asyncio", "a", status=1, stderr=("tb", "ValueError: x")),
                            a_run("miniloop", "a", status=1, stderr=("tb2", "ValueError: x")))
    assert same_way.same
    assert same_way.explanation[-1] == "both failed the same way (status 1): ValueError: x"
    other_way = compare_runs(a_run("asyncio", "a", status=1, stderr=("ValueError: x",)),
                             a_run("miniloop", "a", status=1, stderr=("KeyError: 'x'",)))
    assert not other_way.same


# --- python -m compat, end to end ----------------------------------------------------


def compat_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop(compat.BACKEND_ENV, None)
    env["COLUMNS"] = "120"
    return subprocess.run([sys.executable, "-m", "compat", "--timeout", "50", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=TIMEOUT)


def write(folder: Path, name: str, source: str) -> None:
    (folder / name).write_text(textwrap.dedent(source))


def test_a_program_that_behaves_differently_is_caught(tmp_path: Path) -> None:
    write(tmp_path, "differs.py", """\
        import compat
        print("same start")
        print("I run on", compat.backend())
        print("same end")
    """)
    done = compat_cli("differs.py", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout.splitlines()
    assert "different output: the first difference is at line 2" in out
    assert "  asyncio   I run on asyncio" in out
    assert "  miniloop  I run on miniloop" in out
    # The side-by-side table marks the differing row.
    [row] = [line for line in out if "I run on asyncio" in line and "|" in line]
    assert row.startswith("!") and "I run on miniloop" in row


def test_measured_times_compare_equal_and_both_values_are_shown(tmp_path: Path) -> None:
    write(tmp_path, "timed.py", """\
        import compat, sys
        figure = {"asyncio": "0.1234", "miniloop": "0.5678"}[compat.backend()]
        print("working")
        print(f"finished in {figure} seconds")
        print("a log line that differs", compat.backend(), file=sys.stderr)
    """)
    done = compat_cli("timed.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout.splitlines()
    assert "same output: 2 lines, in the same order" in out
    assert "  line 2: 0.1234 seconds | 0.5678 seconds" in out
    assert any(line.startswith("~") and "finished in" in line for line in out)
    assert "standard error (shown, not compared):" in out


def test_a_crash_on_one_backend_is_a_difference(tmp_path: Path) -> None:
    write(tmp_path, "crashes.py", """\
        import compat
        print("hello")
        if compat.backend() == "miniloop":
            raise RuntimeError("only here")
    """)
    done = compat_cli("crashes.py", cwd=tmp_path)
    assert done.returncode == 1
    assert "different endings: exit status 0 on asyncio, 1 on miniloop" in done.stdout
    assert "RuntimeError: only here" in done.stdout  # its stderr is in the report


def test_a_declared_concurrent_program_may_differ_in_order(tmp_path: Path) -> None:
    program = """\
        import compat
        {declaration}
        lines = ["a", "b", "c"]
        if compat.backend() == "miniloop":
            lines.reverse()
        print(*lines, sep="\\n")
    """
    write(tmp_path, "declared.py", program.format(declaration="COMPAT_LINE_ORDER = 'concurrent'"))
    write(tmp_path, "undeclared.py", program.format(declaration=""))
    declared = compat_cli("declared.py", cwd=tmp_path)
    assert declared.returncode == 0, declared.stdout
    assert "same output: 3 lines, compared as a multiset" in declared.stdout
    assert "the order differed, which is allowed here" in declared.stdout
    assert compat_cli("undeclared.py", cwd=tmp_path).returncode == 1


def test_module_targets_and_arguments_reach_both_runs(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    write(tmp_path, "pkg/__init__.py", "")
    write(tmp_path, "pkg/echo.py", "import sys; print(sys.argv[1:])")
    done = compat_cli("--sequential", "pkg.echo", "x", "--flag", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout.splitlines()
    assert out[0] == "asyncio:  python -m pkg.echo x --flag"
    assert out[1] == "miniloop: python -m miniloop pkg.echo x --flag"
    assert "same output: 1 line, in the same order" in out


@pytest.mark.parametrize(("args", "names"), [
    ((), "TARGET"),
    (("no_such_module_xyz",), "no_such_module_xyz"),
    (("--frobnicate", "x.py"), "--frobnicate"),
    (("--timeout", "soon", "x.py"), "soon"),
])
def test_usage_errors_are_one_line_and_status_2(
    tmp_path: Path, args: tuple[str, ...], names: str,
) -> None:
    done = compat_cli(*args, cwd=tmp_path)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("compat: error: ") and names in line


STARTS_THEN_HANGS = """\
    import compat, pathlib, time
    print("start", flush=True)
    pathlib.Path(f"printed-{compat.backend()}").touch()
    time.sleep(600)
"""


def test_the_timeout_stops_both_runs(tmp_path: Path) -> None:
    write(tmp_path, "slow.py", STARTS_THEN_HANGS)
    done = subprocess.run(
        [sys.executable, "-m", "compat", "--timeout", "0.5", "slow.py"], cwd=tmp_path,
        capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 1
    assert "took longer than 0.5 s and were stopped" in done.stderr
    assert "asyncio: stopped after" in done.stdout and "miniloop: stopped after" in done.stdout
    # A run that got as far as printing (how far each got depends on the
    # machine) has its line in the report.
    printed = len(list(tmp_path.glob("printed-*")))
    assert done.stdout.count("start") >= printed


def test_ctrl_c_shows_what_both_runs_printed_until_then(tmp_path: Path) -> None:
    write(tmp_path, "slow.py", STARTS_THEN_HANGS)
    env = dict(os.environ)
    env.pop(compat.BACKEND_ENV, None)
    runner = subprocess.Popen([sys.executable, "-m", "compat", "slow.py"], cwd=tmp_path,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, preexec_fn=hear_ctrl_c)
    try:
        wait_for_files(tmp_path, "printed-asyncio", "printed-miniloop")
        runner.send_signal(signal.SIGINT)
        out, err = runner.communicate(timeout=TIMEOUT)
    finally:
        runner.kill()
    assert runner.returncode == -signal.SIGINT  # ended as python ends on Ctrl-C
    assert err.splitlines()[-1] == (
        "compat: interrupted (Ctrl-C); above is what the runs printed until then")
    [row] = [line for line in out.splitlines() if "start" in line]
    assert row.count("start") == 2
    assert "asyncio: stopped after" in out and "miniloop: stopped after" in out


def wait_for_files(folder: Path, *names: str) -> None:
    """Until every one of ``names`` exists in ``folder`` (a run got that far)."""
    deadline = time.monotonic() + TIMEOUT
    while not all((folder / name).exists() for name in names):
        assert time.monotonic() < deadline, f"never appeared: {names}"
        time.sleep(0.02)


def test_help_lists_the_demos() -> None:
    done = subprocess.run([sys.executable, "-m", "compat", "--help"], capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert done.returncode == 0
    assert done.stdout.startswith("usage: python -m compat [OPTIONS] TARGET [ARGS...]")
    assert "--sequential" in done.stdout and "countasync" in done.stdout


# --- what a run keeps, and how lines are shown -----------------------------------------


def test_a_long_transcript_keeps_its_first_and_last_lines_and_counts_the_rest() -> None:
    transcript = Transcript.of(f"line {i}" for i in range(HEAD_LINES + TAIL_LINES + 5000))
    assert transcript.count == HEAD_LINES + TAIL_LINES + 5000
    assert len(transcript.kept()) == HEAD_LINES + TAIL_LINES
    assert transcript.line(HEAD_LINES) is None  # not in memory...
    assert list(transcript.texts())[HEAD_LINES] == f"line {HEAD_LINES}"  # ...but not lost
    last = transcript.line(transcript.count - 1)
    assert last is not None and last.text == f"line {transcript.count - 1}"


def test_a_long_table_shows_its_ends_and_says_how_many_rows_were_cut() -> None:
    total = HEAD_LINES + TAIL_LINES + 5000
    rows = side_by_side(Transcript.of(f"a{i}" for i in range(total)),
                        Transcript.of(f"b{i}" for i in range(total - 10)),
                        ("asyncio", "miniloop"), width=120)
    assert len(rows) == 1 + HEAD_LINES + 1 + TAIL_LINES  # heading, head, the cut, tail
    [cut] = [row for row in rows if "rows cut" in row]
    assert cut.split() == [
        "…", "5,000", "rows", "cut,", "lines", f"{HEAD_LINES + 1:,}", "to",
        f"{HEAD_LINES + 5000:,}", "(asyncio", "printed", f"{total:,}", "lines,",
        "miniloop", f"{total - 10:,})"]
    assert f"a{total - 1}" in rows[-1] and f"b{total - 11}" in rows[-11]


def test_a_long_output_is_compared_in_full_with_the_measurements_capped() -> None:
    lines = [f"step {i} took 0.{i:03d} s" for i in range(3 * HEAD_LINES)]
    same = compare_runs(a_run("asyncio", *lines), a_run("miniloop", *lines))
    assert same.explanation == [f"same output: {len(lines)} lines, in the same order"]
    assert len(same.measured) == MEASURED_SHOWN + 1
    assert same.measured[-1] == (
        f"... and {len(lines) - MEASURED_SHOWN} more lines with measurements")
    late = [*lines[:-2], "something else", lines[-1]]
    different = compare_runs(a_run("asyncio", *lines), a_run("miniloop", *late))
    assert different.explanation[0] == (
        f"different output: the first difference is at line {len(lines) - 1}")
    assert different.explanation[2] == "  miniloop  something else"


def test_lines_are_compared_byte_for_byte() -> None:
    undecodable = decoded(b"caf\xe9")  # Latin-1, not UTF-8: once, it read "caf\ufffd"
    verdict = compare_runs(a_run("asyncio", undecodable),
                           a_run("miniloop", decoded(b"caf\xe8")))
    assert verdict.explanation == [
        "different output: the first difference is at line 1",
        "  asyncio   caf\\xe9",
        "  miniloop  caf\\xe8",
    ]


def test_a_missing_line_ending_at_the_very_end_is_a_difference() -> None:
    ended, unended = a_run("asyncio"), a_run("miniloop")
    ended.stdout.add(b"last\n", 0.0)
    unended.stdout.add(b"last", 0.0)
    verdict = compare_runs(ended, unended)
    assert verdict.explanation == [
        "different output: line 1 ends without a line ending on miniloop"]


@pytest.mark.parametrize(("text", "on_screen"), [
    ("plain text, même accentuée", "plain text, même accentuée"),
    ("tab\there", "tab\\there"),
    ("over\rwritten", "over\\rwritten"),
    ("clear \x1b[2J screen", "clear \\x1b[2J screen"),
    ("bell \x07 and null \x00", "bell \\x07 and null \\x00"),
    (decoded(b"byte \xff"), "byte \\xff"),
    ("zero\u200bwidth", "zero\\u200bwidth"),
])
def test_control_characters_and_stray_bytes_are_shown_as_escapes(
    text: str, on_screen: str,
) -> None:
    assert shown(text) == on_screen
    assert shown(text, colours=True) == on_screen


def test_colour_codes_stay_colours_in_the_table_and_show_in_a_verdict() -> None:
    blue = "\x1b[36mblue\x1b[0m"
    assert shown(blue, colours=True) == blue
    assert shown(blue) == "\\x1b[36mblue\\x1b[0m"
    assert shown(blue + "\r", colours=True) == blue + "\\r"


def test_the_table_never_passes_a_control_character_to_the_terminal(tmp_path: Path) -> None:
    write(tmp_path, "odd.py", """\
        import sys
        sys.stdout.buffer.write(b"clear \\x1b[2J, return \\r, byte \\xff, \\x1b[36mblue\\x1b[0m\\n")
    """)
    done = compat_cli("odd.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    [row] = [line for line in done.stdout.splitlines() if "clear" in line and "|" in line]
    assert row.count("clear \\x1b[2J, return \\r, byte \\xff, \x1b[36mblue\x1b[0m") == 2
    assert "\x1b[2J" not in done.stdout


# --- programs that write files -------------------------------------------------------


@pytest.mark.parametrize("writes", [
    "open('out.txt', 'w')",
    "open('out.txt', mode='a')",
    "aiofiles.open(path, 'a')",
    "Path('out.txt').open('w')",
    "Path('out.txt').write_text('')",
    "path.write_bytes(b'')",
])
def test_a_program_that_writes_files_runs_one_side_after_the_other(
    writes: str, tmp_path: Path,
) -> None:
    source = tmp_path / "prog.py"
    source.write_text(f"import sys\n\ndef save():\n    {writes}\n")
    assert read_declarations(source).runs_one_after_the_other == (
        "the program writes files (prog.py, line 4)")


@pytest.mark.parametrize("reads", [
    "open('in.txt')", "open('in.txt', 'rb')", "open('wax.txt')", "webbrowser.open(url)",
])
def test_a_program_that_only_reads_files_runs_both_sides_at_once(
    reads: str, tmp_path: Path,
) -> None:
    source = tmp_path / "prog.py"
    source.write_text(f"{reads}\n")
    assert read_declarations(source).runs_one_after_the_other is None


def test_a_program_can_declare_that_its_runs_must_not_overlap(tmp_path: Path) -> None:
    source = tmp_path / "prog.py"
    source.write_text("COMPAT_RUNS = 'sequential'\n")
    assert read_declarations(source).runs_one_after_the_other == (
        "the program declares COMPAT_RUNS = 'sequential'")
    source.write_text("COMPAT_RUNS = 'sometimes'\n")
    with pytest.raises(ValueError, match="COMPAT_RUNS"):
        read_declarations(source)


def test_the_two_runs_of_a_file_writing_program_never_overlap(tmp_path: Path) -> None:
    # Each run holds output.lock (created only if absent) while it runs: had
    # the two overlapped, one of them would have failed to create it.
    write(tmp_path, "writer.py", """\
        import os
        lock = os.open("output.lock", os.O_CREAT | os.O_EXCL)
        with open("output.txt", "a") as output:
            output.write("a run\\n")
        print("written")
        os.close(lock)
        os.remove("output.lock")
    """)
    done = compat_cli("writer.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[2] == (
        "asyncio ran first, then miniloop: the program writes files (writer.py, line 3)")
    assert (tmp_path / "output.txt").read_text() == "a run\na run\n"
