"""The clip's master: every URI-bearing playlist clipped, everything else kept as it was."""

import pytest

from clipping import InvalidPlaylist
from clipping.master import MasterEntry, read_master, rendition_names
from tests.support.playlists import ROOT, Store, clip, master, media, recording, rendition, segs, uris

ALTERNATIVES = "\n".join(
    [
        "#EXTM3U",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",DEFAULT=YES,URI="audio/en.m3u8",X-CUSTOM="kept"',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="en",URI="subs/en.m3u8"',
        '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="cc1",INSTREAM-ID="CC1"',
        '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,AUDIO="aud",SUBTITLES="subs",CLOSED-CAPTIONS="cc"',
        "360p/playlist.m3u8",
        '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,RESOLUTION=640x360,URI="360p/iframes.m3u8"',
    ]
)


def alternatives_store() -> Store:
    store = Store()
    store[f"{ROOT}/master.m3u8"] = ALTERNATIVES
    for path in ("360p/playlist.m3u8", "audio/en.m3u8", "subs/en.m3u8", "360p/iframes.m3u8"):
        store[f"{ROOT}/{path}"] = media(segs(4))
    return store


def test_audio_subtitle_and_iframe_playlists_are_clipped_too():
    result = clip(alternatives_store(), 5, 15)
    assert sorted(r.name for r in result.renditions) == ["360p", "audio-en", "iframe-360p-iframes", "subtitles-subs-en"]
    assert {r.kind for r in result.renditions} == {"variant", "audio", "subtitles", "iframe"}
    assert all(r.segments == 2 for r in result.renditions)


def test_the_clip_master_points_at_the_clipped_playlists_and_keeps_every_attribute():
    text = clip(alternatives_store(), 5, 15).playlists["clips/c1.m3u8"]
    assert 'URI="c1/audio-en.m3u8",X-CUSTOM="kept"' in text
    assert 'URI="c1/subtitles-subs-en.m3u8"' in text
    assert 'URI="c1/iframe-360p-iframes.m3u8"' in text
    assert '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="cc1",INSTREAM-ID="CC1"' in text
    assert uris(text) == ["c1/360p.m3u8"]
    assert "#EXT-X-INDEPENDENT-SEGMENTS" in text


def test_an_ivs_master_keeps_its_groups_session_data_and_legacy_attributes():
    store = recording({"720p30": media(segs(3)), "160p30": media(segs(3))})
    text = clip(store, 5, 15).playlists["clips/c1.m3u8"]
    source = store[f"{ROOT}/master.m3u8"]
    assert [x for x in text.splitlines() if x.startswith("#")] == [x for x in source.splitlines() if x.startswith("#")]
    assert uris(text) == ["c1/720p30.m3u8", "c1/160p30.m3u8"]


@pytest.mark.parametrize(
    ("uris_in", "expected"),
    [
        (["720p60/playlist.m3u8", "1080p/playlist.m3u8"], ["720p60", "1080p"]),
        (["720p30-abcdeABCDE12/playlist.m3u8", "high/playlist.m3u8"], ["720p30-abcdeABCDE12", "high"]),
        (["a.m3u8", "b.m3u8"], ["a", "b"]),
        (["x/playlist.m3u8", "x/other.m3u8"], ["x", "x-other"]),
    ],
)
def test_rendition_names_come_from_their_folders(uris_in, expected):
    assert rendition_names([MasterEntry(u, "variant") for u in uris_in]) == expected


def test_an_audio_only_variant_is_clipped_like_any_other():
    text = (
        master([("160p30/playlist.m3u8", 160)])
        + '\n#EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS="mp4a.40.2"\naudio_only/playlist.m3u8'
    )
    store = Store({f"{ROOT}/master.m3u8": text})
    store[f"{ROOT}/160p30/playlist.m3u8"] = media(segs(2))
    store[f"{ROOT}/audio_only/playlist.m3u8"] = media(segs(2))
    result = clip(store, 1, 2)
    assert [r.name for r in result.renditions] == ["160p30", "audio_only"]
    assert uris(rendition(result, "audio_only")) == [f"../../{ROOT}/audio_only/0.ts"]


def test_a_media_playlist_given_as_master_is_refused():
    store = recording({"720p30": media(segs(2))})
    with pytest.raises(InvalidPlaylist, match="master"):
        clip(store, 1, 2, master_path=f"{ROOT}/720p30/playlist.m3u8")


def test_a_master_pointing_outside_the_recording_is_refused():
    store = Store({f"{ROOT}/master.m3u8": master([("https://elsewhere.example/p.m3u8", 360)], ivs_groups=False)})
    with pytest.raises(InvalidPlaylist, match="outside"):
        clip(store, 1, 2)


def test_text_that_is_not_hls_is_refused():
    with pytest.raises(InvalidPlaylist, match="EXTM3U"):
        read_master("<html>")


def test_the_result_reports_the_reference_rendition():
    result = clip(recording({"720p30": media(segs(5)), "160p30": media(segs(5))}), 12.5, 25)
    summary = result.summary()
    assert summary["start_time"] == "2024-05-01T12:00:10.000Z"
    assert summary["end_time"] == "2024-05-01T12:00:30.000Z"
    assert summary["duration"] == 20.0
    assert summary["requested_start_time"] == "2024-05-01T12:00:12.500Z"
    assert summary["start_offset"] == 2.5
    assert [(r["name"], r["segments"], r["duration"]) for r in summary["renditions"]] == [
        ("720p30", 2, 20.0),
        ("160p30", 2, 20.0),
    ]
    assert "playlists" not in summary
