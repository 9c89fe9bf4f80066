"""clipping.stitch: per-recording clips of one rendition joined into one playlist, checked against the sources."""

from __future__ import annotations

import posixpath
from datetime import timedelta

import m3u8
import pytest

from clipping import Clip, ClipRequest, InvalidPlaylist, clip_recording
from clipping.stitch import ClipPart, common_master, stitch, stitch_renditions
from tests.support.playlists import T0, Seg, Store, iso, media, recording

ROOT_A = "ivs/v1/123456789012/chan/2024/5/1/12/0/recA/media/hls"
ROOT_B = "ivs/v1/123456789012/chan/2024/5/1/12/5/recB/media/hls"
START_B = T0 + timedelta(minutes=5)
OUT = "clips/c1.m3u8"
NAMES = ("720p30", "360p30")


def _ranged(count: int, size: int, duration: str = "1.000") -> list[Seg]:
    """``count`` byte ranges of ``size`` bytes, four per file (offsets restart on each file)."""
    return [Seg(duration, uri=f"{i // 4}.ts", byterange=f"{size}@{(i % 4) * size}") for i in range(count)]


def _store(target_b: int = 6) -> Store:
    """Recording A (2 s segments from 12:00) and B (6 s segments from 12:05), both modes, two renditions."""
    store = Store()
    a_plain = {n: media([Seg("2.000") for _ in range(30)], target=2) for n in NAMES}
    b_plain = {n: media([Seg("6.000") for _ in range(10)], start=START_B, target=target_b) for n in NAMES}
    a_ranged = {n: media(_ranged(60, 100 * (i + 1)), target=1, version=4) for i, n in enumerate(NAMES)}
    b_ranged = {n: media(_ranged(60, 7 * (i + 1)), start=START_B, target=1, version=4) for i, n in enumerate(NAMES)}
    store.update(recording(a_plain, byte_range=a_ranged, root=ROOT_A))
    store.update(recording(b_plain, byte_range=b_ranged, root=ROOT_B))
    return store


def _clip(store: Store, root: str, start: object, end: object, byte_range: bool = False) -> Clip:
    request = ClipRequest.from_values(start, end, byte_range=byte_range)
    return clip_recording(f"{root}/master.m3u8", request, store.read, OUT)


def _parts(store: Store, byte_range: bool) -> tuple[Clip, Clip]:
    a = _clip(store, ROOT_A, iso(T0 + timedelta(seconds=50)), iso(T0 + timedelta(seconds=60)), byte_range)
    b = _clip(store, ROOT_B, iso(START_B), iso(START_B + timedelta(seconds=14)), byte_range)
    return a, b


def _joined(store: Store, byte_range: bool) -> dict[str, str]:
    a, b = _parts(store, byte_range)
    paths = {n: f"clips/c1/{n}.m3u8" for n in NAMES}
    return stitch_renditions({n: [ClipPart(a.playlists[p]), ClipPart(b.playlists[p])] for n, p in paths.items()})


def _source_segments(store: Store, path: str) -> list[tuple[str, float, str | None, str | None]]:
    """(uri, duration, byterange, date) of every segment of a source playlist, by the m3u8 library."""
    parsed = m3u8.loads(store[path])
    return [
        (posixpath.join(posixpath.dirname(path), s.uri), s.duration, s.byterange, s.program_date_time)
        for s in parsed.segments
    ]


def _clip_segments(text: str) -> list[m3u8.Segment]:
    return list(m3u8.loads(text).segments)


