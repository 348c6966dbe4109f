"""Shared fixtures: the differential harness, the slow-test switch, and Ctrl-C."""

from __future__ import annotations

import signal

import pytest

from tests.differential.harness import BothBackends


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run tests marked slow (load tests, long property runs)")


def pytest_configure(config: pytest.Config) -> None:
    hear_ctrl_c_even_in_the_background()


def hear_ctrl_c_even_in_the_background() -> None:
    """Give this process python's usual Ctrl-C handler if it started with SIGINT ignored.

    A shell starts a background job (``pytest &``, a CI step's ``nohup``)
    with SIGINT ignored. Python then leaves it ignored, and every child
    python inherits that: tests that check what Ctrl-C does, in this process
    or in a child, would see nothing happen. Putting the handler back makes
    the suite behave the same in the foreground and in the background.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


@pytest.fixture
def both_backends() -> BothBackends:
    """Run a program on asyncio and on miniloop and compare transcripts."""
    return BothBackends()
