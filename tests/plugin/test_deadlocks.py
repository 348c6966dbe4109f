"""A test that deadlocks fails at once with miniloop's report, whichever way it made its loop.

These run pytest in a child process with a time limit: a deadlock the
plugin missed would otherwise hang this very test run.
"""

from __future__ import annotations

from tests.plugin.conftest import Suite

pytest_plugins = ["pytester"]


def test_deadlocked_tests_fail_fast_with_the_report(suite: Suite) -> None:
    suite.write(test_stuck="""
        import asyncio
        import unittest
        import pytest

        @pytest.mark.asyncio
        async def test_waits_for_an_event_nobody_sets():
            never = asyncio.Event()
            await never.wait()

        class Cases(unittest.IsolatedAsyncioTestCase):
            async def test_two_locks_taken_in_opposite_orders(self):
                first, second = asyncio.Lock(), asyncio.Lock()

                async def one():
                    async with first:
                        await asyncio.sleep(0)
                        async with second:
                            pass

                async def two():
                    async with second:
                        await asyncio.sleep(0)
                        async with first:
                            pass

                await asyncio.gather(one(), two())

        def test_asyncio_run_of_a_future_nobody_completes():
            async def main():
                await asyncio.get_running_loop().create_future()
            asyncio.run(main())

        @pytest.mark.asyncio
        async def test_after_them_all_is_well():
            await asyncio.sleep(0)
    """)
    run = suite.run("--miniloop", subprocess=True, timeout=60)
    assert run.outcomes() == {"passed": 1, "failed": 3}
    run.result.stdout.fnmatch_lines([
        "*DeadlockError: deadlock: Task-* waits on Event.wait() on 'never'*",
        "*miniloop: deadlock. Every task is waiting*",
        "*at test_stuck.py:8 in test_waits_for_an_event_nobody_sets:  await never.wait()",
    ])
    run.result.stdout.fnmatch_lines(["*A cycle: Task-* -> Task-* -> Task-*"])
    run.result.stdout.fnmatch_lines([
        "*_ test_asyncio_run_of_a_future_nobody_completes _*",
        "E * miniloop.DeadlockError: deadlock: Task-* waits on a Future",
    ])
    assert run.on_miniloop == 4
