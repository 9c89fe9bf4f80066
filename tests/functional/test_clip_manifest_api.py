"""POST /clipmanifest end to end: event in, playlists and metadata stored, JSON out."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from handlers.clips.store import ClipStore
from tests.support.api import PUBLIC_BASE_URL, REC_ROOT, Api, FaultyStorage, http_event, seed_recording

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
MASTER = f"{REC_ROOT}/master.m3u8"


def body(**overrides: Any) -> dict[str, Any]:
    return {"master_url": MASTER, "start_time": 10, "end_time": 30, "byte_range": False, **overrides}


def test_new_clip_is_201_with_every_documented_field(any_storage: Any) -> None:
    seed_recording(any_storage)
    result = Api(any_storage).create(body(title="Goal"))
    assert result.status == 201
    clip = result.body
    for name in (
        "clip_id",
        "clip_url",
        "duration",
        "created_at",
        "start_time",
        "end_time",
        "requested",
        "start_offset",
        "byte_range",
        "title",
        "recording",
        "renditions",
        "key",
    ):
        assert name in clip, name
    assert clip["clip_url"] == f"{PUBLIC_BASE_URL}/clips/{clip['clip_id']}.m3u8"
    assert clip["key"] == f"clips/{clip['clip_id']}.m3u8"
    assert clip["recording"] == {**clip["recording"], "key": MASTER, "url": f"{PUBLIC_BASE_URL}/{MASTER}"}
    assert clip["title"] == "Goal" and clip["byte_range"] is False


def test_times_are_iso_utc_with_milliseconds(file_storage: Any) -> None:
    seed_recording(file_storage)
    clip = Api(file_storage).create(body()).body
    for value in (clip["created_at"], clip["start_time"], clip["end_time"], *clip["requested"].values()):
        if isinstance(value, str):
            assert ISO_MS.match(value), value
    assert clip["requested"]["start_time"] == "2024-05-01T12:00:10.000Z"
    assert clip["start_time"] == "2024-05-01T12:00:10.000Z"
    assert clip["duration"] == 20.0


def test_renditions_are_listed_with_their_urls_and_segments(file_storage: Any) -> None:
    seed_recording(file_storage)
    clip = Api(file_storage).create(body()).body
    names = [r["name"] for r in clip["renditions"]]
    assert sorted(names) == ["360p30", "720p30"]
    for rendition in clip["renditions"]:
        assert rendition["url"] == f"{PUBLIC_BASE_URL}/clips/{clip['clip_id']}/{rendition['name']}.m3u8"
        assert rendition["segments"] == 10 and rendition["duration"] == 20.0


def test_layout_is_master_renditions_and_metadata_document(file_storage: Any) -> None:
    seed_recording(file_storage)
    clip_id = Api(file_storage).create(body()).body["clip_id"]
    master = file_storage.get(f"clips/{clip_id}.m3u8").decode()
    assert f"{clip_id}/720p30.m3u8" in master
    media = file_storage.get(f"clips/{clip_id}/720p30.m3u8").decode()
    assert f"../../{REC_ROOT}/720p30/5.ts" in media
    doc = json.loads(file_storage.get(f"clips/{clip_id}.json"))
    assert doc["clip_id"] == clip_id and doc["recording"]["key"] == MASTER


def test_playlists_are_stored_with_the_hls_content_type(s3_storage: Any, s3_client: Any) -> None:
    seed_recording(s3_storage)
    clip_id = Api(s3_storage).create(body()).body["clip_id"]
    for key in (f"clips/{clip_id}.m3u8", f"clips/{clip_id}/360p30.m3u8"):
        head = s3_client.head_object(Bucket=s3_storage.bucket, Key=key)
        assert head["ContentType"] == "application/vnd.apple.mpegurl"


def test_repeated_request_answers_200_with_the_same_clip_and_writes_nothing(file_storage: Any) -> None:
    seed_recording(file_storage)
    counting = FaultyStorage(file_storage)
    api = Api(counting)
    first = api.create(body())
    writes = counting.puts
    second = api.create(body())
    assert (first.status, second.status) == (201, 200)
    assert second.body == first.body
    assert counting.puts == writes


def test_every_form_of_master_url_names_the_same_clip(s3_storage: Any) -> None:
    seed_recording(s3_storage)
    api = Api(s3_storage)
    forms = [MASTER, f"{PUBLIC_BASE_URL}/{MASTER}", f"s3://{s3_storage.bucket}/{MASTER}"]
    ids = {api.create(body(master_url=form)).body["clip_id"] for form in forms}
    assert len(ids) == 1


def test_window_and_options_give_distinct_clips(file_storage: Any) -> None:
    seed_recording(file_storage)
    api = Api(file_storage)
    variants = [
        body(),
        body(end_time=31),
        body(boundary="inner"),
        body(byte_range=True),
    ]
    ids = [api.create(v).body["clip_id"] for v in variants]
    assert len(set(ids)) == len(ids)


def test_the_same_window_as_relative_epoch_or_iso_time_is_one_clip(file_storage: Any) -> None:
    seed_recording(file_storage)
    api = Api(file_storage)
    first = api.create(body(start_time=11, end_time=30))
    forms = [
        body(start_time=1714564811, end_time=30),
        body(start_time="2024-05-01T12:00:11Z", end_time="2024-05-01T12:00:30.000Z"),
        body(start_time="2024-05-01T14:00:11+02:00", end_time=1714564830.0),
    ]
    again = [api.create(form) for form in forms]
    assert first.status == 201
    assert [(r.status, r.body["clip_id"]) for r in again] == [(200, first.body["clip_id"])] * 3


def test_title_does_not_change_the_clip(file_storage: Any) -> None:
    seed_recording(file_storage)
    api = Api(file_storage)
    first = api.create(body(title="a"))
    again = api.create(body(title="b"))
    assert again.status == 200 and again.body["clip_id"] == first.body["clip_id"]
    assert again.body["title"] == "a"


def test_start_at_zero_is_the_recording_start(file_storage: Any) -> None:
    seed_recording(file_storage)
    clip = Api(file_storage).create(body(start_time=0, end_time=4)).body
    assert clip["start_time"] == "2024-05-01T12:00:00.000Z"


def test_byte_range_clip_points_at_byte_ranges(file_storage: Any) -> None:
    seed_recording(file_storage)
    clip = Api(file_storage).create(body(byte_range=True)).body
    assert clip["byte_range"] is True
    media = file_storage.get(f"clips/{clip['clip_id']}/720p30.m3u8").decode()
    assert "#EXT-X-BYTERANGE:" in media


def test_byte_range_without_its_playlist_is_404(file_storage: Any) -> None:
    seed_recording(file_storage, byte_range=False)
    result = Api(file_storage).create(body(byte_range=True))
    assert (result.status, result.body["code"]) == (404, "no_byte_range")


def test_missing_recording_is_404(file_storage: Any) -> None:
    result = Api(file_storage).create(body())
    assert (result.status, result.body["code"]) == (404, "not_found")
    assert result.body["field"] == "master_url"


def test_window_outside_the_recording_is_422_with_the_available_range(file_storage: Any) -> None:
    seed_recording(file_storage)
    result = Api(file_storage).create(body(start_time=100, end_time=500))
    assert (result.status, result.body["code"]) == (422, "out_of_range")
    assert result.body["available"]["start_time"] == "2024-05-01T12:00:00.000Z"
    assert result.body["available"]["end_seconds"] == 120.0


def test_window_longer_than_the_configured_maximum_is_400(file_storage: Any) -> None:
    seed_recording(file_storage)
    api = Api(file_storage)
    api = Api(file_storage, settings=replace(api.settings, max_clip_seconds=5))
    result = api.create(body())
    assert (result.status, result.body["code"]) == (400, "invalid_window")


def test_listed_origin_is_echoed_in_cors_headers(file_storage: Any) -> None:
    seed_recording(file_storage)
    api = Api(file_storage)
    api = Api(file_storage, settings=replace(api.settings, cors_allow_origins=("https://app.example",)))
    result = api.create(body(), headers={"origin": "https://app.example"})
    assert result.headers["access-control-allow-origin"] == "https://app.example"


def test_request_id_is_in_the_log_line(file_storage: Any, capsys: Any) -> None:
    seed_recording(file_storage)
    Api(file_storage).create(body(), request_id="req-xyz")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert any(line["request_id"] == "req-xyz" and line["status"] == 201 for line in lines)


def test_the_log_line_says_which_clip_was_made_and_how_long_the_engine_took(file_storage: Any, capsys: Any) -> None:
    seed_recording(file_storage)
    made = Api(file_storage).create(body(), request_id="req-1").body
    Api(file_storage).create(body(), request_id="req-2")
    lines = {line["request_id"]: line for line in map(json.loads, capsys.readouterr().out.splitlines())}
    first, again = lines["req-1"], lines["req-2"]
    assert first["clip_id"] == made["clip_id"] and first["existing"] is False
    assert first["renditions"] == len(made["renditions"]) and first["engine_ms"] >= 0
    assert first["recording"] == made["recording"]["key"]
    assert again["clip_id"] == made["clip_id"] and again["existing"] is True


def _concurrently(api: Api, bodies: list[dict[str, Any]]) -> list[Any]:
    events = [http_event("POST", "/clipmanifest", b) for b in bodies]
    with ThreadPoolExecutor(max_workers=len(events)) as pool:
        return list(pool.map(lambda e: api.clip_handler(e, None), events))


def test_fifty_concurrent_identical_requests_make_one_clip(any_storage: Any) -> None:
    seed_recording(any_storage)
    api = Api(any_storage)
    results = [json.loads(r["body"]) | {"_status": r["statusCode"]} for r in _concurrently(api, [body()] * 50)]
    assert sorted({r["_status"] for r in results}) in ([200, 201], [201])
    assert sum(r["_status"] == 201 for r in results) == 1
    assert len({r["clip_id"] for r in results}) == 1
    assert len({r["created_at"] for r in results}) == 1
    assert len(api.clips().body["clips"]) == 1


def test_fifty_concurrent_distinct_requests_make_fifty_clips(any_storage: Any) -> None:
    seed_recording(any_storage)
    api = Api(any_storage)
    results = _concurrently(api, [body(start_time=i, end_time=i + 10) for i in range(50)])
    assert [r["statusCode"] for r in results] == [201] * 50
    listed = api.clips(limit="200").body
    assert len(listed["clips"]) == 50 and listed["next_cursor"] is None
    assert len(ClipStore(any_storage).list_page(limit=200).clips) == 50
