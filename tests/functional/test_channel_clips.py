"""Clips by channel and wall-clock time: recordings found from the window's dates, cut and stitched.

These call handlers.channels directly over a real store; the HTTP answers are in test_channel_api.py.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import m3u8
import pytest

from clipping import OutOfRange, TimePoint
from clipping.timeparse import US
from handlers.channels.clip import NoCommonRendition, StitchedClip, clip_plan, live_window, plan_live, plan_window
from handlers.channels.find import LOOKBACK, UnknownChannel, ll_root
from handlers.channels.ids import ChannelRef
from handlers.clips.service import cached_reader
from handlers.storage.files import FileStorage
from tests.support.playlists import Seg, iso, media
from tests.support.recordings import FIRST_PDT_OFFSET, FakeRecording, write_fake_recording

T1 = datetime(2025, 3, 9, 23, 58, tzinfo=UTC)  # recording 1 starts before midnight
T2 = datetime(2025, 3, 10, 0, 5, tzinfo=UTC)  # recording 2 on the next day folder
TWO = (("720p30", 1280, 720), ("160p30", 284, 160))
OUT = "clips/c1.m3u8"
ROOT = ll_root("ivs/")


def us(moment: datetime) -> TimePoint:
    return TimePoint("absolute", round(moment.timestamp() * US))


def record(storage: Any, started: datetime, rid: str, **options: Any) -> FakeRecording:
    defaults: dict[str, Any] = {"renditions": TWO, "segments": 6, "segment_seconds": 10.0, "thumbnails": 0}
    return write_fake_recording(storage, started_at=started, recording_id=rid, **(defaults | options))


def clip(storage: Any, start: datetime, end: datetime, *, channel: str = "chanA", account: str | None = None,
         byte_range: bool = False, boundary: str = "outer") -> StitchedClip:  # fmt: skip
    read = cached_reader(storage)
    ref = ChannelRef(channel, account)
    plan = plan_window(storage, read, ROOT, ref, us(start), us(end), 86_400, byte_range)
    return clip_plan(plan, read, OUT, byte_range, boundary, 86_400)  # type: ignore[arg-type]


def segments_of(text: str) -> list[tuple[str, float, str | None]]:
    """(key, duration, byterange) of each segment, keys resolved from the clip's folder."""
    return [
        (posixpath.normpath(posixpath.join("clips/c1", s.uri)), s.duration, s.byterange)
        for s in m3u8.loads(text).segments
    ]


def source_segments(storage: Any, key: str) -> list[tuple[str, float, str | None]]:
    folder = posixpath.dirname(key)
    parsed = m3u8.loads(storage.get(key).decode())
    return [(posixpath.join(folder, s.uri), s.duration, s.byterange) for s in parsed.segments]


@pytest.fixture
def two(file_storage: FileStorage) -> tuple[FakeRecording, FakeRecording]:
    return record(file_storage, T1, "recOne"), record(file_storage, T2, "recTwo")


@pytest.mark.parametrize("byte_range", [False, True], ids=["segments", "byte-ranges"])
def test_a_window_across_two_recordings_keeps_each_ones_segments_in_order(
    file_storage: FileStorage, two: tuple[FakeRecording, FakeRecording], byte_range: bool
) -> None:
    one, second = two
    start, end = T1 + timedelta(seconds=25), T2 + timedelta(seconds=35)
    result = clip(file_storage, start, end, byte_range=byte_range)
    leaf = "byte-range-variant.m3u8" if byte_range else "playlist.m3u8"
    for name in ("720p30", "160p30"):
        got = segments_of(result.clip.playlists[f"clips/c1/{name}.m3u8"])
        first = source_segments(file_storage, one.key(f"media/hls/{name}/{leaf}"))
        later = source_segments(file_storage, second.key(f"media/hls/{name}/{leaf}"))
        pdt0 = T1 + FIRST_PDT_OFFSET
        in_first = [s for s, t in zip(first, _starts(first, pdt0), strict=True) if t + _d(s) > start]
        in_later = [s for s, t in zip(later, _starts(later, T2 + FIRST_PDT_OFFSET), strict=True) if t < end]
        assert got == in_first + in_later
    assert [r.id for r in result.recordings] == ["recOne", "recTwo"]
    assert [r.key for r in result.recordings] == [one.master_key, second.master_key]


