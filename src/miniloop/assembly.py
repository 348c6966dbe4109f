"""The assembly: the layers, put together into the loop you get.

    core/       CoreLoop: the turn, the ready queue, the timer heap
    contract/   ContractLoop: what asyncio programs can observe of a loop
    toolkit/    ExecutorMixin: a thread pool, run_in_executor
    io/         IOMixin: sockets, transports, servers, pipes, subprocesses
    asyncio     AbstractEventLoop: pure interface, so isinstance checks pass

``Loop`` is those, stacked in that order: the plain loop, exactly the
code a learner reads. ``FastLoop`` is the same loop with the speed-ups of
``fast/`` on top. Like ``pathlib.Path``, which gives you a ``PosixPath``,
``Loop()`` gives you a ``FastLoop`` unless you ask for the plain one:
``Loop(plain=True)``, or ``MINILOOP_PLAIN=1`` in the environment (every
loop of the process is then plain; ``python -m miniloop --plain`` sets it).

asyncio itself needs one more thing to run programs on our loop:
``asyncio.run()`` and ``asyncio.new_event_loop()`` must make one. That is
the *event loop policy* below (the command line installs it).

Read next: ``fast/``, the speed-ups, then ``__main__.py``, the command line.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

from miniloop.contract.loop import ContractLoop
from miniloop.core.clock import Clock
from miniloop.fast.io import FastIOMixin
from miniloop.fast.loop import FastLoopMixin
from miniloop.fast.readiness import IOEventsMixin
from miniloop.fast.timers import TimersMixin
from miniloop.io.loop import IOMixin
from miniloop.toolkit.threads import ExecutorMixin

if TYPE_CHECKING:
    # typeshed describes AbstractEventLoop in terms of asyncio's own Handle
    # and Future classes; ours are look-alikes, not subclasses. To the type
    # checker, the interface is therefore just "object".
    _AsyncioLoopInterface = object
else:
    _AsyncioLoopInterface = asyncio.AbstractEventLoop


def plain_requested() -> bool:
    """True when MINILOOP_PLAIN asks for plain loops (any value but '', '0')."""
    return os.environ.get("MINILOOP_PLAIN", "") not in ("", "0")


class Loop(IOMixin, ExecutorMixin, ContractLoop, _AsyncioLoopInterface):
    """miniloop's event loop, asyncio-compatible: ``FastLoop`` unless plain is asked for.

    Use it directly (``loop = miniloop.Loop(); loop.run_until_complete(...)``),
    through ``miniloop.run(main())``, or from asyncio:
    ``asyncio.Runner(loop_factory=miniloop.Loop)``.
    """

    def __new__(cls, *, clock: Clock | None = None, plain: bool | None = None) -> Any:
        if cls is Loop and not (plain_requested() if plain is None else plain):
            cls = FastLoop
        return super().__new__(cls)

    def __init__(self, *, clock: Clock | None = None, plain: bool | None = None) -> None:
        super().__init__(clock=clock)

    @property
    def plain(self) -> bool:
        """True for a plain loop: only the code of core/, contract/, toolkit/ and io/ runs."""
        return not isinstance(self, FastLoop)

    def close(self) -> None:
        """Close the loop: drop callbacks and timers, stop the thread pool."""
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        if self.is_closed():
            return
        super().close()
        self._shutdown_executor_now()


class FastLoop(FastIOMixin, IOEventsMixin, TimersMixin, FastLoopMixin, Loop):
    """``Loop`` with the speed-ups of ``fast/``: the same behaviour, fewer instructions."""


class EventLoopPolicy(asyncio.DefaultEventLoopPolicy):
    """asyncio's default policy, except that its new loops are miniloop's.

    asyncio contract: ``asyncio.run``, ``asyncio.Runner`` and
    ``asyncio.new_event_loop`` ask the policy for new loops.
    """

    def new_event_loop(self) -> Any:
        """A new ``miniloop.Loop`` (with the clock chosen by ``use_miniloop``)."""
        return Loop(clock=_policy_clock_factory() if _policy_clock_factory else None)


_policy_clock_factory: Any = None


def use_miniloop(*, clock_factory: Any = None) -> None:
    """From now on, asyncio makes miniloop loops (``clock_factory()`` gives each a clock)."""
    global _policy_clock_factory
    _policy_clock_factory = clock_factory
    asyncio.set_event_loop_policy(EventLoopPolicy())
