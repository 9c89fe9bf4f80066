"""Which segments a window keeps, and which windows are refused."""

from datetime import timedelta

import pytest

from clipping import InvalidOption, InvalidWindow, OutOfRange
from tests.support.playlists import T0, Seg, clip, media, recording, rendition, segs, uris

TEN_BY_FIVE = media(segs(5))  # 0-10, 10-20, 20-30, 30-40, 40-50 s


def one(text: str = TEN_BY_FIVE):
    return recording({"720p30": text})


def kept(result, name: str = "720p30") -> list[str]:
    return [u.rsplit("/", 1)[-1] for u in uris(rendition(result, name))]


def test_outer_keeps_every_segment_that_overlaps_the_window():
    assert kept(clip(one(), 15, 25)) == ["1.ts", "2.ts"]


def test_segments_that_only_touch_the_window_edges_are_not_kept():
    assert kept(clip(one(), 10, 30)) == ["1.ts", "2.ts"]


def test_start_zero_is_the_first_instant_of_the_recording():
    assert kept(clip(one(), 0, 5)) == ["0.ts"]


def test_a_window_inside_one_segment_keeps_exactly_that_segment():
    assert kept(clip(one(), 21, 22)) == ["2.ts"]


def test_inner_keeps_only_segments_wholly_inside():
    assert kept(clip(one(), 5, 35, boundary="inner")) == ["1.ts", "2.ts"]


def test_inner_with_no_whole_segment_is_refused_with_a_hint():
    with pytest.raises(OutOfRange, match="inner"):
        clip(one(), 21, 22, boundary="inner")


def test_nearest_snaps_each_edge_to_the_closest_boundary():
    assert kept(clip(one(), 13, 37, boundary="nearest")) == ["1.ts", "2.ts", "3.ts"]
    assert kept(clip(one(), 17, 33, boundary="nearest")) == ["2.ts"]


def test_nearest_never_returns_nothing_when_a_segment_overlaps():
    assert kept(clip(one(), 14, 16, boundary="nearest")) in (["1.ts"],)


def test_unknown_boundary_is_refused():
    with pytest.raises(InvalidOption) as err:
        clip(one(), 1, 2, boundary="widest")
    assert err.value.field == "boundary"


def test_end_not_after_start_is_refused():
    with pytest.raises(InvalidWindow, match="after"):
        clip(one(), 20, 20)
    with pytest.raises(InvalidWindow):
        clip(one(), 30, 20)


def test_window_longer_than_the_maximum_is_refused():
    with pytest.raises(InvalidWindow, match="longest"):
        clip(one(), 0, 40, max_seconds=30)


def test_window_outside_the_recording_states_the_available_range():
    with pytest.raises(OutOfRange) as err:
        clip(one(), 45, 60)
    available = err.value.details["available"]
    assert available == {
        "start_time": "2024-05-01T12:00:00.000Z",
        "end_time": "2024-05-01T12:00:50.000Z",
        "start_seconds": 0.0,
        "end_seconds": 50.0,
    }
    assert "2024-05-01T12:00:50.000Z" in err.value.message and "50 s" in err.value.message


def test_absolute_window_before_the_recording_is_refused():
    with pytest.raises(OutOfRange):
        clip(one(), "2024-05-01T11:59:00Z", "2024-05-01T12:00:05Z")


def test_absolute_and_relative_times_mean_the_same_window():
    relative = clip(one(), 15, 25)
    absolute = clip(one(), "2024-05-01T12:00:15Z", 1714564825)
    assert relative.playlists == absolute.playlists


def test_a_playlist_still_being_written_is_clipped_as_vod():
    live = media(segs(3), endlist=False, playlist_type="EVENT")
    text = rendition(clip(one(live), 5, 15), "720p30")
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and text.rstrip().endswith("#EXT-X-ENDLIST")


def test_a_window_past_the_last_written_segment_is_refused():
    live = media(segs(3), endlist=False)
    with pytest.raises(OutOfRange) as err:
        clip(one(live), 25, 35)
    assert err.value.details["available"]["end_seconds"] == 30.0


def test_a_window_in_a_gap_of_the_recording_is_refused():
    gap = media([Seg(), Seg(), Seg(discontinuity=True, pdt="2024-05-01T12:01:20.000Z"), Seg()])
    with pytest.raises(OutOfRange, match="gap"):
        clip(one(gap), 30, 60)


def test_renditions_with_different_timing_are_each_clipped_by_time():
    late = media(segs(4), start=T0 + timedelta(seconds=5))
    result = clip(recording({"720p30": TEN_BY_FIVE, "160p30": late}), 12, 18)
    assert kept(result, "720p30") == ["1.ts"]
    assert kept(result, "160p30") == ["0.ts", "1.ts"]  # 5-15 and 15-25 s
