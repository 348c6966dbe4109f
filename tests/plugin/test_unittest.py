"""unittest's IsolatedAsyncioTestCase runs on miniloop (by its loop_factory on 3.13+)."""

from __future__ import annotations

import sys

import pytest

from tests.plugin.conftest import Suite

pytest_plugins = ["pytester"]


def test_isolated_asyncio_test_cases_run_on_miniloop_and_failures_keep_their_message(
        suite: Suite) -> None:
    suite.write(test_cases="""
        import asyncio
        import sys
        import unittest

        class Cases(unittest.IsolatedAsyncioTestCase):
            async def asyncSetUp(self):
                self.kind = type(asyncio.get_running_loop()).__module__

            async def test_runs_on_miniloop(self):
                self.assertTrue(self.kind.startswith("miniloop"))
                if sys.version_info >= (3, 13):
                    self.assertIsNotNone(self.loop_factory)  # not by the policy

            async def test_fails(self):
                await asyncio.sleep(0)
                self.assertEqual(2, 3, "two is not three")
    """)
    run = suite.run("--miniloop")
    assert run.outcomes() == {"passed": 1, "failed": 1}
    run.result.stdout.fnmatch_lines(["*AssertionError: 2 != 3 : two is not three*"])
    assert run.on_miniloop == 2


@pytest.mark.skipif(sys.version_info < (3, 13), reason="loop_factory is new in 3.13")
def test_a_test_case_with_its_own_loop_factory_keeps_it_and_is_counted(suite: Suite) -> None:
    suite.write(test_own_loop="""
        import asyncio
        import unittest

        class OnSelectorLoops(unittest.IsolatedAsyncioTestCase):
            loop_factory = asyncio.SelectorEventLoop

            async def test_stock(self):
                assert type(asyncio.get_running_loop()) is asyncio.SelectorEventLoop
    """)
    run = suite.run("--miniloop")
    assert run.outcomes() == {"passed": 1}
    assert (run.on_miniloop, run.on_another_loop) == (0, 1)
    run.result.stdout.fnmatch_lines(["miniloop:   on another loop: *test_stock"])
