"""A real decoder plays every rendition of a clip of real video, for as long as the clip says."""

from __future__ import annotations

from pathlib import Path

import pytest

from clipping import Clip, ClipRequest, clip_recording
from tests.support.media import RecordingInfo, decode_hls

pytestmark = pytest.mark.slow
TOLERANCE = 0.1  # seconds: one frame at 15 fps plus rounding of EXTINF


def clip_on_disk(rec: RecordingInfo, out: Path, start: float, end: float, byte_range: bool) -> Clip:
    """Clip with file-system paths, as the CLI does, and write the playlists."""
    result = clip_recording(
        rec.master_path.as_posix(),
        ClipRequest.from_values(start, end, byte_range=byte_range),
        lambda path: Path(path).read_text(),
        (out / "clip.m3u8").as_posix(),
    )
    for path, text in result.playlists.items():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text)
    return result


@pytest.mark.parametrize("byte_range", [False, True], ids=["segments", "byte-ranges"])
def test_every_rendition_of_a_clip_decodes_for_its_reported_duration(real_recording, tmp_path, byte_range):
    result = clip_on_disk(real_recording, tmp_path, 4.5, 13.2, byte_range)
    assert len(result.renditions) == len(real_recording.renditions)
    for rendition in result.renditions:
        decoded = decode_hls(Path(rendition.path))
        assert decoded.ok, decoded.errors or decoded.warnings
        assert decoded.duration == pytest.approx(rendition.duration, abs=TOLERANCE)
        assert decoded.max_video_gap < 0.5


def test_a_byte_range_clip_decodes_only_its_window(real_recording, tmp_path):
    whole = decode_hls(real_recording.rendition(real_recording.renditions[0].name).byte_range_playlist_path)
    result = clip_on_disk(real_recording, tmp_path, 4.5, 6.5, byte_range=True)
    decoded = decode_hls(Path(result.renditions[0].path))
    assert decoded.ok
    assert decoded.first_pts - whole.first_pts == pytest.approx(result.start_seconds, abs=TOLERANCE)
    assert decoded.duration == pytest.approx(result.duration, abs=TOLERANCE)
    assert result.duration < 4  # about two 1 s parts, not a whole 10 s segment


def test_the_clip_master_decodes_through_its_variants(real_recording, tmp_path):
    result = clip_on_disk(real_recording, tmp_path, 0, 11, byte_range=False)
    decoded = decode_hls(tmp_path / "clip.m3u8", variant=1)
    assert decoded.ok and decoded.duration == pytest.approx(result.renditions[1].duration, abs=TOLERANCE)
