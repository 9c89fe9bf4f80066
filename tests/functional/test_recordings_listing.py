"""The recordings listing (handlers.recordings.listing) on local files and on S3, and its request cost."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from handlers.recordings.listing import RecordingsPage, list_recordings
from handlers.storage import Storage
from handlers.storage.files import FileStorage
from handlers.storage.s3 import S3Storage
from handlers.web.cursors import InvalidCursor
from tests.support.recordings import FakeRecording, write_fake_recording, write_fake_recordings
from tests.support.s3 import S3Endpoint, count_s3_requests, direct_storage

BASE = "https://cdn.example.com"
T0 = datetime(2025, 6, 30, 22, 1, tzinfo=UTC)
ONE_RENDITION = (("720p30", 1280, 720),)
REAL_RECORDING = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "ivs-real-recording"


def _record(storage: Any, started_at: datetime, recording_id: str, **options: Any) -> FakeRecording:
    """A small recording (few objects: HTTP puts to moto are slow); options override."""
    light: dict[str, Any] = {"renditions": ONE_RENDITION, "segments": 1, "thumbnails": 0}
    return write_fake_recording(storage, started_at=started_at, recording_id=recording_id, **(light | options))


def _list(storage: Storage, **options: Any) -> RecordingsPage:
    return list_recordings(storage, public_base_url=BASE, **options)


def _ids(page: RecordingsPage) -> list[str]:
    return [r.recording_id for r in page.recordings]


def _all_ids(storage: Storage, limit: int, **options: Any) -> list[str]:
    """Every id, following next_cursor page after page."""
    ids: list[str] = []
    cursor = None
    for _ in range(100):
        page = _list(storage, limit=limit, cursor=cursor, **options)
        ids += _ids(page)
        assert len(page.recordings) <= limit
        if (cursor := page.next_cursor) is None:
            return ids
    raise AssertionError("pagination did not end")


# --- order ---


def test_recordings_are_listed_newest_first_across_channels(any_storage: Storage) -> None:
    for i, channel in enumerate(["chanA", "chanB", "chanA", "chanB"]):
        _record(any_storage, T0 + timedelta(hours=i), f"r{i}", channel=channel)
    assert _ids(_list(any_storage)) == ["r3", "r2", "r1", "r0"]


def test_unpadded_date_parts_are_ordered_as_numbers(any_storage: Storage) -> None:
    starts = {
        "min1": datetime(2025, 6, 30, 22, 1, tzinfo=UTC),
        "min10": datetime(2025, 6, 30, 22, 10, tzinfo=UTC),
        "min2": datetime(2025, 6, 30, 22, 2, tzinfo=UTC),
        "hour9": datetime(2025, 6, 30, 9, 59, tzinfo=UTC),
        "day3": datetime(2025, 6, 3, 23, 0, tzinfo=UTC),
        "sep": datetime(2025, 9, 1, 0, 0, tzinfo=UTC),
        "oct": datetime(2025, 10, 1, 0, 0, tzinfo=UTC),
        "y2024": datetime(2024, 12, 31, 23, 59, tzinfo=UTC),
    }
    for rid, started in starts.items():
        _record(any_storage, started, rid)
    assert _ids(_list(any_storage)) == ["oct", "sep", "min10", "min2", "min1", "hour9", "day3", "y2024"]


def test_recordings_started_in_the_same_minute_are_ordered_by_id_descending(any_storage: Storage) -> None:
    for rid in ["bbb", "aaa", "ccc"]:
        _record(any_storage, T0, rid)
    assert _ids(_list(any_storage)) == ["ccc", "bbb", "aaa"]


# --- fields ---


def test_status_comes_from_the_events_files(any_storage: Storage) -> None:
    _record(any_storage, T0, "done", status="ended")
    _record(any_storage, T0 + timedelta(minutes=1), "live", status="recording")
    _record(any_storage, T0 + timedelta(minutes=2), "broke", status="failed")
    statuses = {r.recording_id: r.status for r in _list(any_storage).recordings}
    assert statuses == {"done": "ended", "live": "recording", "broke": "failed"}


def test_times_and_duration_come_from_the_events(any_storage: Storage) -> None:
    _record(any_storage, T0 + timedelta(seconds=41), "r", segments=3, segment_seconds=10.5)
    (rec,) = _list(any_storage).recordings
    assert (rec.started_at, rec.duration) == (T0 + timedelta(seconds=41), 31.5)
    assert rec.ended_at == T0 + timedelta(seconds=41 + 31)  # IVS event times have whole seconds


def test_a_recording_still_running_has_no_end_or_duration(any_storage: Storage) -> None:
    _record(any_storage, T0, "live", status="recording")
    (rec,) = _list(any_storage).recordings
    assert (rec.ended_at, rec.duration) == (None, None)


def test_recording_json_has_the_api_field_names_and_master_facts(any_storage: Storage) -> None:
    fake = _record(any_storage, T0, "rid1", account="111122223333", channel="chX", segments=2)
    (obj,) = any_storage.list(fake.master_key).objects
    data = _list(any_storage).recordings[0].to_dict()
    assert data == {
        "key": fake.master_key,
        "url": f"{BASE}/{fake.master_key}",
        "lastModified": data["lastModified"],
        "size": obj.size,
        "recording_id": "rid1",
        "channel_id": "chX",
        "account_id": "111122223333",
        "started_at": "2025-06-30T22:01:00.000Z",
        "ended_at": "2025-06-30T22:01:20.000Z",
        "duration": 20.0,
        "status": "ended",
        "byte_range": True,
        "renditions": [{"name": "720p30", "width": 1280, "height": 720}],
        "thumbnail_url": None,
        "kind": "low-latency",
        "stage_id": None,
        "session_id": None,
        "participant_id": None,
    }
    assert abs(datetime.fromisoformat(data["lastModified"]) - obj.last_modified) < timedelta(milliseconds=1)


def test_byte_range_says_whether_the_byte_range_playlists_exist(any_storage: Storage) -> None:
    _record(any_storage, T0, "with", byte_range=True)
    _record(any_storage, T0 + timedelta(minutes=1), "without", byte_range=False)
    flags = {r.recording_id: r.byte_range for r in _list(any_storage).recordings}
    assert flags == {"with": True, "without": False}


def test_renditions_come_from_the_events_highest_first(any_storage: Storage) -> None:
    ladder = (("160p30", 284, 160), ("720p30", 1280, 720), ("360p30", 640, 360), ("480p30", 852, 480))
    _record(any_storage, T0, "r", renditions=ladder, segments=0)
    (rec,) = _list(any_storage).recordings
    assert [(r.name, r.width, r.height) for r in rec.renditions] == [
        ("720p30", 1280, 720),
        ("480p30", 852, 480),
        ("360p30", 640, 360),
        ("160p30", 284, 160),
    ]


class _Captured:
    """A Writable that keeps what was written, to copy a chosen part of a recording."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    def put(self, key: str, body: bytes, content_type: str, *, if_absent: bool = False) -> bool:
        self.objects[key] = (body, content_type)
        return True


