"""Property tests of the clip engine over generated multi-rendition recordings.

Each test draws a recording (see ``tests/support/playlists_strategies.py``), a window inside it and
a boundary mode, clips it with an in-memory storage, and checks one rule of HLS or of clipping
against simple reference parsers.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import m3u8
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from clipping import Clip, ClipRequest, OutOfRange, clip_recording
from tests.support.playlists_strategies import (
    OUTPUT_MASTER,
    US,
    Recording,
    RefPlaylist,
    Window,
    format_pdt,
    parse_media,
    parse_pdt_us,
    recordings,
    reference_select,
    segment_times,
    windows,
)

#: ``ENGINE_PROPERTY_EXAMPLES=2000 pytest ...`` hunts with more (and random) examples; the default run is
#: derandomized so that CI is reproducible and stays well under 30 s.
_HUNT = os.environ.get("ENGINE_PROPERTY_EXAMPLES")
SETTINGS = settings(
    max_examples=int(_HUNT) if _HUNT else 120,
    deadline=None,
    derandomize=not _HUNT,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Case:
    """A recording, a window, a boundary, and what the engine made of them."""

    rec: Recording
    window: Window
    boundary: str
    clip: Clip | None
    error: OutOfRange | None
    sources: list[RefPlaylist]
    outputs: list[RefPlaylist]
    output_texts: list[str]
    kept: list[list[int]]  # per rendition, source indices of the kept segments


@st.composite
def cases(draw: st.DrawFn, boundaries: tuple[str, ...] = ("outer", "inner", "nearest")) -> Case:
    rec = draw(recordings())
    window = draw(windows(rec))
    boundary = draw(st.sampled_from(boundaries))
    return run_case(rec, window, boundary)


def run_case(rec: Recording, window: Window, boundary: str, output_master: str = OUTPUT_MASTER) -> Case:
    """Clip ``rec`` and read back every output playlist with the reference parser."""
    sources = [parse_media(rec.files[p], p) for p in rec.rendition_paths]
    try:
        clip = clip_recording(
            rec.master_path,
            ClipRequest.from_values(window.start, window.end, boundary=boundary),
            rec.read,
            output_master,
        )
    except OutOfRange as exc:
        return Case(rec, window, boundary, None, exc, sources, [], [], [])
    outputs: list[RefPlaylist] = []
    texts: list[str] = []
    kept: list[list[int]] = []
    assert len(clip.renditions) == len(sources)
    for summary, source in zip(clip.renditions, sources, strict=True):
        text = clip.playlists[summary.path]
        out = parse_media(text, summary.path)
        by_key = {seg.key: seg.index for seg in source.segments}
        indices = []
        for seg in out.segments:
            assert seg.key in by_key, f"output segment {seg.key} is not a source segment"
            indices.append(by_key[seg.key])
        assert summary.segments == len(indices)
        outputs.append(out)
        texts.append(text)
        kept.append(indices)
    return Case(rec, window, boundary, clip, None, sources, outputs, texts, kept)


def _overlapping(source: RefPlaylist, start_us: int, end_us: int) -> list[int]:
    return [
        s.index
        for s in source.segments
        if s.start_us is not None
        and s.duration_us > 0
        and s.start_us < end_us
        and s.start_us + s.duration_us > start_us
    ]


def _covered_without_gap(source: RefPlaylist, start_us: int, end_us: int) -> bool:
    """Whether ``[start, end]`` lies inside one run of segments that touch or overlap."""
    run_start: int | None = None
    run_end: int | None = None
    for seg in source.segments:
        if seg.start_us is None:
            continue
        if run_end is None or seg.start_us > run_end:
            if run_start is not None and run_start <= start_us and end_us <= run_end:
                return True
            run_start, run_end = seg.start_us, seg.start_us + seg.duration_us
        else:
            run_end = max(run_end, seg.start_us + seg.duration_us)
    return run_start is not None and run_end is not None and run_start <= start_us and end_us <= run_end


def _times(source: RefPlaylist) -> list[tuple[int | None, int]]:
    return [(s.start_us, s.duration_us) for s in source.segments]


def _expected_nonempty(case: Case, source: RefPlaylist) -> bool:
    return bool(reference_select(_times(source), case.window.start_us, case.window.end_us, case.boundary))


def _never_steps_back(source: RefPlaylist) -> bool:
    """Every timed segment starts at or after the previous one's end: no instant is covered twice."""
    ends = [s.end_us for s in source.segments if s.start_us is not None]
    starts = [s.start_us for s in source.segments if s.start_us is not None]
    return all(b >= a for a, b in zip(ends, starts[1:], strict=False))  # type: ignore[operator]


