"""Clip a whole recording: resolve the window, cut every rendition on its own, write the master."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from .errors import (
    InvalidPlaylist,
    InvalidWindow,
    NoByteRangePlaylist,
    OutOfRange,
    PlaylistNotFound,
)
from .master import MasterEntry, read_master, rendition_names, rewrite_master
from .media_clip import MediaClip, Timeline, clip_media, timeline
from .model import Clip, ClipRequest, PlaylistReader, RenditionSummary
from .paths import Relocator, is_absolute_uri, resolve
from .scan import normalize, read_header
from .timeparse import US, TimePoint, format_iso, seconds

BYTE_RANGE_MASTER = "byte-range-multivariant.m3u8"


@dataclass(frozen=True, slots=True)
class Window:
    """The requested window on the recording's clock (epoch µs, or µs from 0 without dates)."""

    start_us: int
    end_us: int


def clip_recording(master_path: str, request: ClipRequest, read: PlaylistReader, output_master_path: str) -> Clip:
    """Cut every rendition of the recording at ``master_path`` to the requested window.

    Renditions are read and clipped one at a time, so memory holds one long playlist at most.
    The first variant is the reference: relative times count from its first instant and the
    clip's reported times are its times.
    """
    start, end = request.start, request.end
    master_path, byte_range, master_text = _open_master(master_path, request.byte_range, read)
    entries = read_master(master_text)
    names = rendition_names(entries)
    out_dir = output_master_path.removesuffix(".m3u8")

    clips: list[tuple[MasterEntry, str, str, MediaClip]] = []
    window: Window | None = None
    reference: Timeline | None = None
    for entry, name in zip(entries, names, strict=True):
        source = _source_path(master_path, entry.uri)
        text = normalize(_read(read, source))
        header = read_header(text)
        if reference is None:
            reference = timeline(text, header)
            window = _resolve_window(start, end, reference, request.max_seconds)
        assert window is not None
        out_path = f"{out_dir}/{name}.m3u8"
        media = clip_media(text, window.start_us, window.end_us, request.boundary, Relocator(source, out_path), header)
        if media is None:
            rendition_range = reference if not clips else timeline(text, header)
            raise _empty(window, rendition_range, reference, name, request.boundary)
        clips.append((entry, name, out_path, media))
        del text

    assert window is not None and reference is not None
    target = max(max(m.needed_target, m.header.target_duration) for *_, m in clips)
    playlists: dict[str, str] = {}
    clipped_uris = {entry.uri: f"{posixpath.basename(out_dir)}/{name}.m3u8" for entry, name, _, _ in clips}
    playlists[output_master_path] = rewrite_master(
        master_text, clipped_uris, Relocator(master_path, output_master_path)
    )
    for _, _, out_path, media in clips:
        playlists[out_path] = media.render(target)

    ref = clips[0][3]
    base = reference.first_us
    dated = reference.dated
    return Clip(
        master_path=output_master_path,
        playlists=playlists,
        source_master_path=master_path,
        byte_range=byte_range,
        boundary=request.boundary,
        start_time=format_iso(ref.start_us) if dated else None,
        end_time=format_iso(ref.end_us) if dated else None,
        start_seconds=seconds(ref.start_us - base),
        end_seconds=seconds(ref.end_us - base),
        duration=seconds(ref.duration_us),
        requested_start_time=format_iso(window.start_us) if dated else None,
        requested_end_time=format_iso(window.end_us) if dated else None,
        requested_start_seconds=seconds(window.start_us - base),
        requested_end_seconds=seconds(window.end_us - base),
        start_offset=seconds(ref.start_offset_us),
        renditions=tuple(
            RenditionSummary(
                name=name,
                kind=entry.kind,
                path=out_path,
                segments=media.segments,
                duration=seconds(media.duration_us),
                start_offset=seconds(media.start_offset_us),
            )
            for entry, name, out_path, media in clips
        ),
    )


def _read(read: PlaylistReader, path: str) -> str:
    try:
        return read(path)
    except FileNotFoundError:
        raise PlaylistNotFound(f"playlist not found: {path}", details={"path": path}) from None


