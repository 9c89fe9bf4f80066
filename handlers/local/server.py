"""HTTP ↔ API Gateway (HTTP API, payload 2.0) translation and the local HTTP server.

Each request becomes the event the deployed Lambda would receive and the handler's result becomes
the response API Gateway would send, so local behaviour (status codes, CORS, base64 bodies, 404s)
matches AWS. Routes map ``"METHOD /path"`` to handler callables and are injected, so tests can
drive the translation with fake handlers.
"""

from __future__ import annotations

import base64
import binascii
import json
import socket
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit

from handlers.local.cors import CorsPolicy
from handlers.local.media import MediaSource, serve_media
from handlers.local.messages import HttpRequest, HttpResponse

LambdaHandler = Callable[[dict[str, Any], Any], Any]

MEDIA_PREFIX = "/media/"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
JSON_TYPE = "application/json"
_TEXT_TYPES = ("application/json", "application/xml", "application/javascript", "application/graphql")


@dataclass(frozen=True, slots=True)
class Route:
    """One HTTP API route: the Lambda behind it and what its context reports."""

    handler: LambdaHandler
    function_name: str
    timeout_seconds: float = 30.0


@dataclass(slots=True)
class LambdaContext:
    """The subset of the Lambda context object handlers use (request id, name, time left)."""

    aws_request_id: str
    function_name: str
    deadline: float  # time.monotonic() at which the invocation would time out
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"

    def __post_init__(self) -> None:
        if not self.invoked_function_arn:
            self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{self.function_name}"
        if not self.log_group_name:
            self.log_group_name = f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def _is_text(content_type: str | None) -> bool:
    """Bodies API Gateway passes as text; every other body arrives base64-encoded."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in _TEXT_TYPES or media.endswith(("+json", "+xml"))


def build_event(request: HttpRequest, route_key: str, request_id: str, *, now: float | None = None) -> dict[str, Any]:
    """The HTTP API payload 2.0 event for ``request`` matched to ``route_key``."""
    now = time.time() if now is None else now
    parts = urlsplit(request.target)
    path = parts.path or "/"
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
        else:
            headers[key] = f"{headers[key]},{value}" if key in headers else value
    host = headers.get("host", "127.0.0.1")
    headers.setdefault("x-forwarded-for", request.client_ip)
    headers.setdefault("x-forwarded-proto", "http")
    headers.setdefault("x-forwarded-port", host.rpartition(":")[2] if ":" in host else "80")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": parts.query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if parts.query:
        params: dict[str, str] = {}
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            params[name] = f"{params[name]},{value}" if name in params else value
        event["queryStringParameters"] = params
    event["requestContext"] = {
        "accountId": "000000000000",
        "apiId": "local",
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0].split(":", 1)[0],
        "http": {
            "method": request.method,
            "path": path,
            "protocol": request.protocol,
            "sourceIp": request.client_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    is_text = _is_text(headers.get("content-type"))
    if request.body:
        if is_text:
            try:
                event["body"] = request.body.decode("utf-8")
            except UnicodeDecodeError:
                is_text = False
        if not is_text:
            event["body"] = base64.b64encode(request.body).decode("ascii")
    event["isBase64Encoded"] = bool(request.body) and not is_text
    return event


class BadResult(ValueError):
    """A handler result API Gateway would reject (it answers 500 then)."""


def _json_message(status: int, message: str) -> HttpResponse:
    body = json.dumps({"message": message}).encode()
    return HttpResponse(status, [("Content-Type", JSON_TYPE)], body)


def not_found() -> HttpResponse:
    """API Gateway's answer when no route matches."""
    return _json_message(404, "Not Found")


def internal_error() -> HttpResponse:
    """API Gateway's answer when the integration fails or returns something malformed."""
    return _json_message(500, "Internal Server Error")


def result_to_response(result: Any) -> HttpResponse:
    """The HTTP response API Gateway makes of a payload 2.0 handler result.

    A dict with ``statusCode`` is taken field by field; any other JSON value is sent as a 200
    JSON body (API Gateway's format inference). Raises :class:`BadResult` for invalid results.
    """
    if not (isinstance(result, dict) and "statusCode" in result):
        text = result if isinstance(result, str) else json.dumps(result)
        return HttpResponse(200, [("Content-Type", JSON_TYPE)], text.encode("utf-8"))
    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise BadResult(f"statusCode {status!r} is not an HTTP status")
    raw_headers = result.get("headers") or {}
    if not isinstance(raw_headers, dict):
        raise BadResult("headers must be an object")
    headers = [(str(k), _header_value(v)) for k, v in raw_headers.items()]
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list):
        raise BadResult("cookies must be a list")
    headers += [("Set-Cookie", str(c)) for c in cookies]
    body = result.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise BadResult("body must be a string")
    elif result.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadResult("body is not valid base64") from exc
    else:
        data = body.encode("utf-8")
    if data and not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", JSON_TYPE))
    return HttpResponse(status, headers, data)


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


