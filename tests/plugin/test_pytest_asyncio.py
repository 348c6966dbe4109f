"""pytest-asyncio suites run on miniloop: function and module loops, its loop-factory hook."""

from __future__ import annotations

from tests.plugin.conftest import Suite

pytest_plugins = ["pytester"]


def test_async_tests_and_fixtures_run_on_miniloop_and_failures_keep_their_message(
        suite: Suite) -> None:
    suite.write(test_suite="""
        import asyncio
        import pytest
        import pytest_asyncio

        @pytest_asyncio.fixture
        async def loop_kind():
            await asyncio.sleep(0)
            return type(asyncio.get_running_loop()).__module__

        @pytest.mark.asyncio
        async def test_runs_on_miniloop(loop_kind):
            assert loop_kind.startswith("miniloop")
            assert type(asyncio.get_running_loop()).__module__.startswith("miniloop")

        @pytest.mark.asyncio
        async def test_sleeps():
            await asyncio.sleep(0.01)

        @pytest.mark.asyncio
        async def test_fails():
            await asyncio.sleep(0)
            assert 1 + 1 == 3, "arithmetic is broken"
    """)
    run = suite.run("--miniloop")
    assert run.outcomes() == {"passed": 2, "failed": 1}
    run.result.stdout.fnmatch_lines(["*AssertionError: arithmetic is broken*"])
    assert (run.on_miniloop, run.on_another_loop, run.no_loop) == (3, 0, 0)
    assert run.loops == "fast loop, real time"


def test_a_module_loop_is_one_miniloop_loop_whose_time_never_goes_back(suite: Suite) -> None:
    suite.write(test_module_loop="""
        import asyncio
        import pytest

        pytestmark = pytest.mark.asyncio(loop_scope="module")
        readings = []

        @pytest.mark.parametrize("n", range(4))
        async def test_sleep_an_hour(n):
            loop = asyncio.get_running_loop()
            readings.append((loop, loop.time()))
            await asyncio.sleep(3600)
            readings.append((loop, loop.time()))

        async def test_one_loop_and_time_went_forward():
            loops = {id(loop) for loop, _ in readings}
            times = [time for _, time in readings]
            assert len(loops) == 1
            assert type(readings[0][0]).__module__.startswith("miniloop")
            assert times == sorted(times)
            assert times[-1] - times[0] >= 4 * 3600
    """)
    run = suite.run("--miniloop", "--miniloop-virtual-time")
    assert run.outcomes() == {"passed": 5}
    assert run.on_miniloop == 5


def test_the_suites_own_loop_factories_keep_their_names_and_make_miniloop_loops(
        suite: Suite) -> None:
    suite.write(conftest="""
        import asyncio

        def pytest_asyncio_loop_factories(config, item):
            return {"selector": asyncio.SelectorEventLoop, "also": asyncio.SelectorEventLoop}
    """, test_factories="""
        import asyncio
        import pytest

        @pytest.mark.asyncio
        async def test_loop_kind():
            assert type(asyncio.get_running_loop()).__module__.startswith("miniloop")
    """)
    run = suite.run("--miniloop", "-v")
    run.result.stdout.fnmatch_lines(["*test_loop_kind?selector? PASSED*",
                                     "*test_loop_kind?also? PASSED*"])
    assert run.on_miniloop == 2
    # Without --miniloop, the same suite runs on asyncio's loops.
    stock = suite.run("-v")
    assert stock.outcomes() == {"failed": 2}
    assert stock.on_miniloop is None
