"""The stored clip document: version 3 round-trips, and version 1/2 documents still read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from handlers.clips.record import RECORD_VERSION, ClipRecord, DamagedRecord, Mp4State
from handlers.clips.view import clip_view

BASE = "https://cdn.example.com"


def v2_document(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "v": 2,
        "clip_id": "6df85c73c46fb0080ccc2f1b",
        "key": "clips/6df85c73c46fb0080ccc2f1b.m3u8",
        "created_at": "2026-11-24T06:58:18.284Z",
        "title": "Goal",
        "start_time": "2024-05-06T07:08:09.123Z",
        "end_time": "2024-05-06T07:08:40.455Z",
        "start_seconds": 0.0,
        "end_seconds": 31.332,
        "duration": 31.332,
        "start_offset": 5.0,
        "requested": {"start_time": None, "end_time": None, "start_seconds": 5.0, "end_seconds": 25.0},
        "byte_range": False,
        "boundary": "outer",
        "recording": {"id": "SampleRec001", "key": "ivs/v1/a/b/media/hls/master.m3u8", "prefix": "ivs/v1/a/b/"},
        "renditions": [
            {
                "name": "360p30",
                "kind": "variant",
                "key": "clips/6df85c73c46fb0080ccc2f1b/360p30.m3u8",
                "segments": 3,
                "duration": 31.332,
            }
        ],
        "notices": [],
    }
    doc.update(changes)
    return doc


def test_a_version_2_document_reads_as_not_owned_never_expiring_without_poster_or_mp4() -> None:
    record = ClipRecord.from_json(v2_document())
    assert (record.owned, record.expires_at, record.thumbnail_key, record.mp4) == (False, None, None, None)
    assert record.version == 2


def test_a_version_1_document_without_v_reads_too() -> None:
    doc = v2_document()
    del doc["v"]
    assert ClipRecord.from_json(doc).version == 1


def test_rewriting_an_old_document_writes_the_current_version_with_defaults() -> None:
    record = ClipRecord.from_json(v2_document())
    doc = record.with_changes(version=RECORD_VERSION).to_json()
    assert doc["v"] == 3 and doc["owned"] is False and doc["expires_at"] is None and "mp4" not in doc


def test_version_3_fields_round_trip() -> None:
    mp4 = Mp4State("failed", key=None, rendition="360p30", duration=None, size=None, error="no keyframe")
    doc = v2_document(
        v=3, owned=True, expires_at="2030-01-01T00:00:00.000Z", thumbnail_key="clips/x/poster.jpg", mp4=mp4.to_json()
    )
    record = ClipRecord.from_json(doc)
    assert record.owned is True
    assert record.expires_at == datetime(2030, 1, 1, tzinfo=UTC)
    assert record.mp4 == mp4
    again = ClipRecord.from_json(record.to_json())
    assert (again.owned, again.expires_at, again.thumbnail_key, again.mp4) == (
        True,
        record.expires_at,
        doc["thumbnail_key"],
        mp4,
    )


def test_fields_of_a_newer_version_are_kept_on_rewrite() -> None:
    record = ClipRecord.from_json(v2_document(v=4, future={"x": 1}))
    assert record.to_json()["future"] == {"x": 1}


@pytest.mark.parametrize(
    "changes",
    [
        {"expires_at": "tomorrow"},
        {"expires_at": 5},
        {"mp4": {"status": "done"}},
        {"mp4": "ready"},
        {"mp4": {"status": "ready", "size": "big"}},
    ],
)
def test_damaged_lifecycle_fields_are_a_damaged_record(changes: dict[str, Any]) -> None:
    with pytest.raises(DamagedRecord):
        ClipRecord.from_json(v2_document(**changes))


def test_expired_is_inclusive_of_the_expiry_instant() -> None:
    record = ClipRecord.from_json(v2_document(expires_at="2030-01-01T00:00:00.000Z"))
    assert not record.expired(datetime(2029, 12, 31, 23, 59, 59, 999000, tzinfo=UTC))
    assert record.expired(datetime(2030, 1, 1, tzinfo=UTC))
    assert not ClipRecord.from_json(v2_document()).expired(datetime(9000, 1, 1, tzinfo=UTC))


def test_the_view_gives_urls_for_the_poster_and_the_mp4_and_hides_their_keys() -> None:
    mp4 = Mp4State("ready", key="clips/6df85c73c46fb0080ccc2f1b.mp4", rendition="360p30", duration=31.3, size=9)
    record = ClipRecord.from_json(v2_document(thumbnail_key="ivs/v1/a/b/media/thumbnails/thumb0.jpg"))
    view = clip_view(record.with_changes(mp4=mp4), BASE)
    assert view["thumbnail_url"] == f"{BASE}/ivs/v1/a/b/media/thumbnails/thumb0.jpg"
    assert "thumbnail_key" not in view
    assert view["mp4"]["url"] == f"{BASE}/clips/6df85c73c46fb0080ccc2f1b.mp4"
    assert view["mp4"]["status"] == "ready"


def test_the_view_has_no_mp4_field_without_an_export() -> None:
    view = clip_view(ClipRecord.from_json(v2_document()), BASE)
    assert "mp4" not in view and view["thumbnail_url"] is None and view["owned"] is False
