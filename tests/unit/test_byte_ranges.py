"""Byte-range playlists: every rendition keeps its own ranges, always with an explicit offset."""

import pytest

from clipping import NoByteRangePlaylist
from tests.support.playlists import ROOT, Seg, clip, media, recording, rendition, segs, tag_values, uris


def parts(sizes: list[int], per_file: int = 3, implied: bool = False, range_first: bool = False) -> str:
    """One-second parts, ``per_file`` to a .ts file, offsets restarting at 0 on each file."""
    out: list[Seg] = []
    offset = 0
    for i, size in enumerate(sizes):
        if i % per_file == 0:
            offset = 0
        explicit = not implied or i % per_file == 0
        spec = f"{size}@{offset}" if explicit else f"{size}"
        out.append(Seg("1.000", uri=f"{i // per_file}.ts", byterange=spec, range_first=range_first))
        offset += size
    return media(out, version=4, playlist_type="VOD")


def byte_range_recording(**kw) -> dict[str, str]:
    return {
        "720p30": parts([1000, 1100, 1200, 1300, 1400, 1500], **kw),
        "160p30": parts([10, 11, 12, 13, 14, 15], **kw),
    }


def br_clip(start, end, **kw):
    plain = {name: media(segs(2, "3.000")) for name in ("720p30", "160p30")}
    return clip(recording(plain, byte_range=byte_range_recording(**kw)), start, end, byte_range=True)


def test_each_rendition_keeps_its_own_byte_ranges():
    result = br_clip(1.2, 1.8)
    assert tag_values(rendition(result, "720p30"), "EXT-X-BYTERANGE") == ["1100@1000"]
    assert tag_values(rendition(result, "160p30"), "EXT-X-BYTERANGE") == ["11@10"]


def test_implied_offsets_are_written_out():
    result = br_clip(2.5, 3.5, implied=True)
    assert tag_values(rendition(result, "720p30"), "EXT-X-BYTERANGE") == ["1200@2100", "1300@0"]


def test_a_byte_range_before_extinf_still_binds_to_its_uri():
    result = br_clip(1.2, 1.8, range_first=True)
    text = rendition(result, "720p30")
    assert tag_values(text, "EXT-X-BYTERANGE") == ["1100@1000"]
    assert uris(text) == [f"../../{ROOT}/720p30/0.ts"]


def test_a_clip_across_a_file_boundary_restarts_offsets_at_zero():
    text = rendition(br_clip(1.5, 4.5), "720p30")
    assert tag_values(text, "EXT-X-BYTERANGE") == ["1100@1000", "1200@2100", "1300@0", "1400@1300"]
    assert [u.rsplit("/", 1)[1] for u in uris(text)] == ["0.ts", "0.ts", "1.ts", "1.ts"]


def test_byte_range_clips_declare_version_four():
    assert tag_values(rendition(br_clip(1.2, 1.8), "720p30"), "EXT-X-VERSION") == ["4"]


def test_byte_range_mode_reads_the_byte_range_multivariant():
    result = br_clip(1.2, 1.8)
    assert result.byte_range is True
    assert result.source_master_path == f"{ROOT}/byte-range-multivariant.m3u8"


def test_master_url_may_name_the_byte_range_multivariant_directly():
    plain = {name: media(segs(2, "3.000")) for name in ("720p30", "160p30")}
    store = recording(plain, byte_range=byte_range_recording())
    result = clip(store, 1.2, 1.8, master_path=f"{ROOT}/byte-range-multivariant.m3u8")
    assert result.byte_range is True


def test_byte_range_on_a_recording_without_byte_range_playlists_says_so():
    store = recording({"720p30": media(segs(2))})
    with pytest.raises(NoByteRangePlaylist, match="no byte-range playlists") as err:
        clip(store, 1, 2, byte_range=True)
    assert err.value.field == "byte_range" and err.value.code == "no_byte_range"
