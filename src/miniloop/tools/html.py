"""The trace as a web page: an SVG timeline you can hover over.

One self-contained HTML file (no scripts fetched, no fonts, no network):

* a lane per task, and one for the loop itself;
* a dot for each step a task ran, a bar for each stretch it waited,
  labelled with what it waited on, and a dotted line while it was ready
  but not yet running;
* on the loop's lane, timers firing, callbacks, IO, and the loop asleep;
* arrows from whatever woke a task (a timer, another task's step, a
  callback) to the step it woke into, and from a step to the tasks it made;
* hovering over anything shows its details (SVG ``<title>`` elements).

Below the picture, the full text log, folded away.

Read next: ``stepper.py``, the loop one turn at a time.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from miniloop.tools.lanes import LOOP_LANE, Picture, build_picture
from miniloop.tools.textlog import render_log
from miniloop.tools.trace import TraceEvent

LEFT = 230  # room for lane titles
TOP = 78  # room for the rulers
LANE = 44  # height of a lane
BAR = 16  # height of a waiting bar

_COLORS = {
    "sleep": "#f2b84b", "gather": "#7aa7e0", "task": "#8fc79a", "lock": "#e57f7f",
    "semaphore": "#e57f7f", "condition": "#e09a7f", "event": "#c99ae0",
    "queue get": "#73c7c2", "queue put": "#73c7c2", "queue join": "#73c7c2",
    "socket read": "#9db0c9", "socket write": "#9db0c9", "stream read": "#9db0c9",
    "stream write": "#9db0c9", "thread": "#b8b8b8",
}
_DEFAULT_COLOR = "#c6c6c6"
_ARROW_COLORS = {"wake": "#2f6fd6", "create": "#7d7d7d", "callback": "#8b4fc4",
                 "timer": "#d08a12"}
_ENDING_MARKS = {"finished": ("✓", "#2e8b57"), "failed": ("✗", "#c0392b"),
                 "cancelled": ("⊘", "#d35400")}

_MARKS = "● step · ◆ created · ✓ finished · ✗ failed · ⊘ cancelled"

_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 20px;
       color: #222; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px 0; }
p.summary { margin: 0 0 12px 0; color: #555; }
.legend span { margin-right: 14px; white-space: nowrap; }
.swatch { display: inline-block; width: 18px; height: 10px; vertical-align: middle;
          margin-right: 4px; border-radius: 3px; }
.scroll { overflow-x: auto; border: 1px solid #ddd; border-radius: 6px; margin-top: 10px; }
svg text { font-size: 12px; fill: #222; }
svg .ruler { font-size: 11px; fill: #777; }
svg .title { font-weight: 600; }
svg .barlabel { font-size: 11px; fill: #222; pointer-events: none; }
svg .gap { fill: #f4f4f4; }
svg .step:hover, svg .mark:hover { stroke: #000; stroke-width: 2px; }
svg .bar:hover { stroke: #333; }
pre { font-size: 12px; background: #fafafa; border: 1px solid #eee; padding: 8px;
      overflow-x: auto; }
"""


def render_html(events: Sequence[TraceEvent], title: str = "miniloop trace") -> str:
    """A complete, self-contained HTML page showing the trace's timeline."""
    picture = build_picture(events)
    svg = render_svg(picture)
    tasks = len(picture.lanes)
    summary = (f"{tasks} task{'s' if tasks != 1 else ''}, "
               f"{len([t for t, g in zip(picture.turns, picture.gaps, strict=True) if not g])}"
               f" loop turns, {picture.end_time:.3f} s of loop time. "
               "Hover over any mark for details.")
    legend = "".join(
        f'<span><i class="swatch" style="background:{color}"></i>{html.escape(kind)}</span>'
        for kind, color in (("sleep", _COLORS["sleep"]), ("gather", _COLORS["gather"]),
                            ("task", _COLORS["task"]), ("lock / semaphore", _COLORS["lock"]),
                            ("event", _COLORS["event"]), ("queue", _COLORS["queue get"]),
                            ("IO", _COLORS["socket read"]), ("other", _DEFAULT_COLOR)))
    arrows = "".join(
        f'<span><i class="swatch" style="background:{color}"></i>{name}</span>'
        for name, color in (("woke", _ARROW_COLORS["wake"]), ("created", _ARROW_COLORS["create"]),
                            ("scheduled a callback", _ARROW_COLORS["callback"]),
                            ("armed a timer", _ARROW_COLORS["timer"])))
    log = html.escape(render_log(events))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p class="summary">{html.escape(summary)}</p>
