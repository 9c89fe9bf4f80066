"""IVS Real-Time recordings in the recordings listing: participant and composite, merged with
low-latency ones newest first, the stage filter, and a request cost independent of segment count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.recordings.listing import RecordingsPage, list_recordings, listing_roots
from handlers.storage import Storage
from handlers.storage.s3 import S3Storage
from tests.support.recordings import (
    write_fake_composite_recording,
    write_fake_participant_recording,
    write_fake_recording,
)
from tests.support.s3 import S3Endpoint, count_s3_requests, direct_storage

BASE = "https://cdn.example.com"
T0 = datetime(2025, 3, 1, 9, 0, 5, tzinfo=UTC)
ONE_RENDITION = (("720p30", 1280, 720),)


def _list(storage: Storage, **options: Any) -> RecordingsPage:
    """The listing as GET /getrecordings runs it with the default prefixes ("ivs/" and "")."""
    prefix, roots, excluded = listing_roots(("ivs/", ""), "clips/")
    return list_recordings(
        storage, public_base_url=BASE, prefix=prefix, realtime_roots=roots, excluded=excluded, **options
    )


def _keys(page: RecordingsPage) -> list[str]:
    return [r.key for r in page.recordings]


def _ll(storage: Any, started_at: datetime, rid: str, **options: Any) -> Any:
    light: dict[str, Any] = {"renditions": ONE_RENDITION, "segments": 1, "thumbnails": 0}
    return write_fake_recording(storage, started_at=started_at, recording_id=rid, **(light | options))


def _participant(storage: Any, started_at: datetime, **options: Any) -> Any:
    return write_fake_participant_recording(storage, started_at=started_at, **({"segments": 1} | options))


# --- what a Real-Time recording shows ---


def test_a_participant_recording_is_listed_with_its_stage_session_and_participant(any_storage: Storage) -> None:
    fake = _participant(any_storage, T0, stage="stageA", session="st-S1", participant="pX", segments=3)
    (rec,) = _list(any_storage).recordings
    data = rec.to_dict()
    assert data["kind"] == "real-time-participant"
    assert (data["stage_id"], data["session_id"], data["participant_id"]) == ("stageA", "st-S1", "pX")
    assert (data["channel_id"], data["account_id"]) == (None, "123456789012")
    assert data["key"] == fake.master_key == "stageA/st-S1/pX/2025-03-01T09-00-05Z/media/hls/multivariant.m3u8"
    assert data["url"] == f"{BASE}/{fake.master_key}"
    assert data["recording_id"].startswith("2025-03-01T09-00-05Z-")  # the folder and a digest of the prefix
    assert (data["status"], data["started_at"], data["byte_range"]) == ("ended", "2025-03-01T09:00:05.000Z", False)
    assert data["duration"] == pytest.approx(5.637 + 5.648 + 5.659)
    assert data["renditions"] == [{"name": "high", "width": None, "height": None}]
    assert data["thumbnail_url"] == f"{BASE}/{fake.prefix}/media/latest_thumbnail/high/thumb.jpg"


def test_a_participant_without_a_latest_thumbnail_shows_its_highest_numbered_one(any_storage: Storage) -> None:
    fake = _participant(any_storage, T0, thumbnails=12, latest_thumbnail=False)
    (rec,) = _list(any_storage).recordings
    assert rec.thumbnail_url == f"{BASE}/{fake.prefix}/media/thumbnails/high/12.jpg"


def test_a_composite_recording_is_found_at_the_default_prefix(any_storage: Storage) -> None:
    fake = write_fake_composite_recording(any_storage, stage="stageA", started_at=T0, session="st-S9")
    (rec,) = _list(any_storage).recordings
    assert rec.kind == "real-time-composite"
    assert (rec.stage_id, rec.session_id, rec.participant_id) == ("stageA", "st-S9", None)
    assert rec.key == "stageA/compAbCd1234/destAbCd1234/composite/media/hls/multivariant.m3u8"
    assert [r.to_dict() for r in rec.renditions] == [{"name": "720p30-abcdeABCDE12", "width": 1280, "height": 720}]
    assert rec.thumbnail_url == f"{BASE}/{fake.prefix}/media/latest_thumbnail/1280x720/thumb.jpg"
    assert rec.started_at == T0  # shown from the events JSON


def test_a_composite_is_recognised_by_its_events_under_another_folder_name(any_storage: Storage) -> None:
    fake = write_fake_composite_recording(any_storage, started_at=T0)
    for key in fake.keys:  # the same recording one folder name over: only the events JSON says "composite"
        any_storage.put(key.replace("/composite/", "/other/"), any_storage.get(key), "application/octet-stream")
    kinds = {r.key.split("/")[3]: r.kind for r in _list(any_storage).recordings}
    assert kinds == {"composite": "real-time-composite", "other": "real-time-composite"}


def test_a_participant_recording_without_events_yet_is_listed_from_its_folders(any_storage: Storage) -> None:
    _participant(any_storage, T0, stage="stageA", session="st-S1", participant="pX", events=False)
    (rec,) = _list(any_storage).recordings
    assert (rec.status, rec.started_at, rec.kind) == ("unknown", T0, "real-time-participant")
    assert (rec.stage_id, rec.session_id, rec.participant_id, rec.account_id) == ("stageA", "st-S1", "pX", None)
    assert rec.key.endswith("/media/hls/multivariant.m3u8")


def test_folders_that_are_not_recordings_clips_or_hidden_are_never_listed(any_storage: Storage) -> None:
    _participant(any_storage, T0, stage="stageA")
    any_storage.put("clips/0123456789abcdef/a/b/events/recording-ended.json", b"{}", "application/json")
    any_storage.put("notes/a/b/c/readme.txt", b"not IVS", "text/plain")
    any_storage.put("stageB/sess/part/2025-03-01T09-00-05Z/other/x.bin", b"x", "application/octet-stream")
    assert [r.stage_id for r in _list(any_storage).recordings] == ["stageA"]


def test_a_failed_participant_recording_keeps_its_status(any_storage: Storage) -> None:
    _participant(any_storage, T0, status="failed")
    _participant(any_storage, T0 + timedelta(minutes=5), status="recording", participant="p2")
    assert [(r.status, r.ended_at is None) for r in _list(any_storage).recordings] == [
        ("recording", True),
        ("failed", False),
    ]


# --- order and paging across kinds ---


def _mixed(storage: Any) -> list[str]:
    """LL and RT recordings interleaved in time; their keys newest first."""
    made = [
        _ll(storage, T0, "llA"),
        _participant(storage, T0 + timedelta(minutes=3), session="s1", participant="p1"),
        _ll(storage, T0 + timedelta(minutes=7), "llB", channel="chanB"),
        _participant(storage, T0 + timedelta(minutes=7, seconds=30), session="s2", participant="p1"),
        _participant(storage, T0 + timedelta(minutes=7, seconds=30), session="s2", participant="p2"),
        _ll(storage, T0 + timedelta(hours=2), "llC"),
        _participant(storage, T0 + timedelta(days=40), stage="stageZ", session="s3", participant="p9"),
    ]
    return [m.master_key for m in reversed(made)]


def test_low_latency_and_real_time_recordings_are_merged_newest_first(any_storage: Storage) -> None:
    expected = _mixed(any_storage)
    # p2 and p1 started the same second: ids descending, as within the LL tree.
    assert _keys(_list(any_storage)) == expected
    assert [k.split("/")[2] for k in expected[2:4]] == ["p2", "p1"]


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_cursor_pages_cover_every_recording_of_both_kinds_once_in_order(any_storage: Storage, limit: int) -> None:
    expected = _mixed(any_storage)
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        page = _list(any_storage, limit=limit, cursor=cursor)
        seen += _keys(page)
        if (cursor := page.next_cursor) is None:
            break
    assert seen == expected


def test_recordings_added_between_pages_neither_shift_nor_repeat(any_storage: Storage) -> None:
    expected = _mixed(any_storage)
    first = _list(any_storage, limit=3)
    _ll(any_storage, T0 + timedelta(days=50), "newLL")
    _participant(any_storage, T0 + timedelta(days=50), session="late", participant="p1")
    rest = _list(any_storage, limit=10, cursor=first.next_cursor)
    assert _keys(first) + _keys(rest) == expected


def test_a_composite_is_ordered_by_when_its_events_were_written(any_storage: Storage) -> None:
    """AWS documents no time in the composite folder: the first events file's date orders it."""
    _participant(any_storage, T0)
    write_fake_composite_recording(any_storage, started_at=T0 - timedelta(days=1))
    # written now, so newer than a recording that started in 2025
    assert [r.kind for r in _list(any_storage).recordings] == ["real-time-composite", "real-time-participant"]


