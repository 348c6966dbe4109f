"""Shared fixtures: the differential harness, and the slow-test switch."""

from __future__ import annotations

import pytest

from tests.differential.harness import BothBackends


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run tests marked slow (load tests, long property runs)")


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
