"""Property tests of clips of recordings that mix dated and undated segments, step back, and rotate keys.

The generated recordings (``tests/support/playlists_strategies.py``) hold ad breaks (undated segments
after a discontinuity, then dated content again), post-rolls after the last date, undated leads
before the first date, date jumps and steps back (small ones into the previous segment, large ones
an hour back or to the recording's start), with and without discontinuity tags, and keys: several
KEYFORMATs side by side, rotation, ``METHOD=NONE``, keys before or after an init section. Each test
checks one rule of a clip against the reference parser of that module.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import assume, given, settings

from clipping import ClipRequest, clip_recording
from tests.support.playlists_strategies import US, RefPlaylist, RefSegment, parse_pdt_us, resolve_uri, resolved_key
from tests.unit.test_engine_properties import _HUNT, SETTINGS, Case, cases

#: Tags a clip writes itself in its header (or drops as stale); a kept segment's other lines are copied.
_HEADER_TAGS = (
    "#EXTM3U",
    "#EXT-X-VERSION",
    "#EXT-X-TARGETDURATION",
    "#EXT-X-MEDIA-SEQUENCE",
    "#EXT-X-DISCONTINUITY-SEQUENCE",
    "#EXT-X-PLAYLIST-TYPE",
    "#EXT-X-ENDLIST",
    "#EXT-X-INDEPENDENT-SEGMENTS",
    "#EXT-X-START",
    "#EXT-X-TWITCH-",
)
_PDT = "#EXT-X-PROGRAM-DATE-TIME:"
#: Fewer examples than the main property file (these share its generator), unless hunting.
MIXES = settings(SETTINGS, max_examples=int(_HUNT) if _HUNT else 60)


def _iso_ms(epoch_us: int) -> str:
    """A date written to the millisecond in UTC (how a clip writes the dates it adds)."""
    ms = (epoch_us + 500) // 1000
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _meaning(line: str, seg: RefSegment, playlist_path: str) -> str:
    """A line with what a move of the playlist changes taken out: URIs resolved, byte ranges absolute."""
    if not line.startswith("#"):
        return "URI " + resolve_uri(playlist_path, line)
    if line.startswith("#EXT-X-BYTERANGE:"):
        return f"BYTERANGE {seg.range}"
    if line.startswith("#EXT-X-KEY:"):
        return resolved_key(line, playlist_path)
    if line.startswith("#EXT-X-MAP:"):
        uri = line.split('URI="', 1)[1].split('"', 1)[0]
        return line.replace(f'URI="{uri}"', f'URI="{resolve_uri(playlist_path, uri)}"')
    return line


def _copied_lines(seg: RefSegment, path: str, position: int) -> list[str]:
    """The lines of a source segment a clip copies, when it is the clip's ``position``-th segment."""
    kept = []
    for line in seg.lines:
        if line.startswith("#") and (not line.startswith("#EXT") or line.startswith(_HEADER_TAGS)):
            continue  # comments, #ID3-EQUIV-TDTG, and the header tags the clip writes itself
        if position == 0 and line == "#EXT-X-DISCONTINUITY":
            continue  # a clip never starts with a discontinuity (its sequence number counts it)
        kept.append(_meaning(line, seg, path))
    return kept


def _pairs(case: Case) -> list[tuple[RefPlaylist, RefPlaylist, list[int]]]:
    return list(zip(case.sources, case.outputs, case.kept, strict=True))


@MIXES
@given(cases())
def test_every_segment_is_the_sources_lines_copied_verbatim_with_a_cuts_rewrites(case: Case) -> None:
    assume(case.clip is not None)
    for source, out, kept in _pairs(case):
        assert kept == list(range(kept[0], kept[0] + len(kept))), "a clip is one run of source segments"
        for position, (seg, index) in enumerate(zip(out.segments, kept, strict=True)):
            src = source.segments[index]
            expected = _copied_lines(src, source.path, position)
            got = _copied_lines(seg, out.path, position)
            added_date = [line for line in got if line.startswith(_PDT) and not any(e == line for e in expected)]
            if added_date:  # a date the source did not write: only where a clip needs one, at the source's time
                assert src.pdt is None and source.dated and (position == 0 or src.discontinuity), added_date
                assert src.start_us is not None
                assert added_date == [_PDT + _iso_ms(src.start_us)]
                got.remove(added_date[0])
            elif source.dated and src.pdt is None and src.start_us is not None:
                assert position > 0 and not src.discontinuity, f"{seg.path}: no date where the clip needs one"
            if position == 0:
                lead, got = got[: len(got) - len(expected)], got[len(got) - len(expected) :]
                # before the first segment's own lines: only the init section and keys in force
                assert all(line.startswith(("#EXT-X-MAP:", "#EXT-X-KEY:")) for line in lead), lead
            assert got == expected


