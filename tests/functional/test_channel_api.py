"""POST /clipmanifest by channel, live (last_seconds) and for IVS Real-Time recordings, with every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import m3u8
import pytest

from tests.support.api import Api
from tests.support.playlists import Seg, master, media
from tests.support.recordings import FIRST_PDT_OFFSET, write_fake_recording

T1 = datetime(2025, 3, 9, 23, 58, tzinfo=UTC)
T2 = datetime(2025, 3, 10, 0, 5, tzinfo=UTC)
TWO = (("720p30", 1280, 720), ("160p30", 284, 160))
ARN = "arn:aws:ivs:us-east-1:123456789012:channel/chanA"


def record(storage: Any, started: datetime, rid: str, **options: Any) -> Any:
    defaults: dict[str, Any] = {"renditions": TWO, "segments": 6, "thumbnails": 0}
    return write_fake_recording(storage, started_at=started, recording_id=rid, **(defaults | options))


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def api(file_storage: Any) -> Api:
    record(file_storage, T1, "recOne")
    record(file_storage, T2, "recTwo")
    return Api(file_storage)


def test_a_channel_clip_spans_recordings_and_lists_them_and_the_gap(api: Api) -> None:
    result = api.create(
        {"channel": "chanA", "start_time": iso(T1 + timedelta(seconds=25)), "end_time": iso(T2 + timedelta(seconds=35))}
    )
    assert result.status == 201, result.body
    body = result.body
    assert [r["id"] for r in body["recordings"]] == ["recOne", "recTwo"]
    assert body["gaps"] == [
        {"start_time": "2025-03-09T23:59:00.550Z", "end_time": "2025-03-10T00:05:00.550Z", "duration": 360.0}
    ]
    assert body["recording"]["id"] == "recOne"
    assert [r["name"] for r in body["renditions"]] == ["720p30", "160p30"]
    media_text = api.storage.get(f"clips/{body['clip_id']}/720p30.m3u8").decode()
    assert media_text.count("#EXT-X-DISCONTINUITY\n") == 1
    again = api.create({"channel": ARN, "start_time": T1.timestamp() + 25, "end_time": iso(T2 + timedelta(seconds=35))})
    assert again.status == 201 and again.body["clip_id"] != body["clip_id"]  # the ARN names the account too
    same = api.create({"channel": ARN, "start_time": T1.timestamp() + 25, "end_time": iso(T2 + timedelta(seconds=35))})
    assert same.status == 200 and same.body["clip_id"] == again.body["clip_id"]


def test_a_single_recording_clip_lists_its_recording_and_no_gaps(api: Api, file_storage: Any) -> None:
    rec = record(file_storage, T1 - timedelta(days=3), "recSolo")
    body = api.create({"master_url": rec.master_key, "start_time": 5, "end_time": 25}).body
    assert body["recordings"] == [
        {"id": "recSolo", "key": rec.master_key, "start_time": body["start_time"], "end_time": body["end_time"]}
    ]
    assert body["gaps"] == []


@pytest.mark.parametrize(
    ("fields", "status", "code", "field"),
    [
        ({"channel": "chanA", "master_url": "ivs/v1/x/master.m3u8"}, 400, "invalid_field", "channel"),
        ({"channel": "../ivs"}, 400, "invalid_field", "channel"),
        ({"channel": "arn:aws:ivs:us-east-1:123456789012:stage/abc"}, 400, "invalid_field", "channel"),
        ({"channel": "chanA", "start_time": 5, "end_time": 25}, 400, "invalid_time", "start_time"),
        ({"channel": "nobody"}, 404, "not_found", "channel"),
        (
            {
                "channel": "chanA",
                "start_time": iso(T1 + timedelta(minutes=2)),
                "end_time": iso(T1 + timedelta(minutes=3)),
            },
            422,
            "out_of_range",
            "start_time",
        ),
        (
            {"channel": "chanA", "last_seconds": 0, "start_time": None, "end_time": None},
            400,
            "invalid_field",
            "last_seconds",
        ),
        (
            {"channel": "chanA", "last_seconds": True, "start_time": None, "end_time": None},
            400,
            "invalid_field",
            "last_seconds",
        ),
        (
            {"channel": "chanA", "last_seconds": 90_000, "start_time": None, "end_time": None},
            400,
            "invalid_field",
            "last_seconds",
        ),
        ({"channel": "chanA", "last_seconds": 10}, 400, "invalid_field", "last_seconds"),
        ({"master_url": "clips/abc.m3u8"}, 400, "invalid_master_url", "master_url"),
        ({"master_url": "rt/../clips/abc.m3u8"}, 400, "invalid_master_url", "master_url"),
        ({"master_url": "rt/s/p/t/media/hls/multivariant.json"}, 400, "invalid_master_url", "master_url"),
    ],
)
def test_refusals(api: Api, fields: dict[str, Any], status: int, code: str, field: str) -> None:
    body = {"start_time": iso(T1 + timedelta(seconds=5)), "end_time": iso(T1 + timedelta(seconds=30)), **fields}
    body = {k: v for k, v in body.items() if v is not None}
    result = api.create(body)
    assert (result.status, result.body["code"], result.body.get("field")) == (status, code, field), result.body


def test_a_window_in_a_gap_names_the_nearest_recordings(api: Api) -> None:
    result = api.create(
        {"channel": "chanA", "start_time": iso(T1 + timedelta(minutes=2)), "end_time": iso(T1 + timedelta(minutes=3))}
    )
    assert [a["id"] for a in result.body["available"]] == ["recOne", "recTwo"]


def test_no_common_rendition_is_422(file_storage: Any) -> None:
    record(file_storage, T1, "recOne", renditions=(("720p30", 1280, 720),))
    record(file_storage, T2, "recTwo", renditions=(("480p30", 852, 480),))
    result = Api(file_storage).create(
        {"channel": "chanA", "start_time": iso(T1 + timedelta(seconds=25)), "end_time": iso(T2 + timedelta(seconds=35))}
    )
    assert (result.status, result.body["code"]) == (422, "no_common_rendition")
    assert "720p30" in result.body["error"] and "480p30" in result.body["error"]


# --- live ----------------------------------------------------------------------------------


def test_live_clips_follow_a_growing_recording(file_storage: Any) -> None:
    live = {"status": "recording", "renditions": TWO, "thumbnails": 0, "byte_range": False}
    rec = write_fake_recording(file_storage, started_at=T1, recording_id="recLive", segments=3, **live)
    api = Api(file_storage)
    for request in ({"master_url": rec.master_key, "last_seconds": 15}, {"channel": "chanA", "last_seconds": 15}):
        first = api.create(request)
        assert first.status == 201, first.body
        assert first.body["end_time"] == (T1 + FIRST_PDT_OFFSET + timedelta(seconds=30)).isoformat()[:23] + "Z"
        text = file_storage.get(first.body["key"].replace(".m3u8", "/720p30.m3u8")).decode()
        assert m3u8.loads(text).is_endlist and "#EXT-X-PLAYLIST-TYPE:VOD" in text
        assert api.create(request).body["clip_id"] == first.body["clip_id"]  # nothing new yet: same clip
    write_fake_recording(file_storage, started_at=T1, recording_id="recLive", segments=5, **live)  # IVS appends
    for request in ({"master_url": rec.master_key, "last_seconds": 15}, {"channel": "chanA", "last_seconds": 15}):
        later = api.create(request)
        assert later.status == 201
        assert later.body["end_time"] == (T1 + FIRST_PDT_OFFSET + timedelta(seconds=50)).isoformat()[:23] + "Z"
        assert (
            later.body["requested"]["start_time"]
            == (T1 + FIRST_PDT_OFFSET + timedelta(seconds=35)).isoformat()[:23] + "Z"
        )


# --- IVS Real-Time ---------------------------------------------------------------------------

STAGE = "AbCdEfGh1234"
PARTICIPANT = f"{STAGE}/st-SessionA1/PartA1b2c3/2025-03-10T00-05-00Z"
COMPOSITE = f"{STAGE}/CompoX1y2z3/DestA1b2c3/composite"
RT_START = datetime(2025, 3, 10, 0, 5, 0, 120000, tzinfo=UTC)


def write_participant(storage: Any, prefix: str = PARTICIPANT) -> str:
    """An RT individual recording: fMP4, one ``high`` rendition, a date only at the start and after a break."""
    segs = [Seg("3.30091", uri="0.mp4", map="init-0.mp4"), Seg("5.63794", uri="1.mp4", pdt=False)]
    segs += [Seg("2.54412", uri="2.mp4", discontinuity=True, map="init-1.mp4", pdt="2025-03-10T00:05:52.772Z")]
    segs += [Seg("5.63649", uri="3.mp4", pdt=False)]
    text = media(segs, start=RT_START, version=7, playlist_type="VOD", media_sequence=None)
    hls = f"{prefix}/media/hls"
    storage.put(f"{hls}/multivariant.m3u8", master([("high/playlist.m3u8", 720)]).encode(), "application/x-mpegurl")
    storage.put(f"{hls}/high/playlist.m3u8", text.encode(), "application/x-mpegurl")
    return f"{hls}/multivariant.m3u8"


def write_composite(storage: Any, prefix: str = COMPOSITE) -> str:
    """An RT composite recording: .ts segments of 2 s, no dates, renditions with hash suffixes."""
    hls = f"{prefix}/media/hls"
    names = ("720p30-abcdeABCDE12", "360p30-fghijFGHIJ34")
    storage.put(
        f"{hls}/multivariant.m3u8",
        master([(f"{n}/playlist.m3u8", 720 if i == 0 else 360) for i, n in enumerate(names)]).encode(),
        "application/x-mpegurl",
    )
    for name in names:
        text = media([Seg("2.000", pdt=False) for _ in range(20)], target=2, playlist_type="VOD")
        storage.put(f"{hls}/{name}/playlist.m3u8", text.encode(), "application/x-mpegurl")
    return f"{hls}/multivariant.m3u8"


def test_a_real_time_participant_recording_is_clipped_by_its_dates(file_storage: Any) -> None:
    key = write_participant(file_storage)
    result = Api(file_storage).create(
        {"master_url": key, "start_time": "2025-03-10T00:05:53Z", "end_time": "2025-03-10T00:05:56Z"}
    )
    assert result.status == 201, result.body
    assert result.body["recordings"][0]["key"] == key
    text = file_storage.get(result.body["renditions"][0]["url"].split(".net/", 1)[1]).decode()
    assert '#EXT-X-MAP:URI="../../' + PARTICIPANT + '/media/hls/high/init-1.mp4"' in text
    assert text.count(".mp4\n") == 2 or "2.mp4" in text


def test_a_real_time_composite_recording_is_clipped_by_relative_seconds(file_storage: Any) -> None:
    key = write_composite(file_storage)
    api = Api(file_storage)
    result = api.create({"master_url": key, "start_time": 4, "end_time": 9})
    assert result.status == 201, result.body
    assert [r["segments"] for r in result.body["renditions"]] == [3, 3]
    live = api.create({"master_url": key, "last_seconds": 6})
    assert live.status == 201 and live.body["requested"]["start_seconds"] == 34.0
