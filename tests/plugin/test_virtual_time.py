"""--miniloop-virtual-time: a suite of long sleeps and timeouts takes no time."""

from __future__ import annotations

import time

from tests.plugin.conftest import Suite

pytest_plugins = ["pytester"]

# Every test of this suite sleeps a minute and times out after another one:
# 40 tests, 80 minutes of real time.
LONG_SLEEPS = """
    import asyncio
    import pytest

    @pytest.mark.parametrize("n", range(20))
    @pytest.mark.asyncio
    async def test_sleep_then_time_out(n):
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.sleep(60)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.Event().wait(), timeout=60)
        assert loop.time() - start >= 120

    @pytest.mark.parametrize("n", range(20))
    def test_asyncio_run_sleeps(n):
        async def main():
            loop = asyncio.get_running_loop()
            start = loop.time()
            await asyncio.sleep(120)
            return loop.time() - start
        assert asyncio.run(main()) >= 120
"""


def test_a_suite_of_long_sleeps_runs_in_no_time(suite: Suite) -> None:
    suite.write(test_sleepy=LONG_SLEEPS)
    started = time.monotonic()
    run = suite.run("--miniloop", "--miniloop-virtual-time")
    took = time.monotonic() - started
    assert run.outcomes() == {"passed": 40}
    assert run.on_miniloop == 40
    assert run.loops == "fast loop, virtual time"
    skipped = float(run.output.split("virtual time skipped ")[1].split(" s")[0])
    assert skipped >= 40 * 120
    assert took < 60, f"80 minutes of sleeps took {took:.0f} s"


def test_a_jump_past_a_watched_socket_is_counted_and_explained(suite: Suite) -> None:
    suite.write(test_server="""
        import asyncio
        import pytest

        async def serve_then_sleep():
            server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
            async with server:
                await asyncio.sleep(30)  # the listening socket is watched meanwhile

        @pytest.mark.asyncio
        async def test_passes():
            await serve_then_sleep()

        @pytest.mark.asyncio
        async def test_fails():
            await serve_then_sleep()
            assert False, "failed after the jump"
    """)
    run = suite.run("--miniloop", "--miniloop-virtual-time")
    assert run.outcomes() == {"passed": 1, "failed": 1}
    run.result.stdout.fnmatch_lines([
        "*- miniloop virtual time -*",
        "The virtual clock jumped to a timer 1 time(s) while the loop was watching a socket*",
    ])
    run.result.stdout.fnmatch_lines([
        "miniloop: virtual time jumped past watched sockets or pipes 2 time(s), in 2 tests: "
        "test_server.py::test_passes, test_server.py::test_fails"])


def test_the_clock_waits_for_a_thread_at_work_and_never_goes_back(suite: Suite) -> None:
    suite.write(test_session_loop="""
        import asyncio
        import time
        import pytest

        readings = []

        @pytest.mark.asyncio(loop_scope="session")
        async def test_a_session_loop_sleeps_a_day():
            await asyncio.sleep(86400)
            readings.append(asyncio.get_running_loop().time())

        @pytest.mark.asyncio
        async def test_a_new_loop_starts_later_still():
            readings.append(asyncio.get_running_loop().time())
            assert readings == sorted(readings)

        @pytest.mark.asyncio
        async def test_a_thread_job_is_waited_for_not_jumped_past():
            loop = asyncio.get_running_loop()
            job = loop.run_in_executor(None, time.sleep, 0.05)
            await asyncio.wait_for(job, timeout=0.01 * 3600)  # no timeout: the job ends first
            readings.append(loop.time())

        @pytest.mark.asyncio(loop_scope="session")
        async def test_the_session_loop_again():
            readings.append(asyncio.get_running_loop().time())
            assert readings[-1] >= readings[0]
    """)
    run = suite.run("--miniloop", "--miniloop-virtual-time")
    assert run.outcomes() == {"passed": 4}


def test_a_thread_job_ending_as_the_clock_looks_never_lets_it_jump(suite: Suite) -> None:
    # A job that ended between the clock's look at the selector and its
    # question "is a thread still at work?" once let it jump to the next
    # timer (here: wait_for's 300 s), one time in a few thousand.
    suite.write(test_jobs="""
        import asyncio
        import time
        import pytest

        @pytest.mark.asyncio
        async def test_many_short_jobs():
            loop = asyncio.get_running_loop()
            start = loop.time()
            for _ in range(2000):
                await asyncio.wait_for(loop.run_in_executor(None, time.sleep, 0), timeout=300)
            assert loop.time() - start < 100
    """)
    run = suite.run("--miniloop", "--miniloop-virtual-time")
    assert run.outcomes() == {"passed": 1}
