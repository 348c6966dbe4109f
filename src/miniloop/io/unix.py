"""Unix domain sockets: streams between processes on one machine.

A Unix socket is addressed by a path in the file system (or, on Linux, by
an "abstract" name starting with a NUL byte) instead of a host and a port.
Everything else is as for TCP: the same socket transport, the same
servers, the same TLS layer if asked. So this module only deals with what
is different: paths, a stale socket file that a dead server left behind,
and (from Python 3.13) removing the server's socket file when it closes.

Read next: ``datagrams.py``.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import sys
from collections.abc import Callable
from typing import Any

from miniloop.contract.reporting import logger
from miniloop.io.connections import ConnectionsMixin
from miniloop.io.servers import Server, ServersMixin, check_server_ssl_arguments


def is_abstract(path: Any) -> bool:
    """True for Linux's abstract names (no file): they start with a NUL byte."""
    return path[0] in (0, "\x00")


def remove_stale_unix_socket(path: Any) -> None:
    """Remove a socket file left behind by a dead process (bind() would fail)."""
    try:
        if stat.S_ISSOCK(os.stat(path).st_mode):
            os.remove(path)
    except FileNotFoundError:
        pass
    except OSError as err:
        logger.error("Unable to check or remove stale UNIX socket %r: %r", path, err)


class UnixMixin(ConnectionsMixin, ServersMixin):
    """``create_unix_connection`` and ``create_unix_server``."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # Listening sockets whose file we remove on close: socket -> inode.
        self._unix_server_sockets: dict[socket.socket, int] = {}

    async def create_unix_connection(
        self, protocol_factory: Callable[[], Any], path: Any = None, *, ssl: Any = None,
        sock: Any = None, server_hostname: str | None = None,
        ssl_handshake_timeout: float | None = None, ssl_shutdown_timeout: float | None = None,
    ) -> tuple[Any, Any]:
        """Connect to the Unix socket at ``path`` (or use ``sock``): ``(transport, protocol)``."""
        assert server_hostname is None or isinstance(server_hostname, str)
        if ssl:
            if server_hostname is None:
                raise ValueError("you have to pass server_hostname when using ssl")
        else:
            if server_hostname is not None:
                raise ValueError("server_hostname is only meaningful with ssl")
            if ssl_handshake_timeout is not None:
                raise ValueError("ssl_handshake_timeout is only meaningful with ssl")
            if ssl_shutdown_timeout is not None:
                raise ValueError("ssl_shutdown_timeout is only meaningful with ssl")
        if path is not None:
            if sock is not None:
                raise ValueError("path and sock can not be specified at the same time")
            path = os.fspath(path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, 0)
            try:
                sock.setblocking(False)
                await self.sock_connect(sock, path)
            except BaseException:
                sock.close()
                raise
        else:
            if sock is None:
                raise ValueError("no path and sock were specified")
            if sock.family != socket.AF_UNIX or sock.type != socket.SOCK_STREAM:
                raise ValueError(f"A UNIX Domain Stream Socket was expected, got {sock!r}")
            sock.setblocking(False)
        return await self._connect_transport(
            sock, protocol_factory, ssl, server_hostname,
            ssl_handshake_timeout=ssl_handshake_timeout,
            ssl_shutdown_timeout=ssl_shutdown_timeout)

    async def create_unix_server(
        self, protocol_factory: Callable[[], Any], path: Any = None, *, sock: Any = None,
        backlog: int = 100, ssl: Any = None, ssl_handshake_timeout: float | None = None,
        ssl_shutdown_timeout: float | None = None, start_serving: bool = True,
        cleanup_socket: bool = True,
    ) -> Server:
        """Listen on the Unix socket ``path`` (or ``sock``)."""
        check_server_ssl_arguments(ssl, ssl_handshake_timeout, ssl_shutdown_timeout)
        if path is not None:
            if sock is not None:
                raise ValueError("path and sock can not be specified at the same time")
            path = os.fspath(path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            if not is_abstract(path):
                remove_stale_unix_socket(path)
            try:
                sock.bind(path)
            except OSError as exc:
                sock.close()
                if exc.errno == errno.EADDRINUSE:
                    raise OSError(errno.EADDRINUSE,
                                  f"Address {path!r} is already in use") from None
                raise
            except BaseException:
                sock.close()
                raise
        else:
            if sock is None:
                raise ValueError("path was not specified, and no sock specified")
            if sock.family != socket.AF_UNIX or sock.type != socket.SOCK_STREAM:
                raise ValueError(f"A UNIX Domain Stream Socket was expected, got {sock!r}")
        if cleanup_socket and sys.version_info >= (3, 13):
            bound = sock.getsockname()
            if not is_abstract(bound):
                try:
                    self._unix_server_sockets[sock] = os.stat(bound).st_ino
                except FileNotFoundError:
                    pass
        sock.setblocking(False)
        return await self._new_server([sock], protocol_factory, ssl, backlog,
                                      ssl_handshake_timeout, ssl_shutdown_timeout,
                                      start_serving)

    def _stop_serving(self, sock: socket.socket) -> None:
        inode = self._unix_server_sockets.pop(sock, None)
        path = sock.getsockname() if inode is not None else None
        super()._stop_serving(sock)
        if path is None:
            return
        # Remove our socket file, unless someone else has bound that path since.
        try:
            if os.stat(path).st_ino == inode:
                os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as err:
            logger.error("Unable to clean up listening UNIX socket %r: %r", path, err)
