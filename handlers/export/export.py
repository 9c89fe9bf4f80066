"""A frame-accurate MP4 of a clip window by stream copy: the source's own packets plus an MP4 edit list.

How: the segments covering the window are read (through the injected reader) into one local file, the
keyframe at or before the requested start is found by listing the first packets, ffmpeg seeks to just
before that keyframe and shifts timestamps so the requested frame is at 0. The packets between the
keyframe and the start get negative times, which the MP4 muxer hides behind an edit list, so players
that honour edit lists (ffmpeg, AVFoundation, Safari, Firefox, WebKit-GStreamer) show exactly the window.
Plain `-ss` input seeking is not used alone because MPEG-TS seeking lands on any packet before the target
and stream copy then starts at the *next* keyframe, which can be after the requested start.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import ExportError
from .mp4box import TrackSummary, clamp_duration, top_level_boxes, tracks
from .playlist import ByteSpan, Entry, coalesce, read_entries

#: `read_range(key_or_url, start, length)`: bytes of an object, or of `length` bytes at `start`.
RangeReader = Callable[[str, int | None, int | None], bytes]

VIDEO_CODECS = {"h264": None, "hevc": "hvc1"}  # codec -> MP4 sample entry tag to force (hvc1 for Apple)
AUDIO_CODECS = {"aac", "mp3", "ac3", "eac3", "opus", "alac", "flac"}
#: Rounding in playlists (EXTINF in ms) may put the start a hair off a frame; snap to frames this close.
SNAP_SECONDS = 0.002
#: How far before the keyframe's decode time ffmpeg is told to seek, so the seek cannot land past it.
SEEK_MARGIN = 0.001
#: EXTINFs are rounded to ms, so a whole-recording window may end a few ms after their sum.
END_TOLERANCE = 0.010
#: Read this much of the entry after the window (TS only), for the audio muxed after its video.
MARGIN_SECONDS = 1.0
_STREAM = re.compile(r"Stream #0:(\d+)[^:]*: (Video|Audio|Data|Subtitle|Attachment): ([0-9a-z_]+)")


@dataclass(frozen=True, slots=True)
class ExportWindow:
    """The window to export: `start` seconds after the first segment's start (a clip's `start_offset`)."""

    start: float
    duration: float

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True, slots=True)
class ExportResult:
    """The MP4 written, and what it holds (read back from its `moov`, not assumed)."""

    path: Path
    size: int
    duration: float  # of the video track's edit, seconds
    video_frames: int  # frames the edit list shows
    video_codec: str
    audio_codec: str | None
    audio_duration: float | None
    segments: int  # playlist entries read
    bytes_read: int
    reads: int  # calls to the reader (adjacent ranges merged)
    seconds: float  # wall time of the whole export


@dataclass(frozen=True, slots=True)
class _Probe:
    video_codec: str
    audio_codec: str | None
    first_pts: float  # earliest video presentation time in the local file
    keyframes: list[tuple[float, float]]  # (pts, dts) of keyframes near the start
    frames: list[float]  # pts of every listed video packet


def _tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _run(cmd: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ExportError("timeout", f"ffmpeg did not finish within {timeout:g} s") from exc


def select_entries(entries: list[Entry], window: ExportWindow) -> list[Entry]:
    """The entries the window overlaps; refuses windows outside the playlist and cuts across discontinuities."""
    total = entries[-1].end
    if not (window.duration > 0 and window.start >= 0 and window.end <= total + END_TOLERANCE):
        raise ExportError(
            "window_outside",
            f"window {window.start:.3f}+{window.duration:.3f} s is not inside the playlist (0 to {total:.3f} s)",
        )
    chosen = [e for e in entries if e.start < window.end and e.end > window.start]
    if not chosen:  # a window ending on the last boundary within the tolerance
        chosen = entries[-1:]
    for e in chosen[1:]:
        if e.discontinuity:
            raise ExportError("discontinuity", "the window crosses an EXT-X-DISCONTINUITY; export each side separately")
        if e.init != chosen[0].init:
            raise ExportError("discontinuity", "the init section (EXT-X-MAP) changes inside the window")
    return chosen


def _copy_to(local: Path, spans: list[ByteSpan], read_range: RangeReader, *, append: bool = False) -> int:
    """Write the spans in order to `local`, one read at a time (memory: one span); returns bytes written."""
    written = 0
    with local.open("ab" if append else "wb") as out:
        for s in spans:
            try:
                data = read_range(s.key, s.start, s.length)
            except Exception as exc:
                if append:  # the margin is best effort: past the end of an object, S3 answers 416
                    return written
                if isinstance(exc, ExportError):
                    raise
                raise ExportError("read_failed", f"could not read {s.key!r}: {exc}") from exc
            if s.length is not None and len(data) != s.length and not append:
                raise ExportError("read_failed", f"{s.key!r} gave {len(data)} bytes at {s.start}, {s.length} expected")
            out.write(data)
            written += len(data)
    return written


def _audio_margin(entries: list[Entry], chosen: list[Entry], window: ExportWindow, written: int) -> ByteSpan | None:
    """The head of the entry after the window, when the window ends near an entry boundary of a TS source.

    Why: an MPEG-TS muxer writes audio up to ~0.7 s after the video it accompanies, so the audio of the
    last moments of an entry sits at the start of the next one; without it the export's audio ends early.
    A prefix of a transport stream is a valid transport stream, so only about a second of it is read.
    """
    last = chosen[-1]
    if last.init is not None or last.end - window.end >= MARGIN_SECONDS:
        return None
    per_second = written / max(sum(e.duration for e in chosen), 0.001)
    want = max(65536, -(-int(per_second * MARGIN_SECONDS) // 188) * 188)
    nxt_index = next(i for i, e in enumerate(entries) if e is last) + 1
    if nxt_index < len(entries):
        nxt = entries[nxt_index]
        if nxt.discontinuity or nxt.init != last.init:
            return None
        if nxt.span.length is not None:
            want = min(want, nxt.span.length)
        return ByteSpan(nxt.span.key, nxt.span.start or 0, want)
    if last.span.start is not None and last.span.length is not None:
        # the clip ends here, but a byte-range part's file usually goes on (IVS parts of ~10 s files)
        return ByteSpan(last.span.key, last.span.start + last.span.length, want)
    return None


def _probe(ffmpeg: str, local: Path, read_seconds: float, timeout: float) -> _Probe:
    """Codecs from ffmpeg's stream list, and the video packets (pts, dts, key flag) of the first seconds."""
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-copyts", "-t", f"{read_seconds:.6f}", "-i", str(local)]
    cmd += ["-map", "0:v:0", "-c", "copy", "-f", "framecrc", "-"]
    proc = _run(cmd, timeout)
    streams = _STREAM.findall(proc.stderr)
    if not streams:
        raise ExportError("unreadable_media", "ffmpeg found no streams in the segments", detail=_tail(proc.stderr))
    video = [codec for _, kind, codec in streams if kind == "Video"]
    audio = [codec for _, kind, codec in streams if kind == "Audio"]
    if not video:
        raise ExportError("no_video", "the rendition has no video stream (audio-only renditions are not exported)")
    if video[0] not in VIDEO_CODECS:
        raise ExportError("unsupported_codec", f"video codec {video[0]!r} is not exported (h264, hevc are)")
    if audio and audio[0] not in AUDIO_CODECS:
        raise ExportError("unsupported_codec", f"audio codec {audio[0]!r} cannot be copied into MP4")
    if proc.returncode != 0:
        raise ExportError("ffmpeg_failed", "ffmpeg could not list the video packets", detail=_tail(proc.stderr))
    tb = 1 / 90000
    keyframes: list[tuple[float, float]] = []
    frames: list[float] = []
    for line in proc.stdout.splitlines():
        if line.startswith("#tb 0: "):
            num, _, den = line[7:].partition("/")
            tb = int(num) / int(den)
        elif line and not line.startswith("#"):
            f = [x.strip() for x in line.split(",")]
            dts, pts = int(f[1]) * tb, int(f[2]) * tb
            frames.append(pts)
            if not any(x.startswith("F=") for x in f[6:]):  # framecrc prints F=… only for non-key packets
                keyframes.append((pts, dts))
    if not frames or not keyframes:
        raise ExportError("unreadable_media", "no video keyframe at the start of the window", detail=_tail(proc.stderr))
    return _Probe(video[0], audio[0] if audio else None, min(frames), keyframes, frames)