def _open_master(master_path: str, byte_range: bool, read: PlaylistReader) -> tuple[str, bool, str]:
    """Pick the standard or byte-range multivariant and read it."""
    if posixpath.basename(master_path) == BYTE_RANGE_MASTER:
        return master_path, True, normalize(_read(read, master_path))
    if not byte_range:
        return master_path, False, normalize(_read(read, master_path))
    candidate = posixpath.join(posixpath.dirname(master_path), BYTE_RANGE_MASTER)
    try:
        return candidate, True, normalize(read(candidate))
    except (FileNotFoundError, PlaylistNotFound):
        raise NoByteRangePlaylist(
            f"this recording has no byte-range playlists ({BYTE_RANGE_MASTER} is not next to "
            f"{posixpath.basename(master_path)}); ask again with byte_range false",
            field="byte_range",
            details={"path": candidate},
        ) from None


def _source_path(master_path: str, uri: str) -> str:
    if is_absolute_uri(uri):
        raise InvalidPlaylist(f"the master refers to {uri!r}, outside the recording; only relative URIs are read")
    return resolve(master_path, uri)


def _available(timeline_: Timeline, base_us: int) -> dict[str, object]:
    return {
        "start_time": format_iso(timeline_.first_us) if timeline_.dated else None,
        "end_time": format_iso(timeline_.last_us) if timeline_.dated else None,
        "start_seconds": seconds(timeline_.first_us - base_us),
        "end_seconds": seconds(timeline_.last_us - base_us),
    }


def _describe(timeline_: Timeline, base_us: int) -> str:
    span = f"{seconds(timeline_.first_us - base_us):g} s to {seconds(timeline_.last_us - base_us):g} s"
    if timeline_.dated:
        return f"{format_iso(timeline_.first_us)} to {format_iso(timeline_.last_us)} ({span} relative)"
    return span


def _resolve_window(start: TimePoint, end: TimePoint, reference: Timeline, max_seconds: float) -> Window:
    """Put both times on the recording's clock and check the window against the recording."""
    for point, field in ((start, "start_time"), (end, "end_time")):
        if point.kind == "absolute" and not reference.dated:
            raise InvalidWindow(
                f"{field} is an absolute time, but this recording carries no #EXT-X-PROGRAM-DATE-TIME; "
                "give seconds relative to its start",
                field=field,
            )
    start_us = start.us if start.kind == "absolute" else reference.first_us + start.us
    end_us = end.us if end.kind == "absolute" else reference.first_us + end.us
    if end_us <= start_us:
        raise InvalidWindow("end_time must be after start_time", field="end_time")
    if end_us - start_us > max_seconds * US:
        raise InvalidWindow(
            f"the window is {seconds(end_us - start_us):g} s long; the longest clip allowed is {max_seconds:g} s",
            field="end_time",
        )
    if start_us < reference.first_us or end_us > reference.last_us:
        window = Window(start_us, end_us)
        raise OutOfRange(
            f"the window {_describe_window(window, reference)} is not inside the recording, which runs "
            f"from {_describe(reference, reference.first_us)}",
            field="start_time" if start_us < reference.first_us else "end_time",
            details={"available": _available(reference, reference.first_us)},
        )
    return Window(start_us, end_us)


def _describe_window(window: Window, reference: Timeline) -> str:
    base = reference.first_us
    span = f"{seconds(window.start_us - base):g} s to {seconds(window.end_us - base):g} s"
    if reference.dated:
        return f"{format_iso(window.start_us)} to {format_iso(window.end_us)} ({span} relative)"
    return span


def _empty(window: Window, rendition: Timeline, reference: Timeline, name: str, boundary: str) -> OutOfRange:
    reason = (
        "with boundary inner no segment lies wholly inside it (try outer or nearest)"
        if boundary == "inner"
        else "no segment overlaps it (it falls in a gap of the recording)"
    )
    return OutOfRange(
        f"the window {_describe_window(window, reference)} gives an empty clip of rendition {name}: {reason}",
        details={"available": _available(rendition, reference.first_us), "rendition": name},
    )
