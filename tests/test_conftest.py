"""The suite's own switches (tests/conftest.py): which tests are slow, and Ctrl-C."""

from __future__ import annotations

import importlib
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SLOW_TESTS, hear_ctrl_c_even_in_the_background

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("test", sorted(SLOW_TESTS))
def test_every_slow_row_names_a_test_that_exists(test: str) -> None:
    path, name = test.split("::")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    assert callable(getattr(module, name, None)), f"{test} does not exist"


def test_ci_runs_the_slow_tests() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'slow="--run-slow"' in ci and "python -m pytest $slow" in ci


@pytest.fixture
def sigint_ignored() -> Iterator[None]:
    """SIGINT ignored, as a shell starts a background job; put back after."""
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def test_a_suite_started_with_ctrl_c_ignored_hears_it_again(sigint_ignored: None) -> None:
    hear_ctrl_c_even_in_the_background()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_handler_of_its_own_is_left_alone() -> None:
    def custom(signum: int, frame: object) -> None:
        pass

    before = signal.signal(signal.SIGINT, custom)
    try:
        hear_ctrl_c_even_in_the_background()
        assert signal.getsignal(signal.SIGINT) is custom
    finally:
        signal.signal(signal.SIGINT, before)
