"""Every request has one time budget for all its storage calls, under API Gateway's 30 s limit."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from handlers import get_clips, get_recordings
from handlers.storage.base import StorageError
from handlers.storage.budget import MAX_REQUEST_SECONDS, BudgetedStorage, carry, remaining, request_seconds, time_budget
from handlers.storage.s3 import CLIENT_CONFIG, S3Storage
from tests.support.api import decode, http_event, settings_for


class Context:
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms
        self.aws_request_id = "budget-test"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def stalled_endpoint() -> Iterator[str]:
    """An HTTP endpoint on loopback that accepts connections and never answers (a stalled S3)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def stalled_storage(endpoint: str) -> BudgetedStorage:
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=CLIENT_CONFIG,  # production retries and timeouts: about 30 s on their own
    )
    return BudgetedStorage(S3Storage("recordings", client))


def test_a_stalled_store_fails_when_the_budget_is_spent_not_when_retries_are(stalled_endpoint: str) -> None:
    storage = stalled_storage(stalled_endpoint)
    started = time.monotonic()
    with time_budget(0.6), pytest.raises(StorageError, match="time budget"):
        storage.list("ivs/")
    assert time.monotonic() - started < 2.0


def test_calls_share_one_budget(stalled_endpoint: str) -> None:
    storage = stalled_storage(stalled_endpoint)
    started = time.monotonic()
    with time_budget(0.8):
        for _ in range(3):
            with pytest.raises(StorageError):
                storage.get("ivs/x.m3u8")
    assert time.monotonic() - started < 2.0  # three calls, one budget: not 3 x 0.8 s


def test_a_spent_budget_refuses_without_calling() -> None:
    calls: list[str] = []

    class Inner:
        def get(self, key: str) -> bytes:
            calls.append(key)
            return b""

    storage = BudgetedStorage(Inner())  # type: ignore[arg-type]
    with time_budget(0), pytest.raises(StorageError, match="spent"):
        storage.get("a")
    assert calls == []


def test_outside_a_request_calls_are_not_bounded() -> None:
    assert remaining() is None


def test_the_budget_follows_work_into_thread_pools() -> None:
    with time_budget(5), ThreadPoolExecutor(2) as pool:
        seen = list(pool.map(carry(lambda _: remaining()), range(2)))
        bare = list(pool.map(lambda _: remaining(), range(2)))
    assert all(s is not None and 0 < s <= 5 for s in seen)
    assert bare == [None, None]


@pytest.mark.parametrize(
    ("remaining_ms", "expected"), [(60_000, MAX_REQUEST_SECONDS), (10_000, 9.0), (500, 0.0), (None, 25.0)]
)
def test_the_budget_is_the_lesser_of_25_s_and_the_lambda_time_left(remaining_ms: int | None, expected: float) -> None:
    context: Any = None if remaining_ms is None else Context(remaining_ms)
    assert request_seconds(context) == pytest.approx(expected)


def test_a_listing_over_a_stalled_store_answers_503_in_time(stalled_endpoint: str) -> None:
    handler = get_recordings.make_handler(settings_for("s3://recordings"), stalled_storage(stalled_endpoint))
    started = time.monotonic()
    result = decode(handler(http_event("GET", "/getrecordings"), Context(remaining_ms=2_500)))
    elapsed = time.monotonic() - started
    assert (result.status, result.body["code"]) == (503, "storage_unavailable")
    assert elapsed < 3.0  # within the Lambda's time, where the gateway's own 503 would have come


class SlowDocuments:
    """File storage whose clip documents take ``delay`` seconds to read: a stalled S3 GET."""

    def __init__(self, inner: Any, delay: float) -> None:
        self.inner, self.delay = inner, delay

    def get(self, key: str) -> bytes:
        if key.endswith(".json") and "/index/" not in key:
            time.sleep(self.delay)
        return self.inner.get(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_the_budget_bounds_the_parallel_document_reads_of_a_clip_listing(file_storage: Any) -> None:
    from tests.support.api import Api, seed_recording

    seed_recording(file_storage)
    api = Api(file_storage)
    for end in (20, 21, 22):
        assert api.create({"master_url": f"{_master()}", "start_time": 10, "end_time": end}).status == 201
    slow = BudgetedStorage(SlowDocuments(file_storage, delay=5.0))  # type: ignore[arg-type]
    handler = get_clips.make_handler(settings_for(file_storage), slow)
    started = time.monotonic()
    result = decode(handler(http_event("GET", "/getclips"), Context(remaining_ms=2_000)))
    assert (result.status, result.body["code"]) == (503, "storage_unavailable")
    assert time.monotonic() - started < 2.5  # the pool's reads waited for the budget, not for 5 s each


def _master() -> str:
    from tests.support.api import REC_ROOT

    return f"{REC_ROOT}/master.m3u8"
