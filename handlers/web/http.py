"""The small HTTP layer shared by the Lambda entry points (API Gateway HTTP API, payload 2.0).

It turns events into :class:`Request` values, checks bodies before anyone parses them, maps every
refusal to a JSON error with a stable code (statuses from :mod:`handlers.web.errors`), adds the
CORS headers of :mod:`handlers.web.cors` and logs one line per request. The actions behind it
only see validated values and return :class:`Response` values.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from clipping.errors import ClipError
from handlers import logs
from handlers.config import ConfigError, Settings, load_settings
from handlers.storage.base import Storage, StorageError
from handlers.storage.budget import request_seconds, time_budget
from handlers.web.cors import api_policy
from handlers.web.errors import HttpError, from_clip_error
from handlers.web.times import parse_iso

MAX_BODY_BYTES = 16 * 1024
JSON_TYPE = "application/json"


@dataclass(frozen=True, slots=True)
class Request:
    """The parts of an API Gateway event the handlers use; header names are lower case."""

    method: str
    path: str
    request_id: str
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    path_parameters: Mapping[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str | None:
        return self.headers.get("origin")


@dataclass(frozen=True, slots=True)
class Response:
    """A JSON response before it becomes an API Gateway result."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    log: Mapping[str, Any] = field(default_factory=dict)  # extra fields for the request's access line


def parse_event(event: Mapping[str, Any], context: Any = None) -> Request:
    """Read an HTTP API 2.0 event; malformed bodies and queries raise :class:`HttpError` (400)."""
    ctx = event.get("requestContext") or {}
    http = ctx.get("http") or {}
    request_id = str(ctx.get("requestId") or getattr(context, "aws_request_id", "") or "-")
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    method = str(http.get("method") or event.get("httpMethod") or "GET").upper()
    path = str(http.get("path") or event.get("rawPath") or "/")
    raw = event.get("body")
    body = b""
    if raw is not None:
        if len(raw) > MAX_BODY_BYTES * 4 // 3 + 4:
            raise _too_large()
        if event.get("isBase64Encoded"):
            try:
                body = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                raise HttpError(400, "malformed_body", "the request body is not valid base64") from None
        else:
            body = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    params = {str(k): str(v) for k, v in (event.get("pathParameters") or {}).items()}
    return Request(method, path, request_id, headers, _parse_query(event), body, params)


def _parse_query(event: Mapping[str, Any]) -> dict[str, str]:
    """Query parameters; a repeated parameter is refused rather than silently joined with commas."""
    raw = event.get("rawQueryString")
    if raw is None:
        return {str(k): str(v) for k, v in (event.get("queryStringParameters") or {}).items()}
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw, keep_blank_values=True, errors="replace"):
        if name in query:
            raise HttpError(400, "invalid_parameter", f"query parameter {name!r} is repeated", field=name)
        query[name] = value
    return query


def _too_large() -> HttpError:
    return HttpError(413, "payload_too_large", f"the request body is larger than {MAX_BODY_BYTES} bytes")