def _d(seg: tuple[str, float, str | None]) -> timedelta:
    return timedelta(seconds=seg[1])


def _starts(segs: list[tuple[str, float, str | None]], first: datetime) -> Iterator[datetime]:
    at = first
    for seg in segs:
        yield at
        at += _d(seg)


def test_the_answer_lists_recordings_and_the_gap_between_them(
    file_storage: FileStorage, two: tuple[FakeRecording, FakeRecording]
) -> None:
    result = clip(file_storage, T1 + timedelta(seconds=25), T2 + timedelta(seconds=35))
    assert [r.to_json()["start_time"] for r in result.recordings] == [
        "2025-03-09T23:58:20.550Z",
        "2025-03-10T00:05:00.550Z",
    ]
    assert result.recordings[0].end_time == "2025-03-09T23:59:00.550Z"
    assert result.gaps == (
        {"start_time": "2025-03-09T23:59:00.550Z", "end_time": "2025-03-10T00:05:00.550Z", "duration": 360.0},
    )
    assert result.clip.requested_start_time == "2025-03-09T23:58:25.000Z"
    assert result.clip.duration == 80.0  # 4 + 4 segments of 10 s: media time, the gap excluded


def test_every_rendition_has_one_discontinuity_and_a_date_per_recording(
    file_storage: FileStorage, two: tuple[FakeRecording, FakeRecording]
) -> None:
    result = clip(file_storage, T1 + timedelta(seconds=25), T2 + timedelta(seconds=35))
    targets = set()
    for name in ("720p30", "160p30"):
        parsed = m3u8.loads(result.clip.playlists[f"clips/c1/{name}.m3u8"])
        marks = [s for s in parsed.segments if s.discontinuity]
        assert len(marks) == 1 and marks[0].program_date_time == T2 + FIRST_PDT_OFFSET
        assert parsed.segments[0].program_date_time is not None
        assert parsed.playlist_type == "vod" and parsed.is_endlist
        targets.add(parsed.target_duration)
    assert len(targets) == 1
    master = m3u8.loads(result.clip.playlists[OUT])
    assert sorted(p.uri for p in master.playlists) == ["c1/160p30.m3u8", "c1/720p30.m3u8"]


def test_only_renditions_present_in_every_recording_are_kept(file_storage: FileStorage) -> None:
    four = (("720p30", 1280, 720), ("480p30", 852, 480), ("360p30", 640, 360), ("160p30", 284, 160))
    record(file_storage, T1, "recOne", renditions=four)
    record(file_storage, T2, "recTwo", renditions=(("480p30", 852, 480), ("160p30", 284, 160)))
    result = clip(file_storage, T1 + timedelta(seconds=25), T2 + timedelta(seconds=35))
    assert [r.name for r in result.clip.renditions] == ["480p30", "160p30"]
    master = m3u8.loads(result.clip.playlists[OUT])
    assert [p.uri for p in master.playlists] == ["c1/480p30.m3u8", "c1/160p30.m3u8"]
    assert set(result.clip.playlists) == {OUT, "clips/c1/480p30.m3u8", "clips/c1/160p30.m3u8"}


def test_recordings_without_a_common_rendition_are_refused(file_storage: FileStorage) -> None:
    record(file_storage, T1, "recOne", renditions=(("720p30", 1280, 720),))
    record(file_storage, T2, "recTwo", renditions=(("480p30", 852, 480),))
    with pytest.raises(NoCommonRendition, match="share no rendition"):
        clip(file_storage, T1 + timedelta(seconds=25), T2 + timedelta(seconds=35))


def test_a_window_inside_a_gap_names_the_nearest_recordings(
    file_storage: FileStorage, two: tuple[FakeRecording, FakeRecording]
) -> None:
    with pytest.raises(OutOfRange) as caught:
        clip(file_storage, T1 + timedelta(minutes=2), T1 + timedelta(minutes=3))
    available = caught.value.details["available"]
    assert [a["id"] for a in available] == ["recOne", "recTwo"]
    assert available[0]["end_time"] == "2025-03-09T23:59:00.550Z"
    assert available[1]["start_time"] == "2025-03-10T00:05:00.550Z"


