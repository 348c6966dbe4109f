"""taskgroups.py: TaskGroup, on virtual time."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import miniloop
from miniloop import CancelledError, TaskGroup, VirtualClock


def run_virtual(main: Callable[[], Awaitable[Any]]) -> Any:
    async def wrapper() -> Any:
        return await main()

    return miniloop.run(wrapper(), clock=VirtualClock())


async def fail_after(delay: float, message: str = "failed") -> None:
    await miniloop.sleep(delay)
    raise ValueError(message)


def test_the_block_waits_for_every_child() -> None:
    async def main() -> tuple[list[int], float]:
        async with TaskGroup() as group:
            tasks = [group.create_task(miniloop.sleep(d, d)) for d in (3, 1, 2)]
        return [t.result() for t in tasks], miniloop.get_running_loop().time()

    assert run_virtual(main) == ([3, 1, 2], 3.0)


def test_a_failure_cancels_siblings_and_body_and_is_grouped() -> None:
    async def main() -> tuple[str, list[str], float, int]:
        siblings = []
        try:
            async with TaskGroup() as group:
                siblings.append(group.create_task(miniloop.sleep(10)))
                group.create_task(fail_after(1, "boom"))
                await miniloop.sleep(10)
        except ExceptionGroup as eg:
            return (eg.message, [str(e) for e in eg.exceptions],
                    miniloop.get_running_loop().time(), miniloop.current_task().cancelling())
        raise AssertionError("no group")

    message, errors, when, cancelling = run_virtual(main)
    assert (message, errors, when, cancelling) == (
        "unhandled errors in a TaskGroup", ["boom"], 1.0, 0)


def test_siblings_are_cancelled_in_creation_order() -> None:
    # Deliberate: asyncio walks a set (an order by memory address);
    # miniloop cancels in the order the children were created.
    async def main() -> list[int]:
        order: list[int] = []

        async def sibling(n: int) -> None:
            try:
                await miniloop.sleep(10)
            except CancelledError:
                order.append(n)
                raise

        with pytest.raises(ExceptionGroup):
            async with TaskGroup() as group:
                for n in range(8):
                    group.create_task(sibling(n))
                group.create_task(fail_after(1))
        return order

    assert run_virtual(main) == list(range(8))


def test_repr_follows_the_group_through_its_life() -> None:
    async def main() -> list[str]:
        group = TaskGroup()
        seen = [repr(group)]
        async with group:
            seen.append(repr(group))
            group.create_task(miniloop.sleep(1))
            seen.append(repr(group))
        seen.append(repr(group))
        return seen

    assert run_virtual(main) == [
        "<TaskGroup>", "<TaskGroup entered>", "<TaskGroup tasks=1 entered>", "<TaskGroup entered>"]


def test_misuse_messages() -> None:
    async def main() -> list[str]:
        messages = []
        group = TaskGroup()
        coro = miniloop.sleep(0)
        try:
            group.create_task(coro)
        except RuntimeError as exc:
            messages.append(str(exc))
        coro.close()
        async with group:
            try:
                async with group:
                    pass
            except RuntimeError as exc:
                messages.append(str(exc))
        coro = miniloop.sleep(0)
        try:
            group.create_task(coro)
        except RuntimeError as exc:
            messages.append(str(exc))
        coro.close()
        return messages

    assert run_virtual(main) == [
        "TaskGroup <TaskGroup> has not been entered",
        "TaskGroup <TaskGroup entered> has already been entered",
        "TaskGroup <TaskGroup entered> is finished",
    ]


def test_an_outside_cancellation_cancels_the_children_and_goes_on() -> None:
    async def main() -> tuple[str, bool]:
        child_tasks = []

        async def parent() -> None:
            async with TaskGroup() as group:
                child_tasks.append(group.create_task(miniloop.sleep(10)))
                await miniloop.sleep(10)

        task = miniloop.create_task(parent())
        await miniloop.sleep(1)
        task.cancel("outside")
        try:
            await task
        except CancelledError as exc:
            return str(exc), child_tasks[0].cancelled()
        return "not cancelled", False

    assert run_virtual(main) == ("outside", True)


def test_system_exit_from_the_body_is_raised_alone() -> None:
    async def main() -> int | str | None:
        try:
            async with TaskGroup() as group:
                group.create_task(fail_after(0))
                await miniloop.sleep(0)
                raise SystemExit(3)
        except SystemExit as exc:
            return exc.code
        return None

    assert run_virtual(main) == 3


def test_a_child_failing_after_its_parent_is_gone_is_reported() -> None:
    reports: list[str] = []

    async def main() -> None:
        loop = miniloop.get_running_loop()
        loop.set_exception_handler(lambda loop, context: reports.append(context["message"]))

        async def parent() -> None:
            group = TaskGroup()
            await group.__aenter__()  # never exited: the parent just returns
            group.create_task(fail_after(1, "orphan"))

        await miniloop.create_task(parent())
        await miniloop.sleep(2)

    run_virtual(main)
    assert len(reports) == 1
    assert "has errored out but its parent task" in reports[0]
    assert reports[0].endswith("is already completed")


@pytest.mark.skipif(sys.version_info < (3, 13), reason="3.13 closes refused coroutines")
def test_a_refused_coroutine_is_closed_on_313() -> None:
    async def main() -> bool:
        coro = miniloop.sleep(0)
        with pytest.raises(RuntimeError):
            TaskGroup().create_task(coro)
        return coro.cr_frame is None  # closed

    assert run_virtual(main) is True
