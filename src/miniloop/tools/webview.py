'''The browser half of the trace page: its legend, style and script.

``html.py`` embeds the run as JSON (``<script id="trace-data">``); the
script (``webview.js``, styled by ``webview.css``) reads it once and
draws only what is in view on a canvas, again at every zoom, pan, scroll
or selection. Its shape, with every
string sent once in ``S`` and named by its index:

    cols     turn, time, gap: one entry per column (a turn, or the loop
             asleep before it)
    lanes    per task: k key, n name, c column made, ct how, e column ended
             (-1: never), o ending (0 finished, 1 failed, 2 cancelled),
             s steps   [column, time, number, why, seq] ...
             w stretches [waiting?, first, last (-1: open), start, end,
                          label (-2: "woken: " and the wait before), colour,
                          where, source line, seq] ...
    loop     [column, time, kind, text, seq, until, slot] ...
    arrows   [kind, from seq, to seq] ...: each end is a step or a loop mark
    ready    turn -> the seqs of the steps and callbacks that ran in it and
             were queued before it, in order
    timers   [from turn, to turn, deadline, what, seq] ...
    io       [from turn, to turn, what, seq] ...

What a step gave back is the stretch after it (or the lane's ending), and
a task's state before a turn is the stretch it was in: the page works
both out rather than carry them twice. All text reaches the page through
``textContent`` or canvas text, never as markup.

Why plain JavaScript on a canvas? A page that must open offline, from one
file, cannot fetch a charting library; and drawing only what is in view is
what keeps 100,000 events as quick to look at as 100.

Read next: ``stepper.py``.
'''

from __future__ import annotations

from importlib import resources

_SWATCHES = (("sleep", "#f2b84b"), ("gather", "#7aa7e0"), ("task or task group", "#8fc79a"),
             ("lock, semaphore, condition", "#e57f7f"), ("event, barrier", "#c99ae0"),
             ("queue", "#73c7c2"), ("socket or stream", "#9db0c9"), ("thread", "#b8b8b8"),
             ("other future", "#d6d6d6"))


_BAR = '<rect x="1" y="3" width="20" height="8" rx="3" fill="{color}"/>'
_LINE = '<line x1="1" y1="7" x2="21" y2="7" stroke="{color}" stroke-width="2"{dash}/>'


def _svg(body: str) -> str:
    return f'<svg width="22" height="14" viewBox="0 0 22 14" aria-hidden="true">{body}</svg>'


LEGEND = "".join([
    '<div class="body"><b>A task\'s lane</b><br>',
    '<span class="item">', _svg('<circle cx="11" cy="7" r="4.5" fill="#1f4e8c"/>'), 'a step</span>',
    '<span class="item">', _svg('<path d="M6 7 L11 2 L16 7 L11 12 z" fill="#fff" stroke="#555"/>'),
    'the task was made</span>',
    '<span class="item">', _svg('<line x1="1" y1="7" x2="21" y2="7" stroke="#9a9a9a" '
                                'stroke-width="2" stroke-dasharray="2 3"/>'),
    'ready, waiting for its turn</span>',
    '<span class="item"><b style="color:#2e8b57">✓</b> finished · '
    '<b style="color:#c0392b">✗</b> failed · <b style="color:#d35400">⊘</b> cancelled</span><br>',
    'A bar: the task waited, on',
    *(f'<span class="item">{_svg(_BAR.format(color=color))}{name}</span>'
      for name, color in _SWATCHES),
    '<br><b>The loop\'s lane</b> (under the tasks\')<br>',
    '<span class="item">', _svg('<path d="M6 3 L16 3 L11 12 z" fill="#d08a12"/>'),
    'a timer fired</span>',
    '<span class="item">', _svg('<rect x="7.5" y="3.5" width="7" height="7" fill="#8b4fc4" '
                                'transform="rotate(45 11 7)"/>'), 'a callback ran</span>',
    '<span class="item">', _svg('<rect x="6" y="2" width="10" height="10" fill="#5d7ea8"/>'),
    'a descriptor was ready (IO)</span>',
    '<span class="item">', _svg('<rect x="1" y="3" width="20" height="8" rx="4" fill="#e3e3e3"/>'),
    'the loop slept</span><br>',
    '<b>Arrows</b> (all of them on small runs; on big ones, those of the selected task)<br>',
    *(f'<span class="item">{_svg(_LINE.format(color=color, dash=dash))}{name}</span>'
      for name, color, dash in (("woke", "#2f6fd6", ""), ("made", "#7d7d7d", ""),
                                ("scheduled a callback", "#8b4fc4", ""),
                                ("armed a timer", "#d08a12", ' stroke-dasharray="4 3"'))),
    '<br><b>The ruler and the red line</b>: the turn picked; the panel shows what the loop '
    'held before it.<br>',
    '<b>Keys</b>: <kbd>←</kbd> <kbd>→</kbd> previous / next turn · <kbd>↑</kbd> <kbd>↓</kbd> '
    'previous / next task · <kbd>+</kbd> <kbd>-</kbd> zoom · <kbd>0</kbd> fit · '
    '<kbd>Shift</kbd>+<kbd>←</kbd>/<kbd>→</kbd> pan · <kbd>t</kbd> time / turns · '
    '<kbd>/</kbd> search · <kbd>Esc</kbd> clear.<br>',
    '<b>Mouse</b>: drag to pan, wheel to scroll, <kbd>Ctrl</kbd>+wheel to zoom, '
    '<kbd>Shift</kbd>+wheel to pan; click anything for its details.',
    '</div>',
])


def _asset(name: str) -> str:
    return resources.files("miniloop.tools").joinpath(name).read_text(encoding="utf-8")


STYLE = _asset("webview.css")  # the page's look
SCRIPT = _asset("webview.js")  # reads the data, draws what is in view, answers the input
