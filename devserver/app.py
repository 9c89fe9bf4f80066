"""The WSGI app: API Gateway's HTTP API in front of the Lambdas, the CDN at ``/media``, the studio.

Dispatch order follows what a browser meets in AWS: every ``OPTIONS`` is a preflight answered by
the gateway (or the CDN for ``/media``) without calling a Lambda; ``/media/`` is the CDN; ``/``,
``/studio/`` and ``/favicon.ico`` are the studio's files; everything else goes through the route
table. CORS headers are the gateway's, replacing any an integration returned.
"""

from __future__ import annotations

import base64
import sys
import time
import traceback
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote, urlsplit

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from devserver.accesslog import AccessLog
from devserver.errors import ONE_SHOT, json_error
from devserver.events import BadResult, LambdaContext, build_event, result_to_response
from devserver.media import MediaSource, serve_media, served_prefixes
from devserver.messages import HttpRequest, HttpResponse
from devserver.routes import Match, RouteTable
from devserver.studio import Studio, favicon
from handlers.web.cors import CorsPolicy, api_policy, media_policy

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

MEDIA_PATH = "/media/"
STUDIO_PATH = "/studio/"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
MAX_URI_BYTES = 8 * 1024


class _Response(Response):
    """No invented ``Content-Type`` on bodiless answers (a Lambda's 204, a preflight)."""

    default_mimetype = None