# --------------------------------------------------------------------------------------------
# Generator sanity: the reference parser reads what the generator meant
# --------------------------------------------------------------------------------------------


@SETTINGS
@given(recordings())
def test_reference_parser_reads_generated_timing(rec: Recording) -> None:
    for path in rec.rendition_paths:
        parsed = parse_media(rec.files[path], path)
        assert [s.start_us for s in parsed.segments] == list(rec.starts_us)
        assert [s.duration_us for s in parsed.segments] == list(rec.durations_us)
        assert [s.discontinuity for s in parsed.segments] == list(rec.discontinuities)
        assert m3u8.loads(rec.files[path]).segments.__len__() == len(rec.starts_us)


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


@SETTINGS
@given(cases())
def test_every_kept_segment_overlaps_the_window(case: Case) -> None:
    w = case.window
    if case.error is not None:
        assert not any(_expected_nonempty(case, s) for s in case.sources), case.error.message
        return
    for source, kept in zip(case.sources, case.kept, strict=True):
        assert kept, "a clip without segments"
        for index in kept:
            seg = source.segments[index]
            assert seg.start_us is not None and seg.end_us is not None
            if case.boundary == "inner":
                assert w.start_us <= seg.start_us and seg.end_us <= w.end_us, (index, seg.extinf)
            else:  # outer and nearest: a positive overlap; touching an edge is not overlapping
                assert seg.start_us < w.end_us and seg.end_us > w.start_us, (index, seg.extinf)


@SETTINGS
@given(cases(("outer",)))
def test_outer_covers_the_window_unless_it_crosses_a_gap(case: Case) -> None:
    w = case.window
    for r, source in enumerate(case.sources):
        if not _never_steps_back(source) or not _covered_without_gap(source, w.start_us, w.end_us):
            continue  # where times repeat, the selector test checks which run is kept
        assert case.error is None, case.error.message
        kept = case.kept[r]
        first, last = source.segments[kept[0]], source.segments[kept[-1]]
        assert first.start_us is not None and last.end_us is not None
        assert first.start_us <= w.start_us
        assert last.end_us >= w.end_us
        assert kept == _overlapping(source, w.start_us, w.end_us)


@SETTINGS
@given(cases())
def test_byte_ranges_are_the_sources_absolute_ranges(case: Case) -> None:
    assume(case.clip is not None)
    for source, out, kept in zip(case.sources, case.outputs, case.kept, strict=True):
        for seg, index in zip(out.segments, kept, strict=True):
            src = source.segments[index]
            if src.range is None:
                assert seg.raw_range is None
                continue
            assert seg.raw_range is not None and "@" in seg.raw_range, f"offset-less range {seg.raw_range!r}"
            length, _, offset = seg.raw_range.partition("@")
            assert (int(length), int(offset)) == src.range


