"""The tools: watching the loop think.

Nothing in the teaching core depends on this package. Each tool is an
*observer* (``core/observer.py``): the loop shows it the moments it
declares (a turn starts, an entry runs, a task steps, a timer is armed...),
and ``new_loop_watchers`` lets a tool watch every loop made from then on.
No tool patches a loop: a watched loop runs exactly the code a learner reads.

    describe.py   what a task waits on, what a timer or callback will do
    trace.py      the recorder: one structured event per thing the loop does
    textlog.py    the live one-line-per-event log (``--trace``)
    lanes.py      events worked out into lanes, stretches and arrows
    timeline.py   a text timeline, one lane per task (end of ``--trace``)
    html.py       the same run as an SVG timeline in a web page (``--trace-html``)
    session.py    tracing a whole program run for the command line
    stepper.py    step mode: one turn of the loop at a time (``--step``)
    deadlock.py   the deadlock report, instead of sleeping for ever
    virtualclock.py
                  virtual time: a clock that jumps to the next timer (it
                  plugs into the clock seam the core declares, ``core/clock.py``)

Read next: ``trace.py``, then the renderers; ``deadlock.py`` stands alone.
"""

from __future__ import annotations