def test_renditions_fall_back_to_the_master_without_events(any_storage: Storage) -> None:
    captured = _Captured()
    ladder = (("480p30", 852, 480), ("1080p60", 1920, 1080))
    _record(captured, T0, "noevents", renditions=ladder, segments=0)
    for key, (body, content_type) in captured.objects.items():
        if "/events/" not in key:
            any_storage.put(key, body, content_type)
    (rec,) = _list(any_storage).recordings
    assert [(r.name, r.height) for r in rec.renditions] == [("1080p60", 1080), ("480p30", 480)]
    assert rec.status == "unknown"


def test_thumbnail_is_the_latest_one_when_ivs_keeps_it(any_storage: Storage) -> None:
    fake = _record(any_storage, T0, "r", thumbnails=2, latest_thumbnail=True)
    (rec,) = _list(any_storage).recordings
    assert rec.thumbnail_url == f"{BASE}/{fake.key('media/latest_thumbnail/thumb.jpg')}"


def test_thumbnail_is_the_highest_numbered_sequential_one(any_storage: Storage) -> None:
    fake = _record(any_storage, T0, "r", thumbnails=12)  # thumb9 sorts last as text, thumb11 is the last
    (rec,) = _list(any_storage).recordings
    assert rec.thumbnail_url == f"{BASE}/{fake.key('media/thumbnails/thumb11.jpg')}"


def test_thumbnail_is_none_without_thumbnails(any_storage: Storage) -> None:
    _record(any_storage, T0, "r", thumbnails=0)
    assert _list(any_storage).recordings[0].thumbnail_url is None


def test_folders_that_are_not_ivs_recordings_are_skipped(any_storage: Storage) -> None:
    _record(any_storage, T0, "real")
    any_storage.put("ivs/v1/123456789012/chanA/latest/notes.txt", b"x", "text/plain")
    any_storage.put("ivs/v1/123456789012/chanA/2025/13/1/1/1/bad/x.txt", b"x", "text/plain")
    any_storage.put("ivs/v1/123456789012/chanA/2025/6/30/22/1/empty/readme.txt", b"x", "text/plain")
    assert _ids(_list(any_storage)) == ["real"]


