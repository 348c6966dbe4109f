"""Sync tests that make their own loops: asyncio.run, Runner, new_event_loop."""

from __future__ import annotations

from tests.plugin.conftest import Suite

pytest_plugins = ["pytester"]


def test_loops_asked_of_asyncio_are_miniloop_loops_and_hand_made_ones_stay_stock(
        suite: Suite) -> None:
    suite.write(test_sync="""
        import asyncio

        async def loop_kind():
            await asyncio.sleep(0.01)
            return type(asyncio.get_running_loop()).__module__

        def test_asyncio_run():
            assert asyncio.run(loop_kind()).startswith("miniloop")

        def test_runner():
            with asyncio.Runner() as runner:
                assert runner.run(loop_kind()).startswith("miniloop")

        def test_new_event_loop():
            loop = asyncio.new_event_loop()
            try:
                assert loop.run_until_complete(loop_kind()).startswith("miniloop")
            finally:
                loop.close()

        def test_a_selector_loop_made_by_hand():
            loop = asyncio.SelectorEventLoop()
            try:
                assert loop.run_until_complete(loop_kind()) == "asyncio.unix_events"
            finally:
                loop.close()

        def test_no_loop_at_all():
            assert sum(range(4)) == 6

        def test_an_error_inside_asyncio_run():
            async def fail():
                await asyncio.sleep(0)
                raise ValueError("bad value, on purpose")
            asyncio.run(fail())
    """)
    run = suite.run("--miniloop")
    assert run.outcomes() == {"passed": 5, "failed": 1}
    run.result.stdout.fnmatch_lines(["*ValueError: bad value, on purpose*"])
    assert (run.on_miniloop, run.on_another_loop, run.no_loop) == (4, 1, 1)
    run.result.stdout.fnmatch_lines(
        ["miniloop:   on another loop: test_sync.py::test_a_selector_loop_made_by_hand"])
