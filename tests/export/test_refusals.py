"""What the export refuses, each with its own machine code, before or instead of writing a file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from handlers.export import ExportError, ExportWindow, export_mp4, find_rendition
from tests.export.media import FileReader, write_clip
from tests.support.media import ffmpeg_exe

MASTER = """#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=320x180,VIDEO="180p15"
180p15.m3u8
"""


def _playlist(uri: str, seconds: float = 4.0) -> str:
    return f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXTINF:{seconds:.3f},\n{uri}\n#EXT-X-ENDLIST\n"


def _encode(path: Path, *args: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [ffmpeg_exe(), "-hide_banner", "-v", "error", "-y", *args, "-t", "4", "-f", "mpegts", str(path)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def _code(excinfo: pytest.ExceptionInfo[ExportError]) -> str:
    return excinfo.value.code


def test_audio_only_rendition_is_refused_as_no_video(tmp_path):
    _encode(tmp_path / "a/0.ts", "-f", "lavfi", "-i", "sine=duration=4", "-c:a", "aac")
    with pytest.raises(ExportError) as e:
        export_mp4(_playlist("0.ts"), "a/p.m3u8", ExportWindow(1, 2), FileReader(tmp_path), work_dir=tmp_path / "w")
    assert _code(e) == "no_video"
    assert not (tmp_path / "w" / "export.mp4").exists()


def test_video_codec_mp4_players_cannot_take_is_refused(tmp_path):
    _encode(tmp_path / "m/0.ts", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=15", "-c:v", "mpeg2video")
    with pytest.raises(ExportError) as e:
        export_mp4(_playlist("0.ts"), "m/p.m3u8", ExportWindow(1, 2), FileReader(tmp_path), work_dir=tmp_path / "w")
    assert _code(e) == "unsupported_codec"


def test_bytes_that_are_no_media_are_refused_as_unreadable(tmp_path):
    (tmp_path / "g").mkdir()
    (tmp_path / "g/0.ts").write_bytes(b"not a transport stream" * 1000)
    with pytest.raises(ExportError) as e:
        export_mp4(_playlist("0.ts"), "g/p.m3u8", ExportWindow(1, 2), FileReader(tmp_path), work_dir=tmp_path / "w")
    assert _code(e) == "unreadable_media"


def test_unknown_rendition_names_the_known_ones():
    with pytest.raises(ExportError) as e:
        find_rendition(MASTER, "clips/x.m3u8", "1080p60")
    assert _code(e) == "unknown_rendition"
    assert "180p15" in e.value.message


@pytest.mark.parametrize(
    ("start", "duration"),
    [(-0.5, 2.0), (3.0, 2.0), (4.5, 1.0), (1.0, 0.0)],
    ids=["before", "past-end", "after", "empty"],
)
def test_window_outside_the_playlist_is_refused_before_reading(tmp_path, start, duration):
    reader = FileReader(tmp_path)
    with pytest.raises(ExportError) as e:
        export_mp4(_playlist("0.ts"), "x/p.m3u8", ExportWindow(start, duration), reader, work_dir=tmp_path)
    assert _code(e) == "window_outside"
    assert reader.calls == []


def test_window_across_a_discontinuity_is_refused(tmp_path):
    text = (
        "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.000,\n0.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:4.000,\n1.ts\n"
        "#EXT-X-ENDLIST\n"
    )
    with pytest.raises(ExportError) as e:
        export_mp4(text, "x/p.m3u8", ExportWindow(3, 2), FileReader(tmp_path), work_dir=tmp_path)
    assert _code(e) == "discontinuity"


def test_init_section_change_inside_the_window_is_refused(tmp_path):
    text = (
        '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI="a.mp4"\n#EXTINF:4.000,\n0.m4s\n'
        '#EXT-X-MAP:URI="b.mp4"\n#EXTINF:4.000,\n1.m4s\n#EXT-X-ENDLIST\n'
    )
    with pytest.raises(ExportError) as e:
        export_mp4(text, "x/p.m3u8", ExportWindow(3, 2), FileReader(tmp_path), work_dir=tmp_path)
    assert _code(e) == "discontinuity"


def test_window_on_one_side_of_a_discontinuity_is_exported(get_source, tmp_path):
    src = get_source("ts-h264")
    clip = write_clip(src, 2.0, 6.0, byte_range=True, clip_id="disc")
    lines = clip.text.splitlines()
    last_uri = max(i for i, line in enumerate(lines) if not line.startswith("#"))
    text = "\n".join([*lines[:last_uri], "#EXT-X-DISCONTINUITY", *lines[last_uri - 2 :]]) + "\n"
    result = export_mp4(text, clip.key, ExportWindow(clip.start_offset, 2.0), FileReader(src.root), work_dir=tmp_path)
    assert result.video_frames == 2 * src.fps


def test_encrypted_segments_are_refused(tmp_path):
    text = '#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k"\n#EXTINF:4.000,\n0.ts\n#EXT-X-ENDLIST\n'
    with pytest.raises(ExportError) as e:
        export_mp4(text, "x/p.m3u8", ExportWindow(1, 2), FileReader(tmp_path), work_dir=tmp_path)
    assert _code(e) == "encrypted"


def test_a_master_playlist_is_not_a_media_playlist(tmp_path):
    with pytest.raises(ExportError) as e:
        export_mp4(MASTER, "clips/x.m3u8", ExportWindow(1, 2), FileReader(tmp_path), work_dir=tmp_path)
    assert _code(e) == "not_media_playlist"


def test_reader_failure_is_a_typed_error(tmp_path):
    def broken(key: str, start: int | None, length: int | None) -> bytes:
        raise OSError("connection reset")

    with pytest.raises(ExportError) as e:
        export_mp4(_playlist("0.ts"), "x/p.m3u8", ExportWindow(1, 2), broken, work_dir=tmp_path)
    assert _code(e) == "read_failed"
    assert "connection reset" in e.value.message


def test_short_read_is_a_typed_error(tmp_path):
    text = "#EXTM3U\n#EXTINF:4.000,\n#EXT-X-BYTERANGE:1000@0\n0.ts\n#EXT-X-ENDLIST\n"
    with pytest.raises(ExportError) as e:
        export_mp4(text, "x/p.m3u8", ExportWindow(1, 2), lambda k, s, n: b"\0" * 10, work_dir=tmp_path)
    assert _code(e) == "read_failed"


def test_ffmpeg_failure_carries_its_last_stderr_lines(get_source, tmp_path):
    src = get_source("ts-h264")
    clip = write_clip(src, 2.0, 6.0, byte_range=True, clip_id="fail")
    blocker = tmp_path / "export.mp4"
    blocker.mkdir()  # ffmpeg cannot write its output over a directory
    with pytest.raises(ExportError) as e:
        export_mp4(clip.text, clip.key, ExportWindow(clip.start_offset, 2.0), FileReader(src.root), work_dir=tmp_path)
    assert _code(e) == "ffmpeg_failed"
    assert e.value.detail
