"""Write ``TinyLoop``: a queue of callbacks and a heap of timers.

An event loop without sockets is two data structures and one rule. Write a
class ``TinyLoop`` with these methods (asyncio's names and meanings)::

    time()                          a clock that never goes back (time.monotonic)
    call_soon(callback, *args)      run callback(*args) on the next turn
    call_later(delay, callback, *args)
    call_at(when, callback, *args)  run it once time() has reached `when`
    stop()                          run_forever returns after the current turn
    run_forever()                   run turns until stop() was called

Each ``call_*`` returns a handle with a ``cancel()`` method: a cancelled
callback never runs. (The template gives you a ``Handle`` class.)

The rule is what one *turn* does, in this order:

    1. if nothing is ready, sleep until the earliest timer is due;
    2. move every timer that is due onto the ready queue;
    3. run the callbacks that were ready at this moment, and only those:
       a callback scheduled during the turn waits for the next one.

The checker schedules the same callbacks on asyncio's own loop and on
yours and compares the order in which they ran.
"""

from __future__ import annotations

import asyncio
from typing import Any

from miniloop.exercises.checker import Exercise, Say, Scenario, run_plain


def _start(make_loop: Any) -> Any:
    return make_loop()


def _finish(loop: Any) -> None:
    close = getattr(loop, "close", None)
    if callable(close):
        close()


def in_order(make_loop: Any, say: Say) -> None:
    """call_soon callbacks run first come, first served."""
    loop = _start(make_loop)
    loop.call_soon(say, "a")
    loop.call_soon(say, "b", "with", "arguments")
    loop.call_soon(say, "c")
    loop.call_soon(loop.stop)
    loop.run_forever()
    say("run_forever returned")
    _finish(loop)


def next_turn(make_loop: Any, say: Say) -> None:
    """What a callback schedules waits for the next turn, behind due timers."""
    loop = _start(make_loop)

    def a() -> None:
        say("a: schedules b soon and t at a delay of 0")
        loop.call_soon(b)
        loop.call_later(0, t)

    def b() -> None:
        say("b: schedules c soon")
        loop.call_soon(c)

    def t() -> None:
        say("t: the timer")

    def c() -> None:
        say("c: stops the loop")
        loop.stop()

    loop.call_soon(a)
    loop.run_forever()
    _finish(loop)


def deadline_order(make_loop: Any, say: Say) -> None:
    """Timers fire in the order of their deadlines, not the order they were armed."""
    loop = _start(make_loop)
    loop.call_later(0.010, say, "armed first, due at 0.010")
    loop.call_later(0.005, say, "armed second, due at 0.005")
    start = loop.time()
    loop.call_at(start + 0.0075, say, "call_at, due at 0.0075")
    loop.call_later(0.015, loop.stop)
    loop.run_forever()
    say("time went on by at least 0.015 s:", loop.time() - start >= 0.015)
    _finish(loop)


def cancelled_timer(make_loop: Any, say: Say) -> None:
    """A cancelled callback or timer never runs."""
    loop = _start(make_loop)
    timer = loop.call_later(0.005, say, "the cancelled timer ran")
    soon = loop.call_soon(say, "the cancelled callback ran")
    loop.call_later(0.01, say, "the other timer ran")
    loop.call_later(0.01, loop.stop)
    timer.cancel()
    soon.cancel()
    loop.run_forever()
    say("done")
    _finish(loop)


def stop_ends_the_turn(make_loop: Any, say: Say) -> None:
    """stop() lets the current turn finish; the next run_forever carries on."""
    loop = _start(make_loop)

    def a() -> None:
        say("a: stop, and schedule b")
        loop.stop()
        loop.call_soon(b)

    def b() -> None:
        say("b runs in the second run_forever")
        loop.stop()

    loop.call_soon(a)
    loop.call_soon(say, "c runs in the same turn as a")
    loop.run_forever()
    say("first run_forever returned")
    loop.call_later(0.01, loop.stop)  # only a safety net, in case b is gone
    loop.run_forever()
    say("second run_forever returned")
    _finish(loop)


def ready_before_sleeping(make_loop: Any, say: Say) -> None:
    """A ready callback runs at once, even while a timer is pending."""
    loop = _start(make_loop)
    start = loop.time()

    def soon() -> None:
        say("soon ran before the timer:", loop.time() - start < 0.02)

    loop.call_later(0.02, say, "the timer")
    loop.call_later(0.02, loop.stop)
    loop.call_soon(soon)
    loop.run_forever()
    _finish(loop)


EXERCISE = Exercise(
    chapter=2,
    slug="loop",
    title="TinyLoop, a queue of callbacks and a heap of timers",
    name="TinyLoop",
    reference_label="asyncio's event loop",
    reference=lambda: asyncio.SelectorEventLoop,
    scenarios=(
        Scenario("call_soon callbacks run in the order they were scheduled", in_order,
                 "keep ready callbacks in a deque: append on call_soon, popleft to run."),
        Scenario("a callback scheduled during a turn waits for the next turn", next_turn,
                 "run only the callbacks that were ready when the turn began "
                 "(`for _ in range(len(ready))`), and move due timers onto the ready "
                 "queue *before* running them, so a due timer runs before what the "
                 "callbacks of the previous turn scheduled."),
        Scenario("timers fire in the order of their deadlines", deadline_order,
                 "keep timers in a heap of (when, number, handle) tuples (heapq): the "
                 "smallest deadline is always at index 0. call_later(d) is "
                 "call_at(time() + d)."),
        Scenario("a cancelled callback or timer never runs", cancelled_timer,
                 "cancel() marks the handle; when its turn comes, skip it."),
        Scenario("stop() finishes the current turn, and the next run_forever goes on",
                 stop_ends_the_turn,
                 "stop() only sets a flag; run_forever checks it after each whole turn, "
                 "and clears it when it returns."),
        Scenario("a ready callback does not wait for a pending timer", ready_before_sleeping,
                 "only sleep when the ready queue is empty; then sleep until the "
                 "earliest deadline (time.sleep(max(0, when - time())))."),
    ),
    run=run_plain,
    module=__name__,
    starter="tinyloop.py",  # chapter 2 calls it that
)
