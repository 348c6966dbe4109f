"""Tracing a whole program run: what ``--trace``, ``--trace-to`` and ``--trace-html`` do.

A run is traced from the moment the program starts until it ends (however
it ends: normally, with an error, or quit from step mode). Then the
renderers draw what was recorded:

    --trace            the live log on stderr, then the text timeline
    --trace-to FILE    the same, written to FILE instead of stderr
    --trace-html FILE  a web page: the timeline, and the loop's state at every turn
    --trace-json FILE  Chrome trace-event JSON, for Perfetto (``tracejson.py``)

Several of them share one recording.

Read next: ``trace.py`` if you have not yet.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, TextIO

# The recorder and its renderers are imported when a run is traced: the
# command line imports this module whether or not it traces.
if TYPE_CHECKING:
    from miniloop.tools.trace import Trace

# The first line of the timeline section of a trace file (--trace-to).
TIMELINE_HEADING = "timeline: "


def program_title() -> str:
    """``countasync.py --speed 10``: the running program, as a page title."""
    if not sys.argv or not sys.argv[0]:
        return "a miniloop run"
    return " ".join([os.path.basename(sys.argv[0]), *sys.argv[1:]])


@contextlib.contextmanager
def traced(*, stream: TextIO | None = None, path: str | None = None,
           html_path: str | None = None, json_path: str | None = None) -> Iterator[Trace]:
    """Record the run; log it live to ``stream`` (or the file ``path``),
    and at the end add the text timeline there, write the page to ``html_path``
    and/or the trace-event JSON to ``json_path``."""
    from miniloop.tools.timeline import render_timeline
    from miniloop.tools.trace import recording

    with contextlib.ExitStack() as stack:
        if path is not None:
            stream = stack.enter_context(open(path, "w", encoding="utf-8"))
        with recording(log=stream) as trace:
            try:
                yield trace
            finally:
                if stream is not None:
                    stream.write("\n" + render_timeline(trace.events))
                    stream.flush()
                if html_path is not None:
                    write_page(trace, html_path)
                if json_path is not None:
                    write_json(trace, json_path)


def write_page(trace: Trace, html_path: str) -> None:
    """Write the trace's web page to ``html_path`` and say so on stderr."""
    from miniloop.tools.html import render_html

    with open(html_path, "w", encoding="utf-8") as page:
        page.write(render_html(trace.events, f"miniloop trace of {program_title()}"))
    print(f"miniloop: trace page written to {html_path}", file=sys.stderr)


def write_json(trace: Trace, json_path: str) -> None:
    """Write the trace as Chrome trace-event JSON to ``json_path`` and say so on stderr."""
    from miniloop.tools.tracejson import render_json

    with open(json_path, "w", encoding="utf-8") as out:
        out.write(render_json(trace.events, f"miniloop trace of {program_title()}"))
    print(f"miniloop: trace-event JSON written to {json_path} (open it in ui.perfetto.dev)",
          file=sys.stderr)


def timeline_section(trace_text: str) -> str:
    """The timeline part of what ``--trace``/``--trace-to`` wrote ("" if there is none)."""
    start = trace_text.find("\n" + TIMELINE_HEADING)
    return trace_text[start + 1:] if start >= 0 else ""
