"""What a clipped media playlist looks like: the HLS rules a clipper must keep."""

from clipping.timeparse import parse_pdt
from tests.support.playlists import ROOT, Seg, clip, media, parsed, recording, rendition, segs, tag_values, uris

IVS_HEADER = [
    "#ID3-EQUIV-TDTG:2023-02-09T22:58:35",
    "#EXT-X-TWITCH-ELAPSED-SECS:0.000",
    "#EXT-X-TWITCH-TOTAL-SECS:50.000",
]


def ivs(count: int = 5, **kw) -> str:
    return media(segs(count), header=IVS_HEADER, **kw)


def out(text: str, start=15, end=25, **options) -> str:
    return rendition(clip(recording({"720p30": text}), start, end, **options), "720p30")


def test_output_is_vod_and_ends_with_endlist():
    text = out(ivs())
    assert tag_values(text, "EXT-X-PLAYLIST-TYPE") == ["VOD"]
    assert text.endswith("#EXT-X-ENDLIST\n")


def test_stale_private_tags_are_not_copied():
    text = out(ivs())
    assert "TWITCH" not in text and "ID3-EQUIV" not in text and "EVENT" not in text


def test_extinf_and_date_strings_are_copied_unchanged():
    source = media([Seg("2.000000", pdt="2026-03-21T00:51:48.888-0400"), Seg("1.967000"), Seg("2.033000")], target=2)
    text = out(source, 0, 5)
    assert tag_values(text, "EXTINF") == ["2.000000,", "1.967000,", "2.033000,"]
    assert tag_values(text, "EXT-X-PROGRAM-DATE-TIME")[0] == "2026-03-21T00:51:48.888-0400"


def test_media_sequence_is_that_of_the_first_kept_segment():
    assert tag_values(out(ivs(media_sequence=7)), "EXT-X-MEDIA-SEQUENCE") == ["8"]


def test_exactly_one_version_tag_of_at_least_three():
    assert tag_values(out(ivs()), "EXT-X-VERSION") == ["3"]


def test_start_offset_is_written_when_the_start_falls_inside_the_first_segment():
    assert tag_values(out(ivs(), 12.5, 25), "EXT-X-START") == ["TIME-OFFSET=2.500,PRECISE=YES"]


def test_no_start_offset_when_the_start_is_on_a_segment_boundary():
    assert "EXT-X-START" not in out(ivs(), 10, 25)


def test_target_duration_covers_every_rounded_extinf():
    source = media([Seg("10.000"), Seg("11.500"), Seg("10.000")], target=11)
    assert tag_values(out(source, 5, 25), "EXT-X-TARGETDURATION") == ["12"]


def test_target_duration_is_the_same_in_every_rendition():
    result = clip(
        recording({"a": media([Seg("10.000"), Seg("11.600")], target=11), "b": media(segs(3), target=11)}), 1, 19
    )
    targets = {tag_values(rendition(result, n), "EXT-X-TARGETDURATION")[0] for n in ("a", "b")}
    assert targets == {"12"}


def test_first_segment_gets_a_date_computed_from_the_nearest_earlier_one():
    source = media([Seg(pdt=True), Seg(pdt=False), Seg(pdt=False)])
    text = out(source, 21, 25)
    (date,) = tag_values(text, "EXT-X-PROGRAM-DATE-TIME")
    assert date == "2024-05-01T12:00:20.000Z"


def test_no_leading_discontinuity_and_the_discontinuity_sequence_counts_it():
    source = media([Seg(), Seg(discontinuity=True, pdt="2024-05-01T12:01:00.000Z"), Seg()], discontinuity_sequence=3)
    text = out(source, 61, 65)
    assert "#EXT-X-DISCONTINUITY\n" not in text
    assert tag_values(text, "EXT-X-DISCONTINUITY-SEQUENCE") == ["4"]


def test_a_discontinuity_inside_the_window_is_kept_with_a_date_after_it():
    source = media([Seg(), Seg(discontinuity=True, pdt="2024-05-01T12:01:00.000Z", map=None), Seg()])
    text = out(source, 5, 65)
    lines = text.splitlines()
    at = lines.index("#EXT-X-DISCONTINUITY")
    assert lines[at + 1].startswith("#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:01:00")


def test_segment_uris_are_relative_to_the_clip_playlist():
    text = out(ivs())
    assert uris(text) == [f"../../{ROOT}/720p30/1.ts", f"../../{ROOT}/720p30/2.ts"]


def test_crlf_blank_lines_and_comments_are_read():
    source = ivs(newline="\r\n").replace("#EXTINF:10.000,\r\n1.ts", "#EXTINF:10.000,\r\n\r\n# a comment\r\n1.ts")
    text = out(source)
    assert "\r" not in text and "# a comment" not in text
    assert [u.rsplit("/", 1)[1] for u in uris(text)] == ["1.ts", "2.ts"]


def test_output_reparses_with_m3u8_and_keeps_dates():
    text = out(ivs())
    playlist = parsed(text)
    assert playlist.is_endlist and playlist.playlist_type == "vod"
    assert [s.duration for s in playlist.segments] == [10.0, 10.0]
    assert parse_pdt(tag_values(text, "EXT-X-PROGRAM-DATE-TIME")[0]) == 1714564810 * 1_000_000


def test_other_segment_tags_in_the_window_are_kept():
    source = media([Seg(), Seg(before=['#EXT-X-DATERANGE:ID="ad",START-DATE="2024-05-01T12:00:10Z"']), Seg()])
    assert '#EXT-X-DATERANGE:ID="ad",START-DATE="2024-05-01T12:00:10Z"' in out(source)
