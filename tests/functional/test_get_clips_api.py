"""GET /getclips: newest first, filtered by recording, paginated at a bounded cost."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.clips.store import ClipStore
from handlers.storage.base import StorageError
from handlers.web.cursors import encode_cursor
from tests.support.api import PUBLIC_BASE_URL, REC_ROOT, Api, seed_recording

OTHER_ROOT = REC_ROOT.replace("RecOne123456", "RecTwo654321")


class Ticker:
    """A clock that moves one second per reading, so creation order is listing order."""

    def __init__(self) -> None:
        self._ticks = itertools.count()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=next(self._ticks))


def make_clips(api: Api, count: int, *, root: str = REC_ROOT, first: int = 0) -> list[str]:
    ids = []
    for i in range(first, first + count):
        result = api.create({"master_url": f"{root}/master.m3u8", "start_time": i, "end_time": i + 2})
        assert result.status == 201, result.body
        ids.append(result.body["clip_id"])
    return ids


def walk(api: Api, **query: str) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = api.clips(**query, **({"cursor": cursor} if cursor else {})).body
        seen.extend(c["clip_id"] for c in page["clips"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


@pytest.fixture
def api(file_storage: Any) -> Api:
    seed_recording(file_storage)
    seed_recording(file_storage, root=OTHER_ROOT)
    return Api(file_storage, clock=Ticker())


def test_no_clips_is_an_empty_page(api: Api) -> None:
    assert api.clips().body == {"clips": [], "next_cursor": None}


def test_clips_are_listed_newest_first(api: Api) -> None:
    ids = make_clips(api, 5)
    assert [c["clip_id"] for c in api.clips().body["clips"]] == ids[::-1]


def test_each_clip_has_key_url_created_and_its_metadata(api: Api) -> None:
    made = api.create({"master_url": f"{REC_ROOT}/master.m3u8", "start_time": 1, "end_time": 3, "title": "t"}).body
    listed = api.clips().body["clips"][0]
    assert listed["key"] == made["key"]
    assert listed["url"] == f"{PUBLIC_BASE_URL}/{made['key']}"
    assert listed["created"] == made["created_at"]
    assert listed["title"] == "t" and listed["renditions"] == made["renditions"]


def test_recording_filter_by_id_lists_only_its_clips(api: Api) -> None:
    mine = make_clips(api, 3)
    make_clips(api, 2, root=OTHER_ROOT)
    listed = api.clips(recording="RecOne123456").body["clips"]
    assert [c["clip_id"] for c in listed] == mine[::-1]


@pytest.mark.parametrize("form", [f"{REC_ROOT}/master.m3u8", REC_ROOT.removesuffix("/media/hls") + "/"])
def test_recording_filter_by_key_lists_only_its_clips(api: Api, form: str) -> None:
    make_clips(api, 2, root=OTHER_ROOT)
    mine = make_clips(api, 2)
    assert [c["clip_id"] for c in api.clips(recording=form).body["clips"]] == mine[::-1]


def test_pages_cover_every_clip_once(api: Api) -> None:
    ids = make_clips(api, 23)
    assert walk(api, limit="5") == ids[::-1]


def test_pagination_loses_and_repeats_nothing_while_clips_are_added(api: Api) -> None:
    before = make_clips(api, 12)
    seen: list[str] = []
    page = api.clips(limit="4").body
    added = 0
    while True:
        seen.extend(c["clip_id"] for c in page["clips"])
        make_clips(api, 2, first=100 + added)  # newer clips land before the cursor
        added += 2
        if page["next_cursor"] is None:
            break
        page = api.clips(limit="4", cursor=page["next_cursor"]).body
    assert seen == before[::-1]
    assert len(walk(api, limit="7")) == 12 + added


def test_half_written_clips_are_skipped(api: Api, file_storage: Any) -> None:
    ids = make_clips(api, 3)
    store = ClipStore(file_storage)
    orphan = store.index_prefix() + "0000000000000-" + "f" * 24  # an entry whose document never came
    file_storage.put(orphan, b"{}", "application/json")
    assert walk(api, limit="2") == ids[::-1]


def test_page_costs_a_bounded_number_of_s3_requests(s3_storage: Any, s3_requests: Any) -> None:
    seed_recording(s3_storage)
    api = Api(s3_storage, clock=Ticker())
    make_clips(api, 30)
    s3_requests.reset()
    page = api.clips(limit="10").body
    assert len(page["clips"]) == 10
    assert s3_requests.by_operation["ListObjectsV2"] == 1
    assert s3_requests.total == 11


def test_limit_out_of_bounds_is_400(api: Api) -> None:
    for limit in ("0", "201", "x"):
        result = api.clips(limit=limit)
        assert (result.status, result.body["field"]) == (400, "limit")


@pytest.mark.parametrize("cursor", ["garbage", "eyJwIjoiY2xpcHMvIn0", "%%%", "a" * 5000])
def test_damaged_cursor_is_400(api: Api, cursor: str) -> None:
    result = api.clips(cursor=cursor)
    assert (result.status, result.body["field"]) == (400, "cursor")


def test_cursor_of_another_listing_is_400(api: Api) -> None:
    make_clips(api, 3)
    cursor = api.clips(limit="1").body["next_cursor"]
    result = api.clips(limit="1", recording="RecOne123456", cursor=cursor)
    assert (result.status, result.body["code"]) == (400, "invalid_cursor")


class TokenRefusingStorage:
    """Refuses continuation tokens as S3 does for forged ones (moto accepts any token)."""

    def __init__(self, inner: Any, *, down: bool = False):
        self.inner, self.down, self.root = inner, down, inner.root

    def get(self, key: str) -> bytes:
        return self.inner.get(key)

    def put(self, key: str, data: bytes, content_type: str, *, if_absent: bool = False) -> bool:
        return self.inner.put(key, data, content_type, if_absent=if_absent)

    def list(self, prefix: str = "", *, token: str | None = None, **kwargs: Any) -> Any:
        if token or self.down:
            raise StorageError("S3 list: InvalidArgument: The continuation token provided is incorrect")
        return self.inner.list(prefix, token=token, **kwargs)


def test_cursor_the_store_refuses_is_400_not_503(file_storage: Any) -> None:
    store = ClipStore(file_storage)
    cursor = encode_cursor(store.index_prefix(), "forged-token")
    result = Api(TokenRefusingStorage(file_storage)).clips(cursor=cursor)
    assert (result.status, result.body["code"]) == (400, "invalid_cursor")


def test_store_that_is_down_is_503_even_with_a_cursor(file_storage: Any) -> None:
    store = ClipStore(file_storage)
    cursor = encode_cursor(store.index_prefix(), "some-token")
    result = Api(TokenRefusingStorage(file_storage, down=True)).clips(cursor=cursor)
    assert (result.status, result.body["code"]) == (503, "storage_unavailable")


@pytest.mark.parametrize("recording", ["../etc", "a b", "ivs/../x", "x" * 2000])
def test_invalid_recording_filter_is_400(api: Api, recording: str) -> None:
    result = api.clips(recording=recording)
    assert (result.status, result.body["field"]) == (400, "recording")
