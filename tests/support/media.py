"""Real H.264/AAC recordings laid out exactly as Amazon IVS writes them to S3, and a real-decoder check.

Why: a clip is only correct if a real player decodes it, and fake bytes cannot prove that. Everything here
uses the ffmpeg binary that the `imageio-ffmpeg` wheel ships, so tests need nothing outside PyPI.

The layout and playlist formats follow the IVS low-latency recording (prefix with non-padded date parts,
events JSON, master + byte-range multivariant, `playlist.m3u8` of ~10 s `N.ts` files and
`byte-range-variant.m3u8` of 1 s keyframe sub-ranges with explicit offsets and a PDT on every entry).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import imageio_ffmpeg
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_ROOT = REPO_ROOT / "sample"
TARGET_DURATION = 12  # IVS writes 12 whatever the real segment lengths are.
AUDIO_CODEC = "mp4a.40.2"
FIXTURE_RENDITIONS: list[tuple[str, int, int, int]] = [("180p15", 320, 180, 150), ("90p15", 160, 90, 60)]
FIXTURE_START = datetime(2024, 3, 5, 14, 7, 9, 431000, tzinfo=UTC)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Part:
    """One byte-range entry of byte-range-variant.m3u8: a keyframe-aligned slice of an N.ts file."""

    uri: str
    offset: int
    length: int
    duration: float  # the EXTINF value (3 decimals)
    pdt: datetime
    start: float  # seconds from the recording's first PDT (sum of earlier EXTINFs)


@dataclass(frozen=True)
class Segment:
    """One entry of playlist.m3u8: a whole ~10 s N.ts file."""

    uri: str
    size: int
    duration: float
    pdt: datetime
    start: float
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class RenditionInfo:
    """One rendition folder under media/hls; keys are relative to the bucket root, paths are on disk."""

    name: str
    width: int
    height: int
    bandwidth: int
    codecs: str
    playlist_key: str
    playlist_path: Path
    byte_range_playlist_key: str
    byte_range_playlist_path: Path
    segments: tuple[Segment, ...]

    @property
    def parts(self) -> tuple[Part, ...]:
        return tuple(p for s in self.segments for p in s.parts)


@dataclass(frozen=True)
class RecordingInfo:
    """A recording on disk under `root` (which plays the S3 bucket); `prefix` is its S3 prefix."""

    root: Path
    prefix: str
    path: Path
    account_id: str
    channel_id: str
    recording_id: str
    channel_arn: str
    start: datetime  # first PDT
    duration: float  # sum of playlist.m3u8 EXTINF
    duration_ms: int  # as in recording-ended.json
    master_key: str
    master_path: Path
    byte_range_master_key: str
    byte_range_master_path: Path
    renditions: tuple[RenditionInfo, ...]
    thumbnail_keys: tuple[str, ...]

    @property
    def end(self) -> datetime:
        return self.start + timedelta(milliseconds=self.duration_ms)

    def rendition(self, name: str) -> RenditionInfo:
        for r in self.renditions:
            if r.name == name:
                return r
        raise KeyError(name)


@dataclass(frozen=True)
class PlaylistEntry:
    """One media segment line of an HLS media playlist, as written (tags before it applied)."""

    uri: str
    duration: float
    pdt: str | None
    byterange: tuple[int, int | None] | None  # (length, offset or None when implicit)


@dataclass(frozen=True)
class Variant:
    """One EXT-X-STREAM-INF of a multivariant playlist, with its media playlist resolved on disk."""

    uri: str
    path: Path
    bandwidth: int
    resolution: str | None
    codecs: str | None
    video_group: str | None


@dataclass(frozen=True)
class Decoded:
    """What the real ffmpeg HLS demuxer + decoders produced. Timestamps are the original ones (-copyts)."""

    playlist: str
    returncode: int
    video_frames: int
    duration: float  # video: last pts - first pts + last frame duration, seconds
    first_pts: float | None
    audio_duration: float | None
    audio_first_pts: float | None
    width: int | None
    height: int | None
    max_video_gap: float  # largest hole between one frame's end and the next frame's pts, seconds
    opened: tuple[str, ...]  # URLs the demuxer opened, in order (adjacent byte ranges share one open)
    errors: tuple[str, ...]  # error/fatal lines, plus segments the demuxer failed to open and skipped
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.errors and self.video_frames > 0


# --------------------------------------------------------------------------- helpers


def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def format_pdt(dt: datetime) -> str:
    """IVS PDT: UTC, milliseconds, `Z`."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_pdt(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def ivs_prefix(account_id: str, channel_id: str, started: datetime, recording_id: str) -> str:
    """`ivs/v1/<account>/<channel>/<y>/<m>/<d>/<h>/<min>/<id>`, date parts not zero-padded, as IVS does."""
    s = started.astimezone(UTC)
    return f"ivs/v1/{account_id}/{channel_id}/{s.year}/{s.month}/{s.day}/{s.hour}/{s.minute}/{recording_id}"


