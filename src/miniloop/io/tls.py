"""TLS (placeholder while the plain layers are built)."""

from __future__ import annotations

from typing import Any

from miniloop.io.sockets import SocketsMixin
from miniloop.io.transports import SocketTransport


class TLSMixin(SocketsMixin):
    """Makes stream transports, plain or TLS."""

    def _make_stream_transport(self, sock: Any, protocol: Any, waiter: Any = None, *,
                               tls: Any = None, server_side: bool = False,
                               server_hostname: str | None = None,
                               extra: dict[str, Any] | None = None, server: Any = None,
                               ssl_handshake_timeout: float | None = None,
                               ssl_shutdown_timeout: float | None = None) -> Any:
        if tls:
            raise NotImplementedError("TLS")
        self._refuse_if_owned(sock)
        return SocketTransport(self, sock, protocol, waiter, extra, server)