@dataclass
class DevApp:
    """One WSGI callable for the whole local stack; every collaborator is injected (tests use fakes)."""

    routes: RouteTable
    api_cors: CorsPolicy = field(default_factory=lambda: api_policy(("*",)))
    media: MediaSource | None = None
    media_prefixes: tuple[str, ...] = field(default_factory=lambda: served_prefixes("ivs/", "clips/"))
    media_cors: CorsPolicy = field(default_factory=lambda: media_policy(("*",)))
    studio: Studio | None = None
    access_log: AccessLog = field(default_factory=AccessLog)
    errors: TextIO | None = None  # where tracebacks go (stderr by default)
    max_body_bytes: int = MAX_BODY_BYTES
    max_uri_bytes: int = MAX_URI_BYTES
    #: /media answers as HTTP/1.0, one object per connection. Measured with imageio-ffmpeg's ffmpeg
    #: on a 20 s byte-range clip of the sample (660 frames): HTTP/1.1 keep-alive decoded 600
    #: ("Unexpected offset" on reused connections), HTTP/1.1 with Connection: close 565 (a 2.4 s
    #: hole), HTTP/1.0 all 660.
    media_keep_alive: bool = False

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        request = Request(environ)
        request_id = _api_request_id()
        try:
            response = self.dispatch(request, request_id)
        except Exception:
            print(f"[{request_id}] {request.method} {request.path} failed:", file=self.errors or sys.stderr)
            traceback.print_exc(file=self.errors or sys.stderr)
            response = json_error(500, f"internal error (request id {request_id})", request_id=request_id)
        self.access_log.write(
            method=request.method,
            path=_raw_target(environ)[:200],
            status=response.status_code,
            bytes=response.content_length,
            ms=round((time.perf_counter() - started) * 1000, 1),
            client=request.remote_addr,
            request_id=request_id,
        )
        return response(environ, start_response)

    def dispatch(self, request: Request, request_id: str) -> Response:
        target = _raw_target(request.environ)
        if len(target.encode("latin-1", "replace")) > self.max_uri_bytes:
            return json_error(414, f"the request target is longer than {self.max_uri_bytes} bytes")
        path = target.partition("?")[0] if target.startswith("/") else urlsplit(target).path or "/"
        is_media = self.media is not None and path.startswith(MEDIA_PATH)
        origin = request.headers.get("Origin")
        if request.method == "OPTIONS":
            policy = self.media_cors if is_media else self.api_cors
            return _Response(status=204, headers=policy.preflight_headers(origin))
        if is_media:
            assert self.media is not None
            response = serve_media(self.media, self.media_prefixes, request, path[len(MEDIA_PATH) :])
            if not self.media_keep_alive:
                request.environ[ONE_SHOT] = True
            return _with_cors(response, self.media_cors, origin)
        if self.studio is not None and (path in ("/", "/favicon.ico") or path.startswith(STUDIO_PATH)):
            if path == "/favicon.ico":
                return favicon(request)
            if path == "/":
                return self.studio.index(request)
            return self.studio.file(request, path[len(STUDIO_PATH) :])
        match = self.routes.match(request.method, path)
        if match is None:
            allowed = self.routes.allowed_methods(path)
            if allowed:
                response = json_error(
                    405, f"{request.method} is not allowed on {path}", headers={"Allow": ", ".join(allowed)}
                )
            else:
                response = json_error(404, f"no route for {request.method} {path}")
            return _with_cors(response, self.api_cors, origin)
        return _with_cors(self.invoke(match, request, request_id, target), self.api_cors, origin)

    def invoke(self, match: Match, request: Request, request_id: str, target: str) -> Response:
        """Call the Lambda handler as the Lambda runtime would, and convert its result as the gateway does."""
        length = request.content_length
        if length is not None and length > self.max_body_bytes:
            return json_error(413, f"the body is larger than {self.max_body_bytes} bytes")
        body = request.get_data(cache=False)
        if len(body) > self.max_body_bytes:
            return json_error(413, f"the body is larger than {self.max_body_bytes} bytes")
        http_request = HttpRequest(
            method=request.method,
            target=target,
            headers=list(request.headers.items()),
            body=body,
            client_ip=request.remote_addr or "127.0.0.1",
            protocol=request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        )
        route = match.route
        event = build_event(http_request, route.key, request_id, path_parameters=match.path_parameters)
        context = LambdaContext(
            aws_request_id=str(uuid.uuid4()),
            function_name=route.function_name,
            deadline=time.monotonic() + route.timeout_seconds,
        )
        try:
            result: Any = route.handler(event, context)
            return to_werkzeug(result_to_response(result))
        except BadResult as exc:
            print(f"[{request_id}] {route.function_name} returned an invalid result: {exc}", file=self._errors())
            return json_error(500, f"the handler's result is invalid (request id {request_id})", request_id=request_id)
        except Exception:
            print(f"[{request_id}] {route.function_name} invocation failed:", file=self._errors())
            traceback.print_exc(file=self._errors())
            return json_error(500, f"internal error (request id {request_id})", request_id=request_id)

    def _errors(self) -> TextIO:
        return self.errors or sys.stderr


_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailers"})


def to_werkzeug(response: HttpResponse) -> Response:
    """An :class:`HttpResponse` as a WSGI response (hop-by-hop headers are the server's business)."""
    headers = Headers([(k, v) for k, v in response.headers if k.lower() not in _HOP_BY_HOP])
    return _Response(response.body, response.status, headers=headers)


def _with_cors(response: Response, policy: CorsPolicy, origin: str | None) -> Response:
    """Replace the response's CORS headers with the policy's answer for ``origin``."""
    for name in [k for k in response.headers.keys() if k.lower().startswith("access-control-")]:  # noqa: SIM118
        del response.headers[name]
    for name, value in policy.response_headers(origin).items():
        if name == "vary":
            response.vary.add(value)
        else:
            response.headers[name] = value
    return response


def _raw_target(environ: WSGIEnvironment) -> str:
    """The request-target as sent (still percent-encoded); rebuilt from PATH_INFO when the server has none."""
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if raw:
        return str(raw)
    path = quote(environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace"))
    query = environ.get("QUERY_STRING", "")
    return f"{path}?{query}" if query else path


def _api_request_id() -> str:
    """An id shaped like API Gateway's (short base64 text)."""
    return base64.b64encode(uuid.uuid4().bytes[:10]).decode("ascii")
