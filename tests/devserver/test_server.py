"""The waitress server over real sockets: JSON for every error it or the app produces, timeouts, load."""

from __future__ import annotations

import http.client
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from devserver.app import DevApp
from devserver.media import FileMediaSource, served_prefixes
from devserver.routes import Route, RouteTable, load_routes
from devserver.sample import SAMPLE_DIR, find_master_key, install_sample
from devserver.server import ServerLimits
from handlers.config import load_settings
from handlers.storage import open_storage
from tests.devserver.support import Served, parse_raw, quiet_log, serving

CLIENTS = 100


def ok_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": '{"ok": true}'}


def boom(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("secret detail")


def fake_app(errors: io.StringIO | None = None) -> DevApp:
    table = RouteTable.of([Route("GET /getclips", ok_handler, "get-clips"), Route("GET /boom", boom, "boom")])
    return DevApp(routes=table, access_log=quiet_log(), errors=errors or io.StringIO(), max_uri_bytes=2048)


@pytest.fixture
def served() -> Iterator[Served]:
    limits = ServerLimits(threads=4, max_request_header_size=16 * 1024, max_request_body_size=64 * 1024)
    with serving(fake_app(), limits) as running:
        yield running


def error_of(data: bytes) -> tuple[int, str, str]:
    reply = parse_raw(data)
    assert reply.headers["content-type"] == "application/json", data[:300]
    body = json.loads(reply.body)
    assert set(body) >= {"error", "code"}
    return reply.status, body["code"], reply.headers.get("server", "")


def test_malformed_request_is_a_json_400(served: Served) -> None:
    assert error_of(served.raw(b"GET /getclips HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"))[:2] == (
        400,
        "bad_request",
    )


def test_garbage_request_line_is_a_json_400(served: Served) -> None:
    assert error_of(served.raw(b"\x16\x03\x01 not http\r\n\r\n"))[:2] == (400, "bad_request")


def test_headers_over_the_limit_are_a_json_431(served: Served) -> None:
    request = b"GET /getclips HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n"
    assert error_of(served.raw(request))[:2] == (431, "headers_too_large")


def test_body_over_the_limit_is_a_json_413_before_it_is_sent(served: Served) -> None:
    request = b"POST /getclips HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
    assert error_of(served.raw(request))[:2] == (413, "payload_too_large")


def test_chunked_body_over_the_limit_is_a_json_413(served: Served) -> None:
    chunk = b"%x\r\n%s\r\n" % (70_000, b"a" * 70_000)
    request = b"POST /getclips HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + b"0\r\n\r\n"
    assert error_of(served.raw(request))[:2] == (413, "payload_too_large")


def test_unknown_transfer_coding_is_a_json_501(served: Served) -> None:
    request = b"POST /getclips HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
    assert error_of(served.raw(request))[:2] == (501, "not_implemented")


def test_uri_over_the_limit_is_a_json_414(served: Served) -> None:
    request = b"GET /getclips?" + b"a" * 3000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    assert error_of(served.raw(request))[:2] == (414, "uri_too_long")


def test_unknown_route_is_a_json_404_over_the_wire(served: Served) -> None:
    assert error_of(served.raw(b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))[:2] == (
        404,
        "not_found",
    )


def test_wrong_method_is_a_json_405_with_allow_over_the_wire(served: Served) -> None:
    data = served.raw(b"POST /getclips HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    assert error_of(data)[:2] == (405, "method_not_allowed")
    assert parse_raw(data).headers["allow"] == "GET"


def test_handler_crash_is_a_json_500_without_the_traceback(served: Served) -> None:
    data = served.raw(b"GET /boom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert error_of(data)[:2] == (500, "internal_error")
    assert b"secret detail" not in data and b"Traceback" not in data


def test_no_answer_names_the_server_software(served: Served) -> None:
    for data in (
        served.raw(b"GET /getclips HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        served.raw(b"GET /x HTTP/1.1\r\nbad\r\n\r\n"),
    ):
        assert b"\r\nserver:" not in data.lower()
        assert b"waitress" not in data.lower()


def test_keep_alive_serves_several_api_requests_on_one_connection(served: Served) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=5)
    try:
        for _ in range(3):
            conn.request("GET", "/getclips")
            response = conn.getresponse()
            assert (response.status, response.version) == (200, 11)
            response.read()
    finally:
        conn.close()


def test_slow_client_is_disconnected_after_the_timeout_while_others_are_served() -> None:
    limits = ServerLimits(threads=2, channel_timeout=1, cleanup_interval=1)
    with serving(fake_app(), limits) as running:
        slow = socket.create_connection(("127.0.0.1", running.port), timeout=10)
        try:
            slow.sendall(b"GET /getclips HTTP/1.1\r\nHost: x\r\nX-Half: ")  # and never the rest
            started = time.monotonic()
            for _ in range(5):
                assert running.fetch("/getclips").status == 200
            assert slow.recv(1024) == b""  # closed by the server, not by our 10 s timeout
            waited = time.monotonic() - started
        finally:
            slow.close()
    assert 0.5 < waited < 5.0, waited


@dataclass(frozen=True)
class SampleStack:
    served: Served
    segment_path: str


@pytest.fixture(scope="module")
def sample_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampleStack]:
    if not SAMPLE_DIR.is_dir():
        pytest.skip("the bundled sample recording (sample/) is not in the repository")
    data = tmp_path_factory.mktemp("stack") / "data"
    install_sample(data)
    master = find_master_key(data)
    assert master is not None
    segment = next(p for p in sorted((data / master).parent.rglob("*.ts")))
    env = {"STORAGE_URL": data.as_uri(), "PUBLIC_BASE_URL": "http://127.0.0.1:1/media"}
    settings = load_settings(env)
    routes = load_routes(settings, open_storage(settings.storage_url))
    app = DevApp(
        routes=routes,
        media=FileMediaSource(data),
        media_prefixes=served_prefixes("ivs/", "clips/"),
        access_log=quiet_log(),
        errors=io.StringIO(),
    )
    with serving(app, ServerLimits(threads=8)) as running:
        yield SampleStack(running, f"/media/{segment.relative_to(data).as_posix()}")


def test_media_answers_one_object_per_connection_as_http_1_0(sample_stack: SampleStack) -> None:
    data = sample_stack.served.raw(
        f"GET {sample_stack.segment_path} HTTP/1.1\r\nHost: x\r\nRange: bytes=0-187\r\n\r\n".encode()
    )
    reply = parse_raw(data)
    assert data.startswith(b"HTTP/1.0 206")
    assert reply.body[:1] == b"G" and len(reply.body) == 188  # and the server closed: raw() returned


def test_a_hundred_concurrent_clients_all_get_2xx(sample_stack: SampleStack) -> None:
    port = sample_stack.served.port
    barrier = threading.Barrier(CLIENTS, timeout=30)

    def client(index: int) -> list[int]:
        statuses = []
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            barrier.wait()  # everyone connects at once
            for path, headers in (
                ("/getrecordings", {}),
                (sample_stack.segment_path, {"Range": f"bytes={index * 188}-{index * 188 + 187}"}),
            ):
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                statuses.append(response.status)
                if response.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        finally:
            conn.close()
        return statuses

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(client, range(CLIENTS)))  # a reset or timeout raises here
    assert [s for statuses in results for s in statuses] == [200, 206] * CLIENTS


def test_recordings_route_lists_the_sample(sample_stack: SampleStack) -> None:
    reply = sample_stack.served.fetch("/getrecordings")
    assert reply.status == 200
    assert "SampleRec001" in reply.body.decode()
