"""API Gateway HTTP API (payload 2.0) events for calling the Lambda handlers in-process.

Not a pytest plugin: import from it directly. ``http_event`` builds the event API Gateway would
send, ``call`` runs a handler and decodes its answer, and ``wsgi_app`` puts a route table behind WSGI
so tools that speak HTTP (schemathesis) can drive them without a server.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from devserver.routes import RouteTable
from handlers.storage.base import StorageError

Handler = Callable[[Mapping[str, Any], Any], dict[str, Any]]
API_ID = "a1b2c3d4e5"
DOMAIN = f"{API_ID}.execute-api.us-east-1.amazonaws.com"
_ids = itertools.count(1)


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that code may read."""

    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    function_name: str = "ivs-clip-manifest"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ivs-clip-manifest"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def http_event(
    method: str,
    path: str,
    body: Any = None,
    query: Mapping[str, str] | Iterable[tuple[str, str]] | str | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    request_id: str | None = None,
    source_ip: str = "192.0.2.10",
) -> dict[str, Any]:
    """The event API Gateway sends for one request.

    ``body``: a dict/list/number is sent as JSON (with ``content-type: application/json`` unless
    ``headers`` says otherwise), ``str`` as is, ``bytes`` base64-encoded as API Gateway does for
    binary bodies. ``query`` may be a mapping, pairs (repeats allowed) or a raw query string.
    Header names are lower-cased, as API Gateway delivers them.
    """
    method = method.upper()
    out_headers = {
        "host": DOMAIN,
        "user-agent": "pytest",
        "x-forwarded-for": source_ip,
        "x-forwarded-proto": "https",
        "x-forwarded-port": "443",
    }
    raw_body: str | None = None
    is_base64 = False
    if isinstance(body, bytes):
        raw_body, is_base64 = base64.b64encode(body).decode(), True
    elif isinstance(body, str):
        raw_body = body
    elif body is not None:
        raw_body = json.dumps(body)
        out_headers["content-type"] = "application/json"
    if raw_body is not None:
        out_headers["content-length"] = str(len(body) if isinstance(body, bytes) else len(raw_body.encode()))
    out_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    raw_query, params = _query(query)
    request_id = request_id or f"req-{next(_ids):08d}"
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": out_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": API_ID,
            "domainName": DOMAIN,
            "domainPrefix": API_ID,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": out_headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if params:
        event["queryStringParameters"] = params
    if raw_body is not None:
        event["body"] = raw_body
    return event


def _query(query: Mapping[str, str] | Iterable[tuple[str, str]] | str | None) -> tuple[str, dict[str, str]]:
    """API Gateway's ``rawQueryString`` and its ``queryStringParameters`` (repeats comma-joined)."""
    if query is None:
        return "", {}
    if isinstance(query, str):
        raw = query
        pairs = parse_qsl(raw, keep_blank_values=True)
    else:
        pairs = list(query.items()) if isinstance(query, Mapping) else list(query)
        raw = urlencode(pairs, quote_via=quote)
    params: dict[str, str] = {}
    for name, value in pairs:
        params[name] = f"{params[name]},{value}" if name in params else value
    return raw, params


