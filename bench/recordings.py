"""Synthetic long IVS byte-range recordings for the bench, and the naive m3u8 clipper measured against them.

The shape follows a real IVS Low-Latency recording (see docs/ivs-recording-format.md §1.6): a
``byte-range-multivariant.m3u8`` with one URI-less ``EXT-X-MEDIA TYPE=VIDEO`` group per variant, and per
rendition a ``byte-range-variant.m3u8`` with a program date time on every part (``…T00:51:48.888Z``),
``#EXTINF:<3 decimals>,`` and ``#EXT-X-BYTERANGE:len@off`` with an explicit offset that restarts at 0 on
each 10 s ``N.ts`` file. PDT follows media time (PDT(n+1) = PDT(n) + EXTINF(n)). Byte lengths differ per
rendition; the EXTINF/PDT lists are the same in every rendition, as in IVS output.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

#: name, width, height, bandwidth (bits/s)
RENDITIONS: tuple[tuple[str, int, int, int], ...] = (
    ("1080p60", 1920, 1080, 8_500_000),
    ("720p60", 1280, 720, 6_000_000),
    ("720p30", 1280, 720, 3_500_000),
    ("480p30", 852, 480, 1_800_000),
    ("360p30", 640, 360, 1_000_000),
    ("160p30", 284, 160, 350_000),
)
#: EXTINF of consecutive parts in ms; they sum to 10 s, so every 5 parts make one ``.ts`` file.
PART_MS: tuple[int, ...] = (2000, 1967, 2033, 2067, 1933)
FILE_MS = sum(PART_MS)
START = datetime(2026, 3, 21, 0, 51, 48, 888000, tzinfo=UTC)
ACCOUNT = "123456789012"
CHANNEL = "AbCdEfGhIjKl"
MEDIA_HEADER = (
    "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:12\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MEDIA-SEQUENCE:0\n"
)
MEDIA_NAME = "byte-range-variant.m3u8"
MASTER_NAME = "byte-range-multivariant.m3u8"


@dataclass(frozen=True, slots=True)
class Recording:
    """One synthetic recording held in memory: storage key -> playlist text."""

    label: str
    master_path: str
    media_paths: tuple[str, ...]
    playlists: dict[str, str]
    parts: int  # per rendition
    duration_s: float
    first_pdt: datetime
    build_seconds: float

    def read(self, path: str) -> str:
        """A :data:`clipping.PlaylistReader` over the in-memory texts."""
        try:
            return self.playlists[path]
        except KeyError:
            raise FileNotFoundError(path) from None

    def media_texts(self) -> list[str]:
        return [self.playlists[p] for p in self.media_paths]

    def media_bytes(self) -> int:
        return sum(len(t) for t in self.media_texts())

    def write_to(self, root: Path) -> None:
        """Store every playlist as a file under ``root`` at its key (ASCII, as S3 would hold it)."""
        for key, text in self.playlists.items():
            path = root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("ascii"))


def _pdt_strings(count: int, start: datetime) -> tuple[list[str], list[str]]:
    """PDT and EXTINF strings for ``count`` parts (shared by every rendition)."""
    epoch_ms = int(start.timestamp() * 1000)
    pdts: list[str] = []
    infs: list[str] = []
    second_text = ""
    second_seen = -1
    for i in range(count):
        sec, ms = divmod(epoch_ms, 1000)
        if sec != second_seen:
            second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
            second_seen = sec
        pdts.append(f"{second_text}.{ms:03d}Z")
        dur = PART_MS[i % len(PART_MS)]
        infs.append(f"{dur // 1000}.{dur % 1000:03d}")
        epoch_ms += dur
    return pdts, infs


def _media_playlist(heads: list[str], rendition: int, bandwidth: int) -> str:
    """One rendition's byte-range playlist; ``heads[i]`` is part i's PDT+EXTINF+BYTERANGE-tag prefix."""
    per_ms = bandwidth // 8000  # bytes per ms of media
    parts_per_file = len(PART_MS)
    out = [MEDIA_HEADER]
    append = out.append
    offset = 0
    salt = 104_729 * (rendition + 1)
    spread = max(per_ms * 200, 2000)  # ±10% of a 2 s part
    for i, head in enumerate(heads):
        slot = i % parts_per_file
        if slot == 0:
            offset = 0
        length = per_ms * PART_MS[slot] + (i * 7919 + salt) % spread - spread // 2
        if slot == 0:
            length += per_ms * 300  # the keyframe-heavy first part of each file
        append(f"{head}{length}@{offset}\n{i // parts_per_file}.ts\n")
        offset += length
    append("#EXT-X-ENDLIST\n")
    return "".join(out)


def _master(renditions: tuple[tuple[str, int, int, int], ...]) -> str:
    lines = [
        "#EXTM3U",
        f'#EXT-X-SESSION-DATA:DATA-ID="net.live-video.content.id",VALUE="{CHANNEL}"',
        f'#EXT-X-SESSION-DATA:DATA-ID="net.live-video.customer.id",VALUE="{ACCOUNT}"',
    ]
    for name, width, height, bandwidth in renditions:
        lines += [
            f'#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="{name}",NAME="{name.split("p")[0]}p",AUTOSELECT=YES,DEFAULT=YES',
            f"#EXT-X-STREAM-INF:PROGRAM-ID=1,BANDWIDTH={bandwidth},"
            f'CODECS="avc1.4D401F,mp4a.40.2",RESOLUTION={width}x{height},VIDEO="{name}"',
            f"{name}/{MEDIA_NAME}",
        ]
    return "\n".join(lines)  # IVS writes the master without a trailing newline


def generate_recording(duration_s: int, renditions: int = 6, label: str | None = None) -> Recording:
    """Build a recording of ``duration_s`` seconds (a multiple of 10) with ``renditions`` renditions."""
    if duration_s <= 0 or (duration_s * 1000) % FILE_MS:
        raise ValueError(f"duration_s must be a positive multiple of {FILE_MS // 1000} s")
    if not 1 <= renditions <= len(RENDITIONS):
        raise ValueError(f"renditions must be 1 to {len(RENDITIONS)}")
    began = time.perf_counter()
    label = label or (f"{duration_s / 3600:g} h" if duration_s >= 3600 else f"{duration_s / 60:g} min")
    rec_id = "Bench" + label.replace(" ", "")
    prefix = f"ivs/v1/{ACCOUNT}/{CHANNEL}/{START.year}/{START.month}/{START.day}/{START.hour}/{START.minute}/{rec_id}"
    hls = f"{prefix}/media/hls"
    chosen = RENDITIONS[:renditions]
    parts = duration_s * 1000 // FILE_MS * len(PART_MS)
    pdts, infs = _pdt_strings(parts, START)
    heads = [f"#EXT-X-PROGRAM-DATE-TIME:{p}\n#EXTINF:{i},\n#EXT-X-BYTERANGE:" for p, i in zip(pdts, infs, strict=True)]
    del pdts, infs
    playlists = {f"{hls}/{MASTER_NAME}": _master(chosen)}
    media_paths: list[str] = []
    for index, (name, _, _, bandwidth) in enumerate(chosen):
        path = f"{hls}/{name}/{MEDIA_NAME}"
        playlists[path] = _media_playlist(heads, index, bandwidth)
        media_paths.append(path)
    return Recording(
        label=label,
        master_path=f"{hls}/{MASTER_NAME}",
        media_paths=tuple(media_paths),
        playlists=playlists,
        parts=parts,
        duration_s=float(duration_s),
        first_pdt=START,
        build_seconds=time.perf_counter() - began,
    )


# --- the naive way: m3u8.loads -> filter -> new M3U8 -> dumps, one rendition at a time -----------------


def naive_clip_media(text: str, start_s: float, end_s: float) -> tuple[str, int]:
    """Clip one media playlist with m3u8 (window in seconds from its first PDT); returns (text, segments).

    Keeps every segment whose [PDT, PDT + EXTINF) overlaps the window, like the engine's ``outer``.
    """
    import m3u8

    parsed = m3u8.loads(text)
    segments = parsed.segments
    base = segments[0].current_program_date_time
    start = base + timedelta(seconds=start_s)
    end = base + timedelta(seconds=end_s)
    clip = m3u8.M3U8()
    clip.version = parsed.version
    clip.target_duration = parsed.target_duration
    clip.playlist_type = "vod"
    clip.is_endlist = True
    first_index = -1
    for index, seg in enumerate(segments):
        seg_start = seg.current_program_date_time
        if seg_start < end and seg_start + timedelta(seconds=seg.duration) > start:
            if first_index < 0:
                first_index = index
            clip.segments.append(seg)
    clip.media_sequence = (parsed.media_sequence or 0) + max(first_index, 0)
    return clip.dumps(), len(clip.segments)


def naive_clip_recording(
    master_path: str, read: Callable[[str], str], start_s: float, end_s: float
) -> dict[str, tuple[str, int]]:
    """The naive clip of every variant listed in the master: variant URI -> (clipped text, segments)."""
    import posixpath

    import m3u8

    master = m3u8.loads(read(master_path))
    base_dir = posixpath.dirname(master_path)
    out: dict[str, tuple[str, int]] = {}
    for variant in master.playlists:
        out[variant.uri] = naive_clip_media(read(f"{base_dir}/{variant.uri}"), start_s, end_s)
    return out
