"""--miniloop-trace-dir: a failing test leaves its trace and timeline, a passing one nothing."""

from __future__ import annotations

import re
from pathlib import Path

from tests.plugin.conftest import Suite

pytest_plugins = ["pytester"]


def test_only_failing_tests_leave_traces_and_their_reports_name_them(suite: Suite) -> None:
    suite.write(test_traced="""
        import asyncio
        import pytest

        async def worker(delay):
            await asyncio.sleep(delay)
            return delay

        @pytest.mark.asyncio
        async def test_passes():
            assert await asyncio.gather(worker(0.01), worker(0.02)) == [0.01, 0.02]

        @pytest.mark.asyncio
        async def test_fails_after_a_gather():
            results = await asyncio.gather(worker(0.01), worker(0.02))
            assert results == [], "the workers did return"

        def test_sync_failure_without_a_loop():
            assert False

        @pytest.mark.parametrize("name", ["a/b", "c::d"])
        def test_asyncio_run_fails(name):
            asyncio.run(worker(0))
            raise RuntimeError(name)
    """)
    trace_dir = suite.pytester.path / "traces"
    run = suite.run("--miniloop", "--miniloop-trace-dir", str(trace_dir))
    assert run.outcomes() == {"passed": 1, "failed": 4}
    names = sorted(path.name for path in trace_dir.iterdir())
    assert names == [
        "test_traced.py__test_asyncio_run_fails_a_b.html",
        "test_traced.py__test_asyncio_run_fails_a_b.txt",
        "test_traced.py__test_asyncio_run_fails_c__d.html",
        "test_traced.py__test_asyncio_run_fails_c__d.txt",
        "test_traced.py__test_fails_after_a_gather.html",
        "test_traced.py__test_fails_after_a_gather.txt",
    ]
    stem = trace_dir / "test_traced.py__test_fails_after_a_gather"
    run.result.stdout.fnmatch_lines([
        "*AssertionError: the workers did return*",
        "*- miniloop trace -*",
        f"timeline of this test's loops: {stem}.html",
        f"text trace: {stem}.txt",
    ])
    text = Path(f"{stem}.txt").read_text()
    assert re.search(r"Task-\d+ failed: AssertionError: the workers did return", text)
    assert "waits on gather of 2" in text
    assert "<svg" in Path(f"{stem}.html").read_text()
    run.result.stdout.fnmatch_lines([f"miniloop: traces of 3 tests that failed are in {trace_dir}"])


def test_a_loop_shared_by_a_module_is_traced_in_the_test_that_fails(suite: Suite) -> None:
    suite.write(test_shared="""
        import asyncio
        import pytest

        pytestmark = pytest.mark.asyncio(loop_scope="module")

        async def test_first():
            await asyncio.sleep(0)

        async def test_second_fails():
            await asyncio.sleep(0.01)
            raise LookupError("second")
    """)
    trace_dir = suite.pytester.path / "traces"
    run = suite.run("--miniloop", "--miniloop-trace-dir", str(trace_dir))
    assert run.outcomes() == {"passed": 1, "failed": 1}
    text = (trace_dir / "test_shared.py__test_second_fails.txt").read_text()
    assert re.search(r"Task-\d+ failed: LookupError: second", text)
    assert "test_first" not in text
