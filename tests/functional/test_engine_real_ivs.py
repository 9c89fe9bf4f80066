"""The clip engine on a real IVS recording (171.546 s, four renditions, standard and byte-range playlists).

The recording lives in ``../shared/fixtures/ivs-real-recording`` next to the repository; every test
here skips when it is absent. The engine gets absolute file paths, as ``clipping/cli.py`` gives it,
and the clips are written into ``tmp_path`` so that their relative URIs lead back to the fixture.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import m3u8
import pytest

from clipping import Clip, ClipRequest, clip_recording, format_iso
from tests.support.playlists_strategies import RefPlaylist, parse_media

SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
FIXTURE = SHARED / "ivs-real-recording"
BASELINE = SHARED / "ivs-real-recording-baseline-clips" / "media" / "hls"
HLS = FIXTURE / "ivs/v1/098435415742/2rrcA103rn67/2023/2/9/22/55/Pd8MyZnzUAFl/media/hls"
MASTER = HLS / "master.m3u8"
RENDITIONS = ("720p30", "480p30", "360p30", "160p30")
DURATION = 171.546

pytestmark = pytest.mark.skipif(not MASTER.is_file(), reason=f"real IVS recording fixture absent: {FIXTURE}")

WINDOWS = {
    "start": (0, 5),
    "middle": (60.5, 75.25),
    "end": (165, DURATION),
    "across-ts-boundary": (8, 13),  # 0.ts ends at 10.267 s
    "start-0-to-exact-end": (0, DURATION),
    "exact-end": (150, DURATION),
}


def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def _clip(tmp_path: Path, start: float | str, end: float | str, byte_range: bool, boundary: str = "outer") -> Clip:
    """Clip the fixture and write the playlists under ``tmp_path``."""
    out = tmp_path / "clips" / "clip.m3u8"
    clip = clip_recording(
        MASTER.as_posix(), ClipRequest.from_values(start, end, byte_range, boundary), _read, out.as_posix()
    )
    for path, text in clip.playlists.items():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, encoding="utf-8")
    return clip


def _source(name: str, byte_range: bool) -> RefPlaylist:
    path = HLS / name / ("byte-range-variant.m3u8" if byte_range else "playlist.m3u8")
    return parse_media(path.read_text(encoding="utf-8"), path.as_posix())


def _outputs(clip: Clip) -> dict[str, RefPlaylist]:
    return {r.name: parse_media(clip.playlists[r.path], r.path) for r in clip.renditions}


@pytest.mark.parametrize("byte_range", [False, True], ids=["standard", "byte-range"])
@pytest.mark.parametrize("window", list(WINDOWS), ids=list(WINDOWS))
def test_each_rendition_carries_its_own_segments(tmp_path: Path, window: str, byte_range: bool) -> None:
    start, end = WINDOWS[window]
    clip = _clip(tmp_path, start, end, byte_range)
    outputs = _outputs(clip)
    assert list(outputs) == list(RENDITIONS)
    first = _source(RENDITIONS[0], byte_range)
    base = first.segments[0].start_us
    assert base is not None
    for name, out in outputs.items():
        source = _source(name, byte_range)
        by_pdt = {s.pdt: s for s in source.segments}
        assert out.segments, name
        for seg in out.segments:
            src = by_pdt[seg.pdt]  # IVS dates every segment, so the date names the segment
            assert seg.path == src.path, "URI does not lead to the rendition's own file"
            assert seg.extinf == src.extinf
            assert seg.raw_range == src.raw_range, f"{name}: {seg.raw_range} != its own {src.raw_range}"
            assert Path(seg.path).is_file(), f"{seg.path} does not exist"
        kept = [by_pdt[s.pdt].index for s in out.segments]
        assert kept == list(range(kept[0], kept[0] + len(kept)))
        # outer: the kept segments cover the window, and each one overlaps it
        s0, s1 = out.segments[0], out.segments[-1]
        assert s0.start_us is not None and s1.end_us is not None
        assert s0.start_us <= base + round(start * 1e6) and s1.end_us >= base + round(end * 1e6)
        for seg in out.segments:
            assert seg.start_us is not None and seg.end_us is not None
            assert seg.start_us < base + round(end * 1e6) and seg.end_us > base + round(start * 1e6)
    if byte_range:
        ranges = {name: [s.raw_range for s in out.segments] for name, out in outputs.items()}
        assert len({tuple(r) for r in ranges.values()}) == len(RENDITIONS), f"renditions share ranges: {ranges}"


@pytest.mark.parametrize("byte_range", [False, True], ids=["standard", "byte-range"])
def test_output_is_a_clean_vod_playlist(tmp_path: Path, byte_range: bool) -> None:
    clip = _clip(tmp_path, 8, 13, byte_range)
    master_text = clip.playlists[clip.master_path]
    master = m3u8.loads(master_text)
    assert master.is_variant and len(master.playlists) == len(RENDITIONS)
    assert "SESSION-DATA" in master_text and 'GROUP-ID="160p30"' in master_text
    for p in master.playlists:
        assert (Path(clip.master_path).parent / p.uri).is_file()
    targets = set()
    for r in clip.renditions:
        text = clip.playlists[r.path]
        for stale in ("EVENT", "TWITCH", "ID3-EQUIV", "#EXTINF:1\n"):
            assert stale not in text, stale
        parsed = m3u8.loads(text)
        assert parsed.playlist_type == "vod" and parsed.is_endlist
        assert text.count("#EXT-X-ENDLIST") == 1 and text.count("#EXT-X-VERSION:") == 1
        assert parsed.version >= (4 if byte_range else 3)
        targets.add(parsed.target_duration)
        assert all(round(s.duration) <= parsed.target_duration for s in parsed.segments)
        assert parsed.segments[0].program_date_time is not None
        if byte_range:
            assert all(re.fullmatch(r"\d+@\d+", s.byterange) for s in parsed.segments)
    assert targets == {12}


def test_byte_range_clip_crossing_a_ts_boundary_resets_the_offset(tmp_path: Path) -> None:
    clip = _clip(tmp_path, 8, 13, True)
    out = _outputs(clip)["160p30"]
    files = [Path(s.path).name for s in out.segments]
    assert "0.ts" in files and "1.ts" in files
    first_of_1 = next(s for s in out.segments if Path(s.path).name == "1.ts")
    assert first_of_1.range is not None and first_of_1.range[1] == 0


def test_relative_absolute_and_iso_windows_agree(tmp_path: Path) -> None:
    base = _source("720p30", False).segments[0].start_us
    assert base is not None
    relative = _clip(tmp_path / "a", 20, 40, True)
    epoch = _clip(tmp_path / "b", base / 1e6 + 20, base / 1e6 + 40, True)
    iso = _clip(tmp_path / "c", "2023-02-09T22:56:01.550Z", "2023-02-09T17:56:21.550-05:00", True)
    texts = [
        [c.playlists[r.path].replace(str(tmp_path / d), "") for r in c.renditions]
        for c, d in ((relative, "a"), (epoch, "b"), (iso, "c"))
    ]
    assert texts[0] == texts[1] == texts[2]


# --------------------------------------------------------------------------------------------
# The original sample's bug: every rendition got 720p30's byte ranges
# --------------------------------------------------------------------------------------------

BASELINE_CLIPS = sorted(p.name for p in (BASELINE / "160p30").glob("*_clip_playlist.m3u8")) if BASELINE.is_dir() else []


@pytest.mark.skipif(not BASELINE.is_dir(), reason="baseline clips absent")
@pytest.mark.parametrize("baseline", BASELINE_CLIPS)
def test_160p30_does_not_get_720p30_ranges_like_the_baseline(tmp_path: Path, baseline: str) -> None:
    wrong = parse_media((BASELINE / "160p30" / baseline).read_text(encoding="utf-8"), "x/160p30/p.m3u8")
    # the baseline's window: from its first date to the end of its last segment
    first, last = wrong.segments[0], wrong.segments[-1]
    assert first.start_us is not None and last.end_us is not None
    clip = _clip(tmp_path, first.pdt.split(":", 1)[1], format_iso(last.end_us), True, boundary="inner")
    ours = _outputs(clip)
    assert [s.pdt for s in ours["160p30"].segments] == [s.pdt for s in wrong.segments], "window not identified"
    ours_160 = [s.raw_range for s in ours["160p30"].segments]
    ours_720 = [s.raw_range for s in ours["720p30"].segments]
    assert ours_160 != [s.raw_range for s in wrong.segments]
    # what the baseline wrote for 160p30 is exactly 720p30's ranges
    assert ours_720 == [s.raw_range for s in wrong.segments]
    own = {s.pdt: s.raw_range for s in _source("160p30", True).segments}
    assert ours_160 == [own[s.pdt] for s in wrong.segments]


def test_baseline_160p30_known_wrong_range_is_fixed(tmp_path: Path) -> None:
    """Fact sheet §7.1: the baseline's 160p30 clip has ``381264@224848``; 160p30's own range is ``46624@30644``."""
    clip = _clip(tmp_path, 1, 2.267, True, boundary="inner")
    ranges = {name: [s.raw_range for s in out.segments] for name, out in _outputs(clip).items()}
    assert ranges["720p30"] == ["381264@224848"]
    assert ranges["160p30"] == ["46624@30644"]


# --------------------------------------------------------------------------------------------
# Real decode with ffmpeg
# --------------------------------------------------------------------------------------------


def _ffmpeg() -> str:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:  # no binary for this platform
        pytest.skip(f"no ffmpeg: {exc}")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rendition", "start", "end"),
    [("160p30", 8, 13), ("720p30", 8, 13), ("160p30", 0, DURATION), ("480p30", 150, DURATION)],
)
def test_ffmpeg_decodes_the_byte_range_clip(tmp_path: Path, rendition: str, start: float, end: float) -> None:
    clip = _clip(tmp_path, start, end, True)
    summary = next(r for r in clip.renditions if r.name == rendition)
    result = subprocess.run(
        [
            _ffmpeg(),
            "-v",
            "error",
            "-nostdin",
            "-allowed_extensions",
            "ALL",
            "-i",
            summary.path,
            "-progress",
            "pipe:1",
            "-nostats",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr
    times = [int(v) for v in re.findall(r"^out_time_us=(\d+)$", result.stdout, re.MULTILINE)]
    assert times, result.stdout
    decoded = times[-1] / 1e6
    assert abs(decoded - summary.duration) < 0.1, (decoded, summary.duration)
