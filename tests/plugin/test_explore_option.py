"""--miniloop-explore N and --miniloop-seed S: async tests under seeded schedules.

An ordering bug that the developer's machine never shows passes under
plain ``--miniloop``, fails under exploration with a seed, and fails again,
the same way, each time that seed is replayed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.plugin.conftest import Suite, SuiteRun

pytest_plugins = ["pytester"]

# A lease renewed with a thin margin (tests/explore/lease.py as a test): one
# step that starts 20 ms late lets the expiry timer fire first.
LEASE_TEST = """
    import asyncio
    import pytest

    @pytest.mark.asyncio
    async def test_lease_is_held_throughout():
        loop = asyncio.get_running_loop()
        lost = []
        expiry = loop.call_later(0.1, lost.append, "expired")
        for _ in range(3):
            await asyncio.sleep(0.07)
            await asyncio.sleep(0.01)  # the lock service confirms the renewal
            expiry.cancel()
            expiry = loop.call_later(0.1, lost.append, "expired")
        expiry.cancel()
        assert not lost, "the lease expired while the worker held it"
"""

# A cache warmed by a thread job (tests/explore/warmup.py as a test); the
# fixture gives each run an empty cache.
WARMUP_TEST = """
    import asyncio
    import pytest

    def load():
        return {"greeting": "hello"}

    @pytest.fixture
    def cache():
        return {}

    @pytest.mark.asyncio
    async def test_first_request_finds_the_cache_warm(cache):
        async def warm_up():
            cache.update(await asyncio.to_thread(load))

        warming = asyncio.create_task(warm_up())
        await asyncio.sleep(0.05)
        greeting = cache.get("greeting")
        await warming
        assert greeting == "hello", "the cache was cold"
"""

REPLAY = re.compile(r"^replay: pytest --miniloop --miniloop-seed (\S+) (\S+)$", re.MULTILINE)
CHANGE = re.compile(r"^  decision \d+: .*$", re.MULTILINE)


def replay_seed(run: SuiteRun, nodeid: str) -> str:
    """The seed the failure report says replays ``nodeid``."""
    found: list[str] = [seed for seed, node in REPLAY.findall(run.output) if node == nodeid]
    assert len(found) == 1, run.output
    return found[0]


def changes(run: SuiteRun) -> list[str]:
    """The perturbations a failure report lists, with task numbers left out."""
    return [re.sub(r"Task-\d+", "Task-N", line) for line in CHANGE.findall(run.output)]


def test_a_lease_race_passes_plainly_fails_under_exploration_and_replays(suite: Suite) -> None:
    suite.write(test_lease=LEASE_TEST)
    assert suite.run("--miniloop").outcomes() == {"passed": 1}
    assert suite.run("--miniloop", "--miniloop-virtual-time").outcomes() == {"passed": 1}

    explored = suite.run("--miniloop", "--miniloop-explore", "30")
    assert explored.outcomes() == {"failed": 1}
    explored.result.stdout.fnmatch_lines([
        "*AssertionError: the lease expired while the worker held it",
        "*- miniloop schedule -*",
        "failed under schedule *, after * passed (of --miniloop-explore 30; the first, "
        "seed 0, is plain virtual time)",
        "replay: pytest --miniloop --miniloop-seed * test_lease.py::test_lease_is_held_throughout",
        "what the schedule changed, in this run:",
        "  decision *: * starts * s late (just past the timer due at *)",
        "the schedule was replayed before this run, and failed the same way: "
        "the seed reproduces the failure",
    ])
    seed = replay_seed(explored, "test_lease.py::test_lease_is_held_throughout")
    assert ":" in seed, "shrinking names the perturbations it kept"

    replays = [suite.run("--miniloop", "--miniloop-seed", seed) for _ in range(2)]
    for replayed in replays:
        assert replayed.outcomes() == {"failed": 1}
        replayed.result.stdout.fnmatch_lines([
            "*AssertionError: the lease expired while the worker held it",
            f"ran under schedule {seed} (--miniloop-seed)",
        ])
        assert changes(replayed) == changes(explored)


def test_a_slow_thread_job_is_found_and_replayed(suite: Suite) -> None:
    suite.write(test_warmup=WARMUP_TEST)
    assert suite.run("--miniloop").outcomes() == {"passed": 1}
    explored = suite.run("--miniloop", "--miniloop-explore", "30")
    assert explored.outcomes() == {"failed": 1}
    assert any("thread job load() takes" in line for line in changes(explored)), explored.output
    seed = replay_seed(explored, "test_warmup.py::test_first_request_finds_the_cache_warm")
    for _ in range(2):
        replayed = suite.run("--miniloop", "--miniloop-seed", seed)
        assert replayed.outcomes() == {"failed": 1}
        replayed.result.stdout.fnmatch_lines(["*AssertionError: the cache was cold"])
        assert changes(replayed) == changes(explored)


# Each run of a test leaves a line in a file: how often each ran, and whether
# its function-scoped fixture was made and torn down anew each time.
COUNTED = """
    import asyncio
    import pytest

    def note(what):
        with open("runs.txt", "a") as runs:
            runs.write(what + "\\n")

    @pytest.fixture
    def jobs():
        note("setup")
        made = []
        yield made
        note("teardown")

    @pytest.mark.asyncio
    async def test_race_free(jobs):
        note("async")
        async def job(number):
            await asyncio.sleep(0.01 * number)
            jobs.append(number)
            return number
        assert await asyncio.gather(*(job(n) for n in range(5))) == list(range(5))
        assert sorted(jobs) == list(range(5)), "each run starts with a fresh fixture"

    def test_sync():
        note("sync")

    @pytest.mark.skip(reason="not today")
    @pytest.mark.asyncio
    async def test_skipped(jobs):
        note("skipped")
