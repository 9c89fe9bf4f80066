"""The local server's HTTP ↔ API Gateway (HTTP API, payload 2.0) translation, with fake handlers."""

from __future__ import annotations

import base64
import io
import json
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from handlers.local.cors import CorsPolicy
from handlers.local.messages import HttpRequest, HttpResponse
from handlers.local.server import (
    BadResult,
    LambdaContext,
    LocalApp,
    Route,
    build_event,
    make_server,
    result_to_response,
)


class Recorder:
    """A fake Lambda handler that keeps what it was called with and returns a fixed result."""

    def __init__(self, result: Any = None) -> None:
        self.result = result if result is not None else {"statusCode": 200, "body": "{}"}
        self.calls: list[tuple[dict[str, Any], Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.calls.append((event, context))
        return self.result


def app_with(handler: Any, route_key: str = "GET /getclips", cors: CorsPolicy | None = None) -> LocalApp:
    return LocalApp(routes={route_key: Route(handler, "get-clips")}, cors=cors or CorsPolicy())


def event_for(request: HttpRequest, route_key: str = "GET /getclips") -> dict[str, Any]:
    return build_event(request, route_key, "req-1", now=1_700_000_000.123)


def test_event_carries_version_route_key_and_raw_path() -> None:
    event = event_for(HttpRequest("GET", "/getclips"))
    assert (event["version"], event["routeKey"], event["rawPath"]) == ("2.0", "GET /getclips", "/getclips")
    assert event["rawQueryString"] == ""


def test_query_is_kept_raw_and_repeated_parameters_are_comma_joined() -> None:
    event = event_for(HttpRequest("GET", "/getclips?limit=5&tag=a&tag=b%20c&empty="))
    assert event["rawQueryString"] == "limit=5&tag=a&tag=b%20c&empty="
    assert event["queryStringParameters"] == {"limit": "5", "tag": "a,b c", "empty": ""}


def test_request_without_query_has_no_query_parameters() -> None:
    assert "queryStringParameters" not in event_for(HttpRequest("GET", "/getclips"))


def test_header_names_are_lower_cased_and_repeated_values_comma_joined() -> None:
    request = HttpRequest("GET", "/getclips", headers=[("X-Thing", "1"), ("x-thing", "2"), ("Accept", "a/b")])
    headers = event_for(request)["headers"]
    assert headers["x-thing"] == "1,2"
    assert headers["accept"] == "a/b"


def test_cookie_header_becomes_the_cookies_list() -> None:
    event = event_for(HttpRequest("GET", "/getclips", headers=[("Cookie", "a=1; b=2")]))
    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]


def test_request_context_describes_the_http_request() -> None:
    request = HttpRequest(
        "POST",
        "/clipmanifest?x=1",
        headers=[("User-Agent", "curl/8"), ("Host", "127.0.0.1:8123")],
        client_ip="10.0.0.7",
    )
    ctx = event_for(request, "POST /clipmanifest")["requestContext"]
    assert ctx["http"] == {
        "method": "POST",
        "path": "/clipmanifest",
        "protocol": "HTTP/1.1",
        "sourceIp": "10.0.0.7",
        "userAgent": "curl/8",
    }
    assert (ctx["requestId"], ctx["routeKey"], ctx["stage"]) == ("req-1", "POST /clipmanifest", "$default")
    assert ctx["timeEpoch"] == 1_700_000_000_123
    assert ctx["domainName"] == "127.0.0.1:8123"


def test_json_body_is_passed_as_text() -> None:
    body = json.dumps({"start": 5, "name": "é"}).encode()
    request = HttpRequest("POST", "/clipmanifest", [("Content-Type", "application/json")], body)
    event = event_for(request, "POST /clipmanifest")
    assert event["isBase64Encoded"] is False
    assert json.loads(event["body"]) == {"start": 5, "name": "é"}


def test_non_text_body_is_base64_encoded() -> None:
    body = b"\x00\xffbinary"
    request = HttpRequest("POST", "/clipmanifest", [("Content-Type", "application/octet-stream")], body)
    event = event_for(request, "POST /clipmanifest")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_form_encoded_body_is_base64_encoded_as_the_http_api_does() -> None:
    request = HttpRequest("POST", "/clipmanifest", [("Content-Type", "application/x-www-form-urlencoded")], b"a=1")
    event = event_for(request, "POST /clipmanifest")
    assert (event["isBase64Encoded"], base64.b64decode(event["body"])) == (True, b"a=1")


def test_request_without_body_has_no_body_field() -> None:
    event = event_for(HttpRequest("GET", "/getclips"))
    assert "body" not in event
    assert event["isBase64Encoded"] is False


def test_route_calls_its_handler_with_the_event_and_a_lambda_context() -> None:
    handler = Recorder()
    app_with(handler).handle(HttpRequest("GET", "/getclips?limit=2"))
    ((event, context),) = handler.calls
    assert event["routeKey"] == "GET /getclips"
    assert isinstance(context, LambdaContext)
    assert context.function_name == "get-clips"
    assert context.aws_request_id
    assert 0 < context.get_remaining_time_in_millis() <= 30_000


def test_result_status_headers_and_body_become_the_response() -> None:
    result = {"statusCode": 201, "headers": {"content-type": "application/json", "x-a": "b"}, "body": '{"ok":1}'}
    response = result_to_response(result)
    assert response.status == 201
    assert response.header("x-a") == "b"
    assert response.body == b'{"ok":1}'


def test_base64_result_body_is_decoded() -> None:
    result = {
        "statusCode": 200,
        "body": base64.b64encode(b"\x00\x01").decode(),
        "isBase64Encoded": True,
        "headers": {"content-type": "application/octet-stream"},
    }
    assert result_to_response(result).body == b"\x00\x01"


def test_result_cookies_become_set_cookie_headers() -> None:
    response = result_to_response({"statusCode": 200, "cookies": ["a=1; Path=/", "b=2"]})
    assert [v for k, v in response.headers if k == "Set-Cookie"] == ["a=1; Path=/", "b=2"]


def test_result_without_status_code_is_a_200_json_body() -> None:
    response = result_to_response({"clips": []})
    assert (response.status, response.header("content-type")) == (200, "application/json")
    assert json.loads(response.body) == {"clips": []}


def test_invalid_result_is_refused() -> None:
    with pytest.raises(BadResult):
        result_to_response({"statusCode": "ok"})


def test_handler_exception_is_api_gateways_500() -> None:
    def boom(event: dict[str, Any], context: Any) -> Any:
        raise RuntimeError("boom")

    errors = io.StringIO()
    app = app_with(boom)
    app.errors = errors
    response = app.handle(HttpRequest("GET", "/getclips"))
    assert "RuntimeError: boom" in errors.getvalue()
    assert response.status == 500
    assert json.loads(response.body) == {"message": "Internal Server Error"}


def test_unknown_path_is_api_gateways_404() -> None:
    response = app_with(Recorder()).handle(HttpRequest("GET", "/nope"))
    assert response.status == 404
    assert json.loads(response.body) == {"message": "Not Found"}


def test_known_path_with_another_method_is_404() -> None:
    handler = Recorder()
    response = app_with(handler).handle(HttpRequest("DELETE", "/getclips"))
    assert response.status == 404
    assert handler.calls == []


def test_preflight_from_allowed_origin_is_answered_without_the_handler() -> None:
    handler = Recorder()
    cors = CorsPolicy(allow_origins=("https://app.example",), allow_methods=("GET", "POST", "OPTIONS"))
    request = HttpRequest(
        "OPTIONS",
        "/clipmanifest",
        [("Origin", "https://app.example"), ("Access-Control-Request-Method", "POST")],
    )
    response = app_with(handler, cors=cors).handle(request)
    assert response.status == 204
    assert response.header("access-control-allow-origin") == "https://app.example"
    assert response.header("access-control-allow-methods") == "GET,POST,OPTIONS"
    assert response.header("access-control-allow-headers")
    assert response.header("access-control-max-age")
    assert handler.calls == []


def test_preflight_from_other_origin_gets_no_cors_headers() -> None:
    cors = CorsPolicy(allow_origins=("https://app.example",))
    request = HttpRequest("OPTIONS", "/clipmanifest", [("Origin", "https://evil.example")])
    response = app_with(Recorder(), cors=cors).handle(request)
    assert response.status == 204
    assert not [k for k, _ in response.headers if k.lower().startswith("access-control-")]


def test_api_cors_headers_replace_the_handlers_own() -> None:
    handler = Recorder({"statusCode": 200, "headers": {"access-control-allow-origin": "https://x"}, "body": ""})
    request = HttpRequest("GET", "/getclips", [("Origin", "https://app.example")])
    response = app_with(handler).handle(request)
    assert [v for k, v in response.headers if k.lower() == "access-control-allow-origin"] == ["*"]


@pytest.fixture
def served_app() -> Iterator[tuple[str, Recorder]]:
    handler = Recorder({"statusCode": 202, "headers": {"content-type": "application/json"}, "body": '{"ok":true}'})
    app = LocalApp(routes={"POST /clipmanifest": Route(handler, "clip-manifest")})
    server = make_server(app, "127.0.0.1", 0, log=io.StringIO())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_socket_round_trip_delivers_body_and_returns_handler_response(served_app: tuple[str, Recorder]) -> None:
    base, handler = served_app
    request = urllib.request.Request(
        f"{base}/clipmanifest?a=1",
        data=b'{"start":5}',
        method="POST",
        headers={"Content-Type": "application/json", "X-Trace": "t"},
    )
    with urllib.request.urlopen(request, timeout=5) as reply:
        assert (reply.status, json.loads(reply.read())) == (202, {"ok": True})
    ((event, _),) = handler.calls
    assert (event["body"], event["rawQueryString"], event["headers"]["x-trace"]) == ('{"start":5}', "a=1", "t")


def test_response_value_reports_its_headers_case_insensitively() -> None:
    assert HttpResponse(200, [("Content-Type", "a/b")]).header("CONTENT-TYPE") == "a/b"
