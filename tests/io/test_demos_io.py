"""The IO demos (areq, echo) print the same on asyncio and on miniloop."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_demo(args: list[str], cwd: Path) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MINILOOP_COMPAT_BACKEND", None)
    done = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    # Elapsed times differ from run to run; nothing else may.
    return re.sub(r"\d+\.\d\d s", "T s", done.stdout).splitlines()


@pytest.mark.parametrize("demo", ["demos.areq", "demos.echo"])
def test_demo_is_the_same_on_both_backends(demo: str, tmp_path: Path) -> None:
    on_asyncio = run_demo(["-m", demo], tmp_path)
    on_miniloop = run_demo(["-m", "miniloop", demo], tmp_path)
    assert on_asyncio == on_miniloop
    assert len(on_asyncio) > 10


def test_areq_finds_the_links_and_skips_the_bad_urls(tmp_path: Path) -> None:
    lines = run_demo(["-m", "miniloop", "demos.areq", "-o", "links.tsv"], tmp_path)
    assert "/missing             skipped: HTTP 404" in lines
    assert "http://127.0.0.1:1/  skipped: cannot connect" in lines
    assert "htp://not a url      skipped: not a URL" in lines
    assert lines[-2] == "Wrote 16 links from 7 of 10 URLs to links.tsv"
    found = (tmp_path / "links.tsv").read_text().splitlines()
    assert len(found) == 16
    assert all(line.count("\t") == 1 for line in found)


def test_areq_crawls_a_list_of_urls(tmp_path: Path) -> None:
    (tmp_path / "urls.txt").write_text("# nothing answers here\nhttp://127.0.0.1:1/a\n\n")
    lines = run_demo(["-m", "miniloop", "demos.areq", "--urls", "urls.txt"], tmp_path)
    assert lines[0] == "Crawling 1 URLs from urls.txt"
    assert lines[1] == "http://127.0.0.1:1/a  skipped: cannot connect"
    assert (tmp_path / "foundurls.txt").read_text() == ""
