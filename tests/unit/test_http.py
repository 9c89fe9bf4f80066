"""The shared HTTP layer: events in, JSON out, every failure mapped to a JSON error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clipping.errors import OutOfRange
from handlers.storage.base import StorageError
from handlers.web.cors import api_policy
from handlers.web.errors import HttpError
from handlers.web.http import (
    MAX_BODY_BYTES,
    Request,
    Response,
    json_response,
    parse_event,
    query_int,
    read_json_object,
    serve,
)
from tests.support.api import decode, http_event


def run(action: Any, event: dict[str, Any] | None = None, origins: tuple[str, ...] = ("*",)) -> Any:
    event = event or http_event("POST", "/x", {"a": 1})
    return decode(serve(event, None, route="POST /x", methods=("POST",), allow_origins=origins, action=action))


def body_of(event: dict[str, Any]) -> dict[str, Any]:
    return read_json_object(parse_event(event))


def test_event_fields_are_parsed() -> None:
    event = http_event("post", "/x", {"a": 1}, query={"limit": "5"}, headers={"Origin": "https://a.example"})
    request = parse_event(event)
    assert (request.method, request.path, request.query) == ("POST", "/x", {"limit": "5"})
    assert request.origin == "https://a.example"
    assert request.request_id == event["requestContext"]["requestId"]


def test_base64_body_is_decoded() -> None:
    event = http_event("POST", "/x", json.dumps({"a": 1}).encode(), headers={"content-type": "application/json"})
    assert body_of(event) == {"a": 1}


def test_invalid_base64_body_is_400() -> None:
    event = http_event("POST", "/x", "x")
    event["isBase64Encoded"] = True
    event["body"] = "!!notbase64!!"
    with pytest.raises(HttpError) as info:
        parse_event(event)
    assert (info.value.status, info.value.code) == (400, "malformed_body")


def test_repeated_query_parameter_is_refused() -> None:
    with pytest.raises(HttpError) as info:
        parse_event(http_event("GET", "/x", query=[("limit", "1"), ("limit", "2")]))
    assert (info.value.status, info.value.field) == (400, "limit")


def test_body_over_16_kib_is_413() -> None:
    event = http_event("POST", "/x", {"title": "x" * MAX_BODY_BYTES})
    with pytest.raises(HttpError) as info:
        body_of(event)
    assert (info.value.status, info.value.code) == (413, "payload_too_large")


def test_body_just_under_the_limit_is_read() -> None:
    text = json.dumps({"t": "x" * (MAX_BODY_BYTES - 20)})
    assert len(text) <= MAX_BODY_BYTES
    assert "t" in body_of(http_event("POST", "/x", text, headers={"content-type": "application/json"}))


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"]
)
def test_non_json_content_type_is_415(content_type: str) -> None:
    with pytest.raises(HttpError) as info:
        body_of(http_event("POST", "/x", "{}", headers={"content-type": content_type}))
    assert (info.value.status, info.value.code) == (415, "unsupported_media_type")


@pytest.mark.parametrize(
    "content_type", ["application/json", "Application/JSON; charset=UTF-8", "application/merge+json"]
)
def test_json_content_types_are_accepted(content_type: str) -> None:
    assert body_of(http_event("POST", "/x", '{"a": 1}', headers={"content-type": content_type})) == {"a": 1}


def test_a_body_without_content_type_is_415_so_cross_origin_forms_cannot_post() -> None:
    with pytest.raises(HttpError) as info:
        body_of(http_event("POST", "/x", '{"a": 1}'))
    assert (info.value.status, info.value.code) == (415, "unsupported_media_type")


@pytest.mark.parametrize("text", ["", "   ", "{", "{'a': 1}", '{"a": NaN}', '{"a": Infinity}', "[" * 16000, "1" * 5000])
def test_malformed_json_is_400(text: str) -> None:
    with pytest.raises(HttpError) as info:
        body_of(http_event("POST", "/x", text, headers={"content-type": "application/json"}))
    assert (info.value.status, info.value.code) == (400, "malformed_json")


def test_non_utf8_body_is_400() -> None:
    event = http_event("POST", "/x", b'{"a": "\xff"}', headers={"content-type": "application/json"})
    with pytest.raises(HttpError) as info:
        body_of(event)
    assert info.value.code == "malformed_json"


@pytest.mark.parametrize("text", ["[]", "1", '"a"', "null", "true"])
def test_json_that_is_not_an_object_is_400(text: str) -> None:
    with pytest.raises(HttpError) as info:
        body_of(http_event("POST", "/x", text, headers={"content-type": "application/json"}))
    assert info.value.code == "invalid_body"


@pytest.mark.parametrize("raw", ["0", "-1", "201", "abc", "1.5", "", " ", "9" * 30, "١"])
def test_query_int_out_of_bounds_is_400_naming_it(raw: str) -> None:
    request = Request("GET", "/x", "r", query={"limit": raw})
    with pytest.raises(HttpError) as info:
        query_int(request, "limit", default=50, minimum=1, maximum=200)
    assert info.value.field == "limit"


def test_query_int_default_applies_when_absent() -> None:
    assert query_int(Request("GET", "/x", "r"), "limit", default=50, minimum=1, maximum=200) == 50


def cors_headers(origin: str, allowed: list[str]) -> dict[str, str]:
    return api_policy(allowed).response_headers(origin)


def test_cors_wildcard_allows_any_origin() -> None:
    assert cors_headers("https://a.example", ["*"]) == {"access-control-allow-origin": "*"}


def test_cors_echoes_a_listed_origin() -> None:
    headers = cors_headers("https://a.example", ["https://a.example", "https://b.example"])
    assert headers["access-control-allow-origin"] == "https://a.example"
    assert headers["vary"] == "origin"


def test_cors_does_not_allow_an_unlisted_origin() -> None:
    assert "access-control-allow-origin" not in cors_headers("https://evil.example", ["https://a.example"])


def test_preflight_of_an_unlisted_origin_grants_nothing() -> None:
    headers = api_policy(["https://a.example"]).preflight_headers("https://evil.example")
    assert not any(name.startswith("access-control-") for name in headers)


def test_json_response_has_api_gateway_shape() -> None:
    result = json_response(201, {"a": 1}, {"x-extra": "1"})
    assert result["statusCode"] == 201
    assert result["headers"]["content-type"] == "application/json"
    assert json.loads(result["body"]) == {"a": 1}
    assert result["isBase64Encoded"] is False


def test_serve_returns_the_action_response_with_cors() -> None:
    result = run(lambda r: Response(200, {"ok": True}))
    assert (result.status, result.body) == (200, {"ok": True})
    assert result.headers["access-control-allow-origin"] == "*"


def test_serve_maps_http_error_with_field() -> None:
    def action(request: Request) -> Response:
        raise HttpError(400, "invalid_field", "bad title", field="title")

    result = run(action)
    assert result.status == 400
    assert result.body["code"] == "invalid_field" and result.body["field"] == "title"
    assert result.body["error"] == "bad title"


def test_serve_maps_engine_errors_with_details() -> None:
    available = {"start_time": "a", "end_time": "b", "start_seconds": 0, "end_seconds": 10}

    def action(request: Request) -> Response:
        raise OutOfRange("outside", field="end_time", details={"available": available})

    result = run(action)
    assert result.status == 422
    assert result.body["code"] == "out_of_range"
    assert result.body["available"] == available


def test_serve_maps_storage_errors_to_503() -> None:
    def action(request: Request) -> Response:
        raise StorageError("S3 said no")

    result = run(action)
    assert (result.status, result.body["code"]) == (503, "storage_unavailable")
    assert "S3" not in result.body["error"]


def test_unexpected_exception_is_500_without_traceback_but_with_request_id(capsys: Any) -> None:
    def action(request: Request) -> Response:
        raise KeyError("secret internals")

    event = http_event("POST", "/x", {"a": 1}, request_id="req-abc")
    result = run(action, event)
    assert result.status == 500
    assert result.body["code"] == "internal_error"
    assert "req-abc" in result.body["error"]
    assert "secret" not in json.dumps(result.body) and "Traceback" not in json.dumps(result.body)
    log = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert log["request_id"] == "req-abc" and log["status"] == 500
    assert "secret internals" in log["traceback"]


def test_every_request_is_logged_as_one_json_line(capsys: Any) -> None:
    run(lambda r: Response(200, {}), http_event("POST", "/x", {}, request_id="req-1"))
    line = json.loads(capsys.readouterr().out.strip())
    assert line["request_id"] == "req-1"
    assert line["route"] == "POST /x"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)


def test_wrong_method_is_405() -> None:
    result = run(lambda r: Response(200, {}), http_event("GET", "/x"))
    assert (result.status, result.body["code"]) == (405, "method_not_allowed")
    assert result.headers["allow"] == "POST"


def test_preflight_is_answered_with_cors_headers() -> None:
    result = run(lambda r: Response(200, {}), http_event("OPTIONS", "/x", headers={"origin": "https://a.example"}))
    assert result.status == 204
    assert "POST" in result.headers["access-control-allow-methods"]
    assert "content-type" in result.headers["access-control-allow-headers"]
