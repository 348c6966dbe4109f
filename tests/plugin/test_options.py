"""The options: in pytest --help, checked, and nothing at all without --miniloop."""

from __future__ import annotations

import importlib.metadata

from tests.plugin.conftest import Suite

pytest_plugins = ["pytester"]


def test_the_plugin_is_registered_for_pytest_under_the_name_miniloop() -> None:
    entry_points = importlib.metadata.entry_points(group="pytest11")
    assert [point.value for point in entry_points if point.name == "miniloop"] == [
        "pytest_miniloop"]


def test_help_lists_the_options_in_a_miniloop_group(suite: Suite) -> None:
    result = suite.pytest("--help")
    result.stdout.fnmatch_lines([
        "miniloop (run the suite's asyncio code on miniloop):",
        "  --miniloop *run every asyncio event loop of the tests on miniloop",
        "  --miniloop-virtual-time",
        "  * with --miniloop: virtual time (sleeps cost nothing)",
        "  --miniloop-trace-dir=DIR",
        "  * with --miniloop: trace each failing test into DIR",
        "  --miniloop-plain *with --miniloop: the plain loop (no speed-ups)",
    ])


def test_bad_values_are_usage_errors(suite: Suite) -> None:
    suite.write(test_nothing="def test_nothing(): pass")
    (suite.pytester.path / "a_file").write_text("")
    cases = {
        ("--miniloop-virtual-time",): "*--miniloop-virtual-time works only together with "
                                      "--miniloop*",
        ("--miniloop-plain",): "*--miniloop-plain works only together with --miniloop*",
        ("--miniloop", "--miniloop-trace-dir", "a_file"):
            "*argument --miniloop-trace-dir: 'a_file' is a file, not a directory*",
        ("--miniloop", "--miniloop-trace-dir", ""):
            "*argument --miniloop-trace-dir: give the directory to write the traces to*",
        ("--miniloop", "--miniloop-trace-dir", "a_file/below"):
            "*--miniloop-trace-dir: cannot make 'a_file/below'*",
    }
    for args, message in cases.items():
        result = suite.pytest(*args)
        assert result.ret == 4, (args, result.stdout.str(), result.stderr.str())
        result.stderr.fnmatch_lines([message])


def test_a_missing_trace_directory_is_made(suite: Suite) -> None:
    suite.write(test_nothing="def test_nothing(): pass")
    run = suite.run("--miniloop", "--miniloop-trace-dir", "new/traces")
    assert run.outcomes() == {"passed": 1}
    assert (suite.pytester.path / "new" / "traces").is_dir()


def test_plain_loops_on_request(suite: Suite) -> None:
    suite.write(test_plain="""
        import asyncio

        def test_the_loop_is_plain():
            async def main():
                return asyncio.get_running_loop().plain
            assert asyncio.run(main()) is True
    """)
    run = suite.run("--miniloop", "--miniloop-plain")
    assert run.outcomes() == {"passed": 1}
    assert run.loops == "plain loop, real time"


ORDINARY_SUITE = {
    "conftest": """
        import sys

        def pytest_sessionfinish(session):
            # Was miniloop imported? Only the options should have been loaded.
            with open("imported.txt", "w") as answer:
                answer.write(str("miniloop" in sys.modules))
    """,
    "test_ordinary": """
        import asyncio
        import unittest
        import pytest

        def loop_module():
            return type(asyncio.get_running_loop()).__module__

        @pytest.mark.asyncio
        async def test_pytest_asyncio():
            assert loop_module().startswith("asyncio")

        def test_asyncio_run():
            async def main():
                return loop_module()
            assert asyncio.run(main()).startswith("asyncio")

        class Cases(unittest.IsolatedAsyncioTestCase):
            async def test_case(self):
                assert loop_module().startswith("asyncio")

        @pytest.mark.asyncio
        async def test_fails():
            assert False, "as it should"
    """,
}


def test_without_miniloop_nothing_changes_and_miniloop_is_not_imported(suite: Suite) -> None:
    suite.write(**ORDINARY_SUITE)
    plain_pytest = suite.pytest("-p", "no:miniloop", "-v")
    with_plugin = suite.run("-v", subprocess=True)
    assert with_plugin.result.ret == plain_pytest.ret == 1
    assert with_plugin.outcomes() == plain_pytest.parseoutcomes() == {"passed": 3, "failed": 1}
    assert with_plugin.on_miniloop is None  # no summary line either
    assert (suite.pytester.path / "imported.txt").read_text() == "False"

    def verdicts(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.startswith("test_ordinary.py::")]
    assert verdicts(with_plugin.output) == verdicts(plain_pytest.stdout.str())
