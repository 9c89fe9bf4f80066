"""The bench's synthetic recordings are valid IVS-style byte-range playlists, and the bench compares like with like."""

from __future__ import annotations

import re

import m3u8
import pytest

from bench.recordings import PART_MS, Recording, generate_recording, naive_clip_media, naive_clip_recording
from clipping import ClipRequest, clip_recording

_PDT = re.compile(r"^#EXT-X-PROGRAM-DATE-TIME:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
_EXTINF = re.compile(r"^#EXTINF:\d+\.\d{3},$")


@pytest.fixture(scope="module")
def recording() -> Recording:
    return generate_recording(600)  # 10 min, 6 renditions


def test_master_lists_six_byte_range_variants(recording: Recording) -> None:
    master = m3u8.loads(recording.playlists[recording.master_path])
    assert master.is_variant
    uris = [p.uri for p in master.playlists]
    assert len(uris) == 6
    assert all(uri.endswith("/byte-range-variant.m3u8") for uri in uris)
    assert recording.master_path.endswith("/media/hls/byte-range-multivariant.m3u8")
    base = recording.master_path.rsplit("/", 1)[0]
    assert [f"{base}/{uri}" for uri in uris] == list(recording.media_paths)


def test_media_playlists_parse_with_pdt_on_every_part(recording: Recording) -> None:
    first_ranges = set()
    for text in recording.media_texts():
        parsed = m3u8.loads(text)
        assert parsed.is_endlist
        assert parsed.playlist_type == "vod"
        assert parsed.version == 4
        assert len(parsed.segments) == recording.parts == 300
        assert all(seg.program_date_time is not None for seg in parsed.segments)
        assert sum(seg.duration for seg in parsed.segments) == pytest.approx(recording.duration_s)
        lines = text.splitlines()
        pdts = [line for line in lines if line.startswith("#EXT-X-PROGRAM-DATE-TIME:")]
        infs = [line for line in lines if line.startswith("#EXTINF:")]
        assert len(pdts) == len(infs) == recording.parts
        assert all(_PDT.match(line) for line in pdts)
        assert all(_EXTINF.match(line) for line in infs)
        assert {line[8:-1] for line in infs} == {f"{ms / 1000:.3f}" for ms in PART_MS}
        # PDT follows media time: each date is the previous one plus its EXTINF.
        for prev, seg in zip(parsed.segments, parsed.segments[1:], strict=False):
            gap = (seg.program_date_time - prev.program_date_time).total_seconds()
            assert gap == pytest.approx(prev.duration, abs=1e-6)
        first_ranges.add(parsed.segments[0].byterange)
    assert len(first_ranges) == 6  # byte lengths differ per rendition


def test_byte_ranges_are_explicit_and_restart_at_zero_on_each_file(recording: Recording) -> None:
    for text in recording.media_texts():
        segments = m3u8.loads(text).segments
        expected_offset = 0
        previous_uri = None
        files = []
        for seg in segments:
            length, sep, offset = seg.byterange.partition("@")
            assert sep == "@", "every range carries an explicit offset"
            if seg.uri != previous_uri:
                files.append(seg.uri)
                expected_offset = 0
            assert int(offset) == expected_offset
            expected_offset += int(length)
            previous_uri = seg.uri
        assert files == [f"{n}.ts" for n in range(len(segments) // len(PART_MS))]


@pytest.mark.parametrize(("start", "end"), [(300, 360), (540, 600), (0, 60), (301.5, 361.5)])
def test_engine_and_naive_keep_the_same_segments(recording: Recording, start: float, end: float) -> None:
    clip = clip_recording(
        recording.master_path, ClipRequest.from_values(start, end), recording.read, "clips/t/clip.m3u8"
    )
    naive = naive_clip_recording(recording.master_path, recording.read, start, end)
    assert [r.segments for r in clip.renditions] == [count for _, count in naive.values()]
    for rendition, (naive_text, _) in zip(clip.renditions, naive.values(), strict=True):
        engine_ranges = [s.byterange for s in m3u8.loads(clip.playlists[rendition.path]).segments]
        naive_ranges = [s.byterange for s in m3u8.loads(naive_text).segments]
        assert engine_ranges == naive_ranges


def test_naive_clip_media_returns_a_vod_playlist(recording: Recording) -> None:
    text, count = naive_clip_media(recording.media_texts()[0], 300, 360)
    parsed = m3u8.loads(text)
    assert count == len(parsed.segments) == 30
    assert parsed.is_endlist
    assert parsed.media_sequence == 150


def test_generator_refuses_durations_that_split_a_file() -> None:
    with pytest.raises(ValueError):
        generate_recording(15)