# --- filters ---


def test_stage_filter_keeps_only_that_stages_real_time_recordings(any_storage: Storage) -> None:
    _mixed(any_storage)
    page = _list(any_storage, stage="stageZ")
    assert [(r.kind, r.stage_id) for r in page.recordings] == [("real-time-participant", "stageZ")]
    assert {r.kind for r in _list(any_storage, stage="stageAbCd1234").recordings} == {"real-time-participant"}


def test_channel_filter_keeps_only_low_latency_recordings(any_storage: Storage) -> None:
    _mixed(any_storage)
    assert [r.recording_id for r in _list(any_storage, channel="chanA").recordings] == ["llC", "llA"]


def test_time_window_bounds_real_time_recordings_too(any_storage: Storage) -> None:
    _mixed(any_storage)
    page = _list(any_storage, since=T0 + timedelta(minutes=3), until=T0 + timedelta(minutes=7, seconds=30))
    assert [r.key.split("/")[1:3] if r.stage_id else r.recording_id for r in page.recordings] == [
        "llB",
        ["s1", "p1"],
    ]


def test_channel_and_stage_together_are_refused(any_storage: Storage) -> None:
    with pytest.raises(ValueError):
        _list(any_storage, channel="chanA", stage="stageA")


def test_a_stage_prefix_lists_only_that_stage() -> None:
    """RECORDINGS_PREFIX=ivs/,<stage>/ (a deployed stage): the stage folder is a root of its own."""
    assert listing_roots(("ivs/", "stageA/"), "clips/") == ("ivs/", ("stageA/",), ("clips/", "ivs/", "stageA/"))
    assert listing_roots(("ivs/",), "clips/") == ("ivs/", (), ("clips/", "ivs/"))


