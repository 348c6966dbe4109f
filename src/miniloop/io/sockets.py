"""Socket coroutines: how a task waits for a socket.

A non-blocking socket never makes the thread wait. When there is nothing
to read, ``sock.recv`` raises ``BlockingIOError`` at once. So reading from
a socket inside a task is a loop of two steps:

    try the socket                    data?  -> return it, no waiting at all
    it would block: park the task     until the selector says "readable"

Parking is ``_wait_ready``: make a future, ask the selector to complete it
when the descriptor is ready (``_watch`` from ``readiness.py``), and await
the future. The task's coroutine is suspended at that ``await``; the loop
goes back to sleep in ``select()``; when the kernel has data, the selector
wakes the loop, the loop runs our little callback, the callback completes
the future, and the task is back on the ready queue. On its next step it
tries the socket again, and this time the data is there.

Every ``sock_*`` method below is that loop around a different system call.
``sock_connect`` is the odd one: a non-blocking ``connect`` reports its
outcome by making the socket *writable*, and the outcome itself is read
from the ``SO_ERROR`` socket option.

Name resolution (``getaddrinfo``) has no non-blocking form at all, so it
runs in the thread pool (``threads.py``).

Read next: ``transports.py`` (sockets that read by themselves, for protocols).
"""

from __future__ import annotations

import errno
import io
import os
import socket
import ssl
from asyncio import SendfileNotAvailableError
from typing import Any

from miniloop.contract.reporting import logger
from miniloop.io.readiness import READ, WRITE, ReadinessMixin

# The size of each loop's scratch buffer for reads (asyncio's read size).
READ_SCRATCH_SIZE = 256 * 1024

# The fallback copies a file in chunks of this size (asyncio's figure).
SENDFILE_FALLBACK_CHUNK = 256 * 1024

WOULD_BLOCK = (BlockingIOError, InterruptedError)


def refuse_ssl_socket(sock: Any) -> None:
    """TLS lives in ``tls.py``, above the socket: an ``ssl.SSLSocket`` is refused."""
    if isinstance(sock, ssl.SSLSocket):
        raise TypeError("Socket cannot be of type SSLSocket")


def _complete(future: Any) -> None:
    # The selector callback of _wait_ready: it only wakes the task up.
    if not future.done():
        future.set_result(None)


def numeric_address_info(
    host: Any, port: Any, family: int, type: int, proto: int, *rest: int
) -> tuple[Any, ...] | None:
    """The getaddrinfo entry for an address that needs no lookup, or None.

    ``("127.0.0.1", 80)`` is already an address; asking the resolver (in a
    thread) would be a waste. Host names, service names and IPv6 zone
    indexes (``"fe80::1%eth0"``) do need the resolver.
    """
    if host is None or proto not in {0, socket.IPPROTO_TCP, socket.IPPROTO_UDP}:
        return None
    if type == socket.SOCK_STREAM:
        proto = socket.IPPROTO_TCP
    elif type == socket.SOCK_DGRAM:
        proto = socket.IPPROTO_UDP
    else:
        return None
    if port is None or port == b"" or port == "":
        port = 0
    else:
        try:
            port = int(port)
        except (TypeError, ValueError):
            return None  # a service name such as "http"
    if isinstance(host, bytes):
        host = host.decode("idna")
    if "%" in host:
        return None
    families = [socket.AF_INET, socket.AF_INET6] if family == socket.AF_UNSPEC else [family]
    for candidate in families:
        try:
            socket.inet_pton(candidate, host)
        except OSError:
            continue
        if candidate == socket.AF_INET6:
            flowinfo, scope_id = [*rest, 0, 0][:2]
            return candidate, type, proto, "", (host, port, flowinfo, scope_id)
        return candidate, type, proto, "", (host, port)
    return None


