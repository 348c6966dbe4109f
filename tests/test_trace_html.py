"""The trace page, checked in a real browser (headless Chromium).

Skipped, with the reason, where Chromium is not installed (``.ci/run``
installs Debian's ``chromium`` when it can).
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import miniloop
from demos import countasync
from miniloop.tools.html import render_html
from miniloop.tools.trace import Trace, recording

CHROMIUM = next((path for path in (shutil.which("chromium"), shutil.which("chromium-browser"),
                                   "/usr/bin/chromium") if path and Path(path).exists()), None)

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)")


@pytest.fixture(autouse=True)
def tasks_numbered_from_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(miniloop.core.tasks, "task_numbers", itertools.count(1))


def countasync_trace() -> Trace:
    with miniloop.virtual_time(), recording() as trace:
        miniloop.run(countasync.main(countasync.DELAY))
    return trace


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--hide-scrollbars",
               f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_the_page_is_self_contained() -> None:
    page = render_html(countasync_trace().events, "countasync")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<script" not in page and "@import" not in page and "url(http" not in page
    assert page.count('data-lane="') == 7  # six tasks and the loop


@needs_chromium
def test_the_browser_shows_a_lane_per_task_with_labelled_waits(tmp_path: Path) -> None:
    page_file = tmp_path / "countasync.html"
    page_file.write_text(render_html(countasync_trace().events, "countasync"), encoding="utf-8")
    dumped = chromium(tmp_path, "--dump-dom", page_file.as_uri())
    assert dumped.returncode == 0, dumped.stderr
    dom = dumped.stdout
    assert "<svg" in dom
    lanes = re.findall(r'<g class="lane" data-lane="([^"]+)"', dom)
    assert lanes == ["Task-1", "Task-2", "Task-3", "Task-4", "Task-5", "Task-6", "loop"]
    waits = re.findall(r'data-wait="([^"]+)"', dom)
    assert waits == ["gather of 3 (Task-2, Task-3, Task-4)"] + ["sleep(1) until 1.000"] * 3
    assert dom.count('class="step"') == 2 + 2 * 3 + 1 + 1
    assert dom.count('class="arrow arrow-wake"') >= 4
    assert "Task-2 waits on sleep(1) until 1.000" in dom  # a hover title
    assert ">gather of 3 (Task-2, Task-3, Task-4)</text>" in dom  # a label drawn on its bar


@needs_chromium
def test_the_browser_renders_a_picture(tmp_path: Path) -> None:
    page_file = tmp_path / "countasync.html"
    page_file.write_text(render_html(countasync_trace().events, "countasync"), encoding="utf-8")
    picture = tmp_path / "countasync.png"
    shot = chromium(tmp_path, "--window-size=1400,620", f"--screenshot={picture}",
                    page_file.as_uri())
    assert shot.returncode == 0, shot.stderr
    data = picture.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000


def test_the_command_line_writes_the_page(tmp_path: Path) -> None:
    page_file = tmp_path / "trace.html"
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-m", "miniloop", "--virtual-time",
                           "--trace-html", str(page_file), "demos.countasync"],
                          capture_output=True, text=True, timeout=120, cwd=root)
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"miniloop: trace page written to {page_file}\n"
    page = page_file.read_text(encoding="utf-8")
    assert "<title>miniloop trace of demos.countasync</title>" in page
    assert page.count('data-lane="') == 7