<div class="legend">Waiting on: {legend}</div>
<div class="legend">Arrows: {arrows} · {_MARKS}</div>
<div class="scroll">
{svg}
</div>
<details>
<summary>The full trace log ({len(events)} events)</summary>
<pre>{log}</pre>
</details>
</body>
</html>
"""


def render_svg(picture: Picture) -> str:
    """The SVG timeline itself."""
    columns = len(picture.turns)
    turn_width = max(10, min(90, 1000 // max(1, columns)))
    width_of = [turn_width for _ in picture.gaps]
    x_of = [LEFT]
    for width in width_of:
        x_of.append(x_of[-1] + width)
    lane_keys = [lane.key for lane in picture.lanes] + [LOOP_LANE]
    y_of = {key: TOP + index * LANE + LANE // 2 for index, key in enumerate(lane_keys)}
    total_width = x_of[-1] + 40
    total_height = TOP + len(lane_keys) * LANE + 20

    def center(column: int) -> float:
        return x_of[column] + width_of[column] / 2

    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width}" '
        f'height="{total_height}" viewBox="0 0 {total_width} {total_height}">',
        '<defs>',
        *(f'<marker id="arrow-{kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
          f'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
          f'fill="{color}"/></marker>' for kind, color in _ARROW_COLORS.items()),
        '</defs>',
    ]
    parts += _rulers(picture, x_of, width_of, total_height)

    positions: dict[int, tuple[float, float]] = {}
    for index, lane in enumerate(picture.lanes):
        y = y_of[lane.key]
        parts.append(f'<g class="lane" data-lane="{_attr(lane.key)}">')
        if index % 2 == 0:
            parts.append(f'<rect x="0" y="{y - LANE / 2}" width="{total_width}" height="{LANE}" '
                         f'fill="#fbfbfd"/>')
        parts.append(f'<text class="title" x="10" y="{y + 4}">{_text(_clip(lane.title, 30))}'
                     f'<title>{_text(lane.created_text)}</title></text>')
        for stretch in lane.stretches:
            x1 = center(stretch.first)
            ended = stretch.last < columns - 1 or lane.ended is not None or (
                stretch is not lane.stretches[-1])
            x2 = center(stretch.last) if ended else x_of[columns]
            if stretch.state == "ready":
                parts.append(
                    f'<line class="ready" x1="{x1:.1f}" y1="{y}" x2="{x2:.1f}" y2="{y}" '
                    f'stroke="#9a9a9a" stroke-width="2" stroke-dasharray="2 4">'
                    f'<title>{_text(f"{lane.key}: ready to run ({stretch.label})")}</title></line>')
                continue
            kind = _wait_kind(stretch.label)
            color = _COLORS.get(kind, _DEFAULT_COLOR)
            tip = (f"{lane.key} waits on {stretch.label}\n"
                   f"from {stretch.start:.3f} s to {stretch.end:.3f} s "
                   f"({stretch.end - stretch.start:.3f} s)")
            parts.append(
                f'<rect class="bar" data-wait="{_attr(stretch.label)}" x="{x1:.1f}" '
                f'y="{y - BAR / 2}" width="{max(2.0, x2 - x1):.1f}" height="{BAR}" rx="4" '
                f'fill="{color}"><title>{_text(tip)}</title></rect>')
            label = _fitting_label(stretch.label, int((x2 - x1 - 14) / 6.2))
            if label:
                parts.append(f'<text class="barlabel" x="{x1 + 10:.1f}" y="{y + 4}">'
                             f'{_text(label)}</text>')
        created_x = center(lane.created)
        parts.append(f'<path class="mark" d="M {created_x - 5:.1f} {y} L {created_x:.1f} {y - 5} '
                     f'L {created_x + 5:.1f} {y} L {created_x:.1f} {y + 5} z" fill="#fff" '
                     f'stroke="#555"><title>{_text(lane.created_text)}</title></path>')
        for step in lane.steps:
            x = center(step.column)
            positions[step.seq] = (x, y)
            tip = f"{lane.key} step {step.number} at {step.time:.3f} s ({step.reason})"
            if step.outcome:
                tip += f"\n→ {step.outcome}"
            parts.append(f'<circle class="step" data-step="{step.number}" cx="{x:.1f}" cy="{y}" '
                         f'r="6" fill="#1f4e8c"><title>{_text(tip)}</title></circle>')
        if lane.outcome is not None and lane.ended is not None:
            symbol, color = _ENDING_MARKS[lane.outcome]
            x = center(lane.ended) + 10
            parts.append(f'<text class="ending" x="{x:.1f}" y="{y + 5}" fill="{color}" '
                         f'style="fill:{color};font-size:15px;font-weight:700">{symbol}'
                         f'<title>{_text(lane.outcome_text)}</title></text>')
        parts.append('</g>')
        for seq, (key, column) in picture.where.items():
            if key == lane.key and seq not in positions:
                positions[seq] = (center(column), y)

    parts += _loop_lane(picture, x_of, width_of, y_of[LOOP_LANE], positions, total_width)
    parts += _arrows(picture, positions)
    parts.append('</svg>')
    return "\n".join(parts)


def _rulers(picture: Picture, x_of: list[int], width_of: list[int],
            total_height: int) -> list[str]:
    parts = ['<g class="rulers">',
             '<text class="ruler" x="10" y="24">turn</text>',
             '<text class="ruler" x="10" y="44">loop time (s)</text>']
    free_turn = free_time = 0.0
    previous_time: float | None = None
    for column, (turn, time, gap) in enumerate(
            zip(picture.turns, picture.times, picture.gaps, strict=True)):
        x = x_of[column]
        if gap:
            parts.append(f'<rect class="gap" x="{x}" y="{TOP - 14}" width="{width_of[column]}" '
                         f'height="{total_height - TOP}"/>')
        elif x >= free_turn:
            parts.append(f'<text class="ruler" x="{x + 4}" y="24">{turn}</text>')
            free_turn = x + 8 * len(str(turn)) + 6
        changed = previous_time is None or time - previous_time > 0.0005
        previous_time = time
        if changed and not gap and x >= free_time:
            parts.append(f'<text class="ruler" x="{x + 4}" y="44">{time:.3f}</text>')
            free_time = x + 40
        parts.append(f'<line x1="{x}" y1="{TOP - 14}" x2="{x}" y2="{total_height - 10}" '
                     f'stroke="#eee"/>')
    parts.append('</g>')
    return parts


def _loop_lane(picture: Picture, x_of: list[int], width_of: list[int], y: int,
               positions: dict[int, tuple[float, float]], total_width: int) -> list[str]:
    parts = [f'<g class="lane" data-lane="{LOOP_LANE}">',
             f'<line x1="{LEFT}" y1="{y - LANE / 2}" x2="{total_width}" y2="{y - LANE / 2}" '
             f'stroke="#ccc"/>',
             f'<text class="title" x="10" y="{y + 4}">the loop<title>timers firing, callbacks, '
             f'IO readiness, and the loop asleep</title></text>']
    in_column: dict[int, list[int]] = {}
    for mark in picture.loop_marks:
        if mark.kind != "idle":
            in_column.setdefault(mark.column, []).append(mark.seq)
    for mark in picture.loop_marks:
        x0, width = x_of[mark.column], width_of[mark.column]
        if mark.kind == "idle":
            following = mark.column + 1
            slept = (picture.times[following] if following < len(picture.times)
                     else picture.end_time) - mark.time
            label = _fitting_label(f"idle {slept:.3g} s", int((width - 8) / 6.2)) or "z"
            parts.append(f'<rect class="mark idle" x="{x0 + 2}" y="{y - 8}" width="{width - 4}" '
                         f'height="16" rx="8" fill="#e3e3e3"><title>{_text(mark.text)}</title>'
                         f'</rect><text class="barlabel" x="{x0 + width / 2:.1f}" '
                         f'y="{y + 4}" text-anchor="middle">{_text(label)}</text>')
            positions[mark.seq] = (x0 + width / 2, y)
            continue
        siblings = in_column.get(mark.column, [mark.seq])
        x = x0 + width * (siblings.index(mark.seq) + 1) / (len(siblings) + 1)
        positions[mark.seq] = (x, y)
        tip = _text(mark.text)
        if mark.kind == "timer":
            parts.append(f'<path class="mark timer" d="M {x - 5:.1f} {y - 6} L {x + 5:.1f} {y - 6} '
                         f'L {x:.1f} {y + 6} z" fill="#d08a12"><title>{tip}</title></path>')
        elif mark.kind == "io":
            parts.append(f'<rect class="mark io" x="{x - 5:.1f}" y="{y - 5}" width="10" '
                         f'height="10" fill="#5d7ea8"><title>{tip}</title></rect>')
        else:
            parts.append(f'<rect class="mark callback" x="{x - 4:.1f}" y="{y - 4}" width="8" '
                         f'height="8" fill="#8b4fc4" transform="rotate(45 {x:.1f} {y})">'
                         f'<title>{tip}</title></rect>')
    parts.append('</g>')
    return parts


def _arrows(picture: Picture, positions: dict[int, tuple[float, float]]) -> list[str]:
    parts = ['<g class="arrows" fill="none">']
    for arrow in picture.arrows:
        if arrow.source not in positions or arrow.target not in positions:
            continue
        (x1, y1), (x2, y2) = positions[arrow.source], positions[arrow.target]
        color = _ARROW_COLORS[arrow.kind]
        dash = ' stroke-dasharray="5 4"' if arrow.kind == "timer" else ""
        # Bend the curve so that arrows between neighbouring lanes stay visible.
        bend = max(12.0, abs(x2 - x1) / 3)
        path = (f"M {x1:.1f} {y1:.1f} C {x1 + bend:.1f} {y1:.1f}, {x2 - bend:.1f} {y2:.1f}, "
                f"{x2 - 7:.1f} {y2:.1f}")
        parts.append(f'<path class="arrow arrow-{arrow.kind}" d="{path}" stroke="{color}" '
                     f'stroke-width="1.4" opacity="0.75"{dash} '
                     f'marker-end="url(#arrow-{arrow.kind})"/>')
    parts.append('</g>')
    return parts


def _wait_kind(label: str) -> str:
    if label.startswith("sleep("):
        return "sleep"
    if label.startswith("gather of"):
        return "gather"
    if label.startswith("Task-") or label.startswith("Task"):
        return "task"
    lowered = label.lower()
    for kind in ("lock", "semaphore", "condition", "event", "queue", "sock", "stream",
                 "thread"):
        if kind in lowered:
            return {"queue": "queue get", "sock": "socket read",
                    "stream": "stream read"}.get(kind, kind)
    return "other"


def _fitting_label(label: str, room: int) -> str:
    """The label, or a shorter form of it ("sleep(1)" for "sleep(1) until 1.000"), that fits."""
    shorter = [label, label.split(" until ")[0], label.split(" (")[0], label.split("(")[0]]
    for candidate in shorter:
        if len(candidate) <= room:
            return candidate
    return _clip(shorter[-1], room) if room >= 4 else ""


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def _text(text: str) -> str:
    return html.escape(text, quote=False)


def _attr(text: str) -> str:
    return html.escape(text, quote=True)