def export_mp4(
    playlist_text: str,
    playlist_key: str,
    window: ExportWindow,
    read_range: RangeReader,
    *,
    ffmpeg: str | None = None,
    work_dir: Path | None = None,
    timeout: float = 300.0,
) -> ExportResult:
    """Write `<work_dir>/export.mp4` holding exactly `window` of the media playlist, by stream copy.

    `work_dir` defaults to a new temporary directory (the caller removes it with the result). The local
    copy of the segments is deleted before returning; on failure nothing is left in `work_dir`.
    """
    began = time.perf_counter()
    if ffmpeg is None:
        import imageio_ffmpeg

        ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    entries = read_entries(playlist_text, playlist_key)
    chosen = select_entries(entries, window)
    total = entries[-1].end
    if window.end > total:
        window = ExportWindow(window.start, total - window.start)
    first = chosen[0]
    spans = coalesce(([first.init] if first.init else []) + [e.span for e in chosen])
    fmp4 = first.init is not None
    work = work_dir if work_dir is not None else Path(tempfile.mkdtemp(prefix="export-"))
    work.mkdir(parents=True, exist_ok=True)
    local = work / ("source.mp4" if fmp4 else "source.ts")
    out = work / "export.mp4"
    try:
        bytes_read = _copy_to(local, spans, read_range)
        margin = _audio_margin(entries, chosen, window, bytes_read)
        if margin is not None:
            bytes_read += _copy_to(local, [margin], read_range, append=True)
        start_local = window.start - first.start
        probe = _probe(ffmpeg, local, start_local + 2.0, timeout)
        target = probe.first_pts + start_local
        near = min(probe.frames, key=lambda p: abs(p - target))
        if abs(near - target) <= SNAP_SECONDS:
            target = near
        key = max((k for k in probe.keyframes if k[0] <= target + 1e-6), default=probe.keyframes[0])
        seek = key[1] - SEEK_MARGIN
        cmd = [ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-y"]
        cmd += ["-seek_timestamp", "1", "-ss", f"{seek:.6f}", "-itsoffset", f"{seek - target:.6f}"]
        cmd += ["-i", str(local), "-map", "0:v:0", "-map", "0:a:0?", "-t", f"{window.duration:.6f}", "-c", "copy"]
        tag = VIDEO_CODECS[probe.video_codec]
        if tag:
            cmd += ["-tag:v", tag]
        cmd += ["-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", str(out)]
        proc = _run(cmd, timeout)
        if proc.returncode != 0 or not out.exists():
            raise ExportError("ffmpeg_failed", f"ffmpeg exited with {proc.returncode}", detail=_tail(proc.stderr))
        clamp_duration(out, window.duration)
        result = _verify(out, window, probe)
    except BaseException:
        for path in (out, local):  # never let cleanup hide the error being raised
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        if work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
        raise
    local.unlink(missing_ok=True)
    video, audio = result
    return ExportResult(
        path=out,
        size=out.stat().st_size,
        duration=round(video.duration, 6),
        video_frames=video.shown,
        video_codec=probe.video_codec,
        audio_codec=probe.audio_codec,
        audio_duration=round(audio.duration, 6) if audio else None,
        segments=len(chosen),
        bytes_read=bytes_read,
        reads=len(spans) + (margin is not None),
        seconds=round(time.perf_counter() - began, 3),
    )


def _verify(out: Path, window: ExportWindow, probe: _Probe) -> tuple[TrackSummary, TrackSummary | None]:
    """Refuse an output that is not fast-start, starts on a non-keyframe, or misses the window's length."""
    order = [b.type for b in top_level_boxes(out)]
    if "moov" not in order or "mdat" not in order or order.index("moov") > order.index("mdat"):
        raise ExportError("inexact", f"the MP4 is not fast-start (boxes: {order})")
    found = tracks(out)
    video = next((t for t in found if t.handler == "vide"), None)
    audio = next((t for t in found if t.handler == "soun"), None)
    if video is None or video.shown == 0:
        raise ExportError("inexact", "the MP4 holds no video frame")
    if not video.first_sample_sync:
        raise ExportError("inexact", "the MP4's video does not start on a keyframe")
    frame = _frame_duration(probe.frames)
    if video.start > frame or abs(video.duration - window.duration) > frame:
        raise ExportError(
            "inexact", f"video covers {video.start:.3f}+{video.duration:.3f} s, {window.duration:.3f} s asked"
        )
    return video, audio


def _frame_duration(pts: list[float]) -> float:
    ordered = sorted(pts)
    steps = sorted(b - a for a, b in itertools.pairwise(ordered) if b > a)
    return steps[len(steps) // 2] if steps else 1 / 30
