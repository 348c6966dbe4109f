"""The demos do what DEMOS.md says, whichever way they are started."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMOS = ("countasync", "countsync", "genbased", "rand", "chained")
EVERY_DEMO = sorted(path.stem for path in (ROOT / "demos").glob("*.py") if path.stem != "__init__")
FAST = ("--speed", "50")  # every sleep 50 times shorter
TIMEOUT = 60

COLOURS = ("\033[36m", "\033[33m", "\033[35m")


def run_demo(how: str, name: str, *args: str) -> list[str]:
    """Run a demo one of the ways a reader would; return its stdout lines."""
    starts = {
        "module": [sys.executable, "-m", f"demos.{name}"],
        "path": [sys.executable, f"demos/{name}.py"],
        "miniloop": [sys.executable, "-m", "miniloop", f"demos.{name}"],
        "miniloop-path": [sys.executable, "-m", "miniloop", f"demos/{name}.py"],
    }
    env = dict(os.environ)
    env.pop("MINILOOP_COMPAT_BACKEND", None)
    done = subprocess.run([*starts[how], *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.splitlines()


@pytest.mark.parametrize("name", ["countasync", "genbased"])
@pytest.mark.parametrize("how", ["module", "path", "miniloop", "miniloop-path"])
def test_the_counts_interleave(name: str, how: str) -> None:
    lines = run_demo(how, name, *FAST)
    assert lines[:6] == ["One"] * 3 + ["Two"] * 3
    assert re.fullmatch(rf"{name}\.py executed in \d+\.\d\d seconds\.", lines[6])
    assert len(lines) == 7


@pytest.mark.parametrize("how", ["path", "miniloop"])
def test_the_blocking_count_takes_turns(how: str) -> None:
    lines = run_demo(how, "countsync", *FAST)
    assert lines[:6] == ["One", "Two"] * 3
    assert re.fullmatch(r"countsync\.py executed in \d+\.\d\d seconds\.", lines[6])


@pytest.mark.parametrize("name", EVERY_DEMO)
def test_every_demo_explains_itself_in_its_help(name: str) -> None:
    source = (ROOT / "demos" / f"{name}.py").read_text()
    summary = re.search(r'"""(.+)', source)
    assert summary is not None
    help_text = "\n".join(run_demo("module", name, "--help"))
    assert help_text.startswith(f"usage: {name}.py")
    assert summary.group(1) in help_text.replace("\n", " ")


