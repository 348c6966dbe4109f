"""What the tests of fast/ share: a program's transcript on several loops, and one IO scene.

A speed-up is right when no program can tell it is there. So the tests of
``fast/`` run a program on the plain loop and on a fast one and compare
what it said, line by line:

    transcript(program, make_loop)   what the program said, then how it ended
    assert_same_on(loops, program)   the transcript on each loop: all equal
    socket_pair_with_a_reader(...)   the smallest IO a program can wait for

They test the fast layer, and ``MINILOOP_PLAIN=1`` makes every loop of the
process plain (``assembly.py``): under it they skip, each file marked with
``skip_in_plain_mode``. CI's plain run is for the tests of behaviour.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

import miniloop
from miniloop.assembly import plain_requested

Say = Callable[[str], None]
Program = Callable[[Say], Coroutine[Any, Any, Any]]
LoopMaker = Callable[..., Any]

skip_in_plain_mode = pytest.mark.skipif(
    plain_requested(), reason="tests the fast layer; MINILOOP_PLAIN makes every loop plain")


def plain_loop(**options: Any) -> Any:
    """A plain loop: only the code of core/, contract/, toolkit/ and io/ runs."""
    return miniloop.Loop(plain=True, **options)


def transcript(program: Program, make_loop: LoopMaker, clock: Any = None) -> list[str]:
    """What ``program`` says on the loop ``make_loop`` makes, then how it ended."""
    lines: list[str] = []
    loop = make_loop(clock=clock)
    try:
        outcome = loop.run_until_complete(program(lines.append))
        lines.append(f"returned {outcome!r}")
    except BaseException as exc:  # the program's failure is part of its transcript
        lines.append(f"raised {exc!r}")
    finally:
        loop.close()
    return lines


def assert_same_on(loops: dict[str, LoopMaker], program: Program, *,
                   real_time: bool = False) -> list[str]:
    """``program``'s transcript on each of ``loops``, checked equal; the first one's lines.

    Each loop gets a virtual clock of its own (a timer then fires at the
    same moment on all of them), or the real one when the program waits
    on real sockets or threads.
    """
    said = {name: transcript(program, make, None if real_time else miniloop.VirtualClock())
            for name, make in loops.items()}
    first = next(iter(said))
    for name, lines in said.items():
        assert lines == said[first], f"{name} said otherwise than {first}"
    return said[first]


def slot_values(obj: Any) -> dict[str, Any]:
    """Every slot of a future, task or handle, by name (unset ones as '<unset>')."""
    values = {}
    for cls in type(obj).__mro__:
        for name in cls.__dict__.get("__slots__", ()):
            if name not in ("__dict__", "__weakref__"):
                values[name] = getattr(obj, name, "<unset>")
    return values


def socket_pair_with_a_reader(
        say: Say) -> tuple[socket.socket, socket.socket, asyncio.Future[None]]:
    """A connected pair (left, right), and a reader on ``left`` that reads once.

    The reader says what it read, stops watching and completes the future
    returned; send on ``right`` and await it. Both sockets are the caller's
    to close.
    """
    loop = asyncio.get_running_loop()
    left, right = socket.socketpair()
    left.setblocking(False)
    right.setblocking(False)
    got: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        say(f"read {left.recv(10)!r}")
        loop.remove_reader(left)
        got.set_result(None)

    loop.add_reader(left, readable)
    return left, right, got
