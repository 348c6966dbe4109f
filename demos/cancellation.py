"""Cancellation and timeouts: how a task is asked to stop, and how it stops.

A task is never killed. ``task.cancel()`` only *asks*: the next time the
task waits (at an ``await``), CancelledError is raised there instead, and
the task's own code decides what happens next. Usually it cleans up (its
``finally`` blocks run) and lets the error travel on, and whoever awaits
the task sees it end "cancelled". Everything else in this demo is built on
that one mechanism:

    1. cancel()       ask a task to stop; it cleans up on the way out
    2. refusing       a task may catch CancelledError and carry on
    3. wait_for()     cancel the work if it takes too long: TimeoutError
    4. timeout()      a deadline for a block of code, which can be moved
    5. shield()       let the caller give up without stopping the work
    6. TaskGroup      one failure cancels the other tasks of the group

Each line starts with the time it happened, in ticks (a tenth of a second
unless --speed says otherwise), so you can see who waited for whom.

    python demos/cancellation.py              # on asyncio
    python -m miniloop demos.cancellation     # on miniloop
    python -m compat demos.cancellation       # both, side by side
"""

from __future__ import annotations

import argparse
import math

from compat import (
    CancelledError,
    TaskGroup,
    create_task,
    current_task,
    get_running_loop,
    run,
    shield,
    sleep,
    timeout,
    wait_for,
)

TICK = 0.1  # seconds in one tick, before --speed


class Narrator:
    """Prints each line with the loop time it happened at, in whole ticks."""

    def __init__(self, tick: float) -> None:
        self.tick = tick
        self.start = get_running_loop().time()

    def now(self) -> int:
        """The tick we are in. Timers fire a little late, never early: a
        moment counts as tick 3 from a third of a tick before it on."""
        return math.floor((get_running_loop().time() - self.start) / self.tick + 0.3)

    def __call__(self, who: str, what: str) -> None:
        print(f"[{self.now():2d}] {who:>8}: {what}")

    async def ticks(self, count: int) -> None:
        """Sleep until ``count`` ticks after this one."""
        # Aim at the tick itself on the loop's clock rather than sleeping
        # "count ticks from now": each wake-up is a little late, and
        # relative sleeps would add those delays up.
        target = self.start + (self.now() + count) * self.tick
        await sleep(target - get_running_loop().time())


async def kettle(say: Narrator, ticks_to_boil: int) -> str:
    """Heats water; if cancelled, switches itself off before stopping."""
    say("kettle", "heating")
    try:
        await say.ticks(ticks_to_boil)  # CancelledError arrives here
    except CancelledError:
        say("kettle", "asked to stop while heating: switching off")
        raise  # let the cancellation go on: we are done
    say("kettle", "boiled")
    return "hot water"


async def lesson_cancel(say: Narrator) -> None:
    print("1. cancel() asks a task to stop")
    task = create_task(kettle(say, ticks_to_boil=10))
    await say.ticks(2)
    say("main", f"task.cancel() -> {task.cancel()}")
    say("main", f"has it stopped yet? {task.done()} (cancel only asks)")
    try:
        await task
    except CancelledError:
        say("main", f"awaiting it raises CancelledError; task.cancelled() = {task.cancelled()}")


async def stubborn_worker(say: Narrator) -> str:
    """Catches the cancellation and finishes its work anyway (rarely wise)."""
    try:
        await say.ticks(10)
    except CancelledError:
        # cancelling() counts the requests this task has not taken back.
        pending = current_task().cancelling()
        say("stubborn", f"caught CancelledError ({pending} request pending); finishing up")
        await say.ticks(1)
    return "finished anyway"


async def lesson_refusing(say: Narrator) -> None:
    print("2. a task can refuse: it catches CancelledError and carries on")
    task = create_task(stubborn_worker(say))
    await say.ticks(2)
    task.cancel()
    say("main", f"the task returned {await task!r}, not cancelled: {not task.cancelled()}")


async def lesson_wait_for(say: Narrator) -> None:
    print("3. wait_for() gives up after a timeout, and cancels the work")
    say("main", f"quick kettle: {await wait_for(kettle(say, ticks_to_boil=2), 5 * say.tick)}")
    try:
        await wait_for(kettle(say, ticks_to_boil=10), 3 * say.tick)
    except TimeoutError:
        say("main", "slow kettle: TimeoutError, and the kettle was switched off first")


async def download(say: Narrator, chunk_gaps: list[int]) -> None:
    """Receives chunks after the given gaps (in ticks); each chunk moves the deadline."""
    loop = get_running_loop()
    async with timeout(3 * say.tick) as deadline:
        for number, gap in enumerate(chunk_gaps, 1):
            await say.ticks(gap)
            deadline.reschedule(loop.time() + 3 * say.tick)  # progress: 3 more ticks
            say("download", f"chunk {number} arrived; deadline moved 3 ticks ahead")
    say("download", "complete")


async def lesson_timeout(say: Narrator) -> None:
    print("4. timeout(): a deadline for a whole block, moved on each sign of progress")
    await download(say, chunk_gaps=[2, 2, 2])
    try:
        await download(say, chunk_gaps=[2, 5])
    except TimeoutError:
        say("main", "the second download stalled: TimeoutError")


async def save_order(say: Narrator) -> str:
    say("save", "writing the order")
    await say.ticks(4)
    say("save", "written")
    return "saved"


async def lesson_shield(say: Narrator) -> None:
    print("5. shield(): the caller gives up, the work carries on")
    saving = create_task(save_order(say))

    async def impatient_customer() -> None:
        await shield(saving)

    customer = create_task(impatient_customer())
    await say.ticks(2)
    customer.cancel()
    try:
        await customer
    except CancelledError:
        say("main", f"the customer left; the save is still running: {not saving.done()}")
    say("main", f"the save finished anyway: {await saving}")


async def burner(say: Narrator, name: str, fails_after: int | None) -> None:
    try:
        await say.ticks(10 if fails_after is None else fails_after)
    except CancelledError:
        say(name, "cancelled by the group")
        raise
    if fails_after is not None:
        say(name, "boils over!")
        raise RuntimeError(f"{name} boiled over")


async def lesson_task_group(say: Narrator) -> None:
    print("6. TaskGroup: when one task fails, the others are cancelled")
    try:
        async with TaskGroup() as group:
            group.create_task(burner(say, "pot", fails_after=3))
            group.create_task(burner(say, "pan", fails_after=None))
    except* RuntimeError as failures:
        say("main", f"the group raised: {[str(error) for error in failures.exceptions]}")


async def main(tick: float) -> None:
    """Run the six lessons one after the other."""
    say = Narrator(tick)
    for lesson in (lesson_cancel, lesson_refusing, lesson_wait_for, lesson_timeout,
                   lesson_shield, lesson_task_group):
        await lesson(say)
        say.start = get_running_loop().time()  # each lesson starts at tick 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: only --speed, to run faster in tests."""
    parser = argparse.ArgumentParser(
        prog="cancellation.py", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--speed", type=float, default=1.0, metavar="FACTOR",
                        help="make a tick FACTOR times shorter (default 1: a tenth of a second)")
    options = parser.parse_args(argv)
    if not options.speed > 0:
        parser.error("--speed must be a positive number")
    return options


if __name__ == "__main__":
    run(main(TICK / parse_args().speed))
