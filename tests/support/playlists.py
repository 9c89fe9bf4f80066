"""Small builders of HLS playlists and recordings held in memory, for engine tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import m3u8

from clipping import Clip, ClipRequest, clip_recording

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
ROOT = "ivs/v1/123456789012/chan/2024/5/1/12/0/rec1/media/hls"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Seg:
    """One segment as a test writes it; ``pdt`` True means "compute it", a string is written as is."""

    duration: str = "10.000"
    uri: str = ""
    pdt: bool | str = True
    byterange: str | None = None
    discontinuity: bool = False
    map: str | None = None
    before: list[str] = field(default_factory=list)  # extra lines before the segment's tags
    range_first: bool = False  # BYTERANGE before EXTINF


def media(
    segments: Sequence[Seg],
    *,
    start: datetime = T0,
    version: int = 3,
    target: int = 12,
    media_sequence: int | None = 0,
    discontinuity_sequence: int | None = None,
    playlist_type: str | None = "EVENT",
    endlist: bool = True,
    header: Iterable[str] = (),
    newline: str = "\n",
) -> str:
    """A media playlist; segment dates follow EXTINF from ``start`` unless given."""
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{version}", f"#EXT-X-TARGETDURATION:{target}"]
    if playlist_type:
        lines.append(f"#EXT-X-PLAYLIST-TYPE:{playlist_type}")
    if media_sequence is not None:
        lines.append(f"#EXT-X-MEDIA-SEQUENCE:{media_sequence}")
    if discontinuity_sequence is not None:
        lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{discontinuity_sequence}")
    lines.extend(header)
    clock = start
    for index, seg in enumerate(segments):
        lines.extend(seg.before)
        if seg.discontinuity:
            lines.append("#EXT-X-DISCONTINUITY")
        if seg.map:
            lines.append(f'#EXT-X-MAP:URI="{seg.map}"')
        if isinstance(seg.pdt, str):
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{seg.pdt}")
            clock = datetime.fromisoformat(seg.pdt.replace("Z", "+00:00")).astimezone(UTC)
        elif seg.pdt:
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{iso(clock)}")
        tags = [f"#EXTINF:{seg.duration},"]
        if seg.byterange:
            tags.append(f"#EXT-X-BYTERANGE:{seg.byterange}")
            if seg.range_first:
                tags.reverse()
        lines.extend(tags)
        lines.append(seg.uri or f"{index}.ts")
        clock += timedelta(seconds=float(seg.duration))
    if endlist:
        lines.append("#EXT-X-ENDLIST")
    return newline.join(lines) + newline


def segs(count: int, duration: str = "10.000", **kw: object) -> list[Seg]:
    return [Seg(duration=duration, **kw) for _ in range(count)]  # type: ignore[arg-type]


def master(variants: Sequence[tuple[str, int]], extra: Iterable[str] = (), ivs_groups: bool = True) -> str:
    """An IVS-style master: a URI-less VIDEO group per variant, SESSION-DATA, no trailing newline."""
    lines = ["#EXTM3U", '#EXT-X-SESSION-DATA:DATA-ID="net.live-video.content.id",VALUE="chan"']
    lines.extend(extra)
    for uri, height in variants:
        group = uri.split("/")[0]
        if ivs_groups:
            lines.append(f'#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="{group}",NAME="{height}p",AUTOSELECT=YES,DEFAULT=YES')
        lines.append(
            f'#EXT-X-STREAM-INF:PROGRAM-ID=1,BANDWIDTH={height * 4000},CODECS="avc1.4D401F,mp4a.40.2",'
            f'RESOLUTION={height * 16 // 9}x{height},VIDEO="{group}"'
        )
        lines.append(uri)
    return "\n".join(lines)


class Store(dict[str, str]):
    """Playlists by path; reading an absent one raises FileNotFoundError like a disk would."""

    def read(self, path: str) -> str:
        try:
            return self[path]
        except KeyError:
            raise FileNotFoundError(path) from None


def recording(renditions: dict[str, str], *, byte_range: dict[str, str] | None = None, root: str = ROOT) -> Store:
    """A recording under ``root``: a master per mode and ``<name>/playlist.m3u8`` per rendition."""
    store = Store()
    heights = {name: 100 * (i + 1) for i, name in enumerate(renditions)}
    store[f"{root}/master.m3u8"] = master([(f"{n}/playlist.m3u8", heights[n]) for n in renditions])
    for name, text in renditions.items():
        store[f"{root}/{name}/playlist.m3u8"] = text
    if byte_range is not None:
        store[f"{root}/byte-range-multivariant.m3u8"] = master(
            [(f"{n}/byte-range-variant.m3u8", heights[n]) for n in byte_range]
        )
        for name, text in byte_range.items():
            store[f"{root}/{name}/byte-range-variant.m3u8"] = text
    return store


def clip(store: Store, start: object, end: object, *, out: str = "clips/c1.m3u8", **options: object) -> Clip:
    master_path = options.pop("master_path", f"{ROOT}/master.m3u8")
    request = ClipRequest.from_values(start, end, **options)  # type: ignore[arg-type]
    return clip_recording(str(master_path), request, store.read, out)


def rendition(result: Clip, name: str) -> str:
    return result.playlists[f"{result.master_path.removesuffix('.m3u8')}/{name}.m3u8"]


def uris(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def tag_values(text: str, tag: str) -> list[str]:
    prefix = f"#{tag}:"
    return [line[len(prefix) :] for line in text.splitlines() if line.startswith(prefix)]


def parsed(text: str) -> m3u8.M3U8:
    return m3u8.loads(text)
