"""Exploring schedules: each example's bug is found in few runs and replayed by its seed.

The examples in ``tests/explore/`` each have a real ordering bug of one
kind (or none). Here they run in this process, under the same seeds
``--explore`` would try, in the same order, so "found within N runs"
means what it says for the command line too; a replay is the run again
with the same seed, and the shrunk seed keeps only the perturbation that
matters. Then the failing schedules are replayed on stock asyncio
(``explore/stock_replay.py``): the perturbation a schedule recorded is
made on asyncio's own loop, by what a real machine could do (a late step,
a slow thread job, a slow reply, the kernel's order of ready sockets, the
tasks' places in a set), and asyncio fails the same way.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from miniloop.__main__ import main
from miniloop.tools import explore

EXAMPLES = Path(__file__).parent / "explore"

# Each example with a bug: what it prints when the bug shows, and within how
# many runs of ``--explore`` (the plain schedule first) the bug shows.
BUGS = {
    "lease.py": ("lease expired while the worker still held it", 30),       # a late step
    "ledger.py": ("paid out 120 from an account of 100", 30),               # IO latency
    "kvstore.py": ("color is (nothing)", 40),                               # IO order
    "warmup.py": ("first request: cache was cold", 30),                     # a slow thread job
    "ticks.py": ("the reporter saw a stale sample", 40),   # equal deadlines
    "siblings.py": ("lines lost: ['request started']", 30),  # the order of a set
}
RACE_FREE = ["racefree_queue.py", "racefree_order.py"]


class Runner:
    """Runs an example in this process under a seed, as ``--seed`` does."""

    def __init__(self, capsys: pytest.CaptureFixture[str], record: Path,
                 monkeypatch: pytest.MonkeyPatch) -> None:
        self.capsys = capsys
        self.record = record
        monkeypatch.setenv(explore.RECORD_VARIABLE, str(record))

    def run(self, example: str, seed: str) -> tuple[str, int, dict[str, object]]:
        """(what it printed, its exit status, what the schedule did)."""
        status = main(["--seed", seed, str(EXAMPLES / example)])
        printed = self.capsys.readouterr().out
        return printed, status, json.loads(self.record.read_text())


@pytest.fixture
def runner(capsys: pytest.CaptureFixture[str], tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Runner:
    return Runner(capsys, tmp_path / "record.json", monkeypatch)


def first_failure(runner: Runner, example: str, runs: int) -> tuple[str, str, dict[str, object]]:
    """The first of the explorer's seeds that breaks ``example``: (seed, output, record)."""
    printed, status, record = runner.run(example, "0")
    assert status == 0, f"{example} fails in its plain schedule:\n{printed}"
    counts = record["counts"]
    assert isinstance(counts, dict)
    for seed in explore.seeds_for(runs - 1, counts):
        printed, status, record = runner.run(example, str(seed))
        if status != 0:
            return str(seed), printed, record
    raise AssertionError(f"no schedule broke {example} in {runs} runs")


def applied_indices(record: dict[str, object]) -> list[int]:
    applied = record["applied"]
    assert isinstance(applied, list)
    return [perturbation["index"] for perturbation in applied]


@pytest.mark.parametrize("example", sorted(BUGS))
def test_each_bug_is_found_within_its_runs_and_replays_by_seed(
        runner: Runner, example: str) -> None:
    symptom, runs = BUGS[example]
    seed, printed, record = first_failure(runner, example, runs)
    assert symptom in printed
    again, status, _ = runner.run(example, seed)
    assert (again, status) == (printed, 1), "a seed replays exactly"
    kept = explore.seed_text(int(seed), applied_indices(record))
    assert runner.run(example, kept)[:2] == (printed, 1), "keeping every perturbation is the run"