def _round_half_up(duration_us: int) -> int:
    return (duration_us + US // 2) // US


@SETTINGS
@given(cases())
def test_output_is_valid_hls(case: Case) -> None:
    assume(case.clip is not None)
    assert case.clip is not None
    master = m3u8.loads(case.clip.playlists[case.clip.master_path])
    assert master.is_variant
    out_dir = posixpath.dirname(case.clip.master_path)
    assert [posixpath.normpath(posixpath.join(out_dir, p.uri)) for p in master.playlists] == [
        r.path for r in case.clip.renditions
    ]
    targets = set()
    for source, out, text in zip(case.sources, case.outputs, case.output_texts, strict=True):
        parsed = m3u8.loads(text)
        assert len(parsed.segments) == len(out.segments)
        assert parsed.is_endlist and parsed.playlist_type == "vod"
        lines = [line for line in text.splitlines() if line]
        assert lines[0] == "#EXTM3U" and lines[-1] == "#EXT-X-ENDLIST"
        assert out.counts.get("#EXT-X-ENDLIST") == 1
        assert out.counts.get("#EXT-X-VERSION") == 1
        assert out.counts.get("#EXT-X-TARGETDURATION") == 1
        assert out.counts.get("#EXT-X-PLAYLIST-TYPE") == 1
        assert "EVENT" not in text and "TWITCH" not in text and "ID3-EQUIV" not in text
        target = int(out.header["#EXT-X-TARGETDURATION"])
        targets.add(target)
        for seg in out.segments:
            assert _round_half_up(seg.duration_us) <= target, seg.extinf
        version = int(out.header["#EXT-X-VERSION"])
        if any(s.raw_range for s in out.segments):
            assert version >= 4
        if any(s.map for s in out.segments):
            assert version >= 6
        assert not out.segments[0].discontinuity, "a leading DISCONTINUITY"
        if source.dated:
            assert out.segments[0].pdt is not None, "first segment without a date"
            for seg in out.segments:
                if seg.discontinuity:
                    assert seg.pdt is not None, f"{seg.path}: after a DISCONTINUITY without a date"
        for seg in out.segments:
            src_map = source.segments[next(i for i, s in enumerate(source.segments) if s.key == seg.key)].map
            assert seg.map == src_map, "init section in force differs from the source's"
    assert len(targets) == 1, f"target durations differ across renditions: {targets}"


def _strict_ok(text: str) -> bool:
    try:
        m3u8.M3U8(text, strict=True)
    except Exception:  # m3u8 raises plain exceptions on lines it refuses
        return False
    return True


@SETTINGS
@given(cases())
def test_strict_m3u8_accepts_every_clip_whose_source_it_accepts(case: Case) -> None:
    assume(case.clip is not None)
    for path, text in zip(case.rec.rendition_paths, case.output_texts, strict=True):
        if _strict_ok(case.rec.files[path]):
            m3u8.M3U8(text, strict=True)


@SETTINGS
@given(cases())
def test_extinf_and_dates_are_copied_unchanged(case: Case) -> None:
    assume(case.clip is not None)
    for source, out, kept in zip(case.sources, case.outputs, case.kept, strict=True):
        for position, (seg, index) in enumerate(zip(out.segments, kept, strict=True)):
            src = source.segments[index]
            assert seg.extinf == src.extinf
            if src.pdt is not None:
                assert seg.pdt == src.pdt
            elif seg.pdt is not None:
                assert position == 0 or seg.discontinuity, "a date added where none is needed"
                assert src.start_us is not None
                assert abs(parse_pdt_us(seg.pdt.split(":", 1)[1]) - src.start_us) <= 500, seg.pdt


@SETTINGS
@given(cases())
def test_media_and_discontinuity_sequences(case: Case) -> None:
    assume(case.clip is not None)
    disc_seqs = set()
    for source, out, kept in zip(case.sources, case.outputs, case.kept, strict=True):
        first = kept[0]
        src_media = int(source.header.get("#EXT-X-MEDIA-SEQUENCE", "0"))
        assert int(out.header.get("#EXT-X-MEDIA-SEQUENCE", "0")) == src_media + first
        src_disc = int(source.header.get("#EXT-X-DISCONTINUITY-SEQUENCE", "0"))
        passed = sum(1 for s in source.segments[: first + 1] if s.discontinuity)
        out_disc = int(out.header.get("#EXT-X-DISCONTINUITY-SEQUENCE", "0"))
        assert out_disc == src_disc + passed
        disc_seqs.add(out_disc)
        # Which segments are kept is the selector property's business (with ``inner`` and dates that
        # step back, or untimed segments, the kept ones need not be consecutive); where source
        # segments were skipped, the clip must say so with a discontinuity.
        skipped = [i != j + 1 for j, i in pairwise(kept)]
        expected = [source.segments[i].discontinuity or gap for i, gap in zip(kept[1:], skipped, strict=True)]
        assert [s.discontinuity for s in out.segments[1:]] == expected
    assert len(disc_seqs) <= 1


def _segments(case: Case) -> list[list[tuple[str, tuple[int, int] | None, str]]]:
    return [[(s.path, s.range, s.extinf) for s in out.segments] for out in case.outputs]


def _on_clip_clock(case: Case, instant_us: int, edge: str) -> int:
    """The instant on the clip's own clock.

    A date the engine synthesizes (on a first segment that had none) is written to the millisecond,
    so the clip's clock may differ from the source's by up to 0.5 ms: map the instant through the
    kept segment that holds it.
    """
    source, out = case.sources[0], case.outputs[0]
    for src_index, clipped in zip(case.kept[0], out.segments, strict=True):
        src = source.segments[src_index]
        assert src.start_us is not None and src.end_us is not None and clipped.start_us is not None
        inside = src.start_us <= instant_us < src.end_us if edge == "start" else src.start_us < instant_us <= src.end_us
        if inside:
            return clipped.start_us + (instant_us - src.start_us)
    raise AssertionError(f"{instant_us} is in no kept segment")


@SETTINGS
@given(cases())
def test_clipping_a_clip_again_keeps_the_same_segments(case: Case) -> None:
    assume(case.clip is not None)
    assert case.clip is not None
    ref = case.sources[0]
    kept = [ref.segments[i] for i in case.kept[0]]
    clip_start, clip_end = kept[0].start_us, kept[-1].end_us
    assert clip_start is not None and clip_end is not None
    start = _on_clip_clock(case, max(case.window.start_us, clip_start), "start")
    end = _on_clip_clock(case, min(case.window.end_us, clip_end), "end")
    again_rec = Recording(
        files={**case.rec.files, **case.clip.playlists},
        master_path=case.clip.master_path,
        rendition_paths=tuple(r.path for r in case.clip.renditions),
        dated=case.rec.dated,
        pdt_mode=case.rec.pdt_mode,
        uses_map=case.rec.uses_map,
        uses_ranges=case.rec.uses_ranges,
        first_us=case.outputs[0].segments[0].start_us or 0,
        last_us=0,
        starts_us=(),
        durations_us=(),
        discontinuities=(),
    )

    def value(us: int) -> str:
        return format_pdt(us, "Z/us") if case.rec.dated else f"{us // US}.{us % US:06d}"

    again = run_case(again_rec, Window(value(start), value(end), start, end), case.boundary, "clips/again/clip2.m3u8")
    assert again.error is None, again.error.message if again.error else ""
    assert _segments(again) == _segments(case)


# --------------------------------------------------------------------------------------------
# Cross-check with a slow, obviously correct selector built on m3u8
# --------------------------------------------------------------------------------------------


def _m3u8_times(text: str) -> list[tuple[int | None, int]]:
    """(start µs or None, duration µs) of every segment, read by m3u8: its own date, else the previous end.

    The previous end carries across a discontinuity (an undated ad break is timed from the content
    before it); segments before the first date of a dated playlist have no time.
    """
    playlist = m3u8.loads(text)
    durations = [round(seg.duration * US) for seg in playlist.segments]
    dates = [
        None if seg.program_date_time is None else (seg.program_date_time - EPOCH) // timedelta(microseconds=1)
        for seg in playlist.segments
    ]
    return list(zip(segment_times(durations, dates), durations, strict=True))


@SETTINGS
@given(cases())
def test_engine_selects_what_the_reference_selector_selects(case: Case) -> None:
    for path, source in zip(case.rec.rendition_paths, case.sources, strict=True):
        assert _m3u8_times(case.rec.files[path]) == _times(source), "m3u8 and the reference parser disagree"
    expected = [
        reference_select(_m3u8_times(case.rec.files[p]), case.window.start_us, case.window.end_us, case.boundary)
        for p in case.rec.rendition_paths
    ]
    if case.error is not None:
        assert not any(expected), f"engine refused ({case.error.message}) but the reference keeps {expected}"
        return
    assert case.kept == expected


# --------------------------------------------------------------------------------------------
# Fixed examples from the fact sheet (§8), so a reader sees the shapes the generator covers
# --------------------------------------------------------------------------------------------


def _simple_recording(media: dict[str, str]) -> Recording:
    names = list(media)
    master = "#EXTM3U\n" + "".join(f"#EXT-X-STREAM-INF:BANDWIDTH=1\n{n}/playlist.m3u8\n" for n in names)
    files = {"rec/master.m3u8": master, **{f"rec/{n}/playlist.m3u8": t for n, t in media.items()}}
    paths = tuple(f"rec/{n}/playlist.m3u8" for n in names)
    return Recording(files, "rec/master.m3u8", paths, True, "every", False, True, 0, 0, (), (), ())


@pytest.mark.parametrize("boundary", ["outer", "inner"])
def test_offsetless_chain_gets_its_absolute_offset(boundary: str) -> None:
    body = "".join(
        f"#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:0{i}.000Z\n#EXTINF:1.000,\n#EXT-X-BYTERANGE:{100 + k}"
        f"{'@0' if i == 0 else ''}\nf.ts\n"
        for i in range(4)
        for k in [i]
    )
    head = "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:1\n"
    rec = _simple_recording({"a": head + body + "#EXT-X-ENDLIST\n", "b": head + body.replace("10", "20")})
    case = run_case(rec, Window(2, 3, 0, 0), boundary)
    assert case.clip is not None
    ranges = [[s.raw_range for s in out.segments] for out in case.outputs]
    assert ranges == [["102@201"], ["202@401"]]


# --------------------------------------------------------------------------------------------
# Engine bugs these tests found, fixed since: kept as regression tests
# --------------------------------------------------------------------------------------------

_ZERO_DURATION = """#EXTM3U
#EXT-X-VERSION:4
#EXT-X-TARGETDURATION:2
#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00.000Z
#EXTINF:2.000,
#EXT-X-BYTERANGE:100@0
a.ts
#EXTINF:0.000,
#EXT-X-BYTERANGE:50
a.ts
#EXTINF:2.000,
#EXT-X-BYTERANGE:100
a.ts
#EXT-X-ENDLIST
"""


@pytest.mark.parametrize("boundary", ["outer", "inner", "nearest"])
def test_zero_duration_segment_inside_the_window_makes_no_discontinuity(boundary: str) -> None:
    rec = _simple_recording({"a": _ZERO_DURATION, "b": _ZERO_DURATION.replace("100", "300")})
    case = run_case(rec, Window(0, 4, 0, 0), boundary)
    assert case.clip is not None
    for out, text in zip(case.outputs, case.output_texts, strict=True):
        assert "#EXT-X-DISCONTINUITY" not in text, text
        # the bytes between the two kept ranges must not be skipped either: keep the 0 s segment
        ends = [(s.range[1] + s.range[0]) if s.range else None for s in out.segments]
        starts = [s.range[1] if s.range else None for s in out.segments]
        assert ends[:-1] == starts[1:], text


_TRAILING_SPACE = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00.000Z
#EXTINF:2.000,
a.ts
#EXT-X-DISCONTINUITY
#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:01:00.000Z
#EXTINF:2.000,
b.ts
#EXTINF:2.000,
c.ts
#EXT-X-ENDLIST
""".replace("#EXT-X-DISCONTINUITY\n", "#EXT-X-DISCONTINUITY \n")


def test_discontinuity_with_trailing_whitespace_is_not_leading() -> None:
    rec = _simple_recording({"a": _TRAILING_SPACE, "b": _TRAILING_SPACE})
    case = run_case(rec, Window(60, 64, 0, 0), "outer")
    assert case.clip is not None
    for out in case.outputs:
        assert not out.segments[0].discontinuity
        assert out.header.get("#EXT-X-DISCONTINUITY-SEQUENCE") == "1"
