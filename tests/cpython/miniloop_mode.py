"""How CPython's asyncio tests are pointed at miniloop.

Two miniloop backends, both set up before a test module is imported:

``miniloop``
    asyncio's own functions and classes, on miniloop's loop. Every way the
    tests obtain a loop yields a ``miniloop.Loop``:

    * the event-loop policy (``asyncio.new_event_loop()``, ``asyncio.run``,
      ``asyncio.Runner`` and ``IsolatedAsyncioTestCase`` on 3.11-3.13);
      asyncio's *default* policy class is miniloop's too, because many test
      modules reset the policy with ``set_event_loop_policy(None)``;
    * optionally ``IsolatedAsyncioTestCase.loop_factory`` (3.13+);
    * ``test_utils.TestLoop`` / ``TestCase.new_test_loop``: CPython's test
      loop is a ``BaseEventLoop`` whose clock is driven by a generator the
      test supplies; ``GeneratorTimeLoop`` is the same contract on miniloop;
    * ``mock.patch("asyncio.base_events.logger")`` also catches what
      miniloop's loop logs (both log to the ``asyncio`` logger);
    * the few modules that build an ``asyncio.BaseEventLoop`` by hand with
      a mocked selector (``test_pep492``, ``test_runners``) get a miniloop
      loop from the same place instead (``adapt_module``).

``miniloop-api``
    the same, and in addition the name ``asyncio`` inside the test module
    resolves to miniloop's own implementation for every public name that
    miniloop provides (``Future``, ``Task``, ``gather``, ``sleep``,
    ``wait_for``, ``Queue``...), falling back to asyncio's for the rest.
    Test classes written against an implementation class (``Task =
    tasks._CTask``) get a twin whose class attributes are miniloop's.

Only loop construction and name lookup are swapped; no test's logic is.
"""

from __future__ import annotations

import asyncio
import sys
import types
import unittest
from typing import Any

import miniloop

# --- the loop CPython's tests drive by hand ----------------------------------------


class _GeneratorClock:
    """A clock that only moves when the test's time generator says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def time(self) -> float:
        return self.now

    def attach(self, loop: object) -> None:
        pass

    def arming_order(self) -> int:
        return 0  # equal deadlines keep the heap's order, as in asyncio's TestLoop

    @property
    def resolution(self) -> float:
        return 1e-9

    def wait(self, selector: Any, deadline: float | None) -> Any:
        # CPython's TestLoop never sleeps: its selector returns at once.
        # With nothing scheduled at all we do block, but only until another
        # thread writes to the self-pipe (the test loop would spin instead).
        return selector.select(None if deadline is None else 0)


class GeneratorTimeLoop(miniloop.Loop):
    """``test_utils.TestLoop``'s contract on a miniloop loop.

    After each iteration, the ``when`` of every timer scheduled during it is
    sent to the test's generator, which answers how far to move the clock.
    """

    def __new__(cls, gen: Any = None) -> GeneratorTimeLoop:
        # miniloop.Loop's own __new__ takes only keywords (it may pick the fast loop).
        return super().__new__(cls)  # type: ignore[no-any-return]

    def __init__(self, gen: Any = None) -> None:
        super().__init__(clock=_GeneratorClock())  # type: ignore[arg-type]
        if gen is None:
            def gen() -> Any:
                yield
            self._check_on_close = False
        else:
            self._check_on_close = True
        self._gen = gen()
        next(self._gen)
        self._timer_whens: list[float] = []

    def advance_time(self, advance: float) -> None:
        """Move the test clock forward."""
        if advance:
            self._clock.now += advance  # type: ignore[attr-defined]

    def call_at(self, when: float, callback: Any, *args: Any, context: Any = None) -> Any:
        self._timer_whens.append(when)
        return super().call_at(when, callback, *args, context=context)

    def _run_once(self) -> None:
        super()._run_once()
        for when in self._timer_whens:
            self.advance_time(self._gen.send(when))
        self._timer_whens = []

    def close(self) -> None:
        super().close()
        if self._check_on_close:
            try:
                self._gen.send(0)
            except StopIteration:
                pass
            else:
                raise AssertionError("Time generator is not finished")


# --- installing the backend -----------------------------------------------------------


def install(backend: str, *, loop_factory: bool = False) -> None:
    """Make every loop CPython's tests create a miniloop loop."""
    miniloop.use_miniloop()
    # Test modules reset the policy with set_event_loop_policy(None); asyncio
    # then builds a fresh DefaultEventLoopPolicy, which must be ours too.
    asyncio.DefaultEventLoopPolicy = miniloop.EventLoopPolicy  # type: ignore[misc]
    if loop_factory and sys.version_info >= (3, 13):
        unittest.IsolatedAsyncioTestCase.loop_factory = miniloop.Loop  # type: ignore[attr-defined]

    from test.test_asyncio import utils as test_utils

    def new_test_loop(self: Any, gen: Any = None) -> GeneratorTimeLoop:
        loop = GeneratorTimeLoop(gen)
        self.set_event_loop(loop)
        return loop

    test_utils.TestLoop = GeneratorTimeLoop  # type: ignore[misc]
    test_utils.TestCase.new_test_loop = new_test_loop  # type: ignore[method-assign]

    # Tests patch ``asyncio.base_events.logger`` to watch what the loop
    # logs. Both loops log to the same ``asyncio`` logger; let miniloop's
    # reach it through that module attribute, so the tests' mocks see it.
    from miniloop.contract import debugging, reporting
    from miniloop.core import loop

    for module in (debugging, loop, reporting):
        module.logger = _AsyncioLoopLogger()  # type: ignore[assignment]


