"""connections.py: interleaving addresses, and the happy-eyeballs race."""

from __future__ import annotations

import asyncio.base_events
import socket
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import miniloop
from miniloop.io.connections import interleave_by_family

INFOS = st.lists(st.tuples(st.sampled_from([socket.AF_INET, socket.AF_INET6, socket.AF_UNIX]),
                           st.integers(0, 9)), min_size=1, max_size=8)


@given(INFOS, st.integers(1, 4))
def test_interleaving_matches_asyncio(infos: list[tuple[Any, ...]], first: int) -> None:
    ours = interleave_by_family(list(infos), first)
    theirs = asyncio.base_events._interleave_addrinfos(list(infos), first)  # type: ignore[attr-defined]
    assert ours == theirs


class FakeSocket:
    def __init__(self, name: str) -> None:
        self.name = name
        self.closed = False

    def close(self) -> None:
        self.closed = True


def race(plan: list[tuple[float, bool]], delay: float) -> tuple[Any, list[str]]:
    """Run attempts that take (seconds, succeed?) in a staggered race."""
    log: list[str] = []
    made: list[FakeSocket] = []

    async def attempt(index: int, seconds: float, succeeds: bool) -> Any:
        log.append(f"start {index}")
        try:
            await miniloop.sleep(seconds)
        except miniloop.CancelledError:
            log.append(f"cancelled {index}")
            raise
        if not succeeds:
            log.append(f"failed {index}")
            raise OSError(f"attempt {index} failed")
        sock = FakeSocket(f"socket {index}")
        made.append(sock)
        return sock

    async def main() -> Any:
        loop = miniloop.get_running_loop()
        attempts = [lambda i=i, s=s, ok=ok: attempt(i, s, ok) for i, (s, ok) in enumerate(plan)]
        return await loop._race_staggered(attempts, delay)

    winner = miniloop.run(main(), clock=miniloop.VirtualClock())
    log.extend(f"closed {sock.name}" for sock in made if sock.closed)
    return winner, log


def test_a_slow_first_attempt_is_overtaken_after_the_delay() -> None:
    winner, log = race([(10, True), (1, True)], delay=0.5)
    assert winner.name == "socket 1"
    assert log == ["start 0", "start 1", "cancelled 0"]


def test_a_failure_starts_the_next_attempt_at_once() -> None:
    winner, log = race([(0.1, False), (0.1, True), (5, True)], delay=1)
    assert winner.name == "socket 1"
    assert log == ["start 0", "failed 0", "start 1"]


def test_when_every_attempt_fails_nothing_wins() -> None:
    winner, log = race([(0.1, False), (0.2, False)], delay=1)
    assert winner is None
    assert log == ["start 0", "failed 0", "start 1", "failed 1"]


def test_a_second_winner_in_the_same_turn_is_closed() -> None:
    winner, log = race([(1, True), (0.5, True)], delay=0.5)
    assert winner.name in {"socket 0", "socket 1"}
    assert len([line for line in log if line.startswith("closed")]) == 1