def read_json_object(request: Request, *, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The body as a JSON object: 413 when too big, 415 when not JSON, 400 when malformed."""
    if len(request.body) > max_bytes:
        raise _too_large()
    content_type = request.headers.get("content-type", "")
    if not _is_json_type(content_type):
        # Required even when empty: a form post from a page on any origin needs no preflight.
        shown = repr(content_type) if content_type else "no Content-Type"
        raise HttpError(415, "unsupported_media_type", f"send the body as {JSON_TYPE}, not {shown}")
    if not request.body.strip():
        raise HttpError(400, "malformed_json", "the request body is empty; send a JSON object")
    try:
        data = json.loads(request.body.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise HttpError(400, "malformed_json", "the request body is not UTF-8 text") from None
    except RecursionError:
        raise HttpError(400, "malformed_json", "the request body is nested too deeply") from None
    except ValueError as exc:
        raise HttpError(400, "malformed_json", f"the request body is not valid JSON: {_short(exc)}") from None
    if not isinstance(data, dict):
        raise HttpError(400, "invalid_body", "the request body must be a JSON object")
    return data


def _is_json_type(content_type: str) -> bool:
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media != JSON_TYPE and not (media.startswith("application/") and media.endswith("+json")):
        return False
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _short(exc: Exception, limit: int = 200) -> str:
    text = str(exc)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def query_int(request: Request, name: str, *, default: int, minimum: int, maximum: int) -> int:
    """An integer query parameter within bounds, or a 400 naming it."""
    raw = request.query.get(name)
    if raw is None:
        return default
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or not minimum <= int(text) <= maximum:
        raise HttpError(400, "invalid_parameter", f"{name} must be an integer from {minimum} to {maximum}", field=name)
    return int(text)


def query_str(request: Request, name: str, *, max_length: int = 1024) -> str | None:
    """A text query parameter (``None`` when absent or empty), or a 400 when too long."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > max_length or not is_clean_text(raw):
        raise HttpError(400, "invalid_parameter", f"{name} is not a valid value", field=name)
    return raw


def query_time(request: Request, name: str) -> datetime | None:
    """An ISO 8601 query time as an aware UTC datetime (no zone means UTC), or a 400 naming it."""
    if request.query.get(name) is None:
        return None
    moment = parse_iso(query_str(request, name, max_length=64) or "")
    if moment is None:
        raise HttpError(
            400, "invalid_parameter", f"{name} must be an ISO 8601 date time such as 2024-05-01T12:00:00Z", field=name
        )
    return moment


def is_clean_text(text: str) -> bool:
    """No control characters and no lone surrogates (strict JSON clients reject those)."""
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text):
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway result with a JSON body (``None`` gives an empty body)."""
    out = {"content-type": JSON_TYPE, "cache-control": "no-store", **(headers or {})}
    text = "" if body is None else json.dumps(body, allow_nan=False, separators=(",", ":"))
    return {"statusCode": status, "headers": out, "body": text, "isBase64Encoded": False}


def error_body(error: HttpError, request_id: str) -> dict[str, Any]:
    """The JSON error document; details never override the message, code or field."""
    body: dict[str, Any] = {**error.details, "error": error.message, "code": error.code}
    if error.field is not None:
        body["field"] = error.field
    body["request_id"] = request_id
    return body


def error_response(error: HttpError, request_id: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return json_response(error.status, error_body(error, request_id), headers)


Action = Callable[[Request], Response]
LambdaHandler = Callable[[Mapping[str, Any], Any], dict[str, Any]]


def lazy_handler(build: Callable[[Settings, Storage], LambdaHandler]) -> LambdaHandler:
    """A Lambda entry point that reads settings and opens storage once.

    Inside Lambda (``AWS_LAMBDA_FUNCTION_NAME`` is set) that happens at import, in the init phase,
    so a bad setting fails the cold start with a :class:`ConfigError` naming it, and the first
    request finds its storage client ready. Elsewhere (tests, tools importing the module) it
    waits for the first event.
    """
    built: list[LambdaHandler] = []
    lock = threading.Lock()

    def ready() -> LambdaHandler:
        if not built:
            with lock:
                if not built:
                    try:
                        settings = load_settings(os.environ)
                    except ConfigError as exc:
                        logs.emit("ERROR", "configuration", error=str(exc))
                        raise
                    from handlers.storage import open_storage

                    built.append(build(settings, open_storage(settings.storage_url)))
        return built[0]

    def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        return ready()(event, context)

    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        ready()
    return handler


def endpoint(*, route: str, methods: Sequence[str], allow_origins: Sequence[str], action: Action) -> LambdaHandler:
    """A Lambda handler that serves one route with ``action`` (see :func:`serve`)."""

    def handle(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        return serve(event, context, route=route, methods=methods, allow_origins=allow_origins, action=action)

    return handle


def serve(
    event: Mapping[str, Any],
    context: Any,
    *,
    route: str,
    methods: Sequence[str],
    allow_origins: Sequence[str],
    action: Action,
) -> dict[str, Any]:
    """Run one request through ``action``: CORS, method check, error mapping and the access log.

    Nothing raised by ``action`` escapes: bad input is a 4xx, a store failure a 503, and any
    other exception a 500 with a generic message, the request id and the traceback in the log.
    """
    started = time.perf_counter()
    request_id = str((event.get("requestContext") or {}).get("requestId") or "-")
    origin = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}.get("origin")
    policy = api_policy(allow_origins)
    cors = policy.response_headers(origin)
    extra: dict[str, Any] = {}
    try:
        request = parse_event(event, context)
        request_id = request.request_id
        if request.method == "OPTIONS":
            result = json_response(204, None, policy.preflight_headers(origin))
        elif request.method not in methods:
            allow = ", ".join(methods)
            error = HttpError(405, "method_not_allowed", f"{route} accepts {allow}")
            result = error_response(error, request_id, {**cors, "allow": allow})
        else:
            with time_budget(request_seconds(context)):
                response = action(request)
            result = json_response(response.status, response.body, {**cors, **response.headers})
            extra = dict(response.log)
    except HttpError as exc:
        result, extra = error_response(exc, request_id, cors), {"code": exc.code}
    except ClipError as exc:
        mapped = from_clip_error(exc)
        result, extra = error_response(mapped, request_id, cors), {"code": mapped.code}
    except StorageError as exc:
        error = HttpError(503, "storage_unavailable", "the store is unavailable; try again shortly")
        result, extra = error_response(error, request_id, cors), {"code": error.code, "detail": _short(exc)}
        extra["traceback"] = traceback.format_exc()
    except Exception:
        error = HttpError(500, "internal_error", f"internal error; quote request id {request_id}")
        result, extra = error_response(error, request_id, cors), {"code": error.code}
        extra["traceback"] = traceback.format_exc()
    status = int(result["statusCode"])
    logs.access(
        request_id=request_id,
        route=route,
        method=str(((event.get("requestContext") or {}).get("http") or {}).get("method") or "-"),
        status=status,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
        **extra,
    )
    return result