def test_the_real_ivs_recording_is_listed_with_its_facts() -> None:
    if not REAL_RECORDING.is_dir():
        pytest.skip("the real recording fixture is not available here")
    (rec,) = _list(FileStorage(REAL_RECORDING)).recordings
    assert (rec.account_id, rec.channel_id, rec.recording_id) == ("098435415742", "2rrcA103rn67", "Pd8MyZnzUAFl")
    assert (rec.status, rec.duration, rec.byte_range) == ("ended", 171.546, True)
    assert rec.started_at == datetime(2023, 2, 9, 22, 55, 41, tzinfo=UTC)
    assert [r.name for r in rec.renditions] == ["720p30", "480p30", "360p30", "160p30"]
    assert rec.thumbnail_url is not None and rec.thumbnail_url.endswith("/media/thumbnails/thumb32.jpg")


# --- filters ---


def test_channel_filter_keeps_only_that_channel(any_storage: Storage) -> None:
    for i, channel in enumerate(["chanA", "chanB", "chanA"]):
        _record(any_storage, T0 + timedelta(hours=i), f"r{i}", channel=channel)
    assert _ids(_list(any_storage, channel="chanA")) == ["r2", "r0"]


def test_since_is_inclusive_and_until_exclusive(any_storage: Storage) -> None:
    for i in range(5):
        _record(any_storage, T0 + timedelta(days=i), f"d{i}")
    page = _list(any_storage, since=T0 + timedelta(days=1), until=T0 + timedelta(days=3))
    assert _ids(page) == ["d2", "d1"]


def test_time_filter_uses_the_start_second_not_just_the_folder_minute(any_storage: Storage) -> None:
    _record(any_storage, T0 + timedelta(seconds=10), "early")
    _record(any_storage, T0 + timedelta(seconds=50), "late", channel="chanB")
    assert _ids(_list(any_storage, since=T0 + timedelta(seconds=30))) == ["late"]
    assert _ids(_list(any_storage, until=T0 + timedelta(seconds=30))) == ["early"]


