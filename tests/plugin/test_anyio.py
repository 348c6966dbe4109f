"""anyio's pytest plugin, on its asyncio backend, runs on miniloop."""

from __future__ import annotations

from tests.plugin.conftest import Suite

pytest_plugins = ["pytester"]


def test_anyio_tests_and_fixtures_run_on_miniloop_and_timeouts_still_fail(suite: Suite) -> None:
    suite.write(test_anyio_suite="""
        import asyncio
        import anyio
        import pytest

        pytestmark = pytest.mark.anyio

        @pytest.fixture(scope="module")
        def anyio_backend():
            return "asyncio"

        @pytest.fixture
        async def loop_kind():
            await anyio.sleep(0)
            return type(asyncio.get_running_loop()).__module__

        async def test_runs_on_miniloop(loop_kind):
            assert loop_kind.startswith("miniloop")
            async with anyio.create_task_group() as group:
                group.start_soon(anyio.sleep, 0.01)

        async def test_a_timeout_fires():
            with anyio.fail_after(1):
                await anyio.sleep(3600)
    """)
    run = suite.run("--miniloop", "--miniloop-virtual-time")
    assert run.outcomes() == {"passed": 1, "failed": 1}
    run.result.stdout.fnmatch_lines(["FAILED *test_a_timeout_fires - TimeoutError*"])
    assert (run.on_miniloop, run.on_another_loop) == (2, 0)