@pytest.mark.parametrize("example", sorted(BUGS))
def test_each_example_passes_in_a_plain_run_and_under_virtual_time(example: str) -> None:
    for options in ([], ["--virtual-time"]):
        done = subprocess.run([sys.executable, "-m", "miniloop", *options, str(EXAMPLES / example)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("example", RACE_FREE)
def test_a_race_free_program_has_one_outcome_whatever_the_seed(
        runner: Runner, example: str) -> None:
    expected, status, record = runner.run(example, "0")
    assert status == 0
    counts = record["counts"]
    assert isinstance(counts, dict)
    for seed in explore.seeds_for(15, counts, master=7):
        assert runner.run(example, str(seed))[:2] == (expected, 0), f"seed {seed}"


def test_a_seed_names_its_kept_perturbations() -> None:
    assert explore.parse_seed("41") == (41, None)
    assert explore.parse_seed("41:3,17") == (41, frozenset({3, 17}))
    assert explore.parse_seed(explore.seed_text(41, [17, 3])) == (41, frozenset({3, 17}))
    assert explore.parse_seed("41:") == (41, frozenset())
    for bad in ("x", "-1", "4:a"):
        with pytest.raises(explore.ScheduleError):
            explore.parse_seed(bad)


def test_sockets_are_named_by_their_part_in_the_program() -> None:
    names = explore.SocketNames()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        names.watched(listener)
        address = listener.getsockname()
        with socket.create_connection(address) as first, \
                socket.create_connection(address) as second:
            names.watched(second.fileno())
            accepted = [listener.accept()[0] for _ in range(2)]
            for sock in (first, *accepted):
                names.watched(sock)
            assert [names.name(s.fileno()) for s in (listener, first, second)] == [
                "listener#1", "client#2", "client#1"]
            # The kernel accepts them in the order they connected.
            assert [names.name(s.fileno()) for s in accepted] == ["server#2", "server#1"]
            for sock in accepted:
                sock.close()
    reading, writing = os.pipe()
    names.watched(reading)
    assert names.name(reading) is None  # not a socket
    os.close(reading)
    os.close(writing)


def test_seed_zero_is_plain_virtual_time_and_changes_nothing() -> None:
    schedule = explore.Schedule(0)
    assert not any(schedule.decide(kind) for kind in explore.KINDS for _ in range(100))


def test_seeds_perturb_only_the_kinds_a_program_has() -> None:
    for seed in explore.seeds_for(50, {"late": 40, "io": 0, "order": 0, "job": 3, "tie": 0}):
        schedule = explore.Schedule(seed)
        assert not schedule.change_points["io"] and not schedule.change_points["tie"]
        assert schedule.change_points["late"] or schedule.change_points["job"]


@pytest.mark.parametrize("argv", [
    ["--seed", "x", "prog.py"],
    ["--explore", "0", "prog.py"],
    ["--explore", "3", "--trace", "prog.py"],
    ["--explore", "3", "--seed", "4", "prog.py"],
])
def test_bad_explore_options_are_usage_errors(argv: list[str], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prog.py").write_text("print('ran')\n")
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "ran" not in captured.out
    assert captured.err.startswith("miniloop: error: ")


def test_explore_reports_the_outcomes_and_a_shrunk_replay(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "miniloop", "--explore", "12", str(EXAMPLES / "warmup.py")],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    report = done.stdout
    assert "explored 12 schedules" in report and ": 2 outcomes" in report
    assert "first request: cache was cold" in report
    assert "shrunk to 1 of" in report and "thread job load() takes" in report
    replay = [line.split("replay: ", 1)[1] for line in report.splitlines()
              if "replay: " in line][-1]
    assert replay.startswith("python -m miniloop --seed ")
    again = subprocess.run([sys.executable, *replay.split()[1:]],
                           capture_output=True, text=True, timeout=60)
    assert (again.returncode, again.stdout) == (1, "first request: cache was cold\n")


def test_one_outcome_exits_0(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "miniloop", "--explore", "3", str(EXAMPLES / "racefree_order.py")],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ": 1 outcome\n" in done.stdout


# --- the same failure on stock asyncio ---------------------------------------------------


def failure_by_one(runner: Runner, example: str, kind: str, runs: int,
                   fits: Callable[[dict[str, Any]], bool]) -> tuple[str, dict[str, Any]]:
    """A failure of ``example`` that one perturbation of ``kind`` makes on its own.

    Among the explorer's first ``runs`` seeds, the first failing schedule
    with a perturbation of ``kind`` whose details ``fits`` and which, kept
    alone, still fails: (what that run printed, its details).
    """
    _, _, record = runner.run(example, "0")
    counts = record["counts"]
    assert isinstance(counts, dict)
    for seed in explore.seeds_for(runs - 1, counts):
        _, status, record = runner.run(example, str(seed))
        applied = record["applied"]
        assert isinstance(applied, list)
        for perturbation in applied if status else []:
            if perturbation["kind"] != kind:
                continue
            printed, status, single = runner.run(
                example, explore.seed_text(seed, [perturbation["index"]]))
            alone = single["applied"]
            assert isinstance(alone, list)
            if status == 1 and len(alone) == 1 and alone[0]["kind"] == kind and fits(
                    alone[0]["details"]):
                details: dict[str, Any] = alone[0]["details"]
                return printed, details
    raise AssertionError(f"no {kind} perturbation alone broke {example} in {runs} runs")


def on_stock_asyncio(mode: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run an example with ``stock_replay.py MODE ARGUMENTS... EXAMPLE``."""
    done = subprocess.run([sys.executable, str(EXAMPLES / "stock_replay.py"), mode, *arguments],
                          capture_output=True, text=True, timeout=60)
    assert "on asyncio (asyncio." in done.stderr  # the harness says which loop ran it
    return done


# A delay is drawn to land just past a pending timer, by 1% of the time to
# it at most. That is exact on virtual time, but on a loaded machine's real
# clock so thin a margin could go either way; so where the race is against
# a timer, the replay on stock asyncio makes the late thing later still by
# this much. A network that slow is as real, and the delay alone decides.
SLACK = 0.05


def test_the_late_step_that_breaks_the_lease_breaks_it_on_stock_asyncio(runner: Runner) -> None:
    # A failing schedule whose one perturbation is a task's step starting
    # late: asyncio's own loop is made to start that step as late (a task
    # factory sleeps before it), and fails the same way.
    printed, late = failure_by_one(runner, "lease.py", "late", 61, lambda late: "step" in late)
    assert BUGS["lease.py"][0] in printed
    done = on_stock_asyncio("step", late["coroutine"], str(late["step"]), str(late["delay"]),
                            str(EXAMPLES / "lease.py"))
    assert (done.returncode, done.stdout) == (1, printed), done.stderr


def test_the_slow_reply_that_pays_out_twice_does_so_on_stock_asyncio(runner: Runner) -> None:
    # A failing schedule whose one perturbation is a socket becoming ready
    # late (for the first time; which socket, the report names by its part
    # in the program): asyncio's selector is made to hold that readiness
    # back as long, and both withdrawals are paid out.
    printed, io = failure_by_one(runner, "ledger.py", "io", 60,
                                 lambda io: io["socket"] is not None and io["arrival"] == 1)
    assert BUGS["ledger.py"][0] in printed
    done = on_stock_asyncio("latency", io["socket"], io["event"], str(io["delay"] + SLACK),
                            str(EXAMPLES / "ledger.py"))
    assert f"{io['socket']} is {io['event']}: held back" in done.stderr
    assert (done.returncode, done.stdout) == (1, printed), done.stderr


def test_the_order_of_ready_sockets_that_serves_the_get_first_does_so_on_stock_asyncio(
        runner: Runner) -> None:
    # A failing schedule whose one perturbation is the order in which the
    # selector reports ready sockets: asyncio's selector is made to report
    # the same sockets in the same order, and the GET is served first.
    printed, order = failure_by_one(runner, "kvstore.py", "order", 60,
                                    lambda order: None not in order["sockets"])
    assert BUGS["kvstore.py"][0] in printed
    sockets = ",".join(order["sockets"])
    done = on_stock_asyncio("order", sockets, str(EXAMPLES / "kvstore.py"))
    assert "ready together, reported in that order" in done.stderr
    assert (done.returncode, done.stdout) == (1, printed), done.stderr


def test_the_set_order_that_loses_the_log_lines_loses_them_on_stock_asyncio(
        runner: Runner) -> None:
    # A failing schedule whose one perturbation is the order in which a
    # TaskGroup takes its tasks from its set: asyncio's own TaskGroup runs,
    # with tasks whose hashes (their places in a set) give the same order.
    printed, order = failure_by_one(runner, "siblings.py", "set", 60,
                                    lambda order: "coroutines" in order)
    assert BUGS["siblings.py"][0] in printed
    assert order["coroutines"][:2] == ["main.connection_owner()", "main.logger()"]
    done = on_stock_asyncio("setorder", ",".join(order["coroutines"]),
                            str(EXAMPLES / "siblings.py"))
    assert (done.returncode, done.stdout) == (1, printed), done.stderr


@pytest.mark.parametrize(("example", "mode"), [
    ("ledger.py", ["plain"]),
    ("kvstore.py", ["plain"]),
    # asyncio's TaskGroup cancels in its set's order, which a plain run
    # leaves to the tasks' addresses: the control is the creation order.
    ("siblings.py", ["setorder", "main.logger(),main.connection_owner()"]),
])
def test_without_the_perturbation_stock_asyncio_runs_the_example_as_the_plain_schedule_does(
        runner: Runner, example: str, mode: list[str]) -> None:
    printed, status, _ = runner.run(example, "0")
    assert status == 0
    done = on_stock_asyncio(*mode, str(EXAMPLES / example))
    assert (done.returncode, done.stdout) == (0, printed), done.stderr
    assert "held back" not in done.stderr and "reported in that order" not in done.stderr


def test_the_slow_thread_job_that_leaves_the_cache_cold_does_so_on_stock_asyncio(
        runner: Runner) -> None:
    symptom, runs = BUGS["warmup.py"]
    _, printed, record = first_failure(runner, "warmup.py", runs)
    applied = record["applied"]
    assert isinstance(applied, list)
    job = next(p["details"] for p in applied if p["kind"] == "job")
    done = on_stock_asyncio("job", job["job"], str(job["delay"]), str(EXAMPLES / "warmup.py"))
    assert (done.returncode, done.stdout) == (1, printed), done.stderr
    assert symptom in done.stdout


def test_stock_asyncio_orders_equal_deadlines_against_arming_order_on_its_own() -> None:
    done = subprocess.run([sys.executable, str(EXAMPLES / "ticks.py"), "3"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and BUGS["ticks.py"][0] in done.stdout


def test_a_seed_can_be_watched_with_the_trace(runner: Runner) -> None:
    seed, printed, record = first_failure(runner, "warmup.py", BUGS["warmup.py"][1])
    shrunk = explore.seed_text(int(seed), applied_indices(record))
    done = subprocess.run(
        [sys.executable, "-m", "miniloop", "--seed", shrunk, "--trace",
         str(EXAMPLES / "warmup.py")], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (1, printed)
    assert "Task-2 waits on to_thread(load) in a thread" in done.stderr
    assert f"miniloop: schedule {shrunk}, decision" in done.stderr
    assert "thread job load() takes" in done.stderr


def test_explore_passes_its_other_options_to_each_run_and_to_the_replay() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "miniloop", "--plain", "--explore", "2",
         str(EXAMPLES / "racefree_order.py")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "replay: python -m miniloop --plain --seed 0 " in done.stdout
