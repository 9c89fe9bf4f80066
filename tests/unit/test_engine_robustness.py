"""Whatever a stored playlist holds, the engine answers with a clip or a ClipError, never a crash."""

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clipping import ClipError
from tests.support.playlists import ROOT, Seg, clip, master, media, recording

LINES = st.sampled_from(
    [
        "#EXTM3U",
        "#EXT-X-VERSION:x",
        "#EXT-X-TARGETDURATION:",
        "#EXT-X-MEDIA-SEQUENCE:-1",
        "#EXTINF:",
        "#EXTINF:abc,",
        "#EXTINF:-3,",
        "#EXTINF:nan,",
        "#EXTINF:10.0,",
        "#EXT-X-PROGRAM-DATE-TIME:",
        "#EXT-X-PROGRAM-DATE-TIME:2024-13-01T00:00:00Z",
        "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:05.000Z",
        "#EXT-X-BYTERANGE:",
        "#EXT-X-BYTERANGE:a@b",
        "#EXT-X-BYTERANGE:100",
        "#EXT-X-DISCONTINUITY",
        '#EXT-X-MAP:URI="init.mp4"',
        "#EXT-X-MAP:URI=",
        "#EXT-X-ENDLIST",
        "seg.ts",
        "../../../../../../etc/passwd",
        "",
        "\x00",
        "#EXT-X-STREAM-INF:BANDWIDTH=1",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(LINES, max_size=30),
    headed=st.booleans(),
    start=st.floats(0, 60),
    length=st.floats(0.001, 60),
)
def test_any_media_playlist_text_gives_a_clip_or_a_clip_error(lines, headed, start, length):
    store = recording({"720p30": media([Seg()])})
    store[f"{ROOT}/720p30/playlist.m3u8"] = "\n".join(["#EXTM3U", *lines] if headed else lines)
    with contextlib.suppress(ClipError):
        clip(store, start, start + length)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_any_master_text_gives_a_clip_or_a_clip_error(text):
    store = recording({"720p30": media([Seg(), Seg()])})
    store[f"{ROOT}/master.m3u8"] = text
    with contextlib.suppress(ClipError):
        clip(store, 1, 2)


def test_a_master_whose_variant_is_missing_is_a_not_found():
    store = recording({"720p30": media([Seg()])})
    store[f"{ROOT}/master.m3u8"] = master([("720p30/playlist.m3u8", 720), ("gone/playlist.m3u8", 360)])
    try:
        clip(store, 1, 2)
    except ClipError as err:
        assert err.code == "not_found" and "gone/playlist.m3u8" in err.message
    else:
        raise AssertionError("a missing rendition playlist must be refused")
