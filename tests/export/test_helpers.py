"""Playlist reading, URI resolution, variant choice and the download file name."""

from __future__ import annotations

import pytest

from handlers.export import (
    ByteSpan,
    ExportError,
    content_disposition,
    find_rendition,
    highest_variant,
    read_entries,
    resolve_uri,
)
from handlers.export.playlist import coalesce

CLIP_KEY = "clips/abc/720p30.m3u8"
MASTER = """#EXTM3U
#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="360p30",NAME="360p",AUTOSELECT=YES,DEFAULT=YES
#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360,VIDEO="360p30"
abc/360p30.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=3500000,RESOLUTION=1280x720,VIDEO="720p30"
abc/720p30.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=160000,RESOLUTION=284x160
abc/160p30/playlist.m3u8
"""


def test_clip_uris_resolve_to_recording_keys():
    assert resolve_uri(CLIP_KEY, "../../ivs/v1/1/c/2024/5/6/7/8/r/media/hls/720p30/3.ts") == (
        "ivs/v1/1/c/2024/5/6/7/8/r/media/hls/720p30/3.ts"
    )


def test_uris_resolve_against_a_url_playlist():
    assert resolve_uri("https://cdn.example/clips/a/x.m3u8", "../../ivs/0.ts") == "https://cdn.example/ivs/0.ts"


@pytest.mark.parametrize("uri", ["../../../etc/passwd", "/etc/passwd"])
def test_uris_that_leave_the_store_are_refused(uri):
    with pytest.raises(ExportError) as e:
        resolve_uri(CLIP_KEY, uri)
    assert e.value.code == "bad_uri"


def test_byte_ranges_without_offset_follow_the_previous_range_of_the_file():
    text = (
        "#EXTM3U\n#EXTINF:1.000,\n#EXT-X-BYTERANGE:100@50\na.ts\n#EXTINF:1.333,\n#EXT-X-BYTERANGE:70\na.ts\n"
        "#EXT-X-ENDLIST\n"
    )
    entries = read_entries(text, "x/p.m3u8")
    assert [e.span for e in entries] == [ByteSpan("x/a.ts", 50, 100), ByteSpan("x/a.ts", 150, 70)]
    assert [e.start for e in entries] == [0.0, 1.0]


def test_init_section_in_force_is_attached_to_each_segment():
    text = '#EXTM3U\n#EXT-X-MAP:URI="init.mp4",BYTERANGE="800@0"\n#EXTINF:2.000,\n0.m4s\n#EXT-X-ENDLIST\n'
    (entry,) = read_entries(text, "r/p.m3u8")
    assert entry.init == ByteSpan("r/init.mp4", 0, 800)


def test_adjacent_ranges_of_one_file_merge_into_one_read():
    spans = [ByteSpan("a", 0, 10), ByteSpan("a", 10, 5), ByteSpan("b", 15, 5), ByteSpan("b", 30, 5)]
    assert coalesce(spans) == [ByteSpan("a", 0, 15), ByteSpan("b", 15, 5), ByteSpan("b", 30, 5)]


def test_highest_bandwidth_variant_is_the_default_download():
    v = highest_variant(MASTER, "clips/abc.m3u8")
    assert (v.name, v.key, v.bandwidth) == ("720p30", "clips/abc/720p30.m3u8", 3500000)


def test_rendition_found_by_video_group_or_folder():
    assert find_rendition(MASTER, "clips/abc.m3u8", "360p30").key == "clips/abc/360p30.m3u8"
    assert find_rendition(MASTER, "clips/abc.m3u8", "160p30").key == "clips/abc/160p30/playlist.m3u8"


def test_master_without_variants_is_a_typed_error():
    with pytest.raises(ExportError) as e:
        highest_variant("#EXTM3U\n", "m.m3u8")
    assert e.value.code == "no_variants"


def test_ascii_title_gives_a_plain_filename():
    assert content_disposition("Goal of the match", "6df8") == 'attachment; filename="Goal of the match.mp4"'


def test_non_ascii_title_adds_an_rfc5987_filename():
    header = content_disposition("Tor! Müller 1:0 ⚽", "6df8")
    assert header.startswith('attachment; filename="Tor! Muller 1_0')
    assert "filename*=UTF-8''Tor!%20M%C3%BCller%201%3A0%20%E2%9A%BD.mp4" in header
    assert header.isascii()


@pytest.mark.parametrize("title", ['a"b', "a/b\\c", "line\r\nbreak", "x\x00y", "../../etc/passwd"])
def test_title_cannot_break_the_header_or_name_a_path(title):
    header = content_disposition(title, "6df8")
    name = header.split('filename="', 1)[1].split('"', 1)[0]
    assert not set(name) & set('"/\\\r\n\x00')
    assert "\r" not in header and "\n" not in header
    assert name.endswith(".mp4") and not name.startswith(".")


@pytest.mark.parametrize("title", [None, "", "   ", "🎉🎉"])
def test_empty_or_unrepresentable_title_falls_back_to_the_clip_id(title):
    assert 'filename="clip-6df85c73.mp4"' in content_disposition(title, "6df85c73")


def test_long_titles_are_cut():
    name = content_disposition("x" * 1000, "1").split('"')[1]
    assert len(name) <= 124
