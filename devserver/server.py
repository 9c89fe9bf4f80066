"""Waitress, configured for a dev server that many players and a browser hit at once.

The listening socket is bound by :func:`bind` before anything else, so a taken port fails fast
and the real port (``--port 0``) is known before the handlers read their settings. Limits are
explicit: a real backlog, a timeout that drops clients who stop mid-request, bounded headers and
bodies, enough threads, and no ``Server`` header naming the software.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from waitress import wasyncore
from waitress.server import create_server

from devserver.accesslog import AccessLog
from devserver.app import MAX_BODY_BYTES
from devserver.errors import JsonErrorChannel

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


DEFAULT_THREADS = 16
DEFAULT_CLIENT_TIMEOUT = 30  # seconds
DEFAULT_CLEANUP_INTERVAL = 5  # seconds


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Waitress's knobs that matter here (seconds and bytes)."""

    threads: int = DEFAULT_THREADS
    backlog: int = 1024
    connection_limit: int = 1000
    channel_timeout: int = DEFAULT_CLIENT_TIMEOUT  # an idle or half-sent connection is closed after this long
    cleanup_interval: int = DEFAULT_CLEANUP_INTERVAL  # how often idle connections are looked for
    max_request_header_size: int = 64 * 1024
    max_request_body_size: int = MAX_BODY_BYTES


def bind(host: str, port: int) -> socket.socket:
    """A bound socket (IPv6 when ``host`` is an IPv6 address); raises ``OSError`` if the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class DevServer:
    """A waitress server over one bound socket; ``serve_forever`` in one thread, ``shutdown`` from any."""

    def __init__(
        self,
        app: WSGIApplication,
        sock: socket.socket,
        *,
        limits: ServerLimits | None = None,
        access_log: AccessLog | None = None,
    ) -> None:
        limits = limits or ServerLimits()
        self.limits = limits
        self._map: dict[int, Any] = {}
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._server: Any = create_server(
            app,
            map=self._map,
            sockets=[sock],
            threads=limits.threads,
            backlog=limits.backlog,
            connection_limit=limits.connection_limit,
            channel_timeout=limits.channel_timeout,
            cleanup_interval=limits.cleanup_interval,
            max_request_header_size=limits.max_request_header_size,
            max_request_body_size=limits.max_request_body_size,
            ident="",  # no Server header at all
            expose_tracebacks=False,
            clear_untrusted_proxy_headers=True,
            asyncore_loop_timeout=1,
        )
        self._server.channel_class = JsonErrorChannel  # parser errors answer in JSON
        self._server.access_log = access_log

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.socket.getsockname()[:2]
        return str(host), int(port)

    def serve_forever(self) -> None:
        """Run the event loop until :meth:`shutdown`, then close every connection and the threads."""
        try:
            while not self._stopping.is_set():
                wasyncore.loop(timeout=0.5, map=self._map, use_poll=True, count=1)
        finally:
            for dispatcher in list(self._map.values()):
                with contextlib.suppress(OSError):
                    dispatcher.close()
            self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
            self._stopped.set()

    def shutdown(self) -> None:
        """Ask the loop to stop; safe from another thread or a signal handler (see :meth:`wait_stopped`)."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._server.pull_trigger()

    def wait_stopped(self, timeout: float = 10.0) -> bool:
        return self._stopped.wait(timeout)
