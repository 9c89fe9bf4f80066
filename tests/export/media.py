"""Recordings and clip playlists for the export tests, plus decoders that are independent of the export.

Why: the export must be checked on real video in every layout the service clips: IVS MPEG-TS (made by
`tests.support.media.make_ivs_recording`, the real IVS layout), fMP4 (`#EXT-X-MAP` init + `.m4s`,
made here with ffmpeg's HLS muxer) and HEVC, each with a plain and a byte-range playlist.
Clip playlists are written here the way the service writes them (relative `../../` URIs, explicit
`@offset`s, the MAP in force) so the tests do not depend on the clipping engine being rewritten.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.media import (
    RecordingInfo,
    _keyframe_frames,
    ffmpeg_exe,
    format_pdt,
    make_ivs_recording,
    read_media_playlist,
)

START = datetime(2024, 3, 5, 14, 7, 9, 431000, tzinfo=UTC)


@dataclass(frozen=True)
class SourcePart:
    """One keyframe-aligned part of a segment file (a byte-range playlist entry)."""

    uri: str  # key relative to the bucket root
    offset: int
    length: int
    start: float  # seconds from the recording start (sum of earlier EXTINFs)
    duration: float  # EXTINF


@dataclass(frozen=True)
class SourceSegment:
    uri: str
    start: float
    duration: float
    parts: tuple[SourcePart, ...]


@dataclass(frozen=True)
class Source:
    """One rendition of a recording under `root` (the bucket): its playlists, segments and frame rate."""

    root: Path
    name: str
    playlist_key: str
    byte_range_playlist_key: str
    init_key: str | None  # the EXT-X-MAP of fMP4 renditions
    segments: tuple[SourceSegment, ...]
    fps: int
    codec: str

    @property
    def parts(self) -> tuple[SourcePart, ...]:
        return tuple(p for s in self.segments for p in s.parts)

    @property
    def duration(self) -> float:
        return round(sum(s.duration for s in self.segments), 3)


def ts_source(rec: RecordingInfo, name: str, fps: int) -> Source:
    """A `Source` view of a recording made by `make_ivs_recording`."""
    r = rec.rendition(name)
    hls = Path(r.playlist_key).parent.as_posix()
    return Source(
        root=rec.root,
        name=name,
        playlist_key=r.playlist_key,
        byte_range_playlist_key=r.byte_range_playlist_key,
        init_key=None,
        segments=tuple(
            SourceSegment(
                f"{hls}/{s.uri}",
                s.start,
                s.duration,
                tuple(SourcePart(f"{hls}/{p.uri}", p.offset, p.length, p.start, p.duration) for p in s.parts),
            )
            for s in r.segments
        ),
        fps=fps,
        codec="h264",
    )


def make_ts_source(root: Path, *, seconds: float = 24, fps: int = 15, size: tuple[int, int] = (320, 180)) -> Source:
    """An IVS MPEG-TS H.264/AAC recording with one rendition (the real IVS layout)."""
    rec = make_ivs_recording(root, seconds=seconds, renditions=[("180p15", *size, 300)], fps=fps, thumbnails_every=None)
    return ts_source(rec, "180p15", fps)


def make_source(
    root: Path,
    *,
    codec: str = "h264",
    segment_type: str = "fmp4",
    seconds: float = 24,
    fps: int = 15,
    size: tuple[int, int] = (320, 180),
    bframes: int = 0,
    segment_seconds: int = 10,
    name: str = "180p15",
    preset: str = "ultrafast",
) -> Source:
    """A recording in the IVS folder layout, in any codec/segment type: 1 s keyframe parts (every 7th longer),
    grouped into ~10 s segment files, with `playlist.m3u8` and `byte-range-variant.m3u8` (both with PDTs).
    """
    total = round(seconds * fps)
    keyframes = _keyframe_frames(total, fps, round(fps / 3))
    force = ",".join(f"{(f - 0.5) / fps:.6f}" for f in keyframes)
    ext = "m4s" if segment_type == "fmp4" else "ts"
    hls = f"ivs/v1/123456789012/TstChan0001a/2024/3/5/14/7/Gen{codec}{segment_type}{bframes}/media/hls"
    out = root / hls / name
    out.mkdir(parents=True, exist_ok=True)
    if codec == "h264":
        vcodec = ["-c:v", "libx264", "-preset", preset, "-bf", str(bframes), "-sc_threshold", "0", "-g", "600"]
    elif codec == "hevc":
        params = f"log-level=error:bframes={bframes}:open-gop=0:scenecut=0:keyint=600"
        vcodec = ["-c:v", "libx265", "-preset", preset, "-x265-params", params, "-tag:v", "hvc1"]
    else:
        vcodec = ["-c:v", codec]
    with tempfile.TemporaryDirectory(prefix="export-enc-") as tmp:
        work = Path(tmp)
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y"]
        cmd += ["-f", "lavfi", "-i", f"testsrc2=size={size[0]}x{size[1]}:rate={fps}:duration={seconds}"]
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:beep_factor=4:sample_rate=48000:duration={seconds}"]
        cmd += ["-map", "0:v", "-map", "1:a", *vcodec, "-pix_fmt", "yuv420p", "-force_key_frames", force]
        cmd += ["-c:a", "aac", "-b:a", "48k", "-ac", "2", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0"]
        if segment_type == "fmp4":
            cmd += ["-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4"]
        else:
            cmd += ["-hls_segment_type", "mpegts"]
        cmd += ["-hls_segment_filename", str(work / f"p%05d.{ext}"), str(work / "pieces.m3u8")]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"ffmpeg failed: {proc.stderr[-2000:]}")
        pieces = read_media_playlist(work / "pieces.m3u8")
        if len(pieces) != len(keyframes):
            raise RuntimeError(f"{len(pieces)} pieces for {len(keyframes)} keyframes")
        init_key = None
        if segment_type == "fmp4":
            (out / "init.mp4").write_bytes((work / "init.mp4").read_bytes())
            init_key = f"{hls}/{name}/init.mp4"
        durations_ms = [round(p.duration * 1000) for p in pieces]
        per = segment_seconds
        groups = [list(range(i, min(i + per, len(pieces)))) for i in range(0, len(pieces), per)]
        version = 7 if segment_type == "fmp4" else 3
        head = ["#EXTM3U", f"#EXT-X-VERSION:{version}", "#EXT-X-TARGETDURATION:12", "#EXT-X-MEDIA-SEQUENCE:0"]
        if segment_type == "fmp4":
            head.append('#EXT-X-MAP:URI="init.mp4"')
        std, br = list(head), list(head)
        segments: list[SourceSegment] = []
        elapsed = 0
        for n, group in enumerate(groups):
            uri = f"{n}.{ext}"
            seg_start = elapsed
            parts: list[SourcePart] = []
            offset = 0
            with (out / uri).open("wb") as f:
                for i in group:
                    data = (work / pieces[i].uri).read_bytes()
                    f.write(data)
                    pdt = format_pdt(START + timedelta(milliseconds=elapsed))
                    br += [f"#EXT-X-PROGRAM-DATE-TIME:{pdt}", f"#EXTINF:{durations_ms[i] / 1000:.3f},"]
                    br += [f"#EXT-X-BYTERANGE:{len(data)}@{offset}", uri]
                    parts.append(
                        SourcePart(f"{hls}/{name}/{uri}", offset, len(data), elapsed / 1000, durations_ms[i] / 1000)
                    )
                    offset += len(data)
                    elapsed += durations_ms[i]
            seg_ms = elapsed - seg_start
            std += [f"#EXT-X-PROGRAM-DATE-TIME:{format_pdt(START + timedelta(milliseconds=seg_start))}"]
            std += [f"#EXTINF:{seg_ms / 1000:.3f},", uri]
            segments.append(SourceSegment(f"{hls}/{name}/{uri}", seg_start / 1000, seg_ms / 1000, tuple(parts)))
        (out / "playlist.m3u8").write_text("\n".join([*std, "#EXT-X-ENDLIST", ""]))
        (out / "byte-range-variant.m3u8").write_text("\n".join([*br, "#EXT-X-ENDLIST", ""]))
    return Source(
        root=root,
        name=name,
        playlist_key=f"{hls}/{name}/playlist.m3u8",
        byte_range_playlist_key=f"{hls}/{name}/byte-range-variant.m3u8",
        init_key=init_key,
        segments=tuple(segments),
        fps=fps,
        codec=codec,
    )


# --------------------------------------------------------------------------- clip playlists


@dataclass(frozen=True)
class Clip:
    """A clip media playlist as the service writes it, and the window's offset into its first segment."""

    key: str
    text: str
    start_offset: float
    duration: float  # requested window length
    first_start: float  # recording time of the clip's first segment


