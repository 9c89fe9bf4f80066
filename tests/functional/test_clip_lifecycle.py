"""GET and DELETE /clips/{clip_id}, expiry and the sweep, posters: the clip lifecycle over both stores."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from handlers.clips.store import ClipStore
from tests.support.api import PUBLIC_BASE_URL, REC_ROOT, seed_recording
from tests.support.lifecycle import (
    MASTER,
    T0,
    FaultyStore,
    LifecycleApi,
    all_keys,
    clip_keys,
    made,
    seed_media,
)

OTHER_ROOT = REC_ROOT.replace("RecOne123456", "RecTwo654321")


@pytest.fixture
def api(any_storage: Any) -> LifecycleApi:
    seed_media(any_storage, thumbnails=3)
    return LifecycleApi(any_storage)


# --- GET ---


def test_get_answers_the_clip_document_with_its_lifecycle_fields(api: LifecycleApi) -> None:
    clip = made(api, title="Goal")
    result = api.get(clip["clip_id"])
    assert result.status == 200
    assert result.body == clip
    assert result.body["owned"] is False and result.body["expires_at"] is None
    assert "mp4" not in result.body


def test_get_of_an_unknown_id_is_404(api: LifecycleApi) -> None:
    result = api.get("0123456789abcdef01234567")
    assert (result.status, result.body["code"]) == (404, "not_found")


@pytest.mark.parametrize("bad", ["XYZ", "0123", "0123456789ABCDEF01234567", "..", "a" * 65])
def test_get_of_a_malformed_id_is_400(api: LifecycleApi, bad: str) -> None:
    result = api.get(bad)
    assert (result.status, result.body["code"], result.body["field"]) == (400, "invalid_parameter", "clip_id")


def test_get_shows_the_mp4_state_with_its_url(api: LifecycleApi) -> None:
    from handlers.clips.record import Mp4State

    clip_id = made(api)["clip_id"]
    record = api.store.read(clip_id)
    assert record is not None
    mp4 = Mp4State("ready", key=f"clips/{clip_id}.mp4", rendition="720p30", duration=20.0, size=1234)
    api.store.replace_record(record.with_changes(mp4=mp4))
    body = api.get(clip_id).body
    assert body["mp4"] == {**mp4.to_json(), "url": f"{PUBLIC_BASE_URL}/clips/{clip_id}.mp4"}


def test_other_methods_are_405(api: LifecycleApi) -> None:
    from tests.support.api import call

    result = call(api.by_id, "PUT", "/clips/0123456789abcdef01234567")
    assert (result.status, result.body["code"]) == (405, "method_not_allowed")
    assert result.headers["allow"] == "GET, DELETE"


# --- posters ---


def test_thumbnail_is_the_one_nearest_the_clip_start_by_the_events_interval(any_storage: Any) -> None:
    seed_media(any_storage, thumbnails=4, interval=10)
    clip = made(LifecycleApi(any_storage), start_time=14, end_time=30)  # 14 s → thumb1 (10 s)
    assert clip["thumbnail_url"].endswith("/RecOne123456/media/thumbnails/thumb1.jpg")
    later = made(LifecycleApi(any_storage), start_time=16, end_time=30)  # 16 s → thumb2 (20 s)
    assert later["thumbnail_url"].endswith("/thumb2.jpg")


def test_thumbnail_is_bounded_by_the_thumbnails_that_exist(any_storage: Any) -> None:
    seed_media(any_storage, thumbnails=2, interval=5)
    clip = made(LifecycleApi(any_storage), start_time=100, end_time=110)  # wants thumb20
    assert clip["thumbnail_url"].endswith("/thumb1.jpg")


def test_thumbnail_interval_defaults_to_the_setting(any_storage: Any) -> None:
    seed_media(any_storage, thumbnails=5)
    api = LifecycleApi(any_storage, overrides={"thumbnail_interval_seconds": 20.0})
    assert made(api, start_time=40, end_time=50)["thumbnail_url"].endswith("/thumb2.jpg")


def test_thumbnail_is_null_without_thumbnails(any_storage: Any) -> None:
    seed_recording(any_storage)
    assert made(LifecycleApi(any_storage))["thumbnail_url"] is None


# --- DELETE ---


def test_delete_is_204_and_removes_every_object_of_the_clip(api: LifecycleApi, any_storage: Any) -> None:
    clip_id = made(api)["clip_id"]
    any_storage.put(f"clips/{clip_id}.mp4", b"mp4", "video/mp4")
    assert api.promote(clip_id).status == 200  # owned copies and a poster copy too
    assert any(k.startswith(f"clips/{clip_id}/media/") for k in clip_keys(any_storage, clip_id))
    result = api.delete(clip_id)
    assert (result.status, result.body) == (204, None)
    assert clip_keys(any_storage, clip_id) == []


def test_after_delete_get_is_404_it_is_unlisted_and_a_second_delete_is_404(api: LifecycleApi) -> None:
    clip_id = made(api)["clip_id"]
    assert api.delete(clip_id).status == 204
    assert api.get(clip_id).status == 404
    assert api.listed() == [] and api.listed(recording="RecOne123456") == []
    again = api.delete(clip_id)
    assert (again.status, again.body["code"]) == (404, "not_found")


def test_the_same_post_makes_a_deleted_clip_again(api: LifecycleApi) -> None:
    first = made(api)
    assert api.delete(first["clip_id"]).status == 204
    second = api.create()
    assert second.status == 201 and second.body["clip_id"] == first["clip_id"]
    assert api.get(first["clip_id"]).status == 200
    assert api.listed() == [first["clip_id"]]


def test_deleting_one_clip_leaves_other_clips_and_the_recording(api: LifecycleApi, any_storage: Any) -> None:
    keep = made(api, start_time=0, end_time=8)["clip_id"]
    gone = made(api)["clip_id"]
    before_keep = clip_keys(any_storage, keep)
    recording = all_keys(any_storage, "ivs/")
    assert api.delete(gone).status == 204
    assert clip_keys(any_storage, keep) == before_keep
    assert all_keys(any_storage, "ivs/") == recording
    assert api.get(keep).status == 200 and api.listed() == [keep]


def test_delete_of_an_unknown_id_is_404_and_touches_nothing(api: LifecycleApi, any_storage: Any) -> None:
    made(api)
    before = all_keys(any_storage)
    result = api.delete("0123456789abcdef01234567")
    assert (result.status, result.body["code"]) == (404, "not_found")
    assert all_keys(any_storage) == before


def test_delete_of_a_malformed_id_is_400(api: LifecycleApi) -> None:
    result = api.delete("not-an-id")
    assert (result.status, result.body["field"]) == (400, "clip_id")


def _changes_of_a_delete(any_storage: Any) -> int:
    api = LifecycleApi(any_storage)
    clip_id = made(api)["clip_id"]
    counting = FaultyStore(any_storage)
    assert LifecycleApi(counting, clock=api.clock).delete(clip_id).status == 204
    made(api)  # back for the next run
    return counting.changes


def test_a_fault_at_any_step_of_a_delete_leaves_the_clip_whole_or_invisible_and_a_retry_finishes(
    any_storage: Any,
) -> None:
    seed_media(any_storage)
    steps = _changes_of_a_delete(any_storage)
    assert steps >= 8  # tombstone, document, master, two renditions, two index entries, tombstone
    for fail_at in range(1, steps + 1):
        api = LifecycleApi(any_storage)
        clip_id = api.create().body["clip_id"]
        failed = LifecycleApi(FaultyStore(any_storage, fail_at), clock=api.clock).delete(clip_id)
        assert (failed.status, failed.body["code"]) == (503, "storage_unavailable"), fail_at
        state = api.get(clip_id)
        if state.status == 200:  # the old state: whole and playable
            for rendition in state.body["renditions"]:
                assert any_storage.get(rendition["url"].removeprefix(PUBLIC_BASE_URL + "/"))
            assert any_storage.get(f"clips/{clip_id}.m3u8")
            assert api.listed() == [clip_id]
        else:  # the new state: gone for every reader at once
            assert state.status == 404 and api.listed() == []
        assert api.delete(clip_id).status == 204, fail_at
        assert clip_keys(any_storage, clip_id) == [], fail_at
        assert api.delete(clip_id).status == 404


def test_fifty_concurrent_deletes_remove_the_clip_once(api: LifecycleApi, any_storage: Any) -> None:
    clip_id = made(api)["clip_id"]
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda _: api.delete(clip_id).status, range(50)))
    assert set(statuses) <= {204, 404} and 204 in statuses
    assert clip_keys(any_storage, clip_id) == []
    assert api.get(clip_id).status == 404
    assert api.events.types().count("Clip Deleted") >= 1


def test_fifty_concurrent_deletes_and_promotes_leave_nothing_broken(api: LifecycleApi, any_storage: Any) -> None:
    clip_id = made(api)["clip_id"]

    def act(i: int) -> int:
        return (api.delete(clip_id) if i % 2 else api.promote(clip_id)).status

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(act, range(50)))
    assert set(statuses) <= {200, 204, 404}, statuses
    assert api.delete(clip_id).status in (204, 404)
    api.sweep()  # finishes anything a racing promotion wrote after a purge
    assert api.get(clip_id).status == 404
    assert [k for k in clip_keys(any_storage, clip_id) if not k.startswith(f"clips/{clip_id}/")] == []


# --- expiry ---


def test_expires_at_is_kept_and_answered_and_does_not_change_the_id(api: LifecycleApi) -> None:
    plain = made(api)
    assert api.delete(plain["clip_id"]).status == 204
    expiring = made(api, expires_at="2030-01-02T00:00:00Z")
    assert expiring["clip_id"] == plain["clip_id"]
    assert expiring["expires_at"] == "2030-01-02T00:00:00.000Z"
    assert api.get(expiring["clip_id"]).body["expires_at"] == "2030-01-02T00:00:00.000Z"


def test_expires_at_accepts_epoch_seconds(api: LifecycleApi) -> None:
    epoch = int(T0.timestamp()) + 3600
    assert made(api, expires_at=epoch)["expires_at"] == "2030-01-01T01:00:00.000Z"


@pytest.mark.parametrize(
    "value",
    ["2029-12-31T23:59:59Z", "2030-01-01T00:00:00Z", "soon", "", True, 1_893_456_000_000, "2041-01-01T00:00:00Z", {}],
)
def test_expires_at_in_the_past_malformed_or_too_far_is_400(api: LifecycleApi, value: Any) -> None:
    result = api.create(expires_at=value)
    assert (result.status, result.body["code"], result.body["field"]) == (400, "invalid_field", "expires_at")


def test_a_repeated_post_with_another_expires_at_returns_the_clip_as_stored(api: LifecycleApi) -> None:
    first = made(api, expires_at="2030-01-02T00:00:00Z")
    again = api.create(expires_at="2030-06-01T00:00:00Z")
    assert again.status == 200 and again.body["expires_at"] == first["expires_at"]


def test_the_default_ttl_setting_gives_clips_an_expiry(any_storage: Any) -> None:
    seed_media(any_storage)
    api = LifecycleApi(any_storage, overrides={"default_clip_ttl_seconds": 3600.0})
    assert made(api)["expires_at"] == "2030-01-01T01:00:00.000Z"


def test_an_expired_clip_is_404_and_unlisted_at_once(api: LifecycleApi) -> None:
    clip_id = made(api, expires_at="2030-01-01T00:01:00Z")["clip_id"]
    api.clock.advance(59)
    assert api.get(clip_id).status == 200
    assert [c.clip_id for c in api.store.list_page().clips] == [clip_id]
    api.clock.advance(1)
    assert api.get(clip_id).status == 404
    assert api.store.list_page().clips == []
    assert api.promote(clip_id).status == 404


def test_the_sweep_removes_expired_clips_objects_and_only_theirs(api: LifecycleApi, any_storage: Any) -> None:
    soon = made(api, start_time=0, end_time=8, expires_at="2030-01-01T00:01:00Z")["clip_id"]
    later = made(api, start_time=8, end_time=16, expires_at="2030-01-01T01:00:00Z")["clip_id"]
    forever = made(api)["clip_id"]
    assert api.sweep()["expired"] == []
    api.clock.advance(120)
    report = api.sweep()
    assert report["expired"] == [soon]
    assert clip_keys(any_storage, soon) == []
    assert clip_keys(any_storage, later) and clip_keys(any_storage, forever)
    assert ("Clip Expired", soon) in [(t, d["clip_id"]) for t, d in api.events.sent]


def test_the_sweep_reads_only_the_due_expiry_entries(any_storage: Any) -> None:
    seed_media(any_storage)
    api = LifecycleApi(any_storage)
    for i in range(6):
        made(api, start_time=i * 4, end_time=i * 4 + 2, expires_at=f"2030-01-01T0{i}:30:00Z")
    api.clock.advance(2 * 3600)  # two of six are due
    due = api.store.expired_entries(api.clock())
    assert len(due) == 2
    assert len(api.sweep()["expired"]) == 2
    assert len(all_keys(any_storage, "clips/index/expires/")) == 4


def test_post_of_an_expired_clip_makes_it_again(api: LifecycleApi) -> None:
    first = made(api, expires_at="2030-01-01T00:01:00Z")
    api.clock.advance(3600)
    again = api.create(expires_at="2030-01-02T00:00:00Z")
    assert again.status == 201 and again.body["clip_id"] == first["clip_id"]
    assert again.body["expires_at"] == "2030-01-02T00:00:00.000Z"
    assert api.get(first["clip_id"]).status == 200


def test_the_sweep_finishes_an_interrupted_delete(api: LifecycleApi, any_storage: Any) -> None:
    clip_id = made(api)["clip_id"]
    assert LifecycleApi(FaultyStore(any_storage, 3), clock=api.clock).delete(clip_id).status == 503
    assert api.get(clip_id).status == 404
    assert api.sweep()["finished_deletions"] == [clip_id]
    assert clip_keys(any_storage, clip_id) == []


# --- listings while clips go ---


def test_pages_lose_and_repeat_nothing_while_clips_are_deleted_and_expire(any_storage: Any) -> None:
    seed_media(any_storage)
    api = LifecycleApi(any_storage)
    ids = []
    for i in range(12):
        expiry = {"expires_at": "2030-01-01T10:00:00Z"} if i % 3 == 0 else {}
        ids.append(made(api, start_time=i * 4, end_time=i * 4 + 2, **expiry)["clip_id"])
        api.clock.advance(1)
    newest_first = ids[::-1]
    expiring = {ids[i] for i in range(12) if i % 3 == 0}
    seen: list[str] = []
    page = api.store.list_page(limit=3)
    deleted: set[str] = set()
    while True:
        seen.extend(c.clip_id for c in page.clips)
        if len(seen) == 3:
            api.clock.advance(36_000)  # the expiring ones are gone from now on
        for victim in [c for c in newest_first if c not in seen and c not in expiring | deleted][:1]:
            assert api.delete(victim).status == 204  # one not yet seen goes per page
            deleted.add(victim)
        if page.next_cursor is None:
            break
        page = api.store.list_page(limit=3, cursor=page.next_cursor)
    assert len(seen) == len(set(seen))
    assert not (set(seen[3:]) & (deleted | expiring))
    remaining = [c for c in newest_first if c not in deleted and c not in expiring]
    assert [c for c in seen if c in remaining] == [c for c in remaining if c in seen]
    assert set(remaining) <= set(seen)


def test_getclips_skips_clips_whose_expiry_passed_by_the_real_clock(any_storage: Any) -> None:
    seed_media(any_storage)
    api = LifecycleApi(any_storage)  # created in 2030 by the test clock...
    old = LifecycleApi(any_storage)
    old.clock._now = old.clock().replace(year=2020)
    expired = made(old, start_time=0, end_time=4, expires_at="2020-01-01T01:00:00Z")["clip_id"]
    alive = made(api)["clip_id"]
    assert api.listed() == [alive]  # ...and GET /getclips reads the real clock
    assert ClipStore(any_storage).read(expired) is not None


def test_recording_filter_listing_also_forgets_deleted_clips(any_storage: Any) -> None:
    seed_media(any_storage)
    seed_media(any_storage, root=OTHER_ROOT)
    api = LifecycleApi(any_storage)
    mine = made(api)["clip_id"]
    theirs = made(api, master_url=f"{OTHER_ROOT}/master.m3u8")["clip_id"]
    assert api.delete(mine).status == 204
    assert api.listed(recording="RecOne123456") == []
    assert api.listed(recording="RecTwo654321") == [theirs]
    assert MASTER.startswith(REC_ROOT)