def _attrs(text: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in re.findall(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', text)}


def read_media_playlist(path: Path) -> list[PlaylistEntry]:
    """Independent minimal parser, so fixture checks never depend on the service's own parser."""
    entries: list[PlaylistEntry] = []
    duration: float | None = None
    pdt: str | None = None
    byterange: tuple[int, int | None] | None = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",", 1)[0])
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            pdt = line.split(":", 1)[1]
        elif line.startswith("#EXT-X-BYTERANGE:"):
            length, _, offset = line.split(":", 1)[1].partition("@")
            byterange = (int(length), int(offset) if offset else None)
        elif not line.startswith("#"):
            if duration is None:
                raise ValueError(f"{path}: URI {line!r} without EXTINF")
            entries.append(PlaylistEntry(line, duration, pdt, byterange))
            duration, pdt, byterange = None, None, None
    return entries


def master_variants(master: Path) -> list[Variant]:
    """The variants of a multivariant playlist, with URIs resolved relative to it."""
    out: list[Variant] = []
    pending: dict[str, str] | None = None
    for raw in master.read_text().splitlines():
        line = raw.strip()
        if line.startswith("#EXT-X-STREAM-INF:"):
            pending = _attrs(line.split(":", 1)[1])
        elif line and not line.startswith("#") and pending is not None:
            out.append(
                Variant(
                    uri=line,
                    path=(master.parent / line).resolve(),
                    bandwidth=int(pending.get("BANDWIDTH", "0")),
                    resolution=pending.get("RESOLUTION"),
                    codecs=pending.get("CODECS"),
                    video_group=pending.get("VIDEO"),
                )
            )
            pending = None
    return out


def select_variant(master: Path, variant: int | str) -> Variant:
    """A variant by index, or by VIDEO group id, URI, or the name of the folder/file it points at."""
    variants = master_variants(master)
    if isinstance(variant, int):
        return variants[variant]
    for v in variants:
        if variant in (v.video_group, v.uri, v.path.parent.name, v.path.stem, v.path.name):
            return v
    raise KeyError(f"{variant!r} not in {[v.uri for v in variants]}")