"""


def counts(suite: Suite) -> dict[str, int]:
    """How many times each thing in runs.txt happened."""
    lines = (suite.pytester.path / "runs.txt").read_text().split()
    return {what: lines.count(what) for what in sorted(set(lines))}


def test_a_race_free_test_passes_every_schedule_with_fresh_fixtures(suite: Suite) -> None:
    suite.write(test_counted=COUNTED)
    run = suite.run("--miniloop", "--miniloop-explore", "20")
    assert run.outcomes() == {"passed": 2, "skipped": 1}
    # 20 schedules, then the reported run (a replay of the plain one); the sync test once.
    assert counts(suite) == {"async": 21, "setup": 21, "teardown": 21, "sync": 1}
    assert run.on_miniloop == 1 and run.no_loop == 2  # the sync test and the skipped one
    assert run.loops == "fast loop, real time, async tests under 20 schedules each on virtual time"
    assert "not explored" not in run.output


def test_a_seed_alone_runs_each_async_test_once(suite: Suite) -> None:
    suite.write(test_counted=COUNTED)
    run = suite.run("--miniloop", "--miniloop-seed", "41:3,17")
    assert run.outcomes() == {"passed": 2, "skipped": 1}
    assert counts(suite) == {"async": 1, "setup": 1, "teardown": 1, "sync": 1}
    assert run.loops == "fast loop, real time, async tests under schedule 41:3,17 on virtual time"


def test_without_the_options_every_test_runs_once(suite: Suite) -> None:
    suite.write(test_counted=COUNTED)
    assert suite.run("--miniloop").outcomes() == {"passed": 2, "skipped": 1}
    assert counts(suite) == {"async": 1, "setup": 1, "teardown": 1, "sync": 1}


def test_the_report_keeps_only_the_reported_runs_output(suite: Suite) -> None:
    suite.write(test_printing="""
        import asyncio
        import pytest

        @pytest.mark.asyncio
        async def test_prints_and_fails():
            print("one run")
            await asyncio.sleep(0.01)
            assert False, "always"
    """)
    run = suite.run("--miniloop", "--miniloop-explore", "5")
    assert run.outcomes() == {"failed": 1}
    assert re.search(r"- Captured stdout call -+\none run\n-", run.output), run.output
    run.result.stdout.fnmatch_lines([
        "failed under the plain schedule, seed 0 (virtual time, nothing perturbed), the first "
        "of --miniloop-explore 5",
        "replay: pytest --miniloop --miniloop-seed 0 test_printing.py::test_prints_and_fails",
    ])


# State that outlives a run fails one run only (the first, or the third):
# replaying that run's seed passes, and the plugin says why.
ESCAPES = """
    import asyncio
    import itertools
    import pytest

    runs = itertools.count()

    @pytest.mark.asyncio
    async def test_one_run_fails():
        await asyncio.sleep(0.01)
        assert next(runs) != FAILING, "that run fails"
