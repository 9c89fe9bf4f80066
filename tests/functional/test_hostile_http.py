"""No input makes the service answer 5xx or leak its internals: a hostile corpus over real HTTP.

Every case goes through the local stack as a user meets it (``python -m devserver``: the same
handlers behind the emulated HTTP API and the CDN stand-in). The corpus holds the inputs that
once gave 500s (malformed hosts, extreme dates, over-long key segments, absolute variant URIs,
``%0A``, non-string booleans, lone surrogates) plus a seeded random mix of them.
"""

from __future__ import annotations

import http.client
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from tests.support.stack import REPO_ROOT, local_stack

pytestmark = pytest.mark.slow

SAMPLE_MASTER = "ivs/v1/111122223333/SampleChan01/2024/5/6/7/8/SampleRec001/media/hls/master.m3u8"
LEAKS = ("Traceback", 'File "', str(REPO_ROOT), "site-packages", "botocore", "Errno")

HOSTILE_URLS: list[Any] = [
    "http://[::1/media/x.m3u8",
    "http://[::1]]/media/x.m3u8",
    "http://127.0.0.1]/media/x.m3u8",
    "http://127.0.0.1:8000／media/x.m3u8",
    "http://127.0.0.1：8000/media/x.m3u8",
    "http://user＠127.0.0.1/media/x.m3u8",
    "http://℀/media/x.m3u8",
    "http://127.0.0.1:99999/media/x.m3u8",
    "http://127.0.0.1:-1/media/x.m3u8",
    "s3://[bucket/ivs/x.m3u8",
    "s3://bu／cket/ivs/x.m3u8",
    "s3://bucket：1/ivs/x.m3u8",
    "ivs/%0Ax.m3u8",
    "ivs/x.m3u8\n",
    "ivs/a\nb/master.m3u8",
    "ivs/" + "a" * 300 + "/master.m3u8",
    "ivs/" + "a" * 2000 + ".m3u8",
    "/etc/passwd",
    "file:///etc/passwd",
    "ivs/../clips/x.m3u8",
    "ivs/%2e%2e/x.m3u8",
    "ivs/%252e%252e/x.m3u8",
    "%",
    "\u0000",
    "ivs/\ud800.m3u8",
    "",
    " ",
    "ivs/",
    "clips/x.m3u8",
    "ivs/v1/1/2/2024/1/1/1/1/r/media/hls/nothere.m3u8",
    123,
    12.5,
    True,
    [],
    {},
    ["ivs/x.m3u8"],
]
HOSTILE_TIMES: list[Any] = [
    "9999-12-31T23:59:58-23:59",
    "0001-01-01T00:00:00+00:01",
    "0000-00-00T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "2024-01-01T24:00:00Z",
    "2024-01-01T00:00:00+99:99",
    "9999999999999999",
    "-1",
    "1e999",
    "NaN",
    "Infinity",
    "２０２４",
    "",
    " ",
    1e308,
    -1e308,
    9999999999999999,
    -9999999999,
    10**30,
    -0.0,
    True,
    False,
    [],
    {},
    "\ud800",
]
HOSTILE_BOUNDARIES: list[Any] = [False, True, 0, 1, [], {}, "", "OUTER", "x" * 1000, "\ud800"]
HOSTILE_FLAGS: list[Any] = ["true", 1, 0, [], {}, "yes"]
HOSTILE_TITLES: list[Any] = ["x\ud800", "\ud800", "\udfff\ud800", "a\x00b", "a\nb", "a\x7f", "\x85", "x" * 201, 5, []]
RAW_BODIES: list[bytes] = [
    b"\xff\xfe\x00{",
    b'{"title": "\\ud800", "master_url": "x"}',
    b'{"master_url": "\\udfff"}',
    b"[" * 20000,
    b"{" * 5000,
    b'{"a":' * 3000,
    b"null",
    b"[]",
    b'"text"',
    b"1e999",
    b"{}",
    b"",
    b"x" * 20000,
    b'{"start_time": 1e999, "end_time": 2, "master_url": "ivs/x.m3u8"}',
    b'{"start_time": NaN, "end_time": 2, "master_url": "ivs/x.m3u8"}',
]
CONTENT_TYPES = ["", "text/plain", "application/json; charset=latin-1", "multipart/form-data", "application/jsonx"]
QUERY_VALUES = [
    "0001-01-01T00:00:00+00:01",
    "9999-12-31T23:59:59-23:59",
    "0000-00-00",
    "2024-13-01T00:00:00Z",
    "x",
    "\n",
    "%0A",
    "\ud800",
    "a" * 5000,
    "-1",
    "0",
    "1e3",
    "1" * 30,
    "../ivs",
]


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = "application/json"