def _avc_codecs(ts_path: Path) -> str:
    """`avc1.PPCCLL` from the first SPS in a transport stream, so the master's CODECS is the truth."""
    data = ts_path.read_bytes()
    payload = bytearray()
    pmt_pids: set[int] = set()
    video_pid: int | None = None
    for i in range(0, len(data) - 187, 188):
        pkt = data[i : i + 188]
        pid = ((pkt[1] & 0x1F) << 8) | pkt[2]
        afc = (pkt[3] >> 4) & 3
        start = 4 + (1 + pkt[4] if afc & 2 else 0)
        if not afc & 1:
            continue
        body = pkt[start:]
        if pid == 0:  # PAT
            sec = body[1 + body[0] :]
            n = (((sec[1] & 0x0F) << 8) | sec[2]) - 9
            for j in range(8, 8 + n, 4):
                if (sec[j] << 8) | sec[j + 1]:
                    pmt_pids.add(((sec[j + 2] & 0x1F) << 8) | sec[j + 3])
        elif pid in pmt_pids and video_pid is None:
            sec = body[1 + body[0] :]
            end = 3 + (((sec[1] & 0x0F) << 8) | sec[2]) - 4
            j = 12 + (((sec[10] & 0x0F) << 8) | sec[11])
            while j < end:
                stype, epid = sec[j], ((sec[j + 1] & 0x1F) << 8) | sec[j + 2]
                if stype == 0x1B:
                    video_pid = epid
                j += 5 + (((sec[j + 3] & 0x0F) << 8) | sec[j + 4])
        elif pid == video_pid:
            payload += body
            k = payload.find(b"\x00\x00\x01\x67")
            if k >= 0 and len(payload) >= k + 7:
                return "avc1." + payload[k + 4 : k + 7].hex().upper()
    raise ValueError(f"no H.264 SPS in {ts_path}")


