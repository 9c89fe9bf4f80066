"""POST /clips/{clip_id}/promote: the clip owns copies of exactly the bytes it plays."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support.api import PUBLIC_BASE_URL
from tests.support.lifecycle import (
    RANGE_BYTES,
    FaultyStore,
    LifecycleApi,
    all_keys,
    clip_keys,
    delete_recording,
    made,
    played_bytes,
    seed_media,
)


@pytest.fixture
def api(any_storage: Any) -> LifecycleApi:
    seed_media(any_storage, thumbnails=3)
    return LifecycleApi(any_storage)


@pytest.mark.parametrize("byte_range", [False, True])
def test_a_promoted_clip_plays_the_same_bytes_after_the_recording_is_deleted(
    api: LifecycleApi, any_storage: Any, byte_range: bool
) -> None:
    clip = made(api, byte_range=byte_range)
    before = played_bytes(any_storage, clip["key"])
    assert api.promote(clip["clip_id"]).status == 200
    delete_recording(any_storage)
    after = played_bytes(any_storage, clip["key"])
    assert after == before
    assert sum(len(chunks) for chunks in after.values()) == 20  # 10 segments in each of 2 renditions


def test_promotion_answers_the_owned_document_and_get_agrees(api: LifecycleApi) -> None:
    clip = made(api)
    result = api.promote(clip["clip_id"])
    assert result.status == 200
    assert result.body["owned"] is True
    assert result.body["clip_url"] == clip["clip_url"]  # the public URL does not move
    for rendition in result.body["renditions"]:
        assert rendition["url"].startswith(f"{PUBLIC_BASE_URL}/clips/{clip['clip_id']}/owned/")
    assert api.get(clip["clip_id"]).body == result.body


def test_plain_clips_copy_whole_segment_files_and_only_those_it_uses(api: LifecycleApi, any_storage: Any) -> None:
    clip_id = made(api)["clip_id"]  # 10..30 s: segments 5..14
    api.promote(clip_id)
    media = sorted(k for k in all_keys(any_storage, f"clips/{clip_id}/media/"))
    assert media == sorted(f"clips/{clip_id}/media/{r}/{i}.ts" for r in ("720p30", "360p30") for i in range(5, 15))


def test_byte_range_clips_copy_only_their_ranges_with_new_offsets(api: LifecycleApi, any_storage: Any) -> None:
    clip = made(api, byte_range=True)  # ranges 5000..15000 of each all.ts
    api.promote(clip["clip_id"])
    copy = any_storage.get(f"clips/{clip['clip_id']}/media/720p30/all.ts")
    assert len(copy) == 10 * RANGE_BYTES
    playlist = any_storage.get(f"clips/{clip['clip_id']}/owned/720p30.m3u8").decode()
    offsets = [line.split("@")[1] for line in playlist.splitlines() if line.startswith("#EXT-X-BYTERANGE")]
    assert offsets == [str(i * RANGE_BYTES) for i in range(10)]


def test_promotion_keeps_every_other_playlist_line_as_it_was(api: LifecycleApi, any_storage: Any) -> None:
    clip = made(api, byte_range=True)
    old = any_storage.get(f"clips/{clip['clip_id']}/720p30.m3u8").decode().splitlines()
    api.promote(clip["clip_id"])
    new = any_storage.get(f"clips/{clip['clip_id']}/owned/720p30.m3u8").decode().splitlines()
    assert len(old) == len(new)
    changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    assert changed and all(not a.startswith("#") or a.startswith("#EXT-X-BYTERANGE") for a, _ in changed)


def test_the_poster_is_copied_too(api: LifecycleApi, any_storage: Any) -> None:
    clip = made(api)
    poster = any_storage.get(clip["thumbnail_url"].removeprefix(PUBLIC_BASE_URL + "/"))
    owned = api.promote(clip["clip_id"]).body
    assert owned["thumbnail_url"] == f"{PUBLIC_BASE_URL}/clips/{clip['clip_id']}/poster.jpg"
    delete_recording(any_storage)
    assert any_storage.get(f"clips/{clip['clip_id']}/poster.jpg") == poster


def test_a_second_promote_is_200_with_the_same_document_and_copies_nothing(api: LifecycleApi, any_storage: Any) -> None:
    clip_id = made(api)["clip_id"]
    first = api.promote(clip_id)
    counting = FaultyStore(any_storage)
    second = LifecycleApi(counting, clock=api.clock).promote(clip_id)
    assert (second.status, second.body) == (200, first.body)
    assert counting.changes == 0
    assert api.events.types().count("Clip Promoted") == 1


def test_promote_of_an_unknown_clip_is_404_and_a_malformed_id_400(api: LifecycleApi) -> None:
    assert api.promote("0123456789abcdef01234567").status == 404
    result = api.promote("nope")
    assert (result.status, result.body["field"]) == (400, "clip_id")


def test_promotion_after_the_recording_is_gone_is_410(api: LifecycleApi, any_storage: Any) -> None:
    clip_id = made(api)["clip_id"]
    delete_recording(any_storage)
    result = api.promote(clip_id)
    assert (result.status, result.body["code"]) == (410, "gone")
    assert api.get(clip_id).body["owned"] is False


def _changes_of_a_promotion(any_storage: Any, byte_range: bool) -> int:
    api = LifecycleApi(any_storage)
    clip_id = made(api, byte_range=byte_range)["clip_id"]
    counting = FaultyStore(any_storage)
    assert LifecycleApi(counting, clock=api.clock).promote(clip_id).status == 200
    assert api.delete(clip_id).status == 204
    return counting.changes


@pytest.mark.parametrize("byte_range", [False, True])
def test_a_fault_at_any_step_of_a_promotion_leaves_a_playable_clip_and_a_retry_completes_it(
    any_storage: Any, byte_range: bool
) -> None:
    seed_media(any_storage, thumbnails=1)
    steps = _changes_of_a_promotion(any_storage, byte_range)
    assert steps >= 6  # copies, poster, two playlists, the master, the record
    for fail_at in range(1, steps + 1):
        api = LifecycleApi(any_storage)
        clip = made(api, byte_range=byte_range)
        expected = played_bytes(any_storage, clip["key"])
        failed = LifecycleApi(FaultyStore(any_storage, fail_at), clock=api.clock).promote(clip["clip_id"])
        assert (failed.status, failed.body["code"]) == (503, "storage_unavailable"), fail_at
        assert played_bytes(any_storage, clip["key"]) == expected, fail_at  # old or new: same bytes
        state = api.get(clip["clip_id"]).body
        for rendition in state["renditions"]:  # the record's playlists exist and play too
            assert any_storage.get(rendition["url"].removeprefix(PUBLIC_BASE_URL + "/"))
        retried = api.promote(clip["clip_id"])
        assert retried.status == 200 and retried.body["owned"] is True
        assert played_bytes(any_storage, clip["key"]) == expected
        assert api.delete(clip["clip_id"]).status == 204
        assert clip_keys(any_storage, clip["clip_id"]) == []


def test_fifty_concurrent_promotes_give_one_owned_clip(api: LifecycleApi, any_storage: Any) -> None:
    clip = made(api, byte_range=True)
    expected = played_bytes(any_storage, clip["key"])
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: api.promote(clip["clip_id"]), range(50)))
    assert {r.status for r in results} == {200}
    assert all(r.body["owned"] for r in results)
    delete_recording(any_storage)
    assert played_bytes(any_storage, clip["key"]) == expected
    assert api.get(clip["clip_id"]).body["renditions"] == results[-1].body["renditions"]
