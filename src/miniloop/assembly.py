"""The bridge: miniloop's loop, as asyncio and its libraries expect it.

Everything below this module is miniloop's own: the core loop, futures,
tasks, the toolkit, threads and IO. What asyncio needs in addition, for
``asyncio.sleep``, ``asyncio.gather`` or aiohttp to run on a miniloop loop,
is small:

* the loop must *be* an ``asyncio.AbstractEventLoop``: that class is pure
  interface (every method raises NotImplementedError), so inheriting it
  costs nothing and makes ``isinstance`` checks in asyncio pass;
* the running loop and the current task must be registered where asyncio
  looks for them (``events.py`` does that);
* futures must speak the duck-typed future protocol (``futures.py``);
* ``asyncio.run()``/``asyncio.new_event_loop()`` must produce our loop when
  a program is run under miniloop: that is the *event loop policy* below.

Read next: ``__main__.py``, the command line that puts the policy in place.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from miniloop.core import events
from miniloop.core.clock import Clock
from miniloop.core.loop import CoreLoop
from miniloop.io import IOMixin
from miniloop.toolkit.threads import ExecutorMixin

if TYPE_CHECKING:
    # typeshed describes AbstractEventLoop in terms of asyncio's own Handle
    # and Future classes; ours are look-alikes, not subclasses. To the type
    # checker, the interface is therefore just "object".
    _AsyncioLoopInterface = object
else:
    _AsyncioLoopInterface = asyncio.AbstractEventLoop


class Loop(IOMixin, ExecutorMixin, CoreLoop, _AsyncioLoopInterface):
    """miniloop's event loop: the core loop plus threads and IO, asyncio-compatible.

    Use it directly (``loop = miniloop.Loop(); loop.run_until_complete(...)``),
    through ``miniloop.run(main())``, or from asyncio:
    ``asyncio.Runner(loop_factory=miniloop.Loop)``.
    """

    def __init__(self, *, clock: Clock | None = None) -> None:
        super().__init__(clock=clock)

    def close(self) -> None:
        """Close the loop: drop callbacks and timers, stop the thread pool."""
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        if self.is_closed():
            return
        super().close()
        self._shutdown_executor_now()


events.set_default_loop_factory(Loop)


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
