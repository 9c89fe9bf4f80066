"""The export on real video: exact frames, the source's own pixels, A/V sync, fast start, every layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.export import ExportResult, ExportWindow, export_mp4, top_level_boxes
from tests.export.conftest import SOURCES
from tests.export.media import Clip, FileReader, Source, decoded_spans, frame_md5s, raw_frame, write_clip

pytestmark = pytest.mark.slow

#: Recording-time windows: mid-segment start off any keyframe; one crossing a 10 s segment boundary.
WINDOWS = [(7.4, 13.6), (8.2, 19.8)]
MODES = {"plain": False, "byte-range": True}


def _export(src: Source, start: float, end: float, byte_range: bool, tmp_path: Path) -> tuple[Clip, ExportResult]:
    clip = write_clip(src, start, end, byte_range=byte_range, clip_id=tmp_path.name)
    result = export_mp4(
        clip.text, clip.key, ExportWindow(clip.start_offset, clip.duration), FileReader(src.root), work_dir=tmp_path
    )
    return clip, result


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", SOURCES)
@pytest.mark.parametrize("window", WINDOWS, ids=["in-segment", "across-segments"])
def test_copied_frames_are_the_sources_frames_of_the_window(get_source, get_source_md5s, kind, mode, window, tmp_path):
    src = get_source(kind)
    _, result = _export(src, *window, MODES[mode], tmp_path)
    first = round(window[0] * src.fps)
    expected = get_source_md5s(kind)[first : round(window[1] * src.fps)]
    assert frame_md5s(result.path) == expected


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["ts-h264", "fmp4-h264", "ts-h264-bframes"])
def test_frame_count_is_window_times_frame_rate(get_source, kind, mode, tmp_path):
    src = get_source(kind)
    start, end = 8.2, 19.8
    _, result = _export(src, start, end, MODES[mode], tmp_path)
    decoded = decoded_spans(result.path)["video"].frames
    assert abs(decoded - (end - start) * src.fps) <= 1
    assert result.video_frames == decoded  # what the result reports is what a decoder shows


@pytest.mark.parametrize("mode", MODES)
def test_first_frame_shown_is_the_source_frame_at_the_requested_start(get_source, mode, tmp_path):
    src = get_source("ts-h264")
    _, result = _export(src, 7.4, 13.6, MODES[mode], tmp_path)
    source = raw_frame(src.root / src.playlist_key, round(7.4 * src.fps))
    shown = raw_frame(result.path, 0)
    assert len(shown) == 320 * 180 * 3
    assert shown == source
    assert shown != raw_frame(src.root / src.playlist_key, round(7.4 * src.fps) - 1)  # the check can tell frames apart


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["ts-h264", "fmp4-h264", "ts-h264-bframes"])
def test_audio_and_video_start_and_end_together(get_source, kind, mode, tmp_path):
    src = get_source(kind)
    _, result = _export(src, 7.4, 13.6, MODES[mode], tmp_path)
    spans = decoded_spans(result.path)
    video, audio = spans["video"], spans["audio"]
    frame = 1 / src.fps
    assert abs(video.first) < 1e-6
    assert abs(audio.first - video.first) <= frame
    assert abs(audio.end - video.end) <= frame
    assert abs(video.end - 6.2) <= frame


@pytest.mark.parametrize("kind", ["ts-h264", "fmp4-h264"])
def test_output_is_fast_start(get_source, kind, tmp_path):
    src = get_source(kind)
    _, result = _export(src, 3.0, 9.0, True, tmp_path)
    order = [b.type for b in top_level_boxes(result.path)]
    assert order[0] == "ftyp"
    assert order.index("moov") < order.index("mdat")


def test_result_describes_the_file(get_source, tmp_path):
    src = get_source("ts-h264")
    _, result = _export(src, 7.4, 13.6, True, tmp_path)
    assert result.path.exists() and result.size == result.path.stat().st_size
    assert result.duration == pytest.approx(6.2, abs=1e-3)
    assert (result.video_codec, result.audio_codec) == ("h264", "aac")
    assert result.audio_duration == pytest.approx(6.2, abs=1 / src.fps)
    assert not (tmp_path / "source.ts").exists()  # the local copy of the segments is gone


def test_byte_range_clip_reads_one_range_per_file_plus_margin(get_source, tmp_path):
    src = get_source("ts-h264")
    reader = FileReader(src.root)
    clip = write_clip(src, 7.4, 13.6, byte_range=True, clip_id="reads")
    export_mp4(clip.text, clip.key, ExportWindow(clip.start_offset, clip.duration), reader, work_dir=tmp_path)
    files = {c[0] for c in reader.calls}
    assert len(files) == 2  # 0.ts and 1.ts
    assert len(reader.calls) <= len(files) + 1
    assert all(start is not None for _, start, _ in reader.calls)


def test_hevc_keeps_the_apple_sample_entry(get_source, tmp_path):
    from handlers.export import tracks

    src = get_source("ts-hevc")
    _, result = _export(src, 7.4, 13.6, False, tmp_path)
    assert result.video_codec == "hevc"
    assert next(t for t in tracks(result.path) if t.handler == "vide").codec == "hvc1"
