"""Protocols and transports: the interfaces miniloop shares with asyncio.

A protocol is an object with callbacks (``connection_made``,
``data_received``, ``eof_received``, ``connection_lost``...); a transport
is what the protocol writes to. Both are *interfaces*: the base classes
below have no behaviour worth speaking of, only the method names. miniloop
uses asyncio's own classes for them (asyncio contract), so that a protocol
written for asyncio (aiohttp's, say) is a protocol for miniloop, and
``isinstance(transport, asyncio.Transport)`` holds for miniloop's
transports. The same goes for the errors that streams raise.

Read next: ``transports.py`` (the transports that implement them).
"""

from __future__ import annotations

from asyncio import (
    BaseProtocol,
    BaseTransport,
    BufferedProtocol,
    DatagramProtocol,
    DatagramTransport,
    IncompleteReadError,
    LimitOverrunError,
    Protocol,
    ReadTransport,
    SendfileNotAvailableError,
    SubprocessProtocol,
    SubprocessTransport,
    Transport,
    WriteTransport,
)

__all__ = [
    "BaseProtocol", "BaseTransport", "BufferedProtocol", "DatagramProtocol",
    "DatagramTransport", "IncompleteReadError", "LimitOverrunError", "Protocol",
    "ReadTransport", "SendfileNotAvailableError", "SubprocessProtocol",
    "SubprocessTransport", "Transport", "WriteTransport",
]
