"""The trace page (``--trace-html``): its data, and the page itself in a real browser.

The browser tests drive headless Chromium (``tests/chromium.py``) with real
key presses, clicks and wheel turns, and read back what the page drew
(``window.miniloopView``) and what its panel says. They are skipped, with
the reason, where Chromium is not installed (``.ci/run`` installs Debian's
``chromium`` when it can).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import miniloop
from demos import asyncq, countasync
from miniloop.tools.html import page_data, render_html
from miniloop.tools.trace import Trace, recording
from tests.chromium import CHROMIUM, Browser

ROOT = Path(__file__).resolve().parent.parent

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)")

COUNTASYNC_LANES = ["Task-1 main(1.0)", "Task-2 count(1.0)", "Task-3 count(1.0)",
                    "Task-4 count(1.0)", "Task-5 loop.shutdown_asyncgens()"]
HOSTILE = '</script><img src=x onerror="window.pwned=1">&amp;\u2028'


@pytest.fixture(autouse=True)
def tasks_numbered_from_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(miniloop.core.tasks, "task_numbers", itertools.count(1))


def countasync_trace() -> Trace:
    with miniloop.virtual_time(), recording() as trace:
        miniloop.run(countasync.main(countasync.DELAY))
    return trace


def asyncq_trace() -> Trace:
    with miniloop.virtual_time(), recording() as trace:
        miniloop.run(asyncq.main(3, 2, 5, 0.1))
    return trace


async def crowd_worker(number: int, rounds: int, lock: asyncio.Lock) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0.001 * (number % 7 + 1))
        async with lock:
            await asyncio.sleep(0)


async def crowd(tasks: int, rounds: int) -> None:
    """``tasks`` workers named as asyncio programs name them, sleeping and sharing a lock."""
    lock = asyncio.Lock()
    workers = [asyncio.create_task(crowd_worker(n, rounds, lock), name=f"worker-{n}")
               for n in range(tasks)]
    await asyncio.gather(*workers)


def crowd_trace(tasks: int = 1000, rounds: int = 1) -> Trace:
    with miniloop.virtual_time(), recording() as trace:
        asyncio.run(crowd(tasks, rounds), loop_factory=miniloop.Loop) if sys.version_info >= (
            3, 12) else asyncio.Runner(loop_factory=miniloop.Loop).run(crowd(tasks, rounds))
    return trace


def hostile_trace() -> Trace:
    async def main() -> None:
        loop = miniloop.get_running_loop()
        queue: miniloop.Queue[str] = miniloop.Queue()
        queue.put_nowait(HOSTILE)
        getter = loop.create_task(queue.get(), name=HOSTILE)
        await getter
        await loop.create_task(queue.get(), name="waits on a hostile queue")

    async def outer() -> None:
        loop = miniloop.get_running_loop()
        task = loop.create_task(main())
        await miniloop.sleep(0.5)
        task.cancel()

    with miniloop.virtual_time(), recording() as trace:
        miniloop.run(outer())
    return trace


def embedded_data(page: str) -> dict[str, Any]:
    found = re.findall(r'<script type="application/json" id="trace-data">(.*?)</script>', page,
                       re.DOTALL)
    assert len(found) == 1
    return json.loads(found[0])  # type: ignore[no-any-return]


# --- the page, without a browser ---------------------------------------------------------


def test_the_page_is_self_contained_and_holds_the_run_once_as_data() -> None:
    page = render_html(countasync_trace().events, "countasync")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@import" not in page and "url(http" not in page and "fetch(" not in page
    data = embedded_data(page)
    names = [data["S"][lane["n"]] for lane in data["lanes"]]
    assert names[:5] == COUNTASYNC_LANES
    assert names[5].startswith("Task-6 loop.shutdown_default_executor(")  # 300.0 on 3.12+
    assert data["log"].startswith(" turn      time  what happened")


def test_the_data_says_what_the_loop_held_before_each_turn() -> None:
    trace = countasync_trace()
    data = page_data(trace.events)
    text = data["S"]
    events = {event.seq: event for event in trace.events}
    assert [events[seq].text for seq in data["ready"]["2"]] == [
        "Task-2 step 1 (first step)", "Task-3 step 1 (first step)", "Task-4 step 1 (first step)"]
    timers = data["timers"]
    assert [(timers[i], timers[i + 1], text[timers[i + 3]]) for i in range(0, len(timers), 5)] == [
        (3, 3, "end of sleep for Task-2"), (3, 3, "end of sleep for Task-3"),
        (3, 3, "end of sleep for Task-4")]
    waits = data["lanes"][1]["w"][10:20]  # Task-2's second stretch: sleeping, at its line
    assert waits[0] == 1 and [text[i] for i in waits[5:6] + waits[7:9]] == [
        "sleep(1) until 1.000", "demos/countasync.py:30 in count",
        "await sleep(delay)  # control goes back to the loop here"]


def test_names_and_reprs_a_program_chooses_stay_text() -> None:
    page = render_html(hostile_trace().events, HOSTILE)
    assert "<img" not in page.replace("&lt;img", "")  # escaped in the title, absent elsewhere
    data = embedded_data(page)
    names = [data["S"][lane["n"]] for lane in data["lanes"]]
    assert any(name.startswith(HOSTILE) for name in names)
    labels = [data["S"][lane["w"][i + 5]] for lane in data["lanes"]
              for i in range(0, len(lane["w"]), 10) if lane["w"][i] == 1]
    assert any("Queue.get()" in label for label in labels)


def test_a_big_run_is_a_few_bytes_an_event() -> None:
    trace = crowd_trace(1000, 2)
    page = render_html(trace.events)
    assert len(trace.events) > 10_000
    assert len(page) < 200 * len(trace.events)


def test_the_command_line_writes_the_page(tmp_path: Path) -> None:
    page_file = tmp_path / "trace.html"
    done = subprocess.run([sys.executable, "-m", "miniloop", "--virtual-time",
                           "--trace-html", str(page_file), "demos.countasync"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"miniloop: trace page written to {page_file}\n"
    page = page_file.read_text(encoding="utf-8")
    assert "<title>miniloop trace of demos.countasync</title>" in page
    assert len(embedded_data(page)["lanes"]) == 6


# --- the page in a browser ------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if CHROMIUM is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium)")
    chromium = Browser(tmp_path_factory.mktemp("chromium"), 1400, 800)
    try:
        yield chromium
    finally:
        chromium.close()


def show(browser: Browser, tmp_path: Path, trace: Trace, title: str) -> None:
    page_file = tmp_path / "page.html"
    page_file.write_text(render_html(trace.events, title), encoding="utf-8")
    browser.open(page_file.as_uri())
    browser.settle()


def view(browser: Browser) -> dict[str, Any]:
    """What the page drew last, and what it shows."""
    return browser.js("""({drawn: miniloopView.drawn, lanes: miniloopView.lanes(),
        names: [...document.querySelectorAll('#names .name')].map(n => n.textContent),
        selected: [...document.querySelectorAll('#names .name.selected')].map(n => n.textContent),
        details: document.getElementById('details').innerText,
        stateTitle: document.getElementById('state-title').textContent,
        state: document.getElementById('state').innerText,
        matches: document.getElementById('matches').textContent,
        scale: miniloopView.state.scale, mode: miniloopView.state.mode,
        turn: miniloopView.turns[miniloopView.state.turn]})""")  # type: ignore[no-any-return]


def canvas_point(browser: Browser, column: int, row: int) -> tuple[float, float]:
    """Where, on the page, the centre of ``column`` of lane ``row`` is (turns axis)."""
    x, y = browser.js(f"""(() => {{ const s = miniloopView.state,
        box = document.getElementById('timeline').getBoundingClientRect();
        return [box.left + 230 + ({column} + 0.5 - s.u0) * s.scale,
                box.top + 46 + {row} * 24 + 12 - s.scrollY]; }})()""")
    return x, y


@needs_chromium
def test_countasync_in_the_browser(browser: Browser, tmp_path: Path) -> None:
    show(browser, tmp_path, countasync_trace(), "countasync")
    seen = view(browser)
    assert seen["names"][:5] == COUNTASYNC_LANES and len(seen["names"]) == 6
    assert seen["mode"] == "time"
    assert "gather of 3 (Task-2, Task-3, Task-4)" in seen["drawn"]["labels"]
    assert seen["drawn"]["labels"].count("sleep(1) until 1.000") == 3
    data = browser.screenshot(tmp_path / "countasync-time.png")
    assert data.startswith(b"\x89PNG") and len(data) > 10_000

    browser.key("t")  # the turns axis
    assert view(browser)["mode"] == "turns"
    for _ in range(3):
        browser.key("ArrowRight")
    seen = view(browser)
    assert seen["turn"] == 3 and seen["stateTitle"].startswith("The loop before turn 3")
    assert "timers (3), soonest first" in seen["state"]
    assert "1.000 (in 1.000 s) end of sleep for Task-2" in seen["state"]
    assert "await sleep(delay)  # control goes back to the loop here" in seen["state"]
    browser.key("ArrowRight")
    seen = view(browser)
    assert seen["turn"] == 4 and "ready queue (3), run in this order" in seen["state"]
    browser.key("ArrowLeft")
    assert view(browser)["turn"] == 3
    browser.screenshot(tmp_path / "countasync-turn3.png")

    x, y = canvas_point(browser, 3, 1)  # over Task-2's sleep
    browser.move(x, y)
    assert browser.js("document.getElementById('tip').textContent") == (
        "Task-2 count(1.0) waits on sleep(1) until 1.000 for 1.000 s")
    browser.click(x, y)
    seen = view(browser)
    assert seen["details"].startswith("Task-2 count(1.0) waits on sleep(1) until 1.000")
    assert "at: demos/countasync.py:30 in count" in seen["details"]
    assert "woken by: the loop: timer fired: end of sleep for Task-2" in seen["details"]

    # Task-2's second step (turn 4's column is 5: a gap column holds the sleep).
    x, y = canvas_point(browser, 5, 1)
    browser.click(x, y)
    seen = view(browser)
    assert seen["details"].startswith("Task-2 count(1.0): step 2")
    assert "why it ran: sleep(1) until 1.000 done" in seen["details"]
    assert "woken by: the loop: timer fired: end of sleep for Task-2" in seen["details"]
    assert "then: Task-2 finished, returned None" in seen["details"]
    assert seen["selected"] == ["Task-2 count(1.0)"] and seen["turn"] == 4


@needs_chromium
def test_asyncq_search_select_and_zoom(browser: Browser, tmp_path: Path) -> None:
    show(browser, tmp_path, asyncq_trace(), "asyncq")
    seen = view(browser)
    assert seen["names"][:6] == ["Task-1 main(3, 2, 5, 0.1)", "Task-2 produce(0, …)",
                                 "Task-3 produce(1, …)", "Task-4 produce(2, …)",
                                 "Task-5 consume(0, 3, …)", "Task-6 consume(1, 4, …)"]
    assert any(label.startswith("Queue.") for label in seen["drawn"]["labels"])

    browser.key("/")
    browser.type("consume")
    seen = view(browser)
    assert seen["names"] == ["Task-5 consume(0, 3, …)", "Task-6 consume(1, 4, …)"]
    assert seen["matches"] == "2 of 8 tasks"
    browser.key("Enter")
    assert view(browser)["selected"] == ["Task-5 consume(0, 3, …)"]
    browser.key("ArrowDown")
    seen = view(browser)
    assert seen["selected"] == ["Task-6 consume(1, 4, …)"]
    assert seen["details"].startswith("Task-6 consume(1, 4, …)")
    assert "made by: Task-1 main(3, 2, 5, 0.1)" in seen["details"]
    browser.screenshot(tmp_path / "asyncq-search.png")

    scale = seen["scale"]
    browser.wheel(700, 300, -300, ctrl=True)
    assert view(browser)["scale"] > scale * 1.5
    browser.key("0")
    assert abs(view(browser)["scale"] - scale) < scale * 0.01


@needs_chromium
def test_a_thousand_tasks_stay_usable(browser: Browser, tmp_path: Path) -> None:
    show(browser, tmp_path, crowd_trace(1000, 1), "crowd")
    seen = view(browser)
    lanes = len(seen["lanes"])  # main, 1000 workers, and on 3.12+ asyncio.run's shutdown
    assert len([lane for lane in seen["lanes"] if lane.startswith("worker-")]) == 1000
    assert 10 < len(seen["names"]) < 60  # only the lanes in view are drawn
    assert seen["names"][1] == "worker-0 crowd_worker(0, 1, …)"
    browser.screenshot(tmp_path / "crowd.png")

    browser.wheel(700, 400, 24 * 500)  # scroll down 500 lanes
    assert view(browser)["names"][0].startswith("worker-49")
    browser.key("/")
    browser.type("worker-99")
    seen = view(browser)
    assert seen["matches"] == f"11 of {lanes} tasks"
    assert seen["names"][0] == "worker-99 crowd_worker(99, 1, …)"
    browser.key("Enter")
    browser.key("t")
    browser.key("End")
    seen = view(browser)
    assert seen["selected"] == ["worker-99 crowd_worker(99, 1, …)"]
    assert "tasks (0 alive" in seen["state"] or "done" in seen["state"]
    browser.key("Home")
    for _ in range(2):
        browser.key("ArrowRight")
    seen = view(browser)
    assert "ready queue (1000), run in this order" in seen["state"]
    assert "worker-99 crowd_worker(99, 1, …)" in seen["state"]


@needs_chromium
def test_hostile_names_are_shown_not_run(browser: Browser, tmp_path: Path) -> None:
    show(browser, tmp_path, hostile_trace(), HOSTILE)
    seen = view(browser)
    assert browser.js("window.pwned === undefined && !document.querySelector('#names img')")
    assert any(name.startswith(HOSTILE) for name in seen["names"])
    assert browser.js("document.title") == HOSTILE