def _relative(from_dir: str, key: str) -> str:
    up = len([p for p in from_dir.split("/") if p])
    return "../" * up + key


def write_clip(
    src: Source, start: float, end: float, *, byte_range: bool, clip_id: str = "c0ffee", clip_dir: str = "clips"
) -> Clip:
    """`clips/<id>/<rendition>.m3u8` covering [start, end) of the recording (outer boundary), relative URIs."""
    units: list[tuple[str, float, float, int | None, int | None]] = (
        [(p.uri, p.start, p.duration, p.offset, p.length) for p in src.parts]
        if byte_range
        else [(s.uri, s.start, s.duration, None, None) for s in src.segments]
    )
    chosen = [u for u in units if u[1] < end and u[1] + u[2] > start]
    folder = f"{clip_dir}/{clip_id}"
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{7 if src.init_key else 4 if byte_range else 3}"]
    lines += ["#EXT-X-TARGETDURATION:12", "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-MEDIA-SEQUENCE:0"]
    lines.append(f"#EXT-X-START:TIME-OFFSET={start - chosen[0][1]:.3f},PRECISE=YES")
    if src.init_key:
        lines.append(f'#EXT-X-MAP:URI="{_relative(folder, src.init_key)}"')
    for uri, t, d, offset, length in chosen:
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{format_pdt(START + timedelta(seconds=t))}")
        lines.append(f"#EXTINF:{d:.3f},")
        if offset is not None:
            lines.append(f"#EXT-X-BYTERANGE:{length}@{offset}")
        lines.append(_relative(folder, uri))
    lines.append("#EXT-X-ENDLIST")
    text = "\n".join(lines) + "\n"
    key = f"{folder}/{src.name}.m3u8"
    (src.root / key).parent.mkdir(parents=True, exist_ok=True)
    (src.root / key).write_text(text)
    return Clip(key, text, round(start - chosen[0][1], 3), round(end - start, 3), chosen[0][1])