class _ListSpy:
    """A Storage that records which prefixes were listed (and passes everything through)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.listed: list[str] = []

    def get(self, key: str) -> bytes:
        return self.storage.get(key)

    def put(self, key: str, body: bytes, content_type: str, *, if_absent: bool = False) -> bool:
        return self.storage.put(key, body, content_type, if_absent=if_absent)

    def list(self, prefix: str = "", **options: Any) -> Any:
        self.listed.append(prefix)
        return self.storage.list(prefix, **options)


def test_folders_outside_the_time_window_are_never_listed(any_storage: Storage) -> None:
    _record(any_storage, datetime(2024, 3, 5, 1, 2, tzinfo=UTC), "old")
    _record(any_storage, datetime(2025, 5, 9, 1, 2, tzinfo=UTC), "may")
    _record(any_storage, datetime(2025, 6, 30, 22, 1, tzinfo=UTC), "june")
    spy = _ListSpy(any_storage)
    page = _list(spy, since=datetime(2025, 6, 1, tzinfo=UTC))
    assert _ids(page) == ["june"]
    channel = "ivs/v1/123456789012/chanA/"
    assert not [p for p in spy.listed if p.startswith((f"{channel}2024/", f"{channel}2025/5/"))]


def test_a_channel_filter_does_not_list_other_channels(any_storage: Storage) -> None:
    _record(any_storage, T0, "a", channel="chanA")
    _record(any_storage, T0, "b", channel="chanB")
    spy = _ListSpy(any_storage)
    assert _ids(_list(spy, channel="chanB")) == ["b"]
    assert not [p for p in spy.listed if "/chanA/" in p]


# --- limit and cursor ---


def test_limit_caps_the_page_and_gives_a_cursor(any_storage: Storage) -> None:
    for i in range(4):
        _record(any_storage, T0 + timedelta(hours=i), f"r{i}")
    page = _list(any_storage, limit=3)
    assert _ids(page) == ["r3", "r2", "r1"]
    assert page.next_cursor is not None


def test_last_page_has_no_cursor(any_storage: Storage) -> None:
    for i in range(3):
        _record(any_storage, T0 + timedelta(hours=i), f"r{i}")
    assert _list(any_storage, limit=3).next_cursor is None


def test_cursor_pages_cover_every_recording_once_in_order(any_storage: Storage) -> None:
    fakes = write_fake_recordings(
        any_storage, 11, first_started_at=T0, step=timedelta(minutes=53), channels=("chanA", "chanB"),
        renditions=ONE_RENDITION, segments=0, thumbnails=0,
    )  # fmt: skip
    assert _all_ids(any_storage, limit=3) == [f.recording_id for f in reversed(fakes)]


def test_cursor_pages_lose_and_repeat_nothing_while_recordings_are_added(any_storage: Storage) -> None:
    for i in range(6):
        _record(any_storage, T0 + timedelta(hours=i), f"old{i}")
    first = _list(any_storage, limit=2)
    _record(any_storage, T0 + timedelta(days=1), "newer")  # newest: belongs before the cursor
    _record(any_storage, T0 + timedelta(hours=2, minutes=30), "late-written")  # between old2 and old3
    rest = _all_ids(any_storage, limit=2) if first.next_cursor is None else []
    cursor = first.next_cursor
    while cursor is not None:
        page = _list(any_storage, limit=2, cursor=cursor)
        rest += _ids(page)
        cursor = page.next_cursor
    assert _ids(first) + rest == ["old5", "old4", "old3", "late-written", "old2", "old1", "old0"]
    assert _ids(_list(any_storage, limit=1)) == ["newer"]


def test_cursor_combines_with_filters(any_storage: Storage) -> None:
    for i in range(6):
        _record(any_storage, T0 + timedelta(hours=i), f"r{i}", channel="chanA" if i % 2 else "chanB")
    assert _all_ids(any_storage, limit=1, channel="chanA", since=T0 + timedelta(hours=1)) == ["r5", "r3", "r1"]


@pytest.mark.parametrize("cursor", ["garbage", "eyJ2IjogMn0", "e30", "!!!"])
def test_a_cursor_not_made_by_the_listing_is_refused(file_storage: FileStorage, cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        _list(file_storage, cursor=cursor)


@pytest.mark.parametrize("limit", [0, -1, 201])
def test_limit_outside_1_to_200_is_refused(file_storage: FileStorage, limit: int) -> None:
    with pytest.raises(ValueError):
        _list(file_storage, limit=limit)


def test_an_empty_bucket_lists_nothing(any_storage: Storage) -> None:
    assert _list(any_storage) == RecordingsPage([], None)


# --- request cost on S3 ---

RECORDINGS = 100
PAGE = 20
CHANNELS = ("chanA", "chanB")
#: Folders listed to reach a recording: v1/, account, channel, year, month, day (a day folder
#: is read with delimiter "/media/" and yields its recordings and their events file names).
TREE_DEPTH = 6
#: Reads per ended recording: its recording-ended.json, media/hls/, media/thumbnails/ (first page).
READS_PER_RECORDING = 3


def _seed(endpoint: S3Endpoint, client: Any, *, heavy: bool) -> tuple[S3Storage, int]:
    """100 recordings over ~2 weeks (crossing a month), 200 objects each if heavy, else 13."""
    bucket = endpoint.new_bucket(client, "cost")
    per_recording: dict[str, Any] = {"segments": 42, "thumbnails": 108} if heavy else {"segments": 1, "thumbnails": 3}
    fakes = write_fake_recordings(
        direct_storage(bucket), RECORDINGS, first_started_at=datetime(2025, 6, 20, 7, 5, tzinfo=UTC),
        step=timedelta(hours=3, minutes=17), channels=CHANNELS,
        renditions=(("720p30", 1280, 720), ("160p30", 284, 160)), **per_recording,
    )  # fmt: skip
    return S3Storage(bucket, client=client), sum(len(f.keys) for f in fakes)


def _cost_of_first_two_pages(storage: S3Storage) -> tuple[int, int, list[str]]:
    with count_s3_requests(storage.client) as first:
        page1 = _list(storage, limit=PAGE)
    with count_s3_requests(storage.client) as second:
        page2 = _list(storage, limit=PAGE, cursor=page1.next_cursor)
    return first.total, second.total, _ids(page1) + _ids(page2)


def test_listing_cost_is_bounded_by_tree_depth_and_independent_of_object_count(
    s3_endpoint: S3Endpoint, s3_client: Any
) -> None:
    light, light_objects = _seed(s3_endpoint, s3_client, heavy=False)
    heavy, heavy_objects = _seed(s3_endpoint, s3_client, heavy=True)
    assert heavy_objects == RECORDINGS * 200

    light_cost = _cost_of_first_two_pages(light)
    heavy_cost = _cost_of_first_two_pages(heavy)

    # 15x the objects, the same requests: the cost does not depend on segments or thumbnails.
    assert heavy_cost == light_cost
    first, second, ids = heavy_cost
    assert len(ids) == len(set(ids)) == 2 * PAGE
    # Bound from the tree: v1/ and the account once; per channel its channel, year and month
    # folders plus one more month (the layout crosses a month); day folders: at most one new
    # day per recording on the page (+1 peeked to know there is more) and one boundary day per
    # channel. Then a fixed number of reads per recording.
    channels = len(CHANNELS)
    walk_bound = 2 + channels * (TREE_DEPTH - 3 + 1) + (PAGE + 1) + channels
    bound = walk_bound + READS_PER_RECORDING * PAGE  # 93 here; measured 74 and 78
    assert first <= bound and second <= bound, (first, second, bound)
    # A full scan reads every object: it grows with the bucket, the listing does not.
    assert math.ceil(heavy_objects / 1000) > math.ceil(light_objects / 1000)