class _AsyncioLoopLogger:
    """Forwards to whatever ``asyncio.base_events.logger`` is right now."""

    def __getattr__(self, name: str) -> Any:
        import asyncio.base_events

        return getattr(asyncio.base_events.logger, name)


def adapt_module(name: str, module: types.ModuleType, backend: str) -> Any:
    """Swap the hand-built asyncio loops of ``module`` for miniloop loops.

    Returns what undoes any change that outlives the module (or None).
    """
    undo = None
    if name == "test_pep492":
        base = module.BaseTest

        def set_up(self: Any) -> None:
            super(base, self).setUp()
            self.loop = miniloop.Loop()
            self.set_event_loop(self.loop)

        base.setUp = set_up
    elif name == "test_runners":

        def new_loop(self: Any) -> Any:
            loop = miniloop.Loop()
            loop.shutdown_ag_run = False  # type: ignore[attr-defined]

            async def shutdown_asyncgens() -> None:
                loop.shutdown_ag_run = True  # type: ignore[attr-defined]

            loop.shutdown_asyncgens = shutdown_asyncgens  # type: ignore[method-assign]
            return loop

        module.BaseTest.new_loop = new_loop
        if backend == "miniloop-api":
            # The module's tests install a policy whose loops they inspect;
            # miniloop.run and miniloop.Runner must take their loops from it.
            previous = miniloop.core.events._default_loop_factory
            miniloop.core.events.set_default_loop_factory(
                lambda **options: asyncio.get_event_loop_policy().new_event_loop())

            def undo() -> None:
                miniloop.core.events.set_default_loop_factory(previous)
    if backend == "miniloop-api":
        module.asyncio = miniloop_first_namespace()  # type: ignore[attr-defined]
        add_twins(name, module)
    return undo


# --- the miniloop-api backend -------------------------------------------------------------


def miniloop_first_namespace() -> types.ModuleType:
    """A stand-in for the ``asyncio`` module: miniloop's names first."""
    ours = {name for name in asyncio.__all__ if name in getattr(miniloop, "__all__", ())}

    class MiniloopFirst(types.ModuleType):
        def __getattr__(self, attribute: str) -> Any:
            if attribute in ours:
                return getattr(miniloop, attribute)
            return getattr(asyncio, attribute)

    namespace = MiniloopFirst("asyncio")
    namespace.__dict__["__miniloop_names__"] = sorted(ours)
    return namespace


def add_twins(name: str, module: types.ModuleType) -> None:
    """Give implementation-class test classes a twin that tests miniloop's classes."""
    twins: dict[str, tuple[str, dict[str, Any]]] = {}
    if name == "test_futures":
        twins = {
            "MiniloopFutureTests": ("PyFutureTests", {"cls": miniloop.Future}),
            "MiniloopFutureDoneCallbackTests": (
                "PyFutureDoneCallbackTests",
                {"_new_future": lambda self: miniloop.Future(loop=self.loop)},
            ),
        }
    elif name == "test_futures2":
        twins = {"MiniloopTaskTests": ("PyFutureTests", {"cls": miniloop.Task})}
    elif name == "test_tasks":
        twins = {
            "MiniloopTask_MiniloopFuture_Tests": (
                "PyTask_PyFuture_Tests",
                {
                    "Task": miniloop.Task,
                    "Future": miniloop.Future,
                    "all_tasks": staticmethod(miniloop.all_tasks),
                    "current_task": staticmethod(miniloop.current_task),
                },
            ),
            "MiniloopCurrentLoopTests": (
                "PyCurrentLoopTests", {"current_task": staticmethod(miniloop.current_task)}),
        }
    elif name == "test_eager_task_factory":
        twins = {
            "MiniloopEagerTaskFactoryLoopTests": (
                "PyEagerTaskFactoryLoopTests", {"Task": miniloop.Task}),
            "NonEagerMiniloopTaskTests": ("NonEagerPyTaskTests", {"Task": miniloop.Task}),
            "EagerMiniloopTaskTests": ("EagerPyTaskTests", {"Task": miniloop.Task}),
        }
    for twin_name, (original_name, attributes) in twins.items():
        original = getattr(module, original_name, None)
        if original is None:
            continue
        namespace = dict(attributes, __module__=module.__name__, __qualname__=twin_name,
                         __cpython_original__=original_name)
        setattr(module, twin_name, type(twin_name, (original,), namespace))
