"""HTTP ↔ API Gateway (HTTP API, payload 2.0) translation, without sockets.

Each request becomes the event the deployed Lambda would receive and the handler's result becomes
the response API Gateway would send, so local behaviour (status codes, base64 bodies, cookies)
matches AWS. Pure functions over :mod:`devserver.messages` values, so tests need no server.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from devserver.messages import HttpRequest, HttpResponse

JSON_TYPE = "application/json"
_TEXT_TYPES = ("application/json", "application/xml", "application/javascript", "application/graphql")


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


def build_event(
    request: HttpRequest,
    route_key: str,
    request_id: str,
    *,
    path_parameters: Mapping[str, str] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The HTTP API payload 2.0 event for ``request`` matched to ``route_key`` (a template such as
    ``GET /clips/{clip_id}``, whose values arrive decoded in ``path_parameters``)."""
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
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
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
