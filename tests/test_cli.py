"""python -m miniloop: run a program on miniloop, the way python would run it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from miniloop.__main__ import main, resolve_target, split_command_line
from tests.children import hear_ctrl_c

TIMEOUT = 60


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def miniloop_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("MINILOOP_COMPAT_BACKEND", None)
    return subprocess.run([sys.executable, "-m", "miniloop", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)


SHOW_ITSELF = """\
    import os, sys
    print("name", __name__)
    print("args", sys.argv[1:])
    print("argv0", os.path.basename(sys.argv[0]))
    print("file is absolute", os.path.isabs(__file__))
    print("path0", sys.path[0])
"""


def test_a_module_target_runs_as_main_with_its_args(tmp_path: Path) -> None:
    write(tmp_path, "pkg/__init__.py", "")
    write(tmp_path, "pkg/prog.py", SHOW_ITSELF)
    done = miniloop_cli("pkg.prog", "one", "--two", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "name __main__",
        "args ['one', '--two']",
        "argv0 prog.py",
        "file is absolute True",
        f"path0 {tmp_path}",
    ]


def test_a_path_target_runs_as_main_with_its_folder_first_on_sys_path(tmp_path: Path) -> None:
    write(tmp_path, "scripts/prog.py", SHOW_ITSELF)
    done = miniloop_cli("scripts/prog.py", "x", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "name __main__",
        "args ['x']",
        "argv0 prog.py",
        "file is absolute True",
        f"path0 {tmp_path / 'scripts'}",
    ]


def test_a_package_target_runs_its_main_module(tmp_path: Path) -> None:
    write(tmp_path, "app/__init__.py", "")
    write(tmp_path, "app/__main__.py", "import sys; print('app main', sys.argv[1:])")
    done = miniloop_cli("app", "z", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "app main ['z']\n"), done.stderr


def test_everything_after_the_target_belongs_to_the_program(tmp_path: Path) -> None:
    write(tmp_path, "prog.py", "import sys; print(sys.argv[1:])")
    done = miniloop_cli("prog", "--help", "--version", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "['--help', '--version']\n"), done.stderr


def test_a_demos_help_is_the_demos_own(tmp_path: Path) -> None:
    done = miniloop_cli("demos.chained", "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: chained.py")
    assert "--seed" in done.stdout


def test_plain_asyncio_in_the_target_runs_on_miniloops_loop(tmp_path: Path) -> None:
    write(tmp_path, "prog.py", """\
        import asyncio

        async def which():
            loop = asyncio.get_running_loop()
            task = asyncio.current_task()
            return f"{type(loop).__module__}.{type(loop).__name__} {type(task).__module__}"

        print("run", asyncio.run(which()))
        with asyncio.Runner() as runner:
            print("Runner", runner.run(which()))
        loop = asyncio.new_event_loop()
        print("new_event_loop", loop.run_until_complete(which()))
        loop.close()
    """)
    done = miniloop_cli("prog.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{how} miniloop.assembly.FastLoop miniloop.fast.futures"
        for how in ("run", "Runner", "new_event_loop")
    ]


def test_the_same_program_under_plain_python_uses_asyncio(tmp_path: Path) -> None:
    write(tmp_path, "prog.py", """\
        import asyncio
        async def which():
            return type(asyncio.get_running_loop()).__module__
        print(asyncio.run(which()))
    """)
    done = subprocess.run([sys.executable, "prog.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert done.stdout.strip().startswith("asyncio."), done.stderr


def test_compat_names_in_the_target_are_miniloops_own(tmp_path: Path) -> None:
    write(tmp_path, "prog.py", """\
        import compat, miniloop
        from compat import gather, run, sleep
        print(compat.backend(), sleep is miniloop.sleep, run is miniloop.run,
              gather is miniloop.gather)
    """)
    done = miniloop_cli("prog.py", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "miniloop True True True\n"), done.stderr


@pytest.mark.parametrize(("source", "status"), [
    ("import sys; sys.exit(7)", 7),
    ("import sys; sys.exit(0)", 0),
    ("import sys; sys.exit()", 0),
    ("raise SystemExit(3)", 3),
    ("print('just ends')", 0),
])
def test_the_exit_status_is_the_programs(tmp_path: Path, source: str, status: int) -> None:
    write(tmp_path, "prog.py", source)
    assert miniloop_cli("prog.py", cwd=tmp_path).returncode == status


def test_exit_with_a_message_prints_it_and_fails_like_python(tmp_path: Path) -> None:
    write(tmp_path, "prog.py", "import sys; sys.exit('goodbye, cruel loop')")
    done = miniloop_cli("prog.py", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (1, "goodbye, cruel loop\n")


def test_an_uncaught_exception_prints_the_programs_traceback_and_exits_1(tmp_path: Path) -> None:
    write(tmp_path, "prog.py", """\
        import asyncio

        async def main():
            await asyncio.sleep(0)
            raise ValueError("boom")

        asyncio.run(main())
    """)
    done = miniloop_cli("prog.py", cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    # The first frame is the program's own, as under python: no runpy, no CLI.
    assert lines[1].startswith(f'  File "{tmp_path / "prog.py"}", line 7, in <module>')
    assert lines[-1] == "ValueError: boom"
    assert "runpy" not in done.stderr and "__main__.py" not in done.stderr


@pytest.mark.parametrize(("argv", "names"), [
    (["no_such_module_here"], "no_such_module_here"),
    (["no_such_package.sub"], "no_such_package"),
    (["missing.py"], "missing.py"),
    (["folder/missing.py"], "folder/missing.py"),
    (["--no-such-option", "prog.py"], "--no-such-option"),
    (["--version=3"], "--version"),
    (["demos"], "package"),
    (["bad name!"], "bad name!"),
    ([], "TARGET"),
])
def test_command_line_problems_are_one_line_and_status_2(
    argv: list[str], names: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith("miniloop: error: ")
    assert names in line


def test_a_missing_target_from_the_shell_is_one_line_without_traceback(tmp_path: Path) -> None:
    done = miniloop_cli("demos.no_such_demo", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "demos.no_such_demo" in done.stderr


def test_help_lists_the_options_and_the_demos_with_their_summaries(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m miniloop [OPTIONS] TARGET [ARGS...]")
    assert "--help" in out and "--version" in out
    demos_section = out[out.index("demos (run one with"):]
    for name, summary in [
        ("countasync", "Three coroutines take turns on one thread"),
        ("countsync", "The same count, with a blocking sleep"),
        ("genbased", "The count once more, with plain generators"),
        ("rand", "Independent coroutines with their own pacing"),
        ("chained", "Chained coroutines"),
    ]:
        [row] = [row for row in demos_section.splitlines() if row.split()[:1] == [name]]
        assert summary in row


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    import miniloop

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith(f"miniloop {miniloop.__version__} ")


def test_main_in_process_runs_the_target_and_puts_everything_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    write(tmp_path, "prog.py", """\
        import asyncio, sys
        async def which():
            return type(asyncio.get_running_loop()).__name__
        print(asyncio.run(which()), sys.argv[1:])
        sys.exit(4)
    """)
    monkeypatch.chdir(tmp_path)
    policy_before, argv_before, path_before = (
        asyncio.get_event_loop_policy(), sys.argv[:], sys.path[:])
    assert main(["prog.py", "a"]) == 4
    assert capsys.readouterr().out == "FastLoop ['a']\n"
    assert asyncio.get_event_loop_policy() is policy_before
    assert sys.argv == argv_before and sys.path == path_before


def test_the_miniloop_console_script_runs_a_target(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "miniloop"
    if not script.exists():
        pytest.skip("the miniloop console script is not installed next to this python")
    write(tmp_path, "prog.py", "import sys; print('via script', sys.argv[1:]); sys.exit(5)")
    done = subprocess.run([str(script), "prog", "q"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert (done.returncode, done.stdout) == (5, "via script ['q']\n"), done.stderr


def test_split_command_line_stops_at_the_target() -> None:
    valued = {"--trace-html"}
    assert split_command_line(["--x", "t", "--y", "z"], valued) == (["--x"], "t", ["--y", "z"])
    assert split_command_line(["--trace-html", "out.html", "t"], valued) == (
        ["--trace-html", "out.html"], "t", [])
    assert split_command_line(["--", "-odd-name.py", "a"], valued) == ([], "-odd-name.py", ["a"])
    assert split_command_line(["--x"], valued) == (["--x"], None, [])


def test_resolve_target_tells_modules_from_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    write(tmp_path, "modname.py", "")
    write(tmp_path, "plainfile", "")
    assert resolve_target("modname").python_command == ["-m", "modname"]
    assert resolve_target("modname.py").python_command == ["modname.py"]
    assert resolve_target("plainfile").python_command == ["plainfile"]  # no such module: a file
    assert resolve_target("demos.countasync").source() == (
        Path(__file__).parent.parent / "demos" / "countasync.py")


def test_ctrl_c_ends_the_run_as_it_ends_plain_python(tmp_path: Path) -> None:
    script = write(tmp_path, "forever.py", """
        import asyncio

        async def main():
            try:
                print("running", flush=True)
                await asyncio.sleep(60)
            finally:
                print("cleaned up", flush=True)

        asyncio.run(main())
    """)
    endings = []
    for command in ([str(script)], ["-m", "miniloop", str(script)]):
        child = subprocess.Popen([sys.executable, *command], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, preexec_fn=hear_ctrl_c)
        assert child.stdout is not None and child.stdout.readline() == "running\n"
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
        endings.append((out, err.strip().splitlines()[-1], child.returncode))
    # Killed by SIGINT after the clean-up, with the traceback's last line, both ways.
    assert endings[0] == endings[1] == ("cleaned up\n", "KeyboardInterrupt", -signal.SIGINT)


# --- from any folder -----------------------------------------------------------------


def test_a_folder_named_miniloop_in_the_current_folder_does_not_shadow_the_package(
    tmp_path: Path,
) -> None:
    # The parent of a clone: `git clone` made a folder named miniloop, with no
    # __init__.py, which python sees as a namespace package of that name.
    (tmp_path / "miniloop" / "src").mkdir(parents=True)
    write(tmp_path, "prog.py", """\
        import asyncio, miniloop
        async def which():
            return type(asyncio.get_running_loop()).__name__
        print(asyncio.run(which()), miniloop.__version__)
    """)
    version = miniloop_cli("--version", cwd=tmp_path)
    assert (version.returncode, version.stderr) == (0, "")
    assert version.stdout.startswith("miniloop ")
    ran = miniloop_cli("prog.py", cwd=tmp_path)
    assert (ran.returncode, ran.stderr) == (0, "")
    assert ran.stdout.startswith("FastLoop ")


def test_the_exercises_run_from_a_folder_holding_a_folder_named_miniloop(
    tmp_path: Path,
) -> None:
    (tmp_path / "miniloop").mkdir()
    listing = subprocess.run([sys.executable, "-m", "miniloop.exercises"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=TIMEOUT)
    assert (listing.returncode, listing.stderr) == (0, "")
    assert "python -m miniloop.exercises" in listing.stdout


# --- trace files -------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--trace-to", "--trace-html"])
@pytest.mark.parametrize(("where", "why"), [
    ("no_such_folder/trace.out", "there is no folder 'no_such_folder'"),
    ("a_folder", "it is a folder"),
])
def test_a_trace_file_that_cannot_be_written_is_refused_before_the_program_runs(
    option: str, where: str, why: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_folder").mkdir()
    write(tmp_path, "prog.py", "print('the program ran')")
    assert main([option, where, "prog.py"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # the program did not run
    [line] = captured.err.splitlines()
    assert line.startswith(f"miniloop: error: can't write {where!r}: {why}")


def test_checking_a_trace_file_leaves_nothing_behind_when_the_target_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["--trace-html", "page.html", "no_such_program.py"]) == 2
    assert "no_such_program.py" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# --- tracebacks ----------------------------------------------------------------------


BROKEN_SOURCE = "x = 1\ndef f(:\n    pass\n"


@pytest.mark.parametrize("target", ["broken.py", "broken"])
def test_a_program_that_does_not_compile_reports_like_plain_python(
    target: str, tmp_path: Path,
) -> None:
    write(tmp_path, "broken.py", BROKEN_SOURCE)
    plain = subprocess.run([sys.executable, str(tmp_path / "broken.py")], cwd=tmp_path,
                           capture_output=True, text=True, timeout=TIMEOUT)
    on_miniloop = miniloop_cli(target, cwd=tmp_path)
    # Only the error and where it is: no frames, not even a "Traceback" line.
    assert "Traceback" not in plain.stderr and "SyntaxError" in plain.stderr
    assert (on_miniloop.returncode, on_miniloop.stderr) == (plain.returncode, plain.stderr)
