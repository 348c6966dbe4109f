"""CPython's own asyncio tests pass on miniloop wherever they pass on asyncio.

The quick test runs every toolkit module of ``test.test_asyncio`` minus the
slowest and most repeated tests (``run_cpython_asyncio.py --quick``); the
whole one runs all of them and also checks that every exclusion still
matches a test (a stale exclusion hides nothing, but misleads). Both take
too long for the run after every change: they run with ``--run-slow``, as
CI does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).with_name("run_cpython_asyncio.py")

sys.path.insert(0, str(RUNNER.parent))
import exclusions  # noqa: E402  (a sibling file, as the runner imports it)


def run_suite(tmp_path: Path, *options: str) -> tuple[dict, str]:  # type: ignore[type-arg]
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--json", str(report), *options],
        capture_output=True, text=True, timeout=1200)
    assert report.exists(), proc.stdout + proc.stderr
    return json.loads(report.read_text()), proc.stdout


@pytest.mark.slow  # 17 s on an idle machine, 137 s on a busy one; CI runs it
def test_quick_subset_has_no_regression(tmp_path: Path) -> None:
    summary, table = run_suite(tmp_path, "--quick", "-v")
    assert summary["regressions"] == [], table
    miniloop_passed = sum(
        module["miniloop"]["counts"]["passed"] for module in summary["modules"].values())
    assert miniloop_passed > 500, table  # the suite really ran


@pytest.mark.slow
def test_whole_suite_has_no_regression_and_no_stale_exclusion(tmp_path: Path) -> None:
    summary, table = run_suite(tmp_path, "-v")
    assert summary["regressions"] == [], table
    version = "{}.{}".format(*sys.version_info[:2])
    for entry in exclusions.EXCLUSIONS:
        if entry.versions and version not in entry.versions:
            continue
        module = summary["modules"].get(entry.module)
        if module is None:
            continue
        hits = [
            test for backend in entry.backends if backend in module
            for test, record in module[backend]["records"].items()
            if record["outcome"] == "excluded" and record["detail"] == entry.reason
            and entry.applies(entry.module, test, backend)
        ]
        assert hits, f"exclusion matches no test: {entry}"


def test_exclusions_give_reasons() -> None:
    for entry in exclusions.EXCLUSIONS:
        assert len(entry.reason) > 40, entry
        assert set(entry.backends) <= set(exclusions.MINILOOP_BACKENDS), entry