def test_under_a_stage_prefix_other_stages_are_not_read(any_storage: Storage) -> None:
    _participant(any_storage, T0, stage="stageA")
    _participant(any_storage, T0, stage="stageB")
    page = list_recordings(any_storage, public_base_url=BASE, realtime_roots=("stageA/",))
    assert [r.stage_id for r in page.recordings] == ["stageA"]


# --- request cost on S3 ---

STAGES, SESSIONS, PARTICIPANTS, RECORDINGS_EACH = 2, 3, 2, 2
PAGE = 10


def _seed_realtime(endpoint: S3Endpoint, client: Any, *, heavy: bool) -> tuple[S3Storage, int]:
    """24 participant recordings over 2 stages x 3 sessions x 2 participants; 300 objects each if heavy."""
    bucket = endpoint.new_bucket(client, "rtcost")
    writer = direct_storage(bucket)
    options: dict[str, Any] = {"segments": 100, "thumbnails": 96} if heavy else {"segments": 1, "thumbnails": 1}
    objects = 0
    n = 0
    for s in range(STAGES):
        for session in range(SESSIONS):
            for p in range(PARTICIPANTS):
                for _ in range(RECORDINGS_EACH):
                    fake = write_fake_participant_recording(
                        writer, stage=f"stage{s}", session=f"st-{session}", participant=f"p{p}",
                        started_at=T0 + timedelta(minutes=17 * n), **options,
                    )  # fmt: skip
                    objects += len(fake.keys)
                    n += 1
    return S3Storage(bucket, client=client), objects


def test_real_time_listing_cost_is_independent_of_segment_count(s3_endpoint: S3Endpoint, s3_client: Any) -> None:
    light, light_objects = _seed_realtime(s3_endpoint, s3_client, heavy=False)
    heavy, heavy_objects = _seed_realtime(s3_endpoint, s3_client, heavy=True)
    assert heavy_objects > 20 * light_objects

    costs = []
    for storage in (light, heavy):
        with count_s3_requests(storage.client) as first:
            page1 = _list(storage, limit=PAGE)
        with count_s3_requests(storage.client) as second:
            page2 = _list(storage, limit=PAGE, cursor=page1.next_cursor)
        costs.append((first.total, second.total, _keys(page1) + _keys(page2)))
    assert costs[0] == costs[1]
    first_cost, second_cost, keys = costs[1]
    assert len(keys) == len(set(keys)) == 2 * PAGE
    # Walk: the LL tree's ivs/ root (empty here), the bucket root, each stage, each session, then
    # one "/media/" listing per participant folder; reads: the events file and media/hls/ per
    # recording on the page (the latest thumbnail is named by the events: no listing).
    walk = 2 + 1 + STAGES + STAGES * SESSIONS + STAGES * SESSIONS * PARTICIPANTS
    bound = walk + 2 * PAGE
    assert first_cost <= bound and second_cost <= bound, (first_cost, second_cost, bound)
