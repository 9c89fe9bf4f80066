"""How segment times are known: own dates, carried dates, undated playlists, gaps."""

import pytest

from clipping import InvalidWindow, OutOfRange
from tests.support.playlists import Seg, clip, media, recording, rendition, segs, tag_values, uris

RT_INDIVIDUAL = media(
    [
        Seg("3.30091", uri="0.mp4", map="init-0.mp4"),
        Seg("5.63794", uri="1.mp4", pdt=False),
        Seg("2.74290", uri="2.mp4", pdt=False),
        Seg("2.54412", uri="3.mp4", discontinuity=True, map="init-1.mp4", pdt="2024-05-01T12:00:52.772Z"),
        Seg("5.63649", uri="4.mp4", pdt=False),
    ],
    version=7,
    playlist_type="VOD",
    media_sequence=None,
)


def names(text: str) -> list[str]:
    return [u.rsplit("/", 1)[-1] for u in uris(text)]


def out(text: str, start, end, **kw) -> str:
    return rendition(clip(recording({"high": text}), start, end, **kw), "high")


def test_a_clip_after_a_discontinuity_starts_with_the_new_init_section_and_date():
    text = out(RT_INDIVIDUAL, 56, 57)
    assert names(text) == ["4.mp4"]
    assert tag_values(text, "EXT-X-MAP")[0].endswith('init-1.mp4"')
    assert tag_values(text, "EXT-X-PROGRAM-DATE-TIME") == ["2024-05-01T12:00:55.316Z"]
    assert int(tag_values(text, "EXT-X-VERSION")[0]) >= 6


def test_a_clip_across_the_discontinuity_keeps_it_and_the_init_change():
    text = out(RT_INDIVIDUAL, 10, 54)
    assert names(text) == ["2.mp4", "3.mp4"]
    lines = text.splitlines()
    assert lines.index("#EXT-X-DISCONTINUITY") < next(i for i, x in enumerate(lines) if "init-1.mp4" in x)
    assert tag_values(text, "EXT-X-PROGRAM-DATE-TIME") == ["2024-05-01T12:00:08.939Z", "2024-05-01T12:00:52.772Z"]
    assert 'init-0.mp4"' in tag_values(text, "EXT-X-MAP")[0]


def test_relative_times_are_wall_clock_from_the_first_date_so_a_reconnect_gap_counts():
    # 0-10 s, then a 60 s gap, then 70-80 s: relative 72 s is inside the second part.
    gap = media([Seg(), Seg(discontinuity=True, pdt="2024-05-01T12:01:10.000Z")])
    assert names(out(gap, 72, 75)) == ["1.ts"]


def test_a_window_on_one_side_of_a_gap_never_takes_segments_from_the_other():
    gap = media([Seg(), Seg(discontinuity=True, pdt="2024-05-01T12:01:10.000Z")])
    assert names(out(gap, 2, 8)) == ["0.ts"]


def test_a_date_jump_without_a_discontinuity_tag_is_read_in_order():
    jump = media([Seg(), Seg(pdt="2024-05-01T12:01:00.000Z"), Seg()])
    assert names(out(jump, 65, 75)) == ["1.ts", "2.ts"]


def test_a_playlist_without_any_date_is_clipped_by_cumulative_extinf():
    undated = media(segs(5, "2.000", pdt=False))
    text = out(undated, 3, 7)
    assert names(text) == ["1.ts", "2.ts", "3.ts"]
    assert "PROGRAM-DATE-TIME" not in text


def test_a_playlist_without_any_date_refuses_absolute_times():
    undated = media(segs(5, "2.000", pdt=False))
    with pytest.raises(InvalidWindow, match="PROGRAM-DATE-TIME"):
        out(undated, "2024-05-01T12:00:01Z", 5)


def test_undated_renditions_stay_aligned():
    undated = media(segs(5, "2.000", pdt=False))
    result = clip(recording({"a": undated, "b": undated}), 3, 7)
    assert names(rendition(result, "a")) == names(rendition(result, "b"))
    assert result.start_time is None and result.start_seconds == 2.0


def test_an_undated_recording_reports_its_range_in_seconds():
    undated = media(segs(5, "2.000", pdt=False))
    with pytest.raises(OutOfRange) as err:
        out(undated, 5, 12)
    assert err.value.details["available"]["end_seconds"] == 10.0
    assert err.value.details["available"]["end_time"] is None