"""


@pytest.mark.parametrize(("failing", "first_line"), [
    (0, "failed under the plain schedule, seed 0 *"),
    (2, "failed under schedule *, after 2 schedules passed *"),
])
def test_a_test_that_escapes_the_loop_still_fails_and_is_said_to(
        suite: Suite, failing: int, first_line: str) -> None:
    suite.write(test_escapes=ESCAPES.replace("FAILING", str(failing)))
    run = suite.run("--miniloop", "--miniloop-explore", "10")
    assert run.outcomes() == {"failed": 1}, "a failure under any schedule fails the test"
    run.result.stdout.fnmatch_lines([
        "*AssertionError: that run fails",
        first_line,
        "the same schedule gave another result when replayed (*): the test escapes the "
        "loop's control *",
    ])
    assert "the seed reproduces the failure" not in run.output


def test_the_failing_schedule_leaves_its_timeline(suite: Suite) -> None:
    suite.write(test_lease=LEASE_TEST)
    trace_dir = suite.pytester.path / "traces"
    run = suite.run("--miniloop", "--miniloop-explore", "30", "--miniloop-trace-dir",
                    str(trace_dir))
    assert run.outcomes() == {"failed": 1}
    stem = trace_dir / "test_lease.py__test_lease_is_held_throughout"
    run.result.stdout.fnmatch_lines([f"timeline of this run: {stem}.html"])
    assert sorted(path.name for path in trace_dir.iterdir()) == [
        f"{stem.name}.html", f"{stem.name}.txt"]
    assert "<svg" in Path(f"{stem}.html").read_text()
    assert "the lease expired while the worker held it" in Path(f"{stem}.txt").read_text()


def test_a_loop_shared_by_a_module_is_not_explored_and_the_summary_says_so(
        suite: Suite) -> None:
    suite.write(test_shared="""
        import asyncio
        import pytest

        pytestmark = pytest.mark.asyncio(loop_scope="module")
        loops = []

        async def test_first():
            loops.append(asyncio.get_running_loop())

        async def test_second():
            loops.append(asyncio.get_running_loop())
            assert all(loop is loops[0] for loop in loops), "the module's tests share a loop"
    """)
    run = suite.run("--miniloop", "--miniloop-explore", "5")
    assert run.outcomes() == {"passed": 2}
    run.result.stdout.fnmatch_lines([
        "miniloop: 2 tests not explored: their loop is shared by a module or the session, "
        "made before them: test_shared.py::test_first, test_shared.py::test_second"])


def test_bad_values_are_usage_errors(suite: Suite) -> None:
    suite.write(test_nothing="def test_nothing(): pass")
    cases = {
        ("--miniloop", "--miniloop-explore", "0"):
            "*argument --miniloop-explore: '0': give the number of schedules *, 1 or more",
        ("--miniloop", "--miniloop-explore", "many"):
            "*argument --miniloop-explore: 'many': give the number of schedules *",
        ("--miniloop-explore", "3"): "*--miniloop-explore works only together with --miniloop*",
        ("--miniloop-seed", "41"): "*--miniloop-seed works only together with --miniloop*",
        ("--miniloop", "--miniloop-seed", "41x"):
            "*--miniloop-seed '41x': a seed is a number 0 or more, optionally followed by "
            ":decision,decision,...*",
        ("--miniloop", "--miniloop-seed", "-1"): "*--miniloop-seed '-1': a seed is a number *",
        ("--miniloop", "--miniloop-explore", "3", "--miniloop-seed", "41"):
            "*--miniloop-explore runs many schedules and --miniloop-seed replays one: "
            "give only one of them*",
    }
    for args, message in cases.items():
        result = suite.pytest(*args)
        assert result.ret == 4, (args, result.stdout.str(), result.stderr.str())
        result.stderr.fnmatch_lines([message])


def test_help_lists_the_options(suite: Suite) -> None:
    result = suite.pytest("--help")
    result.stdout.fnmatch_lines([
        "  --miniloop-explore=N  with --miniloop: run each async test under N seeded",
        "  --miniloop-seed=S     with --miniloop: run each async test once under the",
    ])