@dataclass
class LocalApp:
    """Dispatches one request: preflight, a route's Lambda, ``/media``, or API Gateway's 404."""

    routes: Mapping[str, Route]
    cors: CorsPolicy = field(default_factory=CorsPolicy)
    media: MediaSource | None = None
    media_cors: CorsPolicy = field(
        default_factory=lambda: CorsPolicy(
            allow_methods=("GET", "HEAD", "OPTIONS"),
            allow_headers=("*",),
            expose_headers=("Content-Length", "Content-Range", "ETag"),
        )
    )
    errors: TextIO | None = None  # where handler tracebacks go (stderr by default)

    def handle(self, request: HttpRequest) -> HttpResponse:
        path = urlsplit(request.target).path
        is_media = self.media is not None and path.startswith(MEDIA_PREFIX)
        if request.method == "OPTIONS":
            return (self.media_cors if is_media else self.cors).preflight(request)
        if is_media:
            assert self.media is not None
            response = serve_media(self.media, request.method, path[len(MEDIA_PREFIX) :], request.header("range"))
            return self.media_cors.apply(request, response)
        route_key = f"{request.method} {path}"
        route = self.routes.get(route_key)
        if route is None:
            return self.cors.apply(request, not_found())
        return self.cors.apply(request, self.invoke(route, route_key, request))

    def invoke(self, route: Route, route_key: str, request: HttpRequest) -> HttpResponse:
        """Call the Lambda handler as the Lambda runtime would, and convert its result."""
        if len(request.body) > MAX_BODY_BYTES:
            return _json_message(413, "Request Entity Too Large")
        event = build_event(request, route_key, request_id=_api_request_id())
        context = LambdaContext(
            aws_request_id=str(uuid.uuid4()),
            function_name=route.function_name,
            deadline=time.monotonic() + route.timeout_seconds,
        )
        try:
            return result_to_response(route.handler(event, context))
        except Exception:
            print(f"[{route.function_name}] invocation failed:", file=self.errors or sys.stderr)
            traceback.print_exc(file=self.errors or sys.stderr)
            return internal_error()


def _api_request_id() -> str:
    """An id shaped like API Gateway's (short base64 text)."""
    return base64.b64encode(uuid.uuid4().bytes[:10]).decode("ascii")


class LocalHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer carrying the app; IPv6 when the host is an IPv6 address."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: LocalApp, log: TextIO | None = None) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        self.log = log
        super().__init__(address, _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Players drop connections mid-segment all the time (seeks, ranges): not worth a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    """Reads an HTTP/1.1 request into :class:`HttpRequest` and writes the app's response."""

    protocol_version = "HTTP/1.1"
    server: LocalHTTPServer

    def _dispatch(self) -> None:
        started = time.perf_counter()
        try:
            body = self._read_body()
        except ValueError:
            self._write(_json_message(400, "Bad Request"), started, close=True)
            return
        request = HttpRequest(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            body=body,
            client_ip=self.client_address[0],
            protocol=self.request_version,
        )
        media = urlsplit(self.path).path.startswith(MEDIA_PREFIX)
        if media:
            # Objects go out as HTTP/1.0, one per connection: against HTTP/1.1 ffmpeg fetches
            # byte ranges over parallel keep-alive connections (its http_multiple) and dropped
            # frames of a byte-range clip here (600 of 660); as HTTP/1.0 it decoded all 660.
            self.protocol_version = "HTTP/1.0"
        self._write(self.server.app.handle(request), started, close=media)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY_BYTES:
            raise ValueError("bad Content-Length")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline(1024).split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise ValueError("body too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _write(self, response: HttpResponse, started: float, *, close: bool = False) -> None:
        length = len(response.body) if response.length is None else response.length
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        if response.status not in (204, 304) and not 100 <= response.status < 200:
            self.send_header("Content-Length", str(length))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)
        elapsed = (time.perf_counter() - started) * 1000
        self._access(f'"{self.command} {self.path}" {response.status} {length}B {elapsed:.1f}ms')

    def _access(self, text: str) -> None:
        out = self.server.log or sys.stderr
        stamp = time.strftime("%H:%M:%S")
        print(f"{stamp} {self.client_address[0]} {text}", file=out, flush=True)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silenced: :meth:`_write` logs one richer line per request instead."""

    def log_error(self, format: str, *args: Any) -> None:
        self._access(format % args)


def make_server(app: LocalApp, host: str, port: int, *, log: TextIO | None = None) -> LocalHTTPServer:
    """Bind (raising ``OSError`` if the port is taken) without serving yet."""
    return LocalHTTPServer((host, port), app, log)
