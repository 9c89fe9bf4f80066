"""Read back what ffmpeg wrote: top-level box order and, per track, the frames its edit list shows.

Why: the export promises fast start and an exact frame count; reading `moov` (a few KB) checks both
without decoding, so every export verifies itself cheaply.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}


@dataclass(frozen=True, slots=True)
class Box:
    type: str
    offset: int
    size: int
    header: int


def top_level_boxes(path: Path) -> list[Box]:
    """The top-level boxes of an MP4 file, in file order (reads headers only)."""
    out: list[Box] = []
    size_total = path.stat().st_size
    with path.open("rb") as f:
        off = 0
        while off + 8 <= size_total:
            f.seek(off)
            size, typ = struct.unpack(">I4s", f.read(8))
            header = 8
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0]
                header = 16
            elif size == 0:
                size = size_total - off
            if size < header:
                raise ValueError(f"bad box size {size} at {off}")
            out.append(Box(typ.decode("latin-1"), off, size, header))
            off += size
    return out


@dataclass(frozen=True, slots=True)
class TrackSummary:
    """One track as a player applying the edit list sees it."""

    handler: str  # "vide", "soun", ...
    codec: str  # sample entry type: avc1, hvc1, hev1, mp4a, ...
    timescale: int
    samples: int  # samples stored
    shown: int  # samples whose composition time falls inside the edit
    start: float  # presentation time of the first shown sample (seconds, after empty edits)
    duration: float  # edit duration (seconds)
    media_time: float  # media time where the edit starts (seconds)
    first_sample_sync: bool  # the first stored sample is a sync sample (so decoding can start there)


def _children(data: bytes, start: int, end: int) -> dict[bytes, tuple[int, int]]:
    out: dict[bytes, tuple[int, int]] = {}
    off = start
    while off + 8 <= end:
        size, typ = struct.unpack(">I4s", data[off : off + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[off + 8 : off + 16])[0]
            header = 16
        elif size == 0:
            size = end - off
        if size < header:
            break
        out.setdefault(typ, (off + header, off + size))
        off += size
    return out


def _read_moov(f: BinaryIO, boxes: list[Box]) -> bytes:
    moov = next((b for b in boxes if b.type == "moov"), None)
    if moov is None:
        raise ValueError("no moov box")
    f.seek(moov.offset)
    return f.read(moov.size)


def _full(data: bytes, start: int) -> tuple[int, int]:
    """(version, payload start) of a full box."""
    return data[start], start + 4


def tracks(path: Path) -> list[TrackSummary]:
    """Every track of a (non-fragmented) MP4 with what its edit list shows."""
    boxes = top_level_boxes(path)
    with path.open("rb") as f:
        data = _read_moov(f, boxes)
    moov = _children(data, 8 if struct.unpack(">I", data[:4])[0] != 1 else 16, len(data))
    mvhd_s, _ = moov[b"mvhd"]
    version, p = _full(data, mvhd_s)
    movie_scale = struct.unpack(">I", data[p + 16 : p + 20] if version == 1 else data[p + 8 : p + 12])[0]
    out: list[TrackSummary] = []
    off = 8
    while off + 8 <= len(data):
        size, typ = struct.unpack(">I4s", data[off : off + 8])
        if size < 8:
            break
        if typ == b"trak":
            out.append(_track(data, off + 8, off + size, movie_scale))
        off += size
    return out


def _track(data: bytes, start: int, end: int, movie_scale: int) -> TrackSummary:
    trak = _children(data, start, end)
    mdia = _children(data, *trak[b"mdia"])
    version, p = _full(data, mdia[b"mdhd"][0])
    scale = struct.unpack(">I", data[p + 16 : p + 20] if version == 1 else data[p + 8 : p + 12])[0]
    _, p = _full(data, mdia[b"hdlr"][0])
    handler = data[p + 4 : p + 8].decode("latin-1")
    stbl = _children(data, *_children(data, *mdia[b"minf"])[b"stbl"])
    _, p = _full(data, stbl[b"stsd"][0])
    codec = data[p + 8 : p + 12].decode("latin-1")
    # decode times from stts, composition offsets from ctts
    _, p = _full(data, stbl[b"stts"][0])
    (n,) = struct.unpack(">I", data[p : p + 4])
    dts: list[int] = []
    durs: list[int] = []
    t = 0
    for i in range(n):
        count, delta = struct.unpack(">II", data[p + 4 + 8 * i : p + 12 + 8 * i])
        for _ in range(count):
            dts.append(t)
            durs.append(delta)
            t += delta
    cts = list(dts)
    if b"ctts" in stbl:
        version, p = _full(data, stbl[b"ctts"][0])
        (n,) = struct.unpack(">I", data[p : p + 4])
        k = 0
        fmt = ">Ii" if version == 1 else ">II"
        for i in range(n):
            count, shift = struct.unpack(fmt, data[p + 4 + 8 * i : p + 12 + 8 * i])
            for _ in range(count):
                cts[k] += shift
                k += 1
    sync_first = True
    if b"stss" in stbl:
        _, p = _full(data, stbl[b"stss"][0])
        (n,) = struct.unpack(">I", data[p : p + 4])
        sync_first = n > 0 and struct.unpack(">I", data[p + 4 : p + 8])[0] == 1
    # the edit list: empty edits delay, the first real edit picks [media_time, media_time + duration)
    delay = 0.0
    media_time = 0
    edit_media: float | None = None
    if b"edts" in trak:
        edts = _children(data, *trak[b"edts"])
        if b"elst" in edts:
            version, p = _full(data, edts[b"elst"][0])
            (n,) = struct.unpack(">I", data[p : p + 4])
            q = p + 4
            for _ in range(n):
                if version == 1:
                    seg, mt = struct.unpack(">Qq", data[q : q + 16])
                    q += 20
                else:
                    seg, mt = struct.unpack(">Ii", data[q : q + 8])
                    q += 12
                if mt == -1:
                    delay += seg / movie_scale
                    continue
                media_time, edit_media = mt, seg / movie_scale * scale
                break
    if edit_media is None:
        edit_media = float(t - media_time)
    lo, hi = media_time, media_time + edit_media
    shown = sum(1 for c in cts if lo <= c < hi)
    return TrackSummary(
        handler=handler,
        codec=codec,
        timescale=scale,
        samples=len(dts),
        shown=shown,
        start=delay,
        duration=edit_media / scale,
        media_time=media_time / scale,
        first_sample_sync=sync_first,
    )


def clamp_duration(path: Path, seconds: float) -> None:
    """Shorten every track's edit (and the movie/track durations) to `seconds`, in place.

    Why: ffmpeg ends a stream copy on decode time, so with B-frames a few frames past the end stay in the
    edit; the edit list is the MP4's own way to hide them, and patching it keeps the byte layout.
    """
    boxes = top_level_boxes(path)
    moov = next(b for b in boxes if b.type == "moov")
    with path.open("r+b") as f:
        f.seek(moov.offset)
        data = bytearray(f.read(moov.size))
        top = _children(bytes(data), moov.header, len(data))
        version, p = _full(bytes(data), top[b"mvhd"][0])
        movie_scale = struct.unpack(">I", data[p + 16 : p + 20] if version == 1 else data[p + 8 : p + 12])[0]
        limit = round(seconds * movie_scale)

        def clamp(at: int, wide: bool) -> None:
            fmt = ">Q" if wide else ">I"
            width = 8 if wide else 4
            (value,) = struct.unpack(fmt, data[at : at + width])
            if value > limit:
                data[at : at + width] = struct.pack(fmt, limit)

        clamp(p + 24 if version == 1 else p + 12, version == 1)  # mvhd duration
        off = moov.header
        while off + 8 <= len(data):
            size, typ = struct.unpack(">I4s", data[off : off + 8])
            if size < 8:
                break
            if typ == b"trak":
                trak = _children(bytes(data), off + 8, off + size)
                version, p = _full(bytes(data), trak[b"tkhd"][0])
                clamp(p + 24 if version == 1 else p + 16, version == 1)  # tkhd duration
                if b"edts" in trak:
                    edts = _children(bytes(data), *trak[b"edts"])
                    if b"elst" in edts:
                        version, p = _full(bytes(data), edts[b"elst"][0])
                        (n,) = struct.unpack(">I", data[p : p + 4])
                        q = p + 4
                        for _ in range(n):
                            clamp(q, version == 1)
                            q += 20 if version == 1 else 12
            off += size
        f.seek(moov.offset)
        f.write(data)