def test_a_recording_that_started_long_before_the_window_is_found(file_storage: FileStorage) -> None:
    """Its folder is named after its start, 30 h (two day folders) before the window.

    The recording reconnected after 30 h into the same prefix (a PDT jump), as merged IVS recordings do.
    """
    start = datetime(2025, 3, 8, 23, 0, tzinfo=UTC)
    rec = record(file_storage, start, "recLong", renditions=(("720p30", 1280, 720),), byte_range=False,
                 status="recording")  # fmt: skip
    later = start + timedelta(hours=30)
    segments = [Seg("10.000", uri="0.ts", pdt=iso(start)), Seg("10.000", uri="1.ts", pdt=iso(later))]
    segments += [Seg("10.000", uri=f"{n}.ts") for n in range(2, 6)]
    text = media(segments, endlist=False)
    file_storage.put(rec.key("media/hls/720p30/playlist.m3u8"), text.encode(), "application/vnd.apple.mpegurl")
    result = clip(file_storage, later + timedelta(seconds=12), later + timedelta(seconds=30))
    assert [r.id for r in result.recordings] == ["recLong"]
    got = [posixpath.basename(k) for k, _, _ in segments_of(result.clip.playlists["clips/c1/720p30.m3u8"])]
    assert got == ["2.ts", "3.ts"]
    assert timedelta(hours=48) == LOOKBACK


def test_recordings_of_other_accounts_are_left_out_when_an_arn_names_the_account(file_storage: FileStorage) -> None:
    record(file_storage, T1, "recOne")
    record(file_storage, T1 + timedelta(seconds=1), "recOther", account="999988887777")
    result = clip(file_storage, T1 + timedelta(seconds=5), T1 + timedelta(seconds=30), account="123456789012")
    assert [r.id for r in result.recordings] == ["recOne"]
    with pytest.raises(UnknownChannel):
        clip(file_storage, T1, T1 + timedelta(seconds=30), account="111111111111")


def test_an_unknown_channel_is_not_found(file_storage: FileStorage, two: Any) -> None:
    with pytest.raises(UnknownChannel) as caught:
        clip(file_storage, T1, T1 + timedelta(seconds=30), channel="nope")
    assert caught.value.code == "not_found"


class CountingStorage:
    """Counts listings and reads that reach a store."""

    def __init__(self, inner: FileStorage) -> None:
        self.inner, self.lists, self.gets = inner, 0, 0

    def list(self, prefix: str = "", **kwargs: Any) -> Any:
        self.lists += 1
        return self.inner.list(prefix, **kwargs)

    def get(self, key: str) -> bytes:
        self.gets += 1
        return self.inner.get(key)


def test_the_walk_cost_depends_on_recordings_near_the_window_not_on_history(file_storage: FileStorage) -> None:
    one = (("720p30", 1280, 720),)
    base = datetime(2024, 1, 3, 5, 0, tzinfo=UTC)
    for i in range(60):  # a year of history, one recording every ~6 days
        record(file_storage, base + timedelta(days=6 * i, hours=i % 24), f"old{i:03d}", renditions=one, segments=1)
    target = datetime(2024, 12, 28, 12, 0, tzinfo=UTC)
    record(file_storage, target, "recNow", renditions=one)
    counting = CountingStorage(file_storage)
    read = cached_reader(counting)  # type: ignore[arg-type]
    plan = plan_window(counting, read, ROOT, ChannelRef("chanA"), us(target), us(target + timedelta(seconds=30)),  # type: ignore[arg-type]
                       86_400)  # fmt: skip
    assert [p.candidate.recording_id for p in plan.parts] == ["recNow"]
    # accounts, channel years, months of 2024, days of December, 3 day folders (Dec 26..28)
    assert counting.lists <= 8, counting.lists
    assert counting.gets <= 4, counting.gets  # the events file, the master, the reference playlist


# --- live -------------------------------------------------------------------------------------


