"""Long windows copy their middle in bulk; the result is the same as segment by segment."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clipping.bulk
from clipping import ClipRequest, OutOfRange, clip_recording
from tests.support.playlists import Seg, clip, media, recording, rendition, tag_values
from tests.support.playlists_strategies import Recording, recordings, windows

BOTH_WAYS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def clip_with_middle_threshold(rec: Recording, window, boundary: str, threshold: int, monkeypatch):
    monkeypatch.setattr(clipping.bulk, "MIN_MIDDLE_CHARS", threshold)
    try:
        result = clip_recording(
            rec.master_path,
            ClipRequest.from_values(window.start, window.end, boundary=boundary),
            rec.read,
            "clips/c.m3u8",
        )
    except OutOfRange as exc:
        return ("out_of_range", exc.message)
    return (result.playlists, result.summary())


@BOTH_WAYS
@given(data=st.data(), boundary=st.sampled_from(["outer", "inner", "nearest"]))
def test_bulk_middle_gives_the_same_clip_as_segment_by_segment(data, boundary):
    rec = data.draw(recordings())
    window = data.draw(windows(rec))
    with pytest.MonkeyPatch.context() as monkeypatch:
        bulk = clip_with_middle_threshold(rec, window, boundary, 0, monkeypatch)
        plain = clip_with_middle_threshold(rec, window, boundary, 10**12, monkeypatch)
    assert bulk == plain


def long_playlist(parts: int = 400, uri_every: int = 5) -> str:
    return media(
        [
            Seg("2.000", uri=f"{i // uri_every}.ts", byterange=f"{1000 + i}@{(i % uri_every) * 5000}")
            for i in range(parts)
        ],
        version=4,
        playlist_type="VOD",
    )


def test_a_long_window_takes_the_bulk_path(monkeypatch):
    calls: list[int] = []
    original = clipping.bulk.copy_middle

    def spy(text, start, end, relocate):
        middle = original(text, start, end, relocate)
        calls.append(middle.segments if middle else 0)
        return middle

    monkeypatch.setattr(clipping.bulk, "copy_middle", spy)
    result = clip(recording({"720p30": long_playlist(1500)}), 101, 2901)
    assert calls and calls[0] > 1000
    text = rendition(result, "720p30")
    assert result.renditions[0].segments == 1401  # 100-2902 s: parts 50 to 1450
    ranges = tag_values(text, "EXT-X-BYTERANGE")
    assert len(ranges) == 1401 and ranges[0] == "1050@0" and ranges[-1] == "2450@0"


def test_an_unusual_line_in_the_middle_falls_back_to_segment_by_segment(monkeypatch):
    monkeypatch.setattr(clipping.bulk, "MIN_MIDDLE_CHARS", 0)
    text = long_playlist().replace("#EXT-X-BYTERANGE:1200@0\n", "# a comment\n#EXT-X-BYTERANGE:1200@0\n")
    text = text.replace("#EXT-X-BYTERANGE:1201@5000\n", "#EXT-X-BYTERANGE:1201\n")
    result = rendition(clip(recording({"720p30": text}), 101, 701), "720p30")
    assert "#EXT-X-BYTERANGE:1201@1200" in result and "# a comment" not in result
