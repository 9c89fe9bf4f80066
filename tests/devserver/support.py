"""Serving a :class:`DevApp` on loopback for a test, and a raw-socket client that sends bytes as given."""

from __future__ import annotations

import http.client
import io
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from devserver.server import DevServer, ServerLimits, bind


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Served:
    """A running server: its port, and a one-request-per-connection client."""

    port: int
    server: DevServer

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fetch(self, path: str, method: str = "GET", headers: dict[str, str] | None = None, body: Any = None) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})  # sent as is: no normalising
            response = conn.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    def raw(self, data: bytes, timeout: float = 10.0) -> bytes:
        """Send ``data`` on a fresh connection and read until the server closes it."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(data)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


@contextmanager
def serving(app: Any, limits: ServerLimits | None = None) -> Iterator[Served]:
    """Run ``app`` on an ephemeral loopback port for the duration of the block."""
    server = DevServer(app, bind("127.0.0.1", 0), limits=limits)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(server.address[1], server)
    finally:
        server.shutdown()
        thread.join(10)
        assert not thread.is_alive(), "the server did not stop"


def parse_raw(data: bytes) -> Reply:
    """A raw HTTP/1.x response (one, with Content-Length) as a :class:`Reply`."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return Reply(status, headers, body)


def quiet_log() -> Any:
    from devserver.accesslog import AccessLog

    return AccessLog(io.StringIO())
