"""Engine defects found on public HLS playlists: one minimal playlist per defect, and how it is handled."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import m3u8
import pytest

from clipping import ClipRequest, InvalidPlaylist, InvalidTime, OutOfRange, parse_time
from tests.support.playlists import ROOT, Seg, Store, clip, master, media, recording, rendition, segs, tag_values, uris


def one(text: str, start: object, end: object, **options: object) -> str:
    """The clipped playlist of a one-rendition recording."""
    return rendition(clip(recording({"v": text}), start, end, **options), "v")


def names(text: str) -> list[str]:
    return [u.rsplit("/", 1)[-1] for u in uris(text)]


def ad_break(post_roll: bool = False) -> str:
    """Dated content 0-20 s, an undated 10 s ad after a discontinuity, dated content again at 30 s."""
    parts = [
        *segs(2),
        Seg(uri="ad0.ts", pdt=False, discontinuity=True),
        Seg(uri="main2.ts", pdt="2024-05-01T12:00:30.000Z", discontinuity=True),
    ]
    if post_roll:
        parts.append(Seg(uri="post.ts", pdt=False, discontinuity=True))
    return media(parts, media_sequence=5)


# -- 1. undated segments after a discontinuity --------------------------------------------------


def test_undated_ad_segments_after_a_discontinuity_are_kept_and_timed_from_the_previous_end():
    text = one(ad_break(), 5, 35)
    assert names(text) == ["0.ts", "1.ts", "ad0.ts", "main2.ts"]
    assert text.count("#EXT-X-DISCONTINUITY\n") == 2


def test_a_window_over_undated_ad_segments_is_clipped_not_refused_as_a_gap():
    text = one(ad_break(), 22, 28)
    assert names(text) == ["ad0.ts"]
    assert tag_values(text, "EXT-X-PROGRAM-DATE-TIME") == ["2024-05-01T12:00:20.000Z"]
    assert tag_values(text, "EXT-X-MEDIA-SEQUENCE") == ["7"]  # 5 + the two segments before it


def test_an_undated_post_roll_after_the_last_date_is_part_of_the_recording():
    text = one(ad_break(post_roll=True), 41, 49)
    assert names(text) == ["post.ts"]


# -- 2. several keys in force -----------------------------------------------------------------

FAIRPLAY = (
    '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://k1",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1"'
)
WIDEVINE = (
    '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="data:text/plain;base64,AAAA",'
    'KEYFORMAT="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"'
)


def test_every_key_in_force_goes_before_the_first_segment_one_per_keyformat():
    text = one(media(segs(3), header=[FAIRPLAY, WIDEVINE], version=5), 15, 25)
    assert [line for line in text.splitlines() if line.startswith("#EXT-X-KEY")] == [FAIRPLAY, WIDEVINE]


def test_a_later_key_of_the_same_keyformat_replaces_the_earlier_one():
    rotated = FAIRPLAY.replace("k1", "k2")
    text = one(media([Seg(), Seg(before=[rotated]), Seg()], header=[FAIRPLAY, WIDEVINE], version=5), 25, 28)
    assert [line for line in text.splitlines() if line.startswith("#EXT-X-KEY")] == [WIDEVINE, rotated]


def test_a_method_none_key_clears_the_keys_before_it():
    text = one(media([Seg(), Seg(before=["#EXT-X-KEY:METHOD=NONE"]), Seg()], header=[FAIRPLAY], version=5), 25, 28)
    assert "#EXT-X-KEY" not in text


# -- 3. empty URI attributes ------------------------------------------------------------------


def test_an_empty_uri_attribute_stays_empty_in_keys_and_maps():
    source = media([Seg(), Seg()], header=['#EXT-X-KEY:METHOD=AES-128,URI=""', '#EXT-X-MAP:URI=""'], version=6)
    text = one(source, 15, 18)
    assert tag_values(text, "EXT-X-MAP") == ['URI=""']
    assert tag_values(text, "EXT-X-KEY") == ['METHOD=AES-128,URI=""']


def test_an_empty_uri_attribute_stays_empty_in_the_master():
    store = recording({"v": media(segs(3))})
    path = f"{ROOT}/master.m3u8"
    store[path] = master([("v/playlist.m3u8", 100)], extra=['#EXT-X-SESSION-KEY:METHOD=AES-128,URI=""'])
    result = clip(store, 5, 15)
    assert '#EXT-X-SESSION-KEY:METHOD=AES-128,URI=""' in result.playlists[result.master_path]


# -- 4. dates that go backwards ---------------------------------------------------------------


def backwards() -> str:
    """Two hours of content whose clock is reset one hour back half-way."""
    first = [Seg(uri=f"a{i}.ts") for i in range(6)]
    second = [Seg(uri="b0.ts", pdt="2024-05-01T11:00:00.000Z", discontinuity=True)]
    second += [Seg(uri=f"b{i}.ts") for i in range(1, 6)]
    return media(first + second)


def test_a_window_on_dates_that_went_backwards_is_clipped():
    text = one(backwards(), "2024-05-01T11:00:15Z", "2024-05-01T11:00:25Z")
    assert names(text) == ["b1.ts", "b2.ts"]


def test_a_recording_whose_dates_go_backwards_spans_its_earliest_to_its_latest_instant():
    result = clip(recording({"v": backwards()}), "2024-05-01T12:00:05Z", "2024-05-01T12:00:45Z")
    assert names(rendition(result, "v")) == ["a0.ts", "a1.ts", "a2.ts", "a3.ts", "a4.ts"]
    assert result.requested_start_seconds == 3605.0  # relative to the earliest instant, 11:00:00


def test_a_small_step_back_keeps_the_segment_that_overlaps_its_successor():
    source = media([Seg(), Seg(), Seg(pdt="2024-05-01T12:00:19.900Z"), Seg()])
    assert names(one(source, 19.95, 25)) == ["1.ts", "2.ts"]


def test_a_step_back_far_from_the_window_is_found_by_the_fast_search():
    steps = [Seg(uri=f"a{i}.ts") for i in range(400)]
    steps.append(Seg(uri="late.ts", pdt="2024-05-01T12:00:05.000Z"))
    assert names(one(media(steps), 4, 6)) == ["a0.ts"]  # the first run in playlist order


# -- 5. EXT-X-DEFINE --------------------------------------------------------------------------


def test_header_defines_are_kept_when_the_clip_starts_after_the_first_segment():
    source = media([Seg(uri="{$base}0.ts"), Seg(uri="{$base}1.ts")], header=['#EXT-X-DEFINE:NAME="base",VALUE="x/"'])
    text = one(source, 12, 18)
    assert tag_values(text, "EXT-X-DEFINE") == ['NAME="base",VALUE="x/"']
    assert int(tag_values(text, "EXT-X-VERSION")[0]) >= 8


def test_header_defines_are_written_once_when_the_clip_starts_at_the_first_segment():
    source = media(segs(2), header=['#EXT-X-DEFINE:NAME="a",VALUE="b"'])
    assert len(tag_values(one(source, 0, 5), "EXT-X-DEFINE")) == 1


# -- 6. delta updates -------------------------------------------------------------------------


def test_a_delta_update_with_ext_x_skip_is_refused_as_an_invalid_playlist():
    source = media(segs(2), header=["#EXT-X-SKIP:SKIPPED-SEGMENTS=10"])
    with pytest.raises(InvalidPlaylist, match="EXT-X-SKIP") as raised:
        one(source, 0, 5)
    assert raised.value.code == "invalid_playlist"


# -- 7. an early ENDLIST ----------------------------------------------------------------------


def test_segments_after_an_early_endlist_are_read():
    source = media(segs(2)).replace("0.ts\n", "0.ts\n#EXT-X-ENDLIST\n", 1)
    assert names(one(source, 12, 18)) == ["1.ts"]


def test_dateranges_after_the_endlist_are_carried():
    daterange = '#EXT-X-DATERANGE:ID="ad",START-DATE="2024-05-01T12:00:12.000Z",DURATION=3.0'
    text = one(media(segs(3)) + daterange + "\n", 10, 20)
    assert tag_values(text, "EXT-X-DATERANGE") == [daterange.split(":", 1)[1]]


# -- 8. a lone date after the last segment ----------------------------------------------------


def test_a_lone_date_after_the_last_segment_of_an_undated_playlist_is_ignored():
    source = media(segs(2, pdt=False), endlist=False) + "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.000Z\n"
    assert names(one(source, 12, 18)) == ["1.ts"]


def test_a_lone_date_after_the_last_segment_of_a_dated_playlist_does_not_end_it():
    source = media(segs(2), endlist=False) + "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T13:00:00.000Z\n"
    assert names(one(source, 12, 18)) == ["1.ts"]


# -- 9. one undated rendition in a dated recording --------------------------------------------


def test_an_undated_rendition_is_clipped_on_the_reference_clock():
    result = clip(recording({"dated": media(segs(4)), "plain": media(segs(4, pdt=False))}), 15, 25)
    assert names(rendition(result, "plain")) == ["1.ts", "2.ts"]
    assert "PROGRAM-DATE-TIME" not in rendition(result, "plain")


def test_an_undated_rendition_that_cannot_be_placed_on_the_reference_clock_is_refused_by_name():
    gap = media([*segs(2), Seg(pdt="2024-05-01T12:05:00.000Z", discontinuity=True)])
    with pytest.raises(InvalidPlaylist, match="rendition plain cannot be placed"):
        clip(recording({"dated": gap, "plain": media(segs(3, pdt=False))}), 5, 15)


def test_a_rendition_shorter_than_the_reference_is_named_in_the_refusal():
    with pytest.raises(OutOfRange, match="rendition short ends before the window starts") as raised:
        clip(recording({"long": media(segs(6)), "short": media(segs(2))}), 35, 45)
    assert raised.value.details["rendition"] == "short"


# -- 10. dateranges that start before the clip ------------------------------------------------


def test_a_daterange_that_started_before_the_clip_and_overlaps_it_is_carried():
    long_ad = '#EXT-X-DATERANGE:ID="ad",START-DATE="2024-05-01T12:00:01.000Z",END-DATE="2024-05-01T12:00:35.000Z"'
    over = '#EXT-X-DATERANGE:ID="old",START-DATE="2024-05-01T12:00:01.000Z",DURATION=2.0'
    text = one(media([Seg(before=[long_ad, over]), *segs(4)]), 25, 32)
    assert tag_values(text, "EXT-X-DATERANGE") == [long_ad.split(":", 1)[1]]


# -- the end of a recording -------------------------------------------------------------------


def test_a_clip_starting_in_the_final_segment_carries_a_notice():
    result = clip(recording({"v": media([*segs(2), Seg("2.979")])}), 21, 22.5)
    assert [n.code for n in result.notices] == ["start_in_final_segment"]
    assert result.notices[0].renditions == ("v",)
    assert result.summary()["notices"][0]["code"] == "start_in_final_segment"


def test_a_clip_starting_before_the_final_segment_carries_no_notice():
    assert clip(recording({"v": media(segs(3))}), 5, 25).notices == ()


# -- refusals ---------------------------------------------------------------------------------


def test_a_master_whose_variant_uri_is_an_absolute_path_is_refused():
    store = Store({f"{ROOT}/master.m3u8": master([("/abs/x.m3u8", 100)])})
    with pytest.raises(InvalidPlaylist, match="only relative URIs"):
        clip(store, 0, 5)


@pytest.mark.parametrize("value", ["9999-12-31T23:59:58-23:59", "0001-01-01T00:00:00+00:01"])
def test_extreme_request_dates_are_refused_as_invalid_times(value):
    with pytest.raises(InvalidTime) as raised:
        parse_time(value, "start_time")
    assert raised.value.field == "start_time"


def test_an_extreme_date_inside_a_playlist_is_refused_as_an_invalid_playlist():
    with pytest.raises(InvalidPlaylist, match="out of range"):
        one(
            media([Seg(pdt=False)]).replace("#EXTINF", "#EXT-X-PROGRAM-DATE-TIME:9999-12-31T23:59:58-23:59\n#EXTINF"),
            0,
            1,
        )


def test_clip_requests_from_extreme_values_name_the_field():
    with pytest.raises(InvalidTime) as raised:
        ClipRequest.from_values(0, "9999-12-31T23:59:58-23:59")
    assert raised.value.field == "end_time"


# -- strict m3u8 ------------------------------------------------------------------------------


def test_clips_of_every_shape_above_parse_in_strict_m3u8():
    for text in (
        one(ad_break(post_roll=True), 5, 45),
        one(backwards(), "2024-05-01T11:00:15Z", "2024-05-01T11:00:25Z"),
    ):
        assert len(m3u8.M3U8(text, strict=True).segments) == len(uris(text))


def test_cli_on_a_non_utf8_playlist_exits_2_with_one_line(tmp_path: Path):
    source = tmp_path / "master.m3u8"
    source.write_bytes(b"#EXTM3U\n\xff\xfe\n")
    done = subprocess.run(
        [sys.executable, "-m", "clipping", "clip", str(source), "--start", "0", "--end", "1", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "not UTF-8" in done.stderr and len(done.stderr.splitlines()) == 1