def test_last_seconds_of_a_growing_recording_end_at_its_last_segment_now(file_storage: FileStorage) -> None:
    live = {"status": "recording", "renditions": TWO, "byte_range": False, "thumbnails": 0}
    rec = write_fake_recording(file_storage, started_at=T1, recording_id="recLive", segments=4, **live)
    read = cached_reader(file_storage, keep=0)
    first = plan_live(file_storage, read, ROOT, ChannelRef("chanA"), 15, False)
    assert first.end_us == us(T1 + FIRST_PDT_OFFSET + timedelta(seconds=40)).us
    assert first.start_us == first.end_us - 15 * US
    write_fake_recording(file_storage, started_at=T1, recording_id="recLive", segments=7, **live)  # IVS appends
    later = plan_live(file_storage, cached_reader(file_storage), ROOT, ChannelRef("chanA"), 15, False)
    assert later.end_us == first.end_us + 30 * US
    assert later.identity(False, "outer") != first.identity(False, "outer")
    result = clip_plan(later, cached_reader(file_storage), OUT, False, "outer", 86_400)
    text = result.clip.playlists["clips/c1/720p30.m3u8"]
    assert m3u8.loads(text).is_endlist and "#EXT-X-PLAYLIST-TYPE:VOD" in text
    assert [posixpath.basename(u) for u, _, _ in segments_of(text)] == ["5.ts", "6.ts"]
    start, end = live_window(rec.master_key, cached_reader(file_storage), 15, False)
    assert (start.us, end.us) == (later.start_us, later.end_us)


def test_last_seconds_longer_than_the_recording_start_at_its_first_segment(file_storage: FileStorage) -> None:
    rec = record(file_storage, T1, "recShort", segments=2)
    start, end = live_window(rec.master_key, cached_reader(file_storage), 3600, False)
    assert start.us == us(T1 + FIRST_PDT_OFFSET).us and end.us == start.us + 20 * US


def test_newest_recording_of_the_channel_is_the_live_one(file_storage: FileStorage) -> None:
    record(file_storage, T1, "recOld")
    write_fake_recording(
        file_storage, started_at=T2, recording_id="recNew", status="recording", renditions=TWO, thumbnails=0
    )
    plan = plan_live(file_storage, cached_reader(file_storage), ROOT, ChannelRef("chanA"), 10, False)
    assert [p.candidate.recording_id for p in plan.parts] == ["recNew"]
    with pytest.raises(UnknownChannel):
        plan_live(file_storage, cached_reader(file_storage), ROOT, ChannelRef("nobody"), 10, False)


# --- real video -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("byte_range", [False, True], ids=["segments", "byte-ranges"])
def test_a_stitched_clip_of_real_video_decodes_across_the_discontinuity(tmp_path: Path, byte_range: bool) -> None:
    from tests.support.media import decode_hls, make_ivs_recording

    first_start = datetime(2024, 3, 5, 14, 7, 9, 431000, tzinfo=UTC)
    second_start = first_start + timedelta(minutes=3, seconds=20)
    common = {"seconds": 12, "channel_id": "RealChan0001", "thumbnails_every": None}
    a = make_ivs_recording(tmp_path, start=first_start, recording_id="RealRecA0001", **common)
    b = make_ivs_recording(tmp_path, start=second_start, recording_id="RealRecB0001", **common)
    storage = FileStorage(tmp_path)
    read = cached_reader(storage)
    window = (us(first_start + timedelta(seconds=4.5)), us(second_start + timedelta(seconds=7.2)))
    plan = plan_window(storage, read, ROOT, ChannelRef("RealChan0001"), *window, 86_400, byte_range)
    result = clip_plan(plan, read, OUT, byte_range, "outer", 86_400)
    assert [r.key for r in result.recordings] == [a.master_key, b.master_key]
    for path, text in result.clip.playlists.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    for rendition in result.clip.renditions:
        decoded = decode_hls(tmp_path / rendition.path)
        assert decoded.ok, decoded.errors or decoded.warnings
        # Timestamps restart in the second recording (-copyts keeps them), so count frames, not span.
        assert decoded.video_frames == pytest.approx(rendition.duration * 15, abs=3)
        assert any("RealRecB0001" in url for url in decoded.opened)
        assert any("RealRecA0001" in url for url in decoded.opened)