def strip_colours(line: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", line)


def run_in_terminal(how: str, name: str, *args: str, **env: str) -> list[str]:
    """Like run_demo, but with a terminal (a pseudo-terminal) as the demo's stdout."""
    starts = {"module": [sys.executable, "-m", f"demos.{name}"],
              "miniloop": [sys.executable, "-m", "miniloop", f"demos.{name}"]}
    environment = dict(os.environ)
    for inherited in ("MINILOOP_COMPAT_BACKEND", "NO_COLOR"):
        environment.pop(inherited, None)
    environment.update(env)
    controller, terminal = pty.openpty()
    try:
        child = subprocess.Popen([*starts[how], *args], cwd=ROOT, env=environment,
                                 stdout=terminal, stderr=subprocess.PIPE)
        os.close(terminal)
        output = b""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if not select.select([controller], [], [], 1.0)[0]:
                continue
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the demo closed its end
                break
            if not chunk:
                break
            output += chunk
        else:
            child.kill()
        assert child.wait(timeout=TIMEOUT) == 0
        assert child.stderr is not None and child.stderr.read() == b""
        child.stderr.close()
    finally:
        os.close(controller)
    return output.decode().replace("\r\n", "\n").splitlines()


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_rand_draws_until_each_threshold_is_beaten_in_one_colour_per_index() -> None:
    lines = run_in_terminal("module", "rand", *FAST)
    results = lines.pop()
    for index, threshold in enumerate((9, 8, 7)):
        mine = [line for line in lines if f"makerandom({index})" in line]
        assert all(line.startswith(COLOURS[index]) and line.endswith("\033[0m") for line in mine)
        plain = [strip_colours(line) for line in mine]
        assert plain[0] == f"makerandom({index}) starts: it needs more than {threshold}"
        low = [int(m.group(1)) for line in plain[1:-1]
               if (m := re.search(r"drew (\d+): too low", line))]
        assert len(low) == len(plain) - 2 and all(draw <= threshold for draw in low)
        last = re.fullmatch(rf"---> makerandom\({index}\) drew (\d+): done", plain[-1])
        assert last is not None and int(last.group(1)) > threshold
        assert f"makerandom({index}) = {last.group(1)}" in results


def test_rand_is_reproducible_with_a_seed_and_varies_with_it() -> None:
    first = run_demo("module", "rand", "--seed", "3", "--no-color", *FAST)
    again = run_demo("miniloop", "rand", "--seed", "3", "--no-color", *FAST)
    other = run_demo("module", "rand", "--seed", "4", "--no-color", *FAST)
    assert sorted(first) == sorted(again)  # the same lines (see COMPAT_LINE_ORDER)
    assert sorted(first) != sorted(other)
    assert not any("\x1b" in line for line in first)


@pytest.mark.parametrize("how", ["module", "miniloop"])
def test_rand_writes_no_colour_codes_into_a_pipe(how: str) -> None:
    lines = run_demo(how, "rand", "--seed", "3", *FAST)
    assert not any("\x1b" in line for line in lines)
    assert sorted(lines) == sorted(run_demo("module", "rand", "--seed", "3", "--no-color", *FAST))


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("how", ["module", "miniloop"])
def test_rand_colours_a_terminal_unless_told_not_to(how: str) -> None:
    coloured = run_in_terminal(how, "rand", "--seed", "3", *FAST)
    assert coloured[0].startswith(COLOURS[0]) and coloured[0].endswith("\033[0m")
    plain = [strip_colours(line) for line in coloured]
    assert sorted(plain) == sorted(run_demo(how, "rand", "--seed", "3", *FAST))
    for refusal in (run_in_terminal(how, "rand", "--seed", "3", *FAST, NO_COLOR="1"),
                    run_in_terminal(how, "rand", "--seed", "3", "--no-color", *FAST)):
        assert sorted(refusal) == sorted(plain)
    # NO_COLOR set but empty does not count (https://no-color.org).
    assert run_in_terminal(how, "rand", "--seed", "3", *FAST, NO_COLOR="")[0] == coloured[0]


def test_chained_runs_one_chain_per_number_each_part_after_the_other() -> None:
    lines = run_demo("module", "chained", *FAST)
    for n in (9, 6, 3):
        mine = [line for line in lines if line.startswith(f"chain {n}")]
        assert [line.split(":")[0] for line in mine] == [
            f"chain {n}, part 1", f"chain {n}, part 1", f"chain {n}, part 2",
            f"chain {n}, part 2", f"chain {n} finished"]
        assert mine[2].startswith(f"chain {n}, part 2: got r{n}.1, sleeping ")
        assert re.fullmatch(rf"chain {n} finished: r{n}\.2 \(from r{n}\.1\) after \d+\.\d\d s",
                            mine[4])
    assert re.fullmatch(r"all chains finished in \d+\.\d\d s: about the longest chain, "
                        r"not the sum", lines[-1])


def test_chained_takes_its_numbers_from_the_command_line() -> None:
    lines = run_demo("miniloop", "chained", "1", "2", "--seed", "7", *FAST)
    finished = sorted(line.split(":")[0] for line in lines if "finished:" in line)
    assert finished == ["chain 1 finished", "chain 2 finished"]
    # Each chain's sleeps come from its own generator: the seed decides them.
    assert "chain 1, part 1: sleeping 0 s" in lines
