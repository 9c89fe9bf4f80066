"""The dev server's HTTP ↔ API Gateway (HTTP API, payload 2.0) translation, with fake handlers."""

from __future__ import annotations

import base64
import io
import json
import urllib.request
from typing import Any

import pytest
from werkzeug.test import Client, TestResponse

from devserver.app import DevApp
from devserver.events import BadResult, LambdaContext, build_event, result_to_response
from devserver.messages import HttpRequest, HttpResponse
from devserver.routes import Route, RouteTable
from handlers.web.cors import CorsPolicy
from tests.devserver.support import quiet_log, serving


class Recorder:
    """A fake Lambda handler that keeps what it was called with and returns a fixed result."""

    def __init__(self, result: Any = None) -> None:
        self.result = result if result is not None else {"statusCode": 200, "body": "{}"}
        self.calls: list[tuple[dict[str, Any], Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.calls.append((event, context))
        return self.result


def app_with(handler: Any, route_key: str = "GET /getclips", cors: CorsPolicy | None = None) -> DevApp:
    table = RouteTable.of([Route(route_key, handler, "get-clips")])
    return DevApp(routes=table, api_cors=cors or CorsPolicy(), access_log=quiet_log(), errors=io.StringIO())


def call(app: DevApp, method: str, path: str, headers: dict[str, str] | None = None) -> TestResponse:
    return Client(app).open(path, method=method, headers=headers or {})


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
    call(app_with(handler), "GET", "/getclips?limit=2")
    ((event, context),) = handler.calls
    assert event["routeKey"] == "GET /getclips"
    assert event["queryStringParameters"] == {"limit": "2"}
    assert isinstance(context, LambdaContext)
    assert context.function_name == "get-clips"
    assert context.aws_request_id
    assert 0 < context.get_remaining_time_in_millis() <= 30_000


def test_path_parameters_carry_the_template_as_route_key_and_the_decoded_values() -> None:
    handler = Recorder()
    app = app_with(handler, "POST /clips/{clip_id}/promote")
    assert call(app, "POST", "/clips/abc%20d/promote").status_code == 200
    ((event, _),) = handler.calls
    assert event["routeKey"] == "POST /clips/{clip_id}/promote"
    assert event["requestContext"]["routeKey"] == "POST /clips/{clip_id}/promote"
    assert event["pathParameters"] == {"clip_id": "abc d"}
    assert event["rawPath"] == "/clips/abc%20d/promote"


def test_literal_routes_have_no_path_parameters() -> None:
    handler = Recorder()
    call(app_with(handler), "GET", "/getclips")
    assert "pathParameters" not in handler.calls[0][0]


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


def test_handler_exception_is_a_json_500_with_the_request_id_and_the_traceback_only_in_the_log() -> None:
    def boom(event: dict[str, Any], context: Any) -> Any:
        raise RuntimeError("boom")

    app = app_with(boom)
    response = call(app, "GET", "/getclips")
    body = response.get_json()
    assert response.status_code == 500
    assert body["code"] == "internal_error"
    assert body["request_id"] in body["error"]
    assert "boom" not in response.get_data(as_text=True)
    assert isinstance(app.errors, io.StringIO)
    assert "RuntimeError: boom" in app.errors.getvalue()
    assert body["request_id"] in app.errors.getvalue()


def test_invalid_handler_result_is_a_json_500() -> None:
    response = call(app_with(Recorder({"statusCode": "ok"})), "GET", "/getclips")
    assert (response.status_code, response.get_json()["code"]) == (500, "internal_error")


def test_unknown_path_is_a_json_404() -> None:
    response = call(app_with(Recorder()), "GET", "/nope")
    assert response.status_code == 404
    assert response.get_json() == {"error": "no route for GET /nope", "code": "not_found"}


def test_known_path_with_another_method_is_a_json_405_with_allow() -> None:
    handler = Recorder()
    response = call(app_with(handler), "DELETE", "/getclips")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert response.get_json()["code"] == "method_not_allowed"
    assert handler.calls == []


def test_preflight_from_allowed_origin_is_answered_without_the_handler() -> None:
    handler = Recorder()
    cors = CorsPolicy(allow_origins=("https://app.example",), allow_methods=("GET", "POST", "OPTIONS"))
    headers = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    response = call(app_with(handler, cors=cors), "OPTIONS", "/clipmanifest", headers)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    assert response.headers["access-control-allow-methods"] == "GET,POST,OPTIONS"
    assert response.headers["access-control-allow-headers"]
    assert response.headers["access-control-max-age"]
    assert response.headers["vary"].lower() == "origin"
    assert handler.calls == []


def test_preflight_from_other_origin_gets_no_cors_headers() -> None:
    cors = CorsPolicy(allow_origins=("https://app.example",))
    response = call(app_with(Recorder(), cors=cors), "OPTIONS", "/clipmanifest", {"Origin": "https://evil.example"})
    assert response.status_code == 204
    assert not [k for k in response.headers.keys() if k.lower().startswith("access-control-")]  # noqa: SIM118


def test_api_cors_headers_replace_the_handlers_own() -> None:
    headers = {"access-control-allow-origin": "https://x", "access-control-allow-credentials": "true"}
    handler = Recorder({"statusCode": 200, "headers": headers, "body": ""})
    response = call(app_with(handler), "GET", "/getclips", {"Origin": "https://app.example"})
    assert response.headers.getlist("access-control-allow-origin") == ["*"]
    assert "access-control-allow-credentials" not in response.headers


def test_every_request_writes_one_json_access_log_line() -> None:
    app = app_with(Recorder())
    call(app, "GET", "/getclips?limit=1")
    assert isinstance(app.access_log.stream, io.StringIO)
    (line,) = app.access_log.stream.getvalue().splitlines()
    entry = json.loads(line)
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/getclips?limit=1", 200)
    assert entry["request_id"] and entry["ms"] >= 0


def test_socket_round_trip_delivers_body_and_returns_handler_response() -> None:
    handler = Recorder({"statusCode": 202, "headers": {"content-type": "application/json"}, "body": '{"ok":true}'})
    app = app_with(handler, "POST /clipmanifest")
    with serving(app) as served:
        request = urllib.request.Request(
            f"{served.base_url}/clipmanifest?a=1",
            data=b'{"start":5}',
            method="POST",
            headers={"Content-Type": "application/json", "X-Trace": "t"},
        )
        with urllib.request.urlopen(request, timeout=5) as reply:
            assert (reply.status, json.loads(reply.read())) == (202, {"ok": True})
            assert reply.headers.get("Server") is None  # no software or version leak
    ((event, _),) = handler.calls
    assert (event["body"], event["rawQueryString"], event["headers"]["x-trace"]) == ('{"start":5}', "a=1", "t")


def test_binary_body_arrives_base64_encoded_over_http() -> None:
    handler = Recorder()
    with serving(app_with(handler, "POST /clipmanifest")) as served:
        reply = served.fetch("/clipmanifest", "POST", {"Content-Type": "application/octet-stream"}, b"\x00\xff")
        assert reply.status == 200
    event = handler.calls[0][0]
    assert (event["isBase64Encoded"], base64.b64decode(event["body"])) == (True, b"\x00\xff")


def test_response_value_reports_its_headers_case_insensitively() -> None:
    assert HttpResponse(200, [("Content-Type", "a/b")]).header("CONTENT-TYPE") == "a/b"