@pytest.mark.parametrize("byte_range", [False, True], ids=["segments", "byte-ranges"])
def test_every_segment_comes_from_its_source_in_time_order(byte_range: bool) -> None:
    store = _store()
    joined = _joined(store, byte_range)
    leaf = "byte-range-variant.m3u8" if byte_range else "playlist.m3u8"
    for name in NAMES:
        sources = {
            root: {(u, b): (d, t) for u, d, b, t in _source_segments(store, f"{root}/{name}/{leaf}")}
            for root in (ROOT_A, ROOT_B)
        }
        segments = _clip_segments(joined[name])
        roots = []
        for seg in segments:
            uri = posixpath.normpath(posixpath.join("clips/c1", seg.uri))
            root = ROOT_A if uri.startswith(ROOT_A) else ROOT_B
            roots.append(root)
            byterange = seg.byterange
            duration, _ = sources[root][(uri, byterange)]  # the very segment of the source (its own range)
            assert seg.duration == duration
        assert roots == sorted(roots, key=lambda r: r == ROOT_B), "A's segments, then B's"
        assert {ROOT_A, ROOT_B} == set(roots)
        dates = [s.current_program_date_time for s in segments]
        assert dates == sorted(dates)


@pytest.mark.parametrize("byte_range", [False, True], ids=["segments", "byte-ranges"])
def test_one_discontinuity_and_a_date_where_the_second_recording_begins(byte_range: bool) -> None:
    joined = _joined(_store(), byte_range)
    for text in joined.values():
        lines = text.splitlines()
        assert lines.count("#EXT-X-DISCONTINUITY") == 1
        at = lines.index("#EXT-X-DISCONTINUITY")
        after = lines[at + 1 : at + 4]
        assert f"#EXT-X-PROGRAM-DATE-TIME:{iso(START_B)}" in after
        first_date = next(line for line in lines if line.startswith("#EXT-X-PROGRAM-DATE-TIME:"))
        assert first_date == f"#EXT-X-PROGRAM-DATE-TIME:{iso(T0 + timedelta(seconds=50))}"
        assert lines.index(first_date) < lines.index(next(x for x in lines if x.startswith("#EXTINF:")))


def test_byte_ranges_keep_explicit_offsets_of_their_own_rendition() -> None:
    store = _store()
    joined = _joined(store, byte_range=True)
    for index, name in enumerate(NAMES):
        ranges = [line for line in joined[name].splitlines() if line.startswith("#EXT-X-BYTERANGE:")]
        assert ranges and all("@" in r for r in ranges)
        sizes = {int(r.split(":")[1].split("@")[0]) for r in ranges}
        assert sizes == {100 * (index + 1), 7 * (index + 1)}  # A's and B's sizes of this rendition only


def test_one_target_duration_and_version_for_every_rendition_vod_and_endlist() -> None:
    joined = _joined(_store(target_b=6), byte_range=False)
    for text in joined.values():
        parsed = m3u8.loads(text)
        assert parsed.target_duration == 6
        assert parsed.playlist_type == "vod" and parsed.is_endlist
        assert text.count("#EXT-X-TARGETDURATION") == 1 and text.count("#EXT-X-ENDLIST") == 1
        assert text.count("#EXT-X-VERSION") == 1
        assert all(round(s.duration) <= 6 for s in parsed.segments)
    byte_joined = _joined(_store(), byte_range=True)
    assert all("#EXT-X-VERSION:4" in t for t in byte_joined.values())


def test_the_first_part_start_offset_is_kept_and_later_ones_dropped() -> None:
    store = _store()
    a = _clip(store, ROOT_A, iso(T0 + timedelta(seconds=51)), iso(T0 + timedelta(seconds=60)))
    b = _clip(store, ROOT_B, iso(START_B + timedelta(seconds=1)), iso(START_B + timedelta(seconds=14)))
    path = "clips/c1/720p30.m3u8"
    text = stitch([ClipPart(a.playlists[path]), ClipPart(b.playlists[path])])
    assert [line for line in text.splitlines() if line.startswith("#EXT-X-START")] == [
        "#EXT-X-START:TIME-OFFSET=1.000,PRECISE=YES"
    ]