# --------------------------------------------------------------------------- reading and decoding


class FileReader:
    """`read_range` over files under `root` (plays the bucket); counts calls and bytes like S3 would bill."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.calls: list[tuple[str, int | None, int | None]] = []

    def __call__(self, key: str, start: int | None, length: int | None) -> bytes:
        self.calls.append((key, start, length))
        with (self.root / key).open("rb") as f:
            if start is None:
                return f.read()
            f.seek(start)
            return f.read(length if length is not None else -1)


def frame_md5s(target: Path, *, extra: list[str] | None = None) -> list[str]:
    """MD5 of every decoded video frame, in presentation order, as ffmpeg shows them (edit lists applied)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", *(extra or []), "-i", str(target)]
    cmd += ["-map", "0:v:0", "-fps_mode", "passthrough", "-f", "framemd5", "-"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True)
    return [line.rsplit(",", 1)[1].strip() for line in proc.stdout.splitlines() if line and not line.startswith("#")]


def source_md5s(src: Source) -> list[str]:
    """Frame MD5s of the whole rendition, decoded from its own playlist by ffmpeg's HLS demuxer."""
    return frame_md5s(src.root / src.playlist_key, extra=["-allowed_extensions", "ALL"])


def raw_frame(target: Path, index: int = 0, *, extra: list[str] | None = None) -> bytes:
    """The `index`-th decoded frame as raw RGB24 bytes (a pixel-exact comparison, no hashing)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", *(extra or []), "-i", str(target)]
    cmd += ["-map", "0:v:0", "-vf", f"select=eq(n\\,{index})", "-frames:v", "1", "-fps_mode", "passthrough"]
    cmd += ["-pix_fmt", "rgb24", "-f", "rawvideo", "-"]
    return subprocess.run(cmd, capture_output=True, timeout=600, check=True).stdout


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@dataclass(frozen=True)
class StreamSpan:
    """Decoded frames of one stream: count, first presentation time and end (last pts + duration), seconds."""

    frames: int
    first: float
    end: float


def decoded_spans(target: Path) -> dict[str, StreamSpan]:
    """`video`/`audio` spans as ffmpeg's decoders output them (edit lists applied, original timestamps kept)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-copyts", "-i", str(target)]
    cmd += ["-map", "0:v:0", "-map", "0:a:0?", "-fps_mode", "passthrough", "-enc_time_base:v", "demux"]
    cmd += ["-f", "framecrc", "-"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True)
    tbs: dict[int, float] = {}
    kinds: dict[int, str] = {}
    rows: dict[int, list[tuple[int, int]]] = {}
    for line in proc.stdout.splitlines():
        if line.startswith("#tb "):
            idx, _, tb = line[4:].partition(": ")
            num, _, den = tb.partition("/")
            tbs[int(idx)] = int(num) / int(den)
        elif line.startswith("#media_type "):
            idx, _, kind = line[12:].partition(": ")
            kinds[int(idx)] = kind.strip()
        elif line and not line.startswith("#"):
            f = [x.strip() for x in line.split(",")]
            rows.setdefault(int(f[0]), []).append((int(f[2]), int(f[3])))
    out: dict[str, StreamSpan] = {}
    for idx, kind in kinds.items():
        r = sorted(rows.get(idx, []))
        if r:
            out[kind] = StreamSpan(len(r), r[0][0] * tbs[idx], (r[-1][0] + r[-1][1]) * tbs[idx])
    return out
