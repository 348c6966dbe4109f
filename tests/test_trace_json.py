"""The trace as Chrome trace-event JSON (``--trace-json``), checked against the format.

The format (the "Trace Event Format" document Chrome and Perfetto read):
an object with a ``traceEvents`` list; every event has a phase ``ph``, a
``pid`` and ``tid``; all but metadata have a ``ts`` in microseconds;
complete slices (``X``) a ``dur``; instants (``i``) a scope ``s``; flow
starts (``s``) and ends (``f``) share an ``id``. Perfetto also wants the
complete slices of one track to nest: two may follow or contain each
other, never overlap partly.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

import miniloop
from demos import asyncq, countasync
from miniloop.tools.trace import recording
from miniloop.tools.tracejson import render_json, trace_events

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def tasks_numbered_from_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(miniloop.core.tasks, "task_numbers", itertools.count(1))


def check_trace_event_format(document: dict[str, Any]) -> None:
    """Fail with the first way ``document`` breaks the trace-event format."""
    assert isinstance(document["traceEvents"], list)
    assert document.get("displayTimeUnit", "ms") in ("ms", "ns")
    flows: dict[object, list[str]] = defaultdict(list)
    slices: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    for event in document["traceEvents"]:
        phase = event["ph"]
        assert phase in {"M", "X", "i", "s", "f"}, event
        assert isinstance(event["pid"], int) and isinstance(event["tid"], int), event
        assert isinstance(event["name"], str) and event["name"], event
        if phase == "M":
            assert event["name"] in {"process_name", "thread_name", "thread_sort_index"}
            assert isinstance(event["args"], dict)
            continue
        assert isinstance(event["ts"], (int, float)) and event["ts"] >= 0, event
        if phase == "X":
            assert isinstance(event["dur"], (int, float)) and event["dur"] >= 0, event
            slices[(event["pid"], event["tid"])].append((event["ts"], event["ts"] + event["dur"]))
        elif phase == "i":
            assert event["s"] in ("g", "p", "t"), event
        else:
            flows[event["id"]].append(phase)
            if phase == "f":
                assert event.get("bp") == "e", event
        if "args" in event:
            json.dumps(event["args"])
    for phases in flows.values():
        assert phases == ["s", "f"], phases
    for track, spans in slices.items():
        # Sorted by start, longest first: each must fit inside every open one.
        # (Microseconds with three decimals: sums may be off by a rounding error.)
        open_spans: list[tuple[float, float]] = []
        for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
            while open_spans and open_spans[-1][1] <= start + 1e-6:
                open_spans.pop()
            assert not open_spans or end <= open_spans[-1][1] + 1e-6, (
                track, (start, end), open_spans)
            if end > start:
                open_spans.append((start, end))


def test_countasync_becomes_a_track_per_task_with_steps_waits_and_flows() -> None:
    with miniloop.virtual_time(), recording() as trace:
        miniloop.run(countasync.main(countasync.DELAY))
    document = trace_events(trace.events, "countasync")
    check_trace_event_format(document)
    events = document["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in events if e["name"] == "thread_name"}
    assert names[1] == "the loop"
    assert names[2] == "Task-1 main(1.0)" and names[3] == "Task-2 count(1.0)"
    waits = [e for e in events if e.get("cat") == "wait" and e["tid"] == 3]
    assert [(w["name"], w["ts"], w["dur"]) for w in waits] == [
        ("sleep(1) until 1.000", 0.0, 1_000_000.0)]
    assert waits[0]["args"]["where"] == "demos/countasync.py:30 in count"
    steps = [e["name"] for e in events if e.get("cat") == "step" and e["tid"] == 3]
    assert steps == ["step 1", "step 2"]
    fired = [e for e in events if e["tid"] == 1 and e["name"] == "timer fired"]
    assert len(fired) == 3 and fired[0]["ts"] == 1_000_000.0
    assert {e["cat"] for e in events if e["ph"] == "s"} >= {"wake", "create"}


def test_asyncq_and_hostile_names_stay_valid_json() -> None:
    hostile = '</script><b onclick="x">\u2028"\\'

    async def worker(label: str) -> None:
        await miniloop.sleep(0.01)

    async def main() -> None:
        loop = miniloop.get_running_loop()
        await loop.create_task(worker(hostile[:10]), name=hostile)
        await asyncq.main(2, 2, 1, 0.001)

    with miniloop.virtual_time(), recording() as trace:
        miniloop.run(main())
    text = render_json(trace.events, hostile)
    document = json.loads(text)
    check_trace_event_format(document)
    names = [e["args"]["name"] for e in document["traceEvents"] if e["name"] == "thread_name"]
    assert any(name.startswith(hostile + " ") for name in names)
    assert "Task-2 produce(0, …)" in names and "Task-5 consume(1, 3, …)" in names


def test_a_real_clock_run_has_slices_that_follow_each_other_exactly() -> None:
    async def worker(delay: float) -> None:
        for _ in range(3):
            await miniloop.sleep(delay)
            sum(range(2000))  # a step that takes a little time

    async def main() -> None:
        await miniloop.gather(*(worker(0.001 * n) for n in range(5)))

    with recording() as trace:
        miniloop.run(main())
    document = trace_events(trace.events)
    check_trace_event_format(document)
    assert any(e["ph"] == "X" and e["cat"] == "step" and e["dur"] > 0
               for e in document["traceEvents"])


def test_the_command_line_writes_the_json(tmp_path: Path) -> None:
    out = tmp_path / "trace.json"
    done = subprocess.run([sys.executable, "-m", "miniloop", "--virtual-time",
                           "--trace-json", str(out), "demos.countasync"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert f"trace-event JSON written to {out}" in done.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    check_trace_event_format(document)
    assert document["otherData"]["title"] == "miniloop trace of demos.countasync"
