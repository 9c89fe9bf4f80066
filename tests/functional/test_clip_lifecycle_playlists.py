"""Rewriting a clip's playlists for promotion: only lines that name bytes change."""

from __future__ import annotations

import pytest

from handlers.clips.playlists import Ref, UnsupportedReference, references, resolve, rewrite

KEY = "clips/abcdef0123456789abcdef01/720p30.m3u8"
NEW = "clips/abcdef0123456789abcdef01/owned/720p30.m3u8"
SRC = "ivs/v1/1/c/2024/5/1/12/0/rec/media/hls/720p30"
MEDIA = "clips/abcdef0123456789abcdef01/media/720p30"

PLAYLIST = (
    "#EXTM3U\r\n#EXT-X-VERSION:7\r\n#EXT-X-TARGETDURATION:2\r\n"
    f'#EXT-X-MAP:URI="../../{SRC}/init.mp4",BYTERANGE="700@0"\r\n'
    "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:10.000Z\r\n"
    "#EXTINF:1.000,\r\n#EXT-X-BYTERANGE:100@5000\r\n"
    f"../../{SRC}/all.mp4\r\n"
    "#EXTINF:1.000,\r\n#EXT-X-BYTERANGE:200\r\n"  # implicit offset: 5100
    f"../../{SRC}/all.mp4\r\n"
    "#EXT-X-ENDLIST\r\n"
)


def test_references_resolve_keys_and_implicit_offsets() -> None:
    assert references(PLAYLIST, KEY) == [
        Ref(f"{SRC}/init.mp4", 0, 700),
        Ref(f"{SRC}/all.mp4", 5000, 100),
        Ref(f"{SRC}/all.mp4", 5100, 200),
    ]


def test_rewrite_points_at_the_copies_with_explicit_new_offsets_and_keeps_line_endings() -> None:
    moved = {f"{SRC}/init.mp4": f"{MEDIA}/init.mp4", f"{SRC}/all.mp4": f"{MEDIA}/all.mp4"}

    def mapper(ref: Ref) -> tuple[str, int]:
        return moved[ref.key], {0: 0, 5000: 0, 5100: 100}[ref.start]

    out = rewrite(PLAYLIST, KEY, NEW, mapper)
    assert out == (
        "#EXTM3U\r\n#EXT-X-VERSION:7\r\n#EXT-X-TARGETDURATION:2\r\n"
        '#EXT-X-MAP:URI="../media/720p30/init.mp4",BYTERANGE="700@0"\r\n'
        "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:10.000Z\r\n"
        "#EXTINF:1.000,\r\n#EXT-X-BYTERANGE:100@0\r\n../media/720p30/all.mp4\r\n"
        "#EXTINF:1.000,\r\n#EXT-X-BYTERANGE:200@100\r\n../media/720p30/all.mp4\r\n"
        "#EXT-X-ENDLIST\r\n"
    )


def test_rewrite_with_the_identity_changes_nothing_but_implicit_offsets() -> None:
    out = rewrite(PLAYLIST, KEY, KEY, lambda ref: (ref.key, ref.start))
    assert out == PLAYLIST.replace("#EXT-X-BYTERANGE:200\r\n", "#EXT-X-BYTERANGE:200@5100\r\n")


def test_a_master_rewrites_uri_lines_and_uri_attributes_only() -> None:
    master = (
        '#EXTM3U\n#EXT-X-SESSION-DATA:DATA-ID="x",VALUE="y"\n'
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="en",URI="abcdef0123456789abcdef01/audio.m3u8"\n'
        '#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO="a"\nabcdef0123456789abcdef01/720p30.m3u8'
    )
    key = "clips/abcdef0123456789abcdef01.m3u8"
    out = rewrite(master, key, key, lambda ref: (ref.key.replace("01/", "01/owned/"), 0))
    assert out.splitlines()[1] == master.splitlines()[1]
    assert 'URI="abcdef0123456789abcdef01/owned/audio.m3u8"' in out
    assert out.endswith("\nabcdef0123456789abcdef01/owned/720p30.m3u8")  # no newline added


@pytest.mark.parametrize("uri", ["https://evil.example/x.ts", "/abs/x.ts", "../../../../x.ts", "x.ts?token=1"])
def test_references_that_are_not_keys_in_the_bucket_are_refused(uri: str) -> None:
    with pytest.raises(UnsupportedReference):
        resolve("clips/a/b.m3u8", uri)