@MIXES
@given(cases())
def test_every_key_and_init_section_in_force_is_the_sources(case: Case) -> None:
    """Keys in force at every kept segment (one per KEYFORMAT; METHOD=NONE clears them) and at its MAP."""
    assume(case.clip is not None)
    for source, out, kept in _pairs(case):
        for seg, index in zip(out.segments, kept, strict=True):
            src = source.segments[index]
            assert seg.keys == src.keys, f"{seg.path}: keys in force differ"
            assert seg.map == src.map
            if src.map is not None:
                assert seg.map_keys == src.map_keys, f"{seg.path}: keys in force at its init section differ"


@MIXES
@given(cases())
def test_extinf_sum_is_the_selected_segments_source_sum(case: Case) -> None:
    assume(case.clip is not None)
    assert case.clip is not None
    for (source, out, kept), summary in zip(_pairs(case), case.clip.renditions, strict=True):
        source_sum = sum(source.segments[i].duration_us for i in kept)
        assert sum(s.duration_us for s in out.segments) == source_sum
        assert summary.duration == round(source_sum / US, 3)


@MIXES
@given(cases())
def test_clip_times_follow_the_sources_clock_across_ad_breaks_and_steps_back(case: Case) -> None:
    """Every kept segment is at its source time on the clip's clock (a date it adds rounds to the ms)."""
    assume(case.clip is not None)
    for source, out, kept in _pairs(case):
        for seg, index in zip(out.segments, kept, strict=True):
            src = source.segments[index]
            assert src.start_us is not None
            if not source.dated:
                assert seg.pdt is None and seg.start_us == src.start_us - source.segments[kept[0]].start_us  # type: ignore[operator]
                continue
            assert seg.start_us is not None
            drift = seg.start_us - src.start_us
            assert abs(drift) <= 500, f"{seg.path} at {seg.start_us}, source at {src.start_us}"
            if seg.pdt is not None:
                assert parse_pdt_us(seg.pdt.split(":", 1)[1]) == seg.start_us


# --------------------------------------------------------------------------------------------
# Engine bugs these properties found, fixed since: kept as regression tests
# --------------------------------------------------------------------------------------------


def _one(text: str, start: float, end: float) -> str:
    files = {"r/master.m3u8": "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv/p.m3u8\n", "r/v/p.m3u8": text}
    clip = clip_recording("r/master.m3u8", ClipRequest.from_values(start, end), files.__getitem__, "c/clip.m3u8")
    return clip.playlists[clip.renditions[0].path]


def _uris(text: str) -> list[str]:
    return [line.rsplit("/", 1)[-1] for line in text.splitlines() if line and not line.startswith("#")]


def test_a_date_repeating_an_undated_segments_time_keeps_the_first_run_in_playlist_order() -> None:
    """Dates 0, 0, 0.3 increase, but the clock of the undated segments after the first reached 2.7 s."""
    head = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00.000Z\n"
    body = "".join(f"#EXTINF:0.3,\ns{i}.ts\n" for i in range(9))
    body += "#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00.000Z\n#EXTINF:0.3,\nr0.ts\n"
    body += "#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00.300Z\n#EXTINF:0.3,\nr1.ts\n"
    text = head + body + "#EXT-X-ENDLIST\n"
    assert _uris(_one(text, 0.3, 0.6)) == ["s1.ts"]  # the fast search used to answer r1.ts


def test_a_key_written_before_an_init_section_is_written_before_it_in_the_clip() -> None:
    """An EXT-X-KEY applies to the MAPs after it: a clip that repeats the MAP repeats that order."""
    key = '#EXT-X-KEY:METHOD=AES-128,URI="k.key"'
    text = (
        "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n"
        f'{key}\n#EXT-X-MAP:URI="init.mp4"\n'
        "#EXTINF:2.0,\ns0.m4s\n#EXTINF:2.0,\ns1.m4s\n#EXT-X-KEY:METHOD=NONE\n#EXTINF:2.0,\ns2.m4s\n#EXT-X-ENDLIST\n"
    )
    tags = [line for line in _one(text, 2.5, 3.5).splitlines() if line.startswith(("#EXT-X-KEY", "#EXT-X-MAP"))]
    assert tags == ['#EXT-X-KEY:METHOD=AES-128,URI="../../r/v/k.key"', '#EXT-X-MAP:URI="../../r/v/init.mp4"']
    rotated = text.replace(
        "#EXTINF:2.0,\ns1.m4s\n#EXT-X-KEY:METHOD=NONE\n", "#EXT-X-KEY:METHOD=NONE\n#EXTINF:2.0,\ns1.m4s\n"
    )
    tags = [line for line in _one(rotated, 2.5, 3.5).splitlines() if line.startswith(("#EXT-X-KEY", "#EXT-X-MAP"))]
    # the key encrypts the init section, then METHOD=NONE (after the MAP) leaves s1 in the clear
    assert tags == [
        '#EXT-X-KEY:METHOD=AES-128,URI="../../r/v/k.key"',
        '#EXT-X-MAP:URI="../../r/v/init.mp4"',
        "#EXT-X-KEY:METHOD=NONE",
    ]
