"""pytest's way in to miniloop: the options, and nothing else until asked.

pytest loads every installed plugin (the ``pytest11`` entry point) in every
project, whether or not the project uses miniloop. So this module is all
that loads: it adds the ``miniloop`` options to ``pytest --help`` and checks
them. Only ``pytest --miniloop`` imports miniloop itself and registers the
plugin proper, ``miniloop/tools/pytest_plugin.py``; a run without it pays
for one module of option definitions and changes nothing.

(It lives outside the ``miniloop`` package because importing any module
inside a package runs the package's ``__init__`` first, and miniloop's
imports the whole loop.)

Read next: ``miniloop/tools/pytest_plugin.py``.
"""

from __future__ import annotations

import argparse
import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``miniloop`` group of ``pytest --help``."""
    group = parser.getgroup("miniloop", "miniloop (run the suite's asyncio code on miniloop)")
    group.addoption("--miniloop", action="store_true", default=False,
                    help="run every asyncio event loop of the tests on miniloop")
    group.addoption("--miniloop-virtual-time", action="store_true", default=False,
                    help="with --miniloop: virtual time (sleeps cost nothing)")
    group.addoption("--miniloop-trace-dir", metavar="DIR", default=None, type=trace_directory,
                    help="with --miniloop: trace each failing test into DIR")
    group.addoption("--miniloop-plain", action="store_true", default=False,
                    help="with --miniloop: the plain loop (no speed-ups)")
    group.addoption("--miniloop-explore", metavar="N", default=None, type=schedule_count,
                    help="with --miniloop: run each async test under N seeded schedules; "
                         "a failing one is reported with the seed that replays it")
    group.addoption("--miniloop-seed", metavar="S", default=None,
                    help="with --miniloop: run each async test once under the schedule "
                         "S that --miniloop-explore reported (e.g. 41 or 41:3,17)")


def trace_directory(value: str) -> str:
    """``--miniloop-trace-dir``'s value: a directory, or a path where one can be made."""
    if not value.strip():
        raise argparse.ArgumentTypeError("give the directory to write the traces to")
    if os.path.exists(value) and not os.path.isdir(value):
        raise argparse.ArgumentTypeError(f"{value!r} is a file, not a directory")
    return value


def schedule_count(value: str) -> int:
    """``--miniloop-explore``'s value: how many schedules, 1 or more."""
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(
            f"{value!r}: give the number of schedules to run each async test under, 1 or more")
    return count


COMPANIONS = ("--miniloop-virtual-time", "--miniloop-trace-dir", "--miniloop-plain",
              "--miniloop-explore", "--miniloop-seed")


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """With ``--miniloop``, import miniloop and register the plugin proper."""
    if not config.getoption("miniloop"):
        given = [name for name in COMPANIONS
                 if config.getoption(name.lstrip("-").replace("-", "_")) not in (None, False)]
        if given:
            raise pytest.UsageError(f"{given[0]} works only together with --miniloop")
        return
    from miniloop.tools.pytest_plugin import MiniloopPlugin

    config.pluginmanager.register(MiniloopPlugin(config), MiniloopPlugin.NAME)
