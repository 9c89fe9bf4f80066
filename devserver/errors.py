"""Every status the dev server itself produces, as the JSON body the API's clients already parse.

Most come from the WSGI app; waitress answers malformed requests, oversized headers and bodies
before the app runs, so :class:`JsonErrorChannel` swaps its plain-text error task for one that
writes the same JSON shape (and an access-log line).
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from typing import Any

from waitress.channel import HTTPChannel
from waitress.task import ErrorTask, WSGITask
from werkzeug.wrappers import Response

from devserver.accesslog import AccessLog

JSON_TYPE = "application/json"

#: Waitress's error classes by status → our machine code.
CODES: dict[int, str] = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    414: "uri_too_long",
    416: "range_not_satisfiable",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
    502: "bad_gateway",
}


def error_body(status: int, message: str, code: str | None = None, **extra: Any) -> bytes:
    """``{"error": message, "code": code, ...extra}`` as UTF-8 JSON."""
    return json.dumps({"error": message, "code": code or CODES.get(status, "error"), **extra}).encode()


def json_error(
    status: int, message: str, code: str | None = None, *, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    """A werkzeug response carrying :func:`error_body`."""
    return Response(error_body(status, message, code, **extra), status, headers=headers, content_type=JSON_TYPE)


class JsonErrorTask(ErrorTask):
    """Waitress's error task with a JSON body; still closes the connection as waitress does."""

    def execute(self) -> None:
        error = self.request.error
        message = f"{error.reason}: {error.body}" if error.body else error.reason
        body = error_body(error.code, message)
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", JSON_TYPE))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)
        log = getattr(self.channel.server, "access_log", None)
        if isinstance(log, AccessLog):  # a malformed request may lack any of these
            log.write(
                method=getattr(self.request, "command", None) or "-",
                path=(getattr(self.request, "path", None) or "-")[:200],
                status=error.code,
                bytes=len(body),
                ms=round((time.time() - self.start_time) * 1000, 1) if self.start_time else None,
                client=self.channel.addr[0] if self.channel.addr else "-",
            )


#: WSGI environ key an app sets to have its response sent as HTTP/1.0 and the connection closed.
ONE_SHOT = "devserver.one_shot"


class OneShotWSGITask(WSGITask):
    """Waitress's WSGI task; a response the app marked :data:`ONE_SHOT` goes out as HTTP/1.0 and
    closes the connection (hop-by-hop behaviour is the server's: a WSGI app cannot ask for it)."""

    def build_response_header(self) -> bytes:
        if self.environ is not None and self.environ.get(ONE_SHOT):
            self.version = "1.0"
            self.request.headers["CONNECTION"] = "close"  # so waitress neither keeps it alive nor says so
        header: bytes = super().build_response_header()
        return header


class JsonErrorChannel(HTTPChannel):
    """An HTTP channel whose parser errors (400/413/431/501) and crashes (500) answer in JSON."""

    error_task_class = JsonErrorTask
    task_class = OneShotWSGITask

    def handle_close(self) -> None:
        """Close gently: send FIN, then read what the client already sent (the rest of a refused
        request), so the kernel does not answer it with a reset that destroys our JSON answer."""
        if self.connected and self.socket is not None:
            with contextlib.suppress(OSError):
                self.socket.shutdown(socket.SHUT_WR)
                self.socket.setblocking(False)
                deadline = time.monotonic() + 0.5
                while time.monotonic() < deadline and self.socket.recv(65536):
                    pass
        super().handle_close()