@dataclass
class ApiResult:
    """A handler's answer, decoded."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    raw: dict[str, Any] = field(default_factory=dict)


def decode(result: Mapping[str, Any]) -> ApiResult:
    """Check the result has the shape API Gateway accepts and decode its JSON body."""
    assert isinstance(result.get("statusCode"), int), result
    text = result.get("body") or ""
    if result.get("isBase64Encoded"):
        text = base64.b64decode(text).decode()
    body = json.loads(text) if text else None
    return ApiResult(result["statusCode"], dict(result.get("headers") or {}), body, dict(result))


def call(handler: Handler, method: str, path: str, body: Any = None, **kwargs: Any) -> ApiResult:
    """Build the event, run the handler as Lambda would and decode the result."""
    event = http_event(method, path, body, **kwargs)
    return decode(handler(event, LambdaContext(aws_request_id=event["requestContext"]["requestId"])))


def wsgi_app(table: RouteTable) -> Callable[..., Iterable[bytes]]:
    """A WSGI app over a route table (``devserver.routes``), each handler called with API Gateway's event.

    Another method on a known path still reaches a handler of that path, which answers 405.
    """

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"].upper(), environ.get("PATH_INFO") or "/"
        match = table.match(method, path) or next(
            (m for other in table.allowed_methods(path) if (m := table.match(other, path))), None
        )
        if match is None:
            start_response("404 Not Found", [("content-type", "application/json")])
            return [b'{"error": "no such route", "code": "not_found"}']
        length = int(environ.get("CONTENT_LENGTH") or 0)
        data = environ["wsgi.input"].read(length) if length else b""
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        body: bytes | str | None = None
        if data:
            try:
                body = data.decode("utf-8")
            except UnicodeDecodeError:
                body = data
        event = http_event(method, path, body, query=environ.get("QUERY_STRING", ""), headers=headers)
        event |= {"routeKey": match.route.key, "pathParameters": match.path_parameters or None}
        result = decode(match.route.handler(event, LambdaContext()))
        reason = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content"}.get(result.status, "Status")
        start_response(f"{result.status} {reason}", list(result.headers.items()))
        return [(result.raw.get("body") or "").encode()]

    return app


# Handlers over a given store ------------------------------------------------------------------

PUBLIC_BASE_URL = "https://d111111abcdef8.cloudfront.net"


def settings_for(storage: Any, **overrides: Any) -> Any:
    """Settings matching ``storage`` (its bucket for ``s3://`` URIs), as the infrastructure sets them."""
    from handlers.config import Settings

    bucket = getattr(storage, "bucket", None)
    root = getattr(storage, "root", "/tmp/store")
    url = f"s3://{bucket}" if bucket else f"file://{root}"
    return Settings(storage_url=url, public_base_url=PUBLIC_BASE_URL, **overrides)


@dataclass
class Api:
    """The three handlers over one store, called with API Gateway events."""

    storage: Any
    settings: Any = None
    clock: Callable[[], Any] | None = None

    def __post_init__(self) -> None:
        from handlers import clip_manifest, get_clips

        self.settings = self.settings or settings_for(self.storage)
        self.clip_handler = clip_manifest.make_handler(self.settings, self.storage, clock=self.clock)
        self.clips_handler = get_clips.make_handler(self.settings, self.storage)

    def create(self, body: Any, **kwargs: Any) -> ApiResult:
        return call(self.clip_handler, "POST", "/clipmanifest", body, **kwargs)

    def clips(self, **query: str) -> ApiResult:
        return call(self.clips_handler, "GET", "/getclips", query=query or None)

    def recordings(self, **query: str) -> ApiResult:
        from handlers import get_recordings

        handler = get_recordings.make_handler(self.settings, self.storage)
        return call(handler, "GET", "/getrecordings", query=query or None)


REC_ROOT = "ivs/v1/123456789012/AbCdEfGhIjKl/2024/5/1/12/0/RecOne123456/media/hls"


def seed_recording(storage: Any, *, root: str = REC_ROOT, segments: int = 60, byte_range: bool = True) -> str:
    """Write an IVS-style recording (2 s segments from 12:00:00Z, two renditions); its master key."""
    from tests.support.playlists import Seg, media, recording

    def playlist(ranged: bool) -> str:
        if ranged:
            segs = [Seg("2.000", uri="all.ts", byterange=f"1000@{i * 1000}") for i in range(segments)]
        else:
            segs = [Seg("2.000") for _ in range(segments)]
        return media(segs, target=2, playlist_type="VOD")

    names = ("720p30", "360p30")
    store = recording(
        {n: playlist(False) for n in names},
        byte_range={n: playlist(True) for n in names} if byte_range else None,
        root=root,
    )
    for key, text in store.items():
        storage.put(key, text.encode(), "application/vnd.apple.mpegurl")
    return f"{root}/master.m3u8"


class FaultyStorage:
    """Counts the writes that reach ``inner``; raises :class:`StorageError` on the ``fail_at``-th
    (1-based; 0 never fails), before it lands or, with ``after_write``, after it."""

    def __init__(self, inner: Any, fail_at: int = 0, *, after_write: bool = False):
        self.inner, self.fail_at, self.after_write = inner, fail_at, after_write
        self.puts = 0
        self.bucket = getattr(inner, "bucket", None)
        self.root = getattr(inner, "root", None)

    def get(self, key: str) -> bytes:
        return self.inner.get(key)

    def put(self, key: str, data: bytes, content_type: str, *, if_absent: bool = False) -> bool:
        self.puts += 1
        if self.puts == self.fail_at:
            if self.after_write:
                self.inner.put(key, data, content_type, if_absent=if_absent)
            raise StorageError(f"injected fault at write {self.puts} ({key})")
        return self.inner.put(key, data, content_type, if_absent=if_absent)

    def list(self, prefix: str = "", **kwargs: Any) -> Any:
        return self.inner.list(prefix, **kwargs)