def _json(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8", "surrogatepass")


def _clip(**fields: Any) -> dict[str, Any]:
    return {"master_url": SAMPLE_MASTER, "start_time": 5, "end_time": 10, **fields}


def _post(name: str, body: dict[str, Any]) -> Case:
    return Case(name, "POST", "/clipmanifest", _json(body))


def _field_cases() -> Iterator[Case]:
    for i, url in enumerate(HOSTILE_URLS):
        yield _post(f"master_url-{i}", _clip(master_url=url))
        if isinstance(url, str) and url.startswith("ivs/"):
            yield _post(f"master_url-s3-{i}", _clip(master_url="s3://bucket/" + url))
    for i, value in enumerate(HOSTILE_TIMES):
        yield _post(f"start-{i}", _clip(start_time=value))
        yield _post(f"end-{i}", _clip(end_time=value))
        yield _post(f"both-{i}", _clip(start_time=value, end_time=value))
    for i, value in enumerate(HOSTILE_BOUNDARIES):
        yield _post(f"boundary-{i}", _clip(boundary=value))
    for i, value in enumerate(HOSTILE_FLAGS):
        yield _post(f"byte_range-{i}", _clip(byte_range=value))
    for i, value in enumerate(HOSTILE_TITLES):
        yield _post(f"title-{i}", _clip(title=value))
    yield _post("unknown-field", _clip(channel_x=1))
    yield _post("missing-everything", {})


def _raw_cases() -> Iterator[Case]:
    for i, raw in enumerate(RAW_BODIES):
        yield Case(f"raw-{i}", "POST", "/clipmanifest", raw)
    for i, content_type in enumerate(CONTENT_TYPES):
        yield Case(f"content-type-{i}", "POST", "/clipmanifest", _json(_clip()), content_type or None)


def _query_cases() -> Iterator[Case]:
    for route, names in (
        ("/getrecordings", ("from", "to", "limit", "channel", "cursor")),
        ("/getclips", ("limit", "cursor", "recording")),
    ):
        for name in names:
            for i, value in enumerate(QUERY_VALUES):
                query = urlencode({name: value}, encoding="utf-8", errors="surrogatepass")
                yield Case(f"{route[1:]}-{name}-{i}", "GET", f"{route}?{query}", content_type=None)
        yield Case(f"{route[1:]}-repeated", "GET", f"{route}?limit=1&limit=2", content_type=None)
        yield Case(f"{route[1:]}-bad-escape", "GET", f"{route}?limit=%zz&cursor=%", content_type=None)


def _path_cases() -> Iterator[Case]:
    paths = [
        "/nothere",
        "/media/../../etc/passwd",
        "/media/..%2f..%2fetc%2fpasswd",
        "/media/ivs/%2e%2e/%2e%2e/README.md",
        "/media/.data",
        "/media/%00",
        "/media/ivs/\u00e9",
        "/media/" + SAMPLE_MASTER.replace("master", "nothere"),
        "/media/README.md",
        "/studio/../README.md",
        "/studio/%2e%2e/Makefile",
        "/" + "a" * 10000,
        "/clipmanifest/extra",
        "//clipmanifest",
        "/getclips%00",
    ]
    for i, path in enumerate(paths):
        yield Case(f"path-{i}", "GET", quote(path, safe="/%?=&.") if not path.isascii() else path, content_type=None)
    for method in ("PUT", "PATCH", "DELETE", "TRACE", "GET"):
        yield Case(f"method-{method}", method, "/clipmanifest", content_type=None)
    for method in ("POST", "PUT", "DELETE"):
        yield Case(f"method-recordings-{method}", method, "/getrecordings", b"{}")


def _random_cases(count: int = 200) -> Iterator[Case]:
    """A seeded mix: every field at once drawn from the hostile pools (or left valid)."""
    rng = random.Random(20261201)
    pools = {
        "master_url": [*HOSTILE_URLS, SAMPLE_MASTER],
        "start_time": [*HOSTILE_TIMES, 5, 0, "2024-05-06T07:08:05Z"],
        "end_time": [*HOSTILE_TIMES, 10, 39.9, "2024-05-06T07:08:10Z"],
        "boundary": [*HOSTILE_BOUNDARIES, "outer", "inner", "nearest", None],
        "byte_range": [*HOSTILE_FLAGS, True, False, None],
        "title": [*HOSTILE_TITLES, "ok", None],
    }
    for i in range(count):
        body = {name: rng.choice(pool) for name, pool in pools.items() if rng.random() < 0.8}
        yield _post(f"random-{i}", body)


CASES = [*_field_cases(), *_raw_cases(), *_query_cases(), *_path_cases(), *_random_cases()]


@pytest.fixture(scope="module")
def stack_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with local_stack(tmp_path_factory.mktemp("hostile") / "data") as url:
        yield int(url.rsplit(":", 1)[1])


def _send(port: int, case: Case) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": case.content_type} if case.content_type else {}
    try:
        conn.request(case.method, case.path, body=case.body, headers=headers)
        response = conn.getresponse()
        return response.status, response.getheader("content-type") or "", response.read()
    finally:
        conn.close()


def test_the_corpus_has_hundreds_of_inputs() -> None:
    assert len(CASES) >= 400 and len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_input_gets_a_json_4xx_without_internals(stack_port: int, case: Case) -> None:
    status, content_type, body = _send(stack_port, case)
    assert status < 500, body[:500]
    if status >= 400:
        assert content_type.startswith("application/json"), (status, content_type, body[:200])
        text = body.decode("utf-8")  # strict: valid UTF-8
        document = json.loads(text)
        assert isinstance(document.get("error"), str) and isinstance(document.get("code"), str)
        json.dumps(document, ensure_ascii=False).encode("utf-8")  # no lone surrogates in what we echo
        for leak in LEAKS:
            assert leak not in text, (leak, text[:300])


def test_a_valid_request_still_works_after_the_corpus(stack_port: int) -> None:
    status, _, body = _send(stack_port, _post("valid", _clip(start_time=5, end_time=12)))
    assert status in (200, 201), body
    assert json.loads(body)["requested"]["start_seconds"] == 5


def test_the_sample_master_exists(tmp_path: Path) -> None:
    """The corpus clips the bundled sample: if its key changes, this names the fix."""
    assert (REPO_ROOT / "sample" / SAMPLE_MASTER).is_file()