class SocketsMixin(ReadinessMixin):
    """The ``sock_*`` coroutines, ``getaddrinfo`` and ``getnameinfo``."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # One scratch buffer for the reads of this loop's transports. Asking
        # recv() for up to 256 KiB makes it allocate (and then shrink) a
        # 256 KiB bytes object per call, which costs more than the system
        # call itself; reading into this buffer and copying out the few
        # bytes that came is several times cheaper. One buffer is enough:
        # reads run one at a time, on the loop's thread, and copy out at once.
        self._read_scratch = memoryview(bytearray(READ_SCRATCH_SIZE))

    # --- the one way a task waits for a descriptor -------------------------------

    async def _wait_ready(self, fd: int, event: int) -> None:
        """Park the calling task until ``fd`` is ready for ``event``."""
        self._refuse_if_owned(fd)
        future = self.create_future()
        handle = self._watch(fd, event, _complete, (future,))
        try:
            await future
        finally:
            # If someone registered another callback for this descriptor in
            # the meantime, ours was replaced (cancelled): leave theirs alone.
            if not handle._cancelled:
                self._unwatch(fd, event)

    def _check_socket(self, sock: Any) -> None:
        refuse_ssl_socket(sock)
        if self._debug and sock.gettimeout() != 0:
            raise ValueError("the socket must be non-blocking")

    # --- reading ------------------------------------------------------------------

    async def sock_recv(self, sock: socket.socket, nbytes: int) -> bytes:
        """Receive up to ``nbytes`` bytes; b"" means the peer closed."""
        self._check_socket(sock)
        while True:
            try:
                return sock.recv(nbytes)
            except WOULD_BLOCK:
                await self._wait_ready(sock.fileno(), READ)

    async def sock_recv_into(self, sock: socket.socket, buf: Any) -> int:
        """Receive into the writable buffer ``buf``; return how many bytes."""
        self._check_socket(sock)
        while True:
            try:
                return sock.recv_into(buf)
            except WOULD_BLOCK:
                await self._wait_ready(sock.fileno(), READ)

    async def sock_recvfrom(self, sock: socket.socket, bufsize: int) -> tuple[bytes, Any]:
        """Receive one datagram: ``(data, address)``."""
        self._check_socket(sock)
        while True:
            try:
                return sock.recvfrom(bufsize)
            except WOULD_BLOCK:
                await self._wait_ready(sock.fileno(), READ)

    async def sock_recvfrom_into(
        self, sock: socket.socket, buf: Any, nbytes: int = 0
    ) -> tuple[int, Any]:
        """Receive one datagram into ``buf``: ``(nbytes, address)``."""
        self._check_socket(sock)
        if not nbytes:
            nbytes = len(buf)
        while True:
            try:
                return sock.recvfrom_into(buf, nbytes)
            except WOULD_BLOCK:
                await self._wait_ready(sock.fileno(), READ)

    async def sock_accept(self, sock: socket.socket) -> tuple[socket.socket, Any]:
        """Accept a connection: ``(new non-blocking socket, peer address)``."""
        self._check_socket(sock)
        while True:
            try:
                connection, address = sock.accept()
            except WOULD_BLOCK:
                await self._wait_ready(sock.fileno(), READ)
                continue
            connection.setblocking(False)
            return connection, address

    # --- writing ------------------------------------------------------------------

    async def sock_sendall(self, sock: socket.socket, data: Any) -> None:
        """Send all of ``data``, parking whenever the socket buffer is full."""
        self._check_socket(sock)
        try:
            sent = sock.send(data)
        except WOULD_BLOCK:
            sent = 0
        if sent == len(data):
            return
        view = memoryview(data)
        while sent < len(view):
            await self._wait_ready(sock.fileno(), WRITE)
            try:
                sent += sock.send(view[sent:])
            except WOULD_BLOCK:
                continue

    async def sock_sendto(self, sock: socket.socket, data: Any, address: Any) -> int:
        """Send one datagram to ``address``; return the number of bytes sent."""
        self._check_socket(sock)
        while True:
            try:
                return sock.sendto(data, address)
            except WOULD_BLOCK:
                await self._wait_ready(sock.fileno(), WRITE)

    # --- connecting -----------------------------------------------------------------

    async def sock_connect(self, sock: socket.socket, address: Any) -> None:
        """Connect ``sock`` to ``address`` (resolving a host name first)."""
        self._check_socket(sock)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            resolved = await self._resolve(
                address, family=sock.family, type=sock.type, proto=sock.proto)
            address = resolved[0][4]
        try:
            sock.connect(address)
            return
        except WOULD_BLOCK:
            pass
        # In progress. The socket turns writable when the attempt is over;
        # SO_ERROR then says how it went.
        while True:
            await self._wait_ready(sock.fileno(), WRITE)
            try:
                error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            except WOULD_BLOCK:
                continue
            if error != 0:
                raise OSError(error, f"Connect call failed {address}")
            return

    # --- names ------------------------------------------------------------------------

    async def getaddrinfo(
        self, host: Any, port: Any, *, family: int = 0, type: int = 0, proto: int = 0,
        flags: int = 0,
    ) -> list[tuple[Any, ...]]:
        """``socket.getaddrinfo``, run in the thread pool so the loop never blocks."""
        lookup = self._logged_getaddrinfo if self._debug else socket.getaddrinfo
        return await self.run_in_executor(  # type: ignore[no-any-return]
            None, lookup, host, port, family, type, proto, flags)

    async def getnameinfo(self, sockaddr: Any, flags: int = 0) -> tuple[str, str]:
        """``socket.getnameinfo``, run in the thread pool."""
        return await self.run_in_executor(  # type: ignore[no-any-return]
            None, socket.getnameinfo, sockaddr, flags)

    def _logged_getaddrinfo(self, host: Any, port: Any, family: int, type: int, proto: int,
                            flags: int) -> list[tuple[Any, ...]]:
        # Debug mode: say what was looked up and how long it took, as asyncio does.
        parts = [f"{host}:{port!r}"]
        for name, value in (("family", family), ("type", type), ("proto", proto),
                            ("flags", flags)):
            if value:
                parts.append(f"{name}={value!r}")
        what = ", ".join(parts)
        logger.debug("Get address info %s", what)
        started = self.time()
        infos = socket.getaddrinfo(host, port, family, type, proto, flags)
        took = self.time() - started
        message = f"Getting address info {what} took {took * 1e3:.3f}ms: {infos!r}"
        if took >= 0.1:
            logger.info(message)
        else:
            logger.debug(message)
        return infos

    async def _resolve(
        self, address: Any, *, family: int = 0, type: int = socket.SOCK_STREAM,
        proto: int = 0, flags: int = 0,
    ) -> list[tuple[Any, ...]]:
        """getaddrinfo entries for ``address``, skipping the lookup for numeric hosts."""
        host, port = address[:2]
        info = numeric_address_info(host, port, family, type, proto, *address[2:])
        if info is not None:
            return [info]
        return await self.getaddrinfo(host, port, family=family, type=type, proto=proto,
                                      flags=flags)

    # --- files ----------------------------------------------------------------------------

    async def sock_sendfile(
        self, sock: socket.socket, file: Any, offset: int = 0, count: int | None = None,
        *, fallback: bool = True,
    ) -> int:
        """Send a file over a stream socket: ``os.sendfile`` if possible, else read+send."""
        if self._debug and sock.gettimeout() != 0:
            raise ValueError("the socket must be non-blocking")
        refuse_ssl_socket(sock)
        check_sendfile_arguments(sock, file, offset, count)
        try:
            return await self._sock_sendfile_native(sock, file, offset, count)
        except SendfileNotAvailableError:
            if not fallback:
                raise
        return await self._sock_sendfile_fallback(sock, file, offset, count)

    async def _sock_sendfile_native(
        self, sock: socket.socket, file: Any, offset: int, count: int | None
    ) -> int:
        # The kernel copies from the file to the socket; we only wait for
        # room in the socket buffer between calls.
        if not hasattr(os, "sendfile"):
            raise SendfileNotAvailableError("os.sendfile() is not available")
        try:
            file_fd = file.fileno()
        except (AttributeError, io.UnsupportedOperation):
            raise SendfileNotAvailableError("not a regular file")
        try:
            size = os.fstat(file_fd).st_size
        except OSError:
            raise SendfileNotAvailableError("not a regular file")
        chunk = count if count else size
        if not chunk:
            return 0
        total = 0
        try:
            while True:
                if count:
                    chunk = count - total
                    if chunk <= 0:
                        return total
                try:
                    sent = os.sendfile(sock.fileno(), file_fd, offset, chunk)
                except WOULD_BLOCK:
                    await self._wait_ready(sock.fileno(), WRITE)
                    continue
                except OSError as exc:
                    if total == 0:
                        # Not a file the kernel can send (a pipe, say):
                        # let the caller fall back to reading it ourselves.
                        raise SendfileNotAvailableError("os.sendfile call failed") from exc
                    if exc.errno == errno.ENOTCONN and type(exc) is not ConnectionError:
                        # The peer went away mid-transfer: say so the same
                        # way on every POSIX system.
                        lost = ConnectionError("socket is not connected", errno.ENOTCONN)
                        raise lost from exc
                    raise
                if sent == 0:
                    return total  # end of file
                offset += sent
                total += sent
        finally:
            if total > 0:
                os.lseek(file_fd, offset, os.SEEK_SET)

    async def _sock_sendfile_fallback(
        self, sock: socket.socket, file: Any, offset: int, count: int | None
    ) -> int:
        if offset:
            file.seek(offset)
        chunk = min(count, SENDFILE_FALLBACK_CHUNK) if count else SENDFILE_FALLBACK_CHUNK
        buffer = bytearray(chunk)
        total = 0
        try:
            while True:
                if count:
                    chunk = min(count - total, chunk)
                    if chunk <= 0:
                        break
                view = memoryview(buffer)[:chunk]
                read = await self.run_in_executor(None, file.readinto, view)
                if not read:
                    break
                await self.sock_sendall(sock, view[:read])
                total += read
            return total
        finally:
            if total > 0 and hasattr(file, "seek"):
                file.seek(offset + total)


def check_sendfile_arguments(sock: Any, file: Any, offset: int, count: int | None) -> None:
    """asyncio's argument checks (and messages) for sendfile."""
    if "b" not in getattr(file, "mode", "b"):
        raise ValueError("file should be opened in binary mode")
    if not sock.type == socket.SOCK_STREAM:
        raise ValueError("only SOCK_STREAM type sockets are supported")
    if count is not None:
        if not isinstance(count, int):
            raise TypeError(f"count must be a positive integer (got {count!r})")
        if count <= 0:
            raise ValueError(f"count must be a positive integer (got {count!r})")
    if not isinstance(offset, int):
        raise TypeError(f"offset must be a non-negative integer (got {offset!r})")
    if offset < 0:
        raise ValueError(f"offset must be a non-negative integer (got {offset!r})")