def _part(body: list[str], *, version: int = 3, target: int = 2, ds: int = 0) -> str:
    head = ["#EXTM3U", f"#EXT-X-VERSION:{version}", f"#EXT-X-TARGETDURATION:{target}", "#EXT-X-PLAYLIST-TYPE:VOD"]
    if ds:
        head.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{ds}")
    return "\n".join([*head, *body, "#EXT-X-ENDLIST"]) + "\n"


def test_a_part_without_a_date_gets_one_from_its_start() -> None:
    a = _part([f"#EXT-X-PROGRAM-DATE-TIME:{iso(T0)}", "#EXTINF:2.000,", "a.ts"])
    b = _part(["#EXTINF:2.000,", "b.ts"])
    text = stitch([ClipPart(a), ClipPart(b, start_us=int(START_B.timestamp()) * 1_000_000)])
    lines = text.splitlines()
    assert lines[lines.index("b.ts") - 2] == f"#EXT-X-PROGRAM-DATE-TIME:{iso(START_B)}"


def test_a_key_in_force_is_ended_before_a_clear_part() -> None:
    a = _part(['#EXT-X-KEY:METHOD=AES-128,URI="k.bin"', "#EXTINF:2.000,", "a.ts"])
    b = _part(["#EXTINF:2.000,", "b.ts"])
    lines = stitch([ClipPart(a), ClipPart(b)]).splitlines()
    assert lines[lines.index("#EXT-X-DISCONTINUITY") + 1] == "#EXT-X-KEY:METHOD=NONE"


def test_discontinuity_sequence_starts_from_the_first_part_and_must_match_across_renditions() -> None:
    one = _part(["#EXTINF:2.000,", "a.ts", "#EXT-X-DISCONTINUITY", "#EXTINF:2.000,", "b.ts"], ds=3)
    plain = _part(["#EXTINF:2.000,", "c.ts"])
    joined = stitch_renditions({"hi": [ClipPart(one), ClipPart(plain)], "lo": [ClipPart(one), ClipPart(plain)]})
    assert all("#EXT-X-DISCONTINUITY-SEQUENCE:3" in t for t in joined.values())
    with pytest.raises(InvalidPlaylist, match="discontinuities"):
        stitch_renditions({"hi": [ClipPart(one), ClipPart(plain)], "lo": [ClipPart(plain), ClipPart(plain)]})


def test_refusals_offsetless_first_range_and_init_section_that_cannot_end() -> None:
    ok = _part(["#EXTINF:1.000,", "#EXT-X-BYTERANGE:10@0", "a.ts"], version=4)
    offsetless = _part(["#EXTINF:1.000,", "#EXT-X-BYTERANGE:10", "b.ts"], version=4)
    with pytest.raises(InvalidPlaylist, match="explicit offset"):
        stitch([ClipPart(ok), ClipPart(offsetless)])
    fmp4 = _part(['#EXT-X-MAP:URI="init.mp4"', "#EXTINF:1.000,", "a.mp4"], version=6)
    with pytest.raises(InvalidPlaylist, match="init section"):
        stitch([ClipPart(fmp4), ClipPart(_part(["#EXTINF:1.000,", "b.ts"]))])
    with pytest.raises(InvalidPlaylist):
        stitch([])


def test_common_master_lists_only_the_kept_renditions() -> None:
    text = "\n".join(
        [
            "#EXTM3U",
            '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",URI="c1/audio.m3u8"',
            '#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="720p30",NAME="720p"',
            "#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=1280x720",
            "c1/720p30.m3u8",
            "#EXT-X-STREAM-INF:BANDWIDTH=2,RESOLUTION=640x360",
            "c1/360p30.m3u8",
        ]
    )
    out = common_master(text, {"c1/360p30.m3u8": "c1/360p30.m3u8"})
    parsed = m3u8.loads(out)
    assert [p.uri for p in parsed.playlists] == ["c1/360p30.m3u8"]
    assert "audio.m3u8" not in out and 'GROUP-ID="720p30"' in out
