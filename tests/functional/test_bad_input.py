"""A corpus of bad requests: each gets a 4xx JSON error with a code and a useful message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.api import PUBLIC_BASE_URL, REC_ROOT, Api, seed_recording

MASTER = f"{REC_ROOT}/master.m3u8"
GOOD = {"master_url": MASTER, "start_time": 10, "end_time": 30}
JSON = {"content-type": "application/json"}

# (name, raw body or dict, expected status, expected code, expected field or None)
RAW_BODIES: list[tuple[str, Any, int, str]] = [
    ("empty body", "", 400, "malformed_json"),
    ("truncated json", '{"start_time": 1', 400, "malformed_json"),
    ("single quotes", "{'start_time': 1}", 400, "malformed_json"),
    ("trailing comma", '{"start_time": 1,}', 400, "malformed_json"),
    ("nan literal", '{"master_url": "x", "start_time": NaN, "end_time": 1}', 400, "malformed_json"),
    ("infinity literal", '{"master_url": "x", "start_time": Infinity, "end_time": 1}', 400, "malformed_json"),
    ("array body", "[1, 2]", 400, "invalid_body"),
    ("string body", '"hello"', 400, "invalid_body"),
    ("null body", "null", 400, "invalid_body"),
    ("deep nesting", "[" * 8000 + "]" * 8000, 400, "malformed_json"),
    ("huge integer literal", '{"start_time": ' + "9" * 5000 + "}", 400, "malformed_json"),
    ("too large", json.dumps({**GOOD, "title": "x" * 17000}), 413, "payload_too_large"),
]

FIELDS: list[tuple[str, dict[str, Any], str, str]] = [
    ("missing master_url", {"start_time": 1, "end_time": 2}, "missing_field", "master_url"),
    ("missing start_time", {"master_url": MASTER, "end_time": 2}, "missing_field", "start_time"),
    ("missing end_time", {"master_url": MASTER, "start_time": 2}, "missing_field", "end_time"),
    ("null start_time", {**GOOD, "start_time": None}, "missing_field", "start_time"),
    ("unknown field", {**GOOD, "startTime": 1}, "unknown_field", "startTime"),
    ("start_time bool", {**GOOD, "start_time": True}, "invalid_time", "start_time"),
    ("start_time list", {**GOOD, "start_time": [1]}, "invalid_time", "start_time"),
    ("start_time object", {**GOOD, "start_time": {"s": 1}}, "invalid_time", "start_time"),
    ("start_time negative", {**GOOD, "start_time": -5}, "invalid_time", "start_time"),
    ("end_time negative string", {**GOOD, "end_time": "-5"}, "invalid_time", "end_time"),
    ("start_time huge float", {**GOOD, "start_time": 1e300}, "invalid_time", "start_time"),
    ("start_time huge int", {**GOOD, "start_time": 10**300}, "invalid_time", "start_time"),
    ("start_time epoch ms", {**GOOD, "start_time": 1714564800000}, "invalid_time", "start_time"),
    ("start_time nan string", {**GOOD, "start_time": "NaN"}, "invalid_time", "start_time"),
    ("start_time garbage string", {**GOOD, "start_time": "noon"}, "invalid_time", "start_time"),
    ("start_time empty string", {**GOOD, "start_time": ""}, "invalid_time", "start_time"),
    ("start_time bad month", {**GOOD, "start_time": "2024-13-01T00:00:00Z"}, "invalid_time", "start_time"),
    ("end_time long string", {**GOOD, "end_time": "1" * 100}, "invalid_time", "end_time"),
    ("reversed window", {**GOOD, "start_time": 30, "end_time": 10}, "invalid_window", None),
    ("empty window", {**GOOD, "start_time": 10, "end_time": 10}, "invalid_window", None),
    ("byte_range string", {**GOOD, "byte_range": "true"}, "invalid_field", "byte_range"),
    ("byte_range number", {**GOOD, "byte_range": 1}, "invalid_field", "byte_range"),
    ("boundary unknown", {**GOOD, "boundary": "middle"}, "invalid_option", "boundary"),
    ("boundary number", {**GOOD, "boundary": 3}, "invalid_option", "boundary"),
    ("title too long", {**GOOD, "title": "x" * 201}, "invalid_field", "title"),
    ("title number", {**GOOD, "title": 5}, "invalid_field", "title"),
    ("title control chars", {**GOOD, "title": "a\x00b"}, "invalid_field", "title"),
]

HOSTILE_URLS: list[tuple[str, Any]] = [
    ("empty", ""),
    ("number", 42),
    ("list", [MASTER]),
    ("other host", f"https://evil.example/{MASTER}"),
    ("lookalike host", f"https://d111111abcdef8.cloudfront.net.evil.example/{MASTER}"),
    ("userinfo", f"https://x@d111111abcdef8.cloudfront.net/{MASTER}"),
    ("plain http", f"http://d111111abcdef8.cloudfront.net/{MASTER}"),
    ("other bucket", f"s3://other-bucket/{MASTER}"),
    ("s3 with local storage", f"s3://my-bucket/{MASTER}"),
    ("file url", "file:///etc/passwd"),
    ("file url m3u8", f"file:///{MASTER}"),
    ("ftp", f"ftp://example.com/{MASTER}"),
    ("data url", "data:application/vnd.apple.mpegurl,#EXTM3U"),
    ("network path", f"//evil.example/{MASTER}"),
    ("dotdot", "ivs/v1/../../secret/master.m3u8"),
    ("dotdot in url", f"{PUBLIC_BASE_URL}/ivs/../clips/x.m3u8"),
    ("encoded dotdot", f"{PUBLIC_BASE_URL}/ivs/%2e%2e/%2e%2e/secret/master.m3u8"),
    ("encoded dotdot upper", f"{PUBLIC_BASE_URL}/ivs/%2E%2E/secret/master.m3u8"),
    ("double encoded", f"{PUBLIC_BASE_URL}/ivs/%252e%252e/secret/master.m3u8"),
    ("encoded in key", "ivs/%2e%2e/secret/master.m3u8"),
    ("encoded slash", f"{PUBLIC_BASE_URL}/ivs%2f..%2fsecret/master.m3u8"),
    ("backslashes", "ivs\\..\\secret\\master.m3u8"),
    ("encoded backslash", f"{PUBLIC_BASE_URL}/ivs/..%5csecret/master.m3u8"),
    ("not m3u8", f"{REC_ROOT}/720p30/1.ts"),
    ("json key", "ivs/v1/events/recording-ended.json"),
    ("outside recordings", "clips/abc.m3u8"),
    ("query string", f"{PUBLIC_BASE_URL}/{MASTER}?x=1"),
    ("nul byte", "ivs/v1/master\x00.m3u8"),
    ("very long", "ivs/" + "a/" * 1100 + "master.m3u8"),
]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Api:
    from handlers.storage.files import FileStorage

    storage = FileStorage(tmp_path_factory.mktemp("bad-input"))
    seed_recording(storage)
    return Api(storage)


def assert_useful_error(result: Any, status: int, code: str) -> None:
    assert result.status == status, result.body
    assert result.body["code"] == code, result.body
    message = result.body["error"]
    assert isinstance(message, str) and len(message) > 10
    assert "Traceback" not in message and 'File "' not in message
    assert result.headers["content-type"] == "application/json"


@pytest.mark.parametrize(("name", "raw", "status", "code"), RAW_BODIES, ids=[c[0] for c in RAW_BODIES])
def test_malformed_body_is_refused(api: Api, name: str, raw: str, status: int, code: str) -> None:
    assert_useful_error(api.create(raw, headers=JSON), status, code)


@pytest.mark.parametrize(("name", "body", "code", "field"), FIELDS, ids=[c[0] for c in FIELDS])
def test_bad_field_is_refused_naming_it(api: Api, name: str, body: dict[str, Any], code: str, field: str) -> None:
    result = api.create(body)
    assert_useful_error(result, 400, code)
    if field is not None:
        assert result.body["field"] == field


def test_number_overflowing_to_infinity_is_refused_naming_its_field(api: Api) -> None:
    result = api.create(f'{{"master_url": "{MASTER}", "start_time": 1e400, "end_time": 1}}', headers=JSON)
    assert_useful_error(result, 400, "invalid_time")
    assert result.body["field"] == "start_time"


def test_impossible_calendar_date_is_refused(api: Api) -> None:
    result = api.create({**GOOD, "start_time": "2024-02-30T00:00:10Z", "end_time": "2024-02-30T00:00:20Z"})
    assert_useful_error(result, 400, "invalid_time")


@pytest.mark.parametrize(("name", "url"), HOSTILE_URLS, ids=[c[0] for c in HOSTILE_URLS])
def test_hostile_master_url_is_refused_without_reading(api: Api, name: str, url: Any) -> None:
    result = api.create({**GOOD, "master_url": url})
    assert_useful_error(result, 400, "invalid_master_url")
    assert result.body["field"] == "master_url"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_non_json_content_type_is_415(api: Api, content_type: str) -> None:
    assert_useful_error(
        api.create(json.dumps(GOOD), headers={"content-type": content_type}), 415, "unsupported_media_type"
    )


def test_binary_body_is_refused(api: Api) -> None:
    assert_useful_error(api.create(b"\xff\xfe\x00garbage", headers=JSON), 400, "malformed_json")


def test_wrong_method_is_405(api: Api) -> None:
    from tests.support.api import call

    result = call(api.clip_handler, "GET", "/clipmanifest")
    assert_useful_error(result, 405, "method_not_allowed")


def test_valid_request_still_works_after_the_corpus(api: Api) -> None:
    assert api.create(GOOD).status in (200, 201)