def _run(cmd: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


# --------------------------------------------------------------------------- generation


def _keyframe_frames(total_frames: int, part_frames: int, extra_frames: int) -> list[int]:
    """Frame numbers of the keyframes. With `extra_frames`, every 7th part (index 3, 10, ...) is longer,
    like IVS's occasional 1.267 s parts, so clippers cannot get away with assuming uniform parts."""
    frames = [0]
    while True:
        length = part_frames + (extra_frames if len(frames) % 7 == 4 else 0)
        nxt = frames[-1] + length
        if nxt >= total_frames:
            return frames
        frames.append(nxt)


def _encode(
    work: Path,
    *,
    seconds: float,
    fps: int,
    renditions: list[tuple[str, int, int, int]],
    part_seconds: float,
    keyframes: list[int],
    thumb_dir: Path | None,
    thumbnails_every: int | None,
    audio_kbps: int,
) -> list[Path]:
    """One ffmpeg run: a moving test pattern + beeping sine, encoded per rendition into 1 s HLS pieces."""
    src_w = max(r[1] for r in renditions)
    src_h = max(r[2] for r in renditions)
    n = len(renditions)
    outputs = n + (1 if thumb_dir is not None else 0)
    graph = [f"[0:v]split={outputs}" + "".join(f"[s{i}]" for i in range(outputs))]
    graph += [f"[s{i}]scale={w}:{h},setsar=1[v{i}]" for i, (_, w, h, _) in enumerate(renditions)]
    graph.append(f"[1:a]asplit={n}" + "".join(f"[a{i}]" for i in range(n)))
    if thumb_dir is not None:
        graph.append(f"[s{n}]select='not(mod(n\\,{round(thumbnails_every * fps)}))'[t]")
    force = ",".join(f"{(f - 0.5) / fps:.6f}" for f in keyframes)
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={src_w}x{src_h}:rate={fps}:duration={seconds}",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:beep_factor=4:sample_rate=48000:duration={seconds}",
        "-filter_complex",
        ";".join(graph),
    ]
    playlists: list[Path] = []
    for i, (_, w, h, kbps) in enumerate(renditions):
        out = work / f"r{i}"
        out.mkdir()
        level = "3.1" if w * h * fps <= 1280 * 720 * 30 else "4.1"
        cmd += [
            "-map", f"[v{i}]", "-map", f"[a{i}]",
            "-c:v", "libx264", "-threads:v", "1", "-preset", "ultrafast", "-coder", "1", "-profile:v", "main",
            "-level:v", level, "-pix_fmt", "yuv420p",
            "-b:v", f"{kbps}k", "-maxrate", f"{kbps}k", "-bufsize", f"{2 * kbps}k",
            "-g", str(4 * fps), "-sc_threshold", "0", "-force_key_frames", force,
            "-c:a", "aac", "-b:a", f"{audio_kbps}k", "-ac", "2",
            "-f", "hls", "-hls_time", f"{part_seconds}", "-hls_list_size", "0",
            "-hls_segment_type", "mpegts", "-hls_segment_filename", str(out / "p%05d.ts"),
            str(out / "pieces.m3u8"),
        ]  # fmt: skip
        playlists.append(out / "pieces.m3u8")
    if thumb_dir is not None:
        thumb_dir.mkdir(parents=True, exist_ok=True)
        cmd += ["-map", "[t]", "-fps_mode", "vfr", "-q:v", "6", "-start_number", "0", str(thumb_dir / "thumb%d.jpg")]
    proc = _run(cmd, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({proc.returncode}):\n{proc.stderr}")
    return playlists


def _master(renditions: list[tuple[str, int, int, int, str]], channel_id: str, account_id: str, leaf: str) -> str:
    """master.m3u8 / byte-range-multivariant.m3u8: no VERSION, one URI-less VIDEO group per variant."""
    lines = [
        "#EXTM3U",
        f'#EXT-X-SESSION-DATA:DATA-ID="net.live-video.content.id",VALUE="{channel_id}"',
        f'#EXT-X-SESSION-DATA:DATA-ID="net.live-video.customer.id",VALUE="{account_id}"',
    ]
    for name, w, h, bandwidth, codecs in renditions:
        label = m.group(1) if (m := re.match(r"(\d+p)", name)) else name
        lines += [
            f'#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="{name}",NAME="{label}",AUTOSELECT=YES,DEFAULT=YES',
            f'#EXT-X-STREAM-INF:PROGRAM-ID=1,BANDWIDTH={bandwidth},CODECS="{codecs},{AUDIO_CODEC}",'
            f'RESOLUTION={w}x{h},VIDEO="{name}"',
            f"{name}/{leaf}",
        ]
    return "\n".join(lines)  # IVS writes no trailing newline here


def make_ivs_recording(
    root: Path,
    *,
    seconds: float = 24,
    renditions: list[tuple[str, int, int, int]] | None = None,
    fps: int = 15,
    segment_seconds: int = 10,
    part_seconds: float = 1,
    irregular_parts: bool = True,
    start: datetime = FIXTURE_START,
    account_id: str = "123456789012",
    channel_id: str = "TstChan0001a",
    recording_id: str = "TstRec0001ab",
    region: str = "us-west-2",
    thumbnails_every: int | None = 10,
    audio_kbps: int = 48,
) -> RecordingInfo:
    """Encode real video and write it under `root/<IVS prefix>/` exactly as IVS records to S3.

    `renditions` are (name, width, height, video kbps), highest first. Every rendition shares the same
    keyframes, so all playlists have identical EXTINF/PDT lists and only byte offsets differ (as in IVS).
    With `irregular_parts`, every 7th part is ~1/3 s longer (real IVS parts range 0.9 to 2 s).
    """
    rends = renditions or FIXTURE_RENDITIONS
    start = (start if start.tzinfo else start.replace(tzinfo=UTC)).astimezone(UTC)
    start = start.replace(microsecond=start.microsecond // 1000 * 1000)
    total_frames = round(seconds * fps)
    part_frames = max(1, round(part_seconds * fps))
    extra = round(fps / 3) if irregular_parts else 0
    keyframes = _keyframe_frames(total_frames, part_frames, extra)

    started_at = start.replace(microsecond=0)
    prefix = ivs_prefix(account_id, channel_id, started_at, recording_id)
    rec = root / prefix
    if rec.exists():
        shutil.rmtree(rec)
    hls = rec / "media" / "hls"
    hls.mkdir(parents=True)
    thumb_dir = rec / "media" / "thumbnails" if thumbnails_every else None

    with tempfile.TemporaryDirectory(prefix="ivs-enc-") as tmp:
        piece_lists = _encode(
            Path(tmp),
            seconds=seconds,
            fps=fps,
            renditions=rends,
            part_seconds=part_seconds,
            keyframes=keyframes,
            thumb_dir=thumb_dir,
            thumbnails_every=thumbnails_every,
            audio_kbps=audio_kbps,
        )
        pieces = [read_media_playlist(p) for p in piece_lists]
        if any(len(p) != len(pieces[0]) for p in pieces):
            raise RuntimeError(f"renditions cut into different piece counts: {[len(p) for p in pieces]}")
        if len(pieces[0]) != len(keyframes):
            raise RuntimeError(f"{len(pieces[0])} pieces for {len(keyframes)} forced keyframes")
        # One timing for all renditions (the first one's), in integer ms so PDT(n+1) = PDT(n) + EXTINF(n).
        durations_ms = [round(e.duration * 1000) for e in pieces[0]]
        per_segment = max(1, round(segment_seconds / part_seconds))
        groups = [
            list(range(i, min(i + per_segment, len(durations_ms)))) for i in range(0, len(durations_ms), per_segment)
        ]
        total_ms = sum(durations_ms)
        ended_at = (start + timedelta(milliseconds=total_ms)).replace(microsecond=0)
        written_at = ended_at + timedelta(seconds=5)
        seg_ms = [sum(durations_ms[i] for i in g) for g in groups]
        target = max(TARGET_DURATION, math.ceil(max(seg_ms) / 1000))

        master_rows: list[tuple[str, int, int, int, str]] = []
        for (name, w, h, _), piece_list, entries in zip(rends, piece_lists, pieces, strict=True):
            out = hls / name
            out.mkdir()
            std = [
                "#EXTM3U",
                "#EXT-X-VERSION:3",
                f"#EXT-X-TARGETDURATION:{target}",
                f"#ID3-EQUIV-TDTG:{written_at.strftime('%Y-%m-%dT%H:%M:%S')}",
                "#EXT-X-PLAYLIST-TYPE:EVENT",
                "#EXT-X-MEDIA-SEQUENCE:0",
                "#EXT-X-TWITCH-ELAPSED-SECS:0.000",
                f"#EXT-X-TWITCH-TOTAL-SECS:{total_ms / 1000:.3f}",
            ]
            br = [
                "#EXTM3U",
                "#EXT-X-VERSION:4",
                f"#EXT-X-TARGETDURATION:{target}",
                "#EXT-X-PLAYLIST-TYPE:VOD",
                "#EXT-X-MEDIA-SEQUENCE:0",
            ]
            elapsed = 0
            peak = 0.0
            for n, group in enumerate(groups):
                uri = f"{n}.ts"
                offset = 0
                with (out / uri).open("wb") as ts:
                    std += [
                        f"#EXT-X-PROGRAM-DATE-TIME:{format_pdt(start + timedelta(milliseconds=elapsed))}",
                        f"#EXTINF:{seg_ms[n] / 1000:.3f},",
                        uri,
                    ]
                    for i in group:
                        data = (piece_list.parent / entries[i].uri).read_bytes()
                        ts.write(data)
                        br += [
                            f"#EXT-X-PROGRAM-DATE-TIME:{format_pdt(start + timedelta(milliseconds=elapsed))}",
                            f"#EXTINF:{durations_ms[i] / 1000:.3f},",
                            f"#EXT-X-BYTERANGE:{len(data)}@{offset}",
                            uri,
                        ]
                        offset += len(data)
                        elapsed += durations_ms[i]
                peak = max(peak, offset * 8 / max(seg_ms[n] / 1000, 0.001))
            std.append("#EXT-X-ENDLIST")
            br.append("#EXT-X-ENDLIST")
            (out / "playlist.m3u8").write_text("\n".join(std) + "\n")
            (out / "byte-range-variant.m3u8").write_text("\n".join(br) + "\n")
            master_rows.append((name, w, h, int(peak), _avc_codecs(out / "0.ts")))

    (hls / "master.m3u8").write_text(_master(master_rows, channel_id, account_id, "playlist.m3u8"))
    (hls / "byte-range-multivariant.m3u8").write_text(
        _master(master_rows, channel_id, account_id, "byte-range-variant.m3u8")
    )
    _write_events(
        rec,
        channel_arn=f"arn:aws:ivs:{region}:{account_id}:channel/{channel_id}",
        started_at=started_at,
        ended_at=ended_at,
        duration_ms=total_ms,
        renditions=rends,
        thumbnail_size=(rends[0][1], rends[0][2]) if thumb_dir is not None else None,
    )
    return read_ivs_recording(root, prefix)


def _write_events(
    rec: Path,
    *,
    channel_arn: str,
    started_at: datetime,
    ended_at: datetime,
    duration_ms: int,
    renditions: list[tuple[str, int, int, int]],
    thumbnail_size: tuple[int, int] | None,
) -> None:
    """recording-started/ended.json in IVS key order, compact, no trailing newline.

    started.json lists the renditions in a different order than ended.json, as real IVS does, so
    consumers that pick the rendition by position get caught.
    """

    def rendition_list(order: list[tuple[str, int, int, int]]) -> list[dict[str, object]]:
        return [
            {
                "path": name,
                "playlist": "playlist.m3u8",
                "byte_range_playlist": "byte-range-variant.m3u8",
                "resolution_width": w,
                "resolution_height": h,
            }
            for name, w, h, _ in order
        ]

    def doc(status: str, order: list[tuple[str, int, int, int]]) -> dict[str, object]:
        hls: dict[str, object] = {}
        if status == "RECORDING_ENDED":
            hls["duration_ms"] = duration_ms
        hls |= {
            "path": "media/hls",
            "playlist": "master.m3u8",
            "byte_range_playlist": "byte-range-multivariant.m3u8",
            "renditions": rendition_list(order),
        }
        media: dict[str, object] = {"hls": hls}
        if thumbnail_size is not None:
            media["thumbnails"] = {
                "path": "media/thumbnails",
                "resolution_width": thumbnail_size[0],
                "resolution_height": thumbnail_size[1],
            }
        out: dict[str, object] = {"version": "v1", "recording_started_at": _rfc3339(started_at)}
        if status == "RECORDING_ENDED":
            out["recording_ended_at"] = _rfc3339(ended_at)
        out |= {"channel_arn": channel_arn, "recording_status": status, "media": media}
        return out

    events = rec / "events"
    events.mkdir(parents=True, exist_ok=True)
    started_order = renditions[-1:] + renditions[:-1]
    for name, status, order in (
        ("recording-started.json", "RECORDING_STARTED", started_order),
        ("recording-ended.json", "RECORDING_ENDED", renditions),
    ):
        (events / name).write_text(json.dumps(doc(status, order), separators=(",", ":")))
    (events / "ivs-check").write_bytes(b"")  # the stray empty object seen in real recordings


def _rfc3339(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- reading back


def find_recordings(root: Path) -> list[str]:
    """S3 prefixes (relative to `root`) of every recording under it, found by their events folder."""
    return sorted({p.parent.parent.relative_to(root).as_posix() for p in root.glob("ivs/v1/**/events/*.json")})


def read_ivs_recording(root: Path, prefix: str | None = None) -> RecordingInfo:
    """A RecordingInfo from the files alone, so generated and committed recordings are described alike."""
    if prefix is None:
        found = sorted(set(find_recordings(root)))
        if len(found) != 1:
            raise ValueError(f"expected one recording under {root}, found {found}")
        prefix = found[0]
    rec = root / prefix
    parts_of_prefix = prefix.split("/")
    ended = json.loads((rec / "events" / "recording-ended.json").read_text())
    hls_doc = ended["media"]["hls"]
    hls_key = f"{prefix}/{hls_doc['path']}"
    hls = root / hls_key
    variants = {v.video_group: v for v in master_variants(hls / hls_doc["playlist"])}
    renditions: list[RenditionInfo] = []
    first_pdt: datetime | None = None
    for r in ended["media"]["hls"]["renditions"]:
        name = r["path"]
        std_entries = read_media_playlist(hls / name / r["playlist"])
        br_entries = read_media_playlist(hls / name / r["byte_range_playlist"])
        first_pdt = first_pdt or parse_pdt(str(std_entries[0].pdt))
        segments: list[Segment] = []
        brs = iter(br_entries)
        elapsed_ms = 0
        for e in std_entries:
            seg_start = elapsed_ms
            size = (hls / name / e.uri).stat().st_size
            parts: list[Part] = []
            covered = 0
            while covered < size:
                b = next(brs)
                if b.uri != e.uri or b.byterange is None or b.byterange[1] is None:
                    raise ValueError(f"{name}: byte range {b} does not belong to {e.uri}")
                parts.append(
                    Part(
                        b.uri,
                        b.byterange[1],
                        b.byterange[0],
                        b.duration,
                        parse_pdt(str(b.pdt)),
                        elapsed_ms / 1000,
                    )
                )
                covered += b.byterange[0]
                elapsed_ms += round(b.duration * 1000)
            segments.append(Segment(e.uri, size, e.duration, parse_pdt(str(e.pdt)), seg_start / 1000, tuple(parts)))
        v = variants[name]
        renditions.append(
            RenditionInfo(
                name=name,
                width=r["resolution_width"],
                height=r["resolution_height"],
                bandwidth=v.bandwidth,
                codecs=v.codecs or "",
                playlist_key=f"{hls_key}/{name}/{r['playlist']}",
                playlist_path=hls / name / r["playlist"],
                byte_range_playlist_key=f"{hls_key}/{name}/{r['byte_range_playlist']}",
                byte_range_playlist_path=hls / name / r["byte_range_playlist"],
                segments=tuple(segments),
            )
        )
    arn = ended["channel_arn"]
    thumbs_dir = rec / "media" / "thumbnails"
    thumbs = sorted(thumbs_dir.glob("thumb*.jpg"), key=lambda p: int(p.stem[5:])) if thumbs_dir.exists() else []
    assert first_pdt is not None
    return RecordingInfo(
        root=root,
        prefix=prefix,
        path=rec,
        account_id=parts_of_prefix[2],
        channel_id=parts_of_prefix[3],
        recording_id=parts_of_prefix[-1],
        channel_arn=arn,
        start=first_pdt,
        duration=round(sum(s.duration for s in renditions[0].segments), 3),
        duration_ms=int(hls_doc["duration_ms"]),
        master_key=f"{hls_key}/{hls_doc['playlist']}",
        master_path=hls / hls_doc["playlist"],
        byte_range_master_key=f"{hls_key}/{hls_doc['byte_range_playlist']}",
        byte_range_master_path=hls / hls_doc["byte_range_playlist"],
        renditions=tuple(renditions),
        thumbnail_keys=tuple(p.relative_to(root).as_posix() for p in thumbs),
    )


# --------------------------------------------------------------------------- decoding


_OPENING = re.compile(r"Opening '(.+)' for reading")
_LEVEL = re.compile(r"\[(panic|fatal|error|warning|info)\] ?(.*)")
_SKIPPED = re.compile(r"Failed to open segment|failed too many times|skipping")  # hls.c only warns


def decode_hls(playlist: Path | str, *, variant: int | str | None = None, timeout: float = 300) -> Decoded:
    """Decode a media or multivariant playlist with ffmpeg's own HLS demuxer and H.264/AAC decoders.

    With `variant` (index, VIDEO group, URI or folder name), `playlist` is a multivariant playlist and only
    that variant's media playlist is decoded; without it a multivariant playlist decodes its first
    variant. Timestamps are kept as in the source (`-copyts`), so `first_pts` locates a clip in the
    recording. Byte ranges and relative `../` segment URIs work because it is the real demuxer.
    """
    target = str(select_variant(Path(playlist), variant).path) if variant is not None else str(playlist)
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-nostats",
        "-loglevel",
        "level+info",
        "-copyts",
        "-allowed_extensions",
        "ALL",
        "-protocol_whitelist",
        "file,crypto,data,http,https,tcp,tls",
        "-i",
        target,
        "-map",
        "0:v:0",
        "-map",
        "0:a:0?",
        "-fps_mode",
        "passthrough",
        "-enc_time_base:v",
        "demux",
        "-f",
        "framecrc",
        "-",
    ]
    proc = _run(cmd, timeout=timeout)
    tbs: dict[int, float] = {}
    media: dict[int, str] = {}
    frames: dict[int, list[tuple[int, int]]] = {}
    width = height = None
    for line in proc.stdout.splitlines():
        if line.startswith("#tb "):
            idx, _, tb = line[4:].partition(": ")
            num, _, den = tb.partition("/")
            tbs[int(idx)] = int(num) / int(den)
        elif line.startswith("#media_type "):
            idx, _, kind = line[12:].partition(": ")
            media[int(idx)] = kind.strip()
        elif line.startswith("#dimensions 0: "):
            width, height = (int(x) for x in line[15:].split("x"))
        elif line and not line.startswith("#"):
            f = [x.strip() for x in line.split(",")]
            frames.setdefault(int(f[0]), []).append((int(f[2]), int(f[3])))

    def span(kind: str) -> tuple[int, float | None, float | None, float]:
        idx = next((i for i, k in media.items() if k == kind), None)
        rows = sorted(frames.get(idx, [])) if idx is not None else []
        if idx is None or not rows:
            return 0, None, None, 0.0
        first = rows[0][0]
        last_pts, last_dur = rows[-1]
        gap = max((b[0] - a[0] - a[1] for a, b in itertools.pairwise(rows)), default=0)
        return len(rows), first * tbs[idx], (last_pts + last_dur - first) * tbs[idx], max(gap, 0) * tbs[idx]

    n_video, v_first, v_dur, v_gap = span("video")
    _, a_first, a_dur, _ = span("audio")
    errors: list[str] = []
    warnings: list[str] = []
    opened: list[str] = []
    for line in proc.stderr.splitlines():
        if m := _OPENING.search(line):
            opened.append(m.group(1))
        if m := _LEVEL.search(line):
            if m.group(1) in ("panic", "fatal", "error") or _SKIPPED.search(line):
                errors.append(line)
            elif m.group(1) == "warning":
                warnings.append(line)
    if proc.returncode != 0 and not errors:
        errors.append(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "ffmpeg failed")
    return Decoded(
        playlist=target,
        returncode=proc.returncode,
        video_frames=n_video,
        duration=round(v_dur or 0.0, 6),
        max_video_gap=round(v_gap, 6),
        first_pts=v_first,
        audio_duration=a_dur,
        audio_first_pts=a_first,
        width=width,
        height=height,
        opened=tuple(opened),
        errors=tuple(errors),
        warnings=tuple(warnings),
    )


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def real_recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordingInfo]:
    """A ~24 s, 2-rendition real recording (3 segments, the last one short), made once per session."""
    root = tmp_path_factory.mktemp("ivs-bucket")
    yield make_ivs_recording(root, seconds=24, renditions=FIXTURE_RENDITIONS, fps=15)


@pytest.fixture(scope="session")
def committed_sample_recording() -> RecordingInfo:
    """The committed sample/ recording (made by scripts/make_sample_recording.py)."""
    return read_ivs_recording(SAMPLE_ROOT)
