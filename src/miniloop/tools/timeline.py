"""The text timeline: one lane per task, one column per loop turn.

Printed at the end of ``--trace``, it answers "who ran when, and what was
everyone waiting for?" at a glance::

    turn           0  1  2  3  4  5  6
    time (s)       0.000    1.001
    Task-1 main()  .  #--------.  #     finished; waited 1.001 s on gather of 3 (...)
    Task-2 count()    .  #--.  #        finished; waited 1.001 s on sleep(1) until 1.000
    loop                    T  c  c

``#`` is a step, ``-`` waiting on a future, ``.`` ready to run (created or
woken, its turn has not come yet). On the loop's lane, ``T`` is a timer
firing, ``c`` a callback, ``i`` IO readiness and ``~`` the loop idling.
Long runs are squeezed: then each column stands for several turns.

Read next: ``html.py``, the same picture in a browser.
"""

from __future__ import annotations

from collections.abc import Sequence

from miniloop.tools.lanes import LOOP_LANE, Lane, Picture, build_picture
from miniloop.tools.trace import TraceEvent

LEGEND = ("# step, - waiting, . ready to run;"
          " loop: T timer fired, c callback, i IO ready, ~ idle")

_PRIORITY = {"#": 5, "T": 5, "i": 4, ".": 3, "c": 3, "-": 2, "~": 1, " ": 0}
_LOOP_CHARS = {"timer": "T", "io": "i", "callback": "c", "idle": "~"}
_TITLE_WIDTH = 26


def render_timeline(events: Sequence[TraceEvent], width: int = 100) -> str:
    """The timeline of a finished trace, as text about ``width`` characters wide."""
    picture = build_picture(events)
    if not picture.turns:
        return "timeline: nothing happened\n"
    titles = [_clip(lane.title, _TITLE_WIDTH) for lane in picture.lanes]
    label_width = max([len(title) for title in titles] + [len("time (s)"), 4]) + 2
    columns = len(picture.turns)
    room = max(20, width - label_width - 30)
    cell = 3 if columns * 3 <= room else 2 if columns * 2 <= room else 1
    per_cell = max(1, -(-columns // room)) if cell == 1 else 1
    cells = -(-columns // per_cell)

    rows = [_lane_chars(lane, columns) for lane in picture.lanes]
    loop_row = _loop_chars(picture, columns)
    lines = [f"timeline: {LEGEND}"]
    if per_cell > 1:
        lines.append(f"(squeezed: each column is {per_cell} turns)")
    turn_labels = ["" if gap else str(t) for t, gap in zip(picture.turns, picture.gaps,
                                                             strict=True)]
    turn_ruler, labelled = _ruler("turn", turn_labels, picture, cell, per_cell, label_width,
                                  every_column=True)
    lines.append(turn_ruler)
    # A time is shown only under a turn number, starting where it starts:
    # in a squeezed timeline, that is the only way to tell whose time it is.
    time_labels = [f"{t:.3f}" if column in labelled else ""
                   for column, t in enumerate(picture.times)]
    lines.append(_ruler("time (s)", time_labels, picture, cell, per_cell, label_width,
                        every_column=False)[0])
    for lane, title, chars in zip(picture.lanes, titles, rows, strict=True):
        body = _cells(chars, cell, per_cell, cells)
        lines.append(f"{title:<{label_width}}{body}  {_summary(lane)}".rstrip())
    body = _cells(loop_row, cell, per_cell, cells)
    lines.append(f"{LOOP_LANE:<{label_width}}{body}".rstrip())
    return "\n".join(lines) + "\n"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _lane_chars(lane: Lane, columns: int) -> list[str]:
    chars = [" "] * columns
    for stretch in lane.stretches:
        mark = "-" if stretch.state == "waiting" else "."
        for column in range(stretch.first, min(stretch.last, columns - 1) + 1):
            chars[column] = mark
    for step in lane.steps:
        chars[step.column] = "#"
    return chars


def _loop_chars(picture: Picture, columns: int) -> list[str]:
    chars = [" "] * columns
    for mark in picture.loop_marks:
        char = _LOOP_CHARS[mark.kind]
        if _PRIORITY[char] > _PRIORITY[chars[mark.column]]:
            chars[mark.column] = char
    return chars


def _cells(chars: list[str], cell: int, per_cell: int, cells: int) -> str:
    out = []
    for index in range(cells):
        group = chars[index * per_cell:(index + 1) * per_cell] or [" "]
        char = max(group, key=lambda c: _PRIORITY.get(c, 0))
        if cell == 1:
            out.append(char)
            continue
        following = chars[(index + 1) * per_cell] if (index + 1) * per_cell < len(chars) else " "
        if char in "-.":
            fill = char
        elif char == "#" and following in "-.":
            fill = following
        else:
            fill = " "
        out.append(char + fill * (cell - 1))
    return "".join(out)


def _ruler(name: str, labels: list[str], picture: Picture, cell: int, per_cell: int,
           label_width: int, every_column: bool) -> tuple[str, set[int]]:
    """The ruler line, and the columns whose label it shows.

    A label starts where its column starts. Unless ``every_column``, a label
    is shown only where the time changed since the last one shown.
    """
    line = [" "] * (len(labels) * cell // per_cell + 12)
    free_from = 0
    shown_time: float | None = None
    shown: set[int] = set()
    for column, label in enumerate(labels):
        time = picture.times[column]
        changed = shown_time is None or time - shown_time > 0.0005
        if not label or (not every_column and not changed) or picture.gaps[column]:
            continue
        position = (column // per_cell) * cell
        if position < free_from:
            continue
        if position + len(label) > len(line):
            line.extend(" " * (position + len(label) - len(line)))
        line[position:position + len(label)] = label
        free_from = position + len(label) + 1
        shown_time = time
        shown.add(column)
    return f"{name:<{label_width}}{''.join(line)}".rstrip(), shown


def _summary(lane: Lane) -> str:
    ending = lane.outcome or "still pending"
    if lane.outcome == "failed":
        ending = lane.outcome_text.split(": ", 1)[-1]
        ending = f"failed ({ending})"
    waits = lane.waits()
    if not waits:
        return ending
    shown = [f"{w.end - w.start:.3f} s on {w.label}" for w in waits[:2]]
    more = f" +{len(waits) - 2} more" if len(waits) > 2 else ""
    return f"{ending}; waited {', '.join(shown)}{more}"
