"""Clip a whole recording: resolve the window, cut every rendition on its own, write the master."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from .errors import (
    InvalidPlaylist,
    InvalidWindow,
    NoByteRangePlaylist,
    OutOfRange,
    PlaylistNotFound,
)
from .master import MasterEntry, read_master, rendition_names, rewrite_master
from .media_clip import MediaClip, Timeline, clip_media, timeline
from .model import Clip, ClipRequest, Notice, Numbering, Parallel, RenditionSummary, SourceReader, sequential
from .paths import Relocator, is_absolute_uri, resolve
from .ranged import RangedPlaylist, excerpt_or_whole, open_ranged
from .scan import MediaHeader, normalize, read_header
from .source import RandomText, read_all
from .timeparse import US, TimePoint, format_iso, seconds

BYTE_RANGE_MASTER = "byte-range-multivariant.m3u8"


@dataclass(frozen=True, slots=True)
class Window:
    """The requested window on the recording's clock (epoch µs, or µs from 0 without dates)."""

    start_us: int
    end_us: int


@dataclass(frozen=True, slots=True)
class ClippedRendition:
    """One rendition of the clip: where it came from, where it goes, and its clipped playlist."""

    entry: MasterEntry
    name: str
    out_path: str
    media: MediaClip


@dataclass(frozen=True, slots=True)
class _Reference:
    """The first variant's clock, which every rendition is cut on."""

    timeline: Timeline
    window: Window
    target_duration: int


def clip_recording(
    master_path: str,
    request: ClipRequest,
    read: SourceReader,
    output_master_path: str,
    *,
    numbering: Numbering = "source",
    parallel: Parallel = sequential,
) -> Clip:
    """Cut every rendition of the recording at ``master_path`` to the requested window.

    The first variant is the reference: relative times count from its first instant and the
    clip's reported times are its times. ``read`` may answer whole texts (renditions are then
    clipped one at a time, so memory holds one long playlist at most) or random-access sources:
    with ``numbering="clip"`` a long, plainly dated playlist is then clipped from a few blocks
    (:mod:`clipping.ranged`), and ``parallel`` runs the renditions' reads side by side.
    """
    opened = open_recording(master_path, request.byte_range, read, parallel)
    out_dir = output_master_path.removesuffix(".m3u8")
    if not opened.sources:
        raise InvalidPlaylist("the multivariant playlist lists no playlist to clip")
    ref_source = opened.sources[0]
    ref_timeline, ref_target = reference_timeline(ref_source, numbering)
    window = _resolve_window(request.start, request.end, ref_timeline, request.max_seconds)
    reference = _Reference(ref_timeline, window, ref_target)

    def clip_one(index: int) -> ClippedRendition:
        entry, name, source = opened.entries[index], opened.names[index], opened.sources[index]
        out_path = f"{out_dir}/{name}.m3u8"
        try:
            media = _clip_source(source, name, reference, request, Relocator(source.path, out_path), numbering)
        finally:
            source.release()
        return ClippedRendition(entry, name, out_path, media)

    clips: list[ClippedRendition] = parallel([partial(clip_one, i) for i in range(len(opened.sources))])
    playlists = _playlists(opened.master_text, opened.master_path, output_master_path, clips, numbering)
    return _clip(request, opened.master_path, output_master_path, opened.byte_range, playlists, reference, clips)


@dataclass(slots=True)
class _Source:
    """One rendition's playlist: whole text or blocks and their ranged view, read when first needed.

    A reader that answers whole texts is called for a rendition only when that rendition is
    clipped, and the text is dropped right after (:meth:`release`), so memory holds one long
    playlist at a time however many renditions there are.
    """

    path: str
    read: SourceReader
    text: str | None = None
    blocks: RandomText | None = None
    ranged: RangedPlaylist | None = None

    def open(self) -> _Source:
        """Call the reader once: a whole text, or a random-access source (nothing read yet)."""
        if self.text is None and self.blocks is None:
            found = _read(self.read, self.path)
            if isinstance(found, str):
                self.text = normalize(found)
            else:
                self.blocks = found
        return self

    def whole(self) -> str:
        """The normalized text (read whole from the blocks when they are all there is)."""
        self.open()
        if self.text is None:
            assert self.blocks is not None
            try:
                self.text = normalize(read_all(self.blocks).decode("utf-8"))
            except UnicodeDecodeError:
                raise InvalidPlaylist(f"{self.path} is not a UTF-8 text playlist") from None
        return self.text

    def release(self) -> None:
        """Forget a whole text once its rendition is clipped (blocks stay: they are cached and small)."""
        self.text = None


@dataclass(frozen=True, slots=True)
class OpenedRecording:
    master_path: str
    byte_range: bool
    master_text: str
    entries: list[MasterEntry]
    names: list[str]
    sources: list[_Source]


def open_recording(master_path: str, byte_range: bool, read: SourceReader, parallel: Parallel) -> OpenedRecording:
    """Read the master, and the head and tail of every random-access rendition in one parallel round."""
    master_path, byte_range, master_text = _open_master(master_path, byte_range, read)
    entries = read_master(master_text)
    sources = [_Source(_source_path(master_path, entry.uri), read) for entry in entries]
    if sources and sources[0].open().blocks is not None:
        # Random-access reads: open every rendition now and fetch heads and tails in one round.
        loads = [load for s in sources if s.open().blocks is not None for load in _ends(s)]
        parallel(loads)
    return OpenedRecording(master_path, byte_range, master_text, entries, rendition_names(entries), sources)


def _ends(source: _Source) -> tuple[Callable[[], Any], ...]:
    assert source.blocks is not None
    return source.blocks.load_head, source.blocks.load_tail


def reference_timeline(source: _Source, numbering: Numbering) -> tuple[Timeline, int]:
    """The reference's span and target duration, from its head and tail blocks when it can be."""
    if source.blocks is not None and numbering == "clip" and source.text is None:
        source.ranged = source.ranged or open_ranged(source.blocks)
        if source.ranged is not None:
            ranged = source.ranged
            return Timeline(ranged.first_us, ranged.last_us, True), ranged.header.target_duration
    text = source.whole()
    header = read_header(text)
    return timeline(text, header), header.target_duration


def _clip_source(
    source: _Source, name: str, reference: _Reference, request: ClipRequest, relocate: Relocator, numbering: Numbering
) -> MediaClip:
    """Clip one rendition from its blocks when that is sound, else from its whole text."""
    window = reference.window
    if source.blocks is not None and numbering == "clip" and reference.timeline.dated and source.text is None:
        ranged = source.ranged = source.ranged or open_ranged(source.blocks)
        excerpt = excerpt_or_whole(ranged, window.start_us, window.end_us) if ranged is not None else None
        if excerpt is not None:
            header = replace(read_header(excerpt), dated=True)
            media = clip_media(excerpt, window.start_us, window.end_us, request.boundary, relocate, header)
            if media is not None:
                return media
    text = source.whole()
    return _clip_rendition(text, read_header(text), name, reference, request, relocate)


def _clip_rendition(
    text: str,
    header: MediaHeader,
    name: str,
    reference: _Reference,
    request: ClipRequest,
    relocate: Relocator,
) -> MediaClip:
    """Clip one rendition on the reference's clock, or say by name why it cannot be."""
    window, ref = reference.window, reference.timeline
    undated_from = _undated_from(text, header, name, reference)
    media = clip_media(text, window.start_us, window.end_us, request.boundary, relocate, header, undated_from)
    if media is None:
        raise _empty(window, timeline(text, header, undated_from), ref, name, request.boundary)
    return media


def _undated_from(text: str, header: MediaHeader, name: str, reference: _Reference) -> int | None:
    """Where a rendition whose dating differs from the reference's starts on the reference's clock.

    Such a rendition is timed by cumulative EXTINF from the reference's first instant; that is only
    sound when both cover the same length (no gap the dates would show), so anything else is refused.
    """
    ref = reference.timeline
    if header.dated == ref.dated:
        return None
    own = timeline(text, header, ref.first_us)
    tolerance = max(reference.target_duration, header.target_duration, 1) * US
    if abs((own.last_us - own.first_us) - (ref.last_us - ref.first_us)) > tolerance:
        dated, undated = ("the reference", f"rendition {name}") if ref.dated else (f"rendition {name}", "the reference")
        raise InvalidPlaylist(
            f"rendition {name} cannot be placed on the recording's clock: {dated} carries "
            f"#EXT-X-PROGRAM-DATE-TIME but {undated} does not, and their lengths differ "
            f"({seconds(own.last_us - own.first_us):g} s against {seconds(ref.last_us - ref.first_us):g} s)",
            details={"rendition": name},
        )
    return ref.first_us


def _playlists(
    master_text: str,
    master_path: str,
    output_master_path: str,
    clips: list[ClippedRendition],
    numbering: Numbering = "source",
) -> dict[str, str]:
    """The clip's master first, then each media playlist with the one target duration they share.

    With ``numbering="clip"`` every rendition's media sequence is 0, and its discontinuity
    sequence is 1 only when it starts with a discontinuity later than the earliest rendition
    starts: that rendition's first segment then follows a discontinuity the others carry
    inside their clip, so the same content has the same discontinuity number everywhere.
    """
    target = max(max(c.media.needed_target, c.media.header.target_duration) for c in clips)
    folder = posixpath.basename(output_master_path.removesuffix(".m3u8"))
    clipped_uris = {c.entry.uri: f"{folder}/{c.name}.m3u8" for c in clips}
    playlists = {
        output_master_path: rewrite_master(master_text, clipped_uris, Relocator(master_path, output_master_path))
    }
    earliest = min(c.media.start_us for c in clips)
    for c in clips:
        media = c.media
        if numbering == "clip":
            after = media.first_discontinuity and media.start_us > earliest
            media = replace(media, media_sequence=0, discontinuity_sequence=int(after))
        playlists[c.out_path] = media.render(target)
    return playlists


def _clip(
    request: ClipRequest,
    master_path: str,
    output_master_path: str,
    byte_range: bool,
    playlists: dict[str, str],
    reference: _Reference,
    clips: list[ClippedRendition],
) -> Clip:
    ref, window = clips[0].media, reference.window
    base, dated = reference.timeline.first_us, reference.timeline.dated
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
                name=c.name,
                kind=c.entry.kind,
                path=c.out_path,
                segments=c.media.segments,
                duration=seconds(c.media.duration_us),
                start_offset=seconds(c.media.start_offset_us),
            )
            for c in clips
        ),
        notices=_notices(clips),
    )


def _notices(clips: list[ClippedRendition]) -> tuple[Notice, ...]:
    """What the engine cannot check itself (it never reads media bytes) but a user should know."""
    final = [c.name for c in clips if c.media.starts_in_final_segment]
    if not final:
        return ()
    return (
        Notice(
            code="start_in_final_segment",
            message=(
                "the clip starts inside the recording's last segment, which may hold audio only past its "
                "first frames (IVS ends a recording with a short video tail under a full-length EXTINF); "
                f"renditions: {', '.join(final)}"
            ),
            renditions=tuple(final),
        ),
    )


def _read(read: SourceReader, path: str) -> Any:
    try:
        return read(path)
    except FileNotFoundError:
        raise PlaylistNotFound(f"playlist not found: {path}", details={"path": path}) from None


def _text(found: Any, path: str) -> str:
    """A reader's answer as normalized text (a master is small: read whole)."""
    if isinstance(found, str):
        return normalize(found)
    return _Source(path, lambda _: found, blocks=found).whole()


def _open_master(master_path: str, byte_range: bool, read: SourceReader) -> tuple[str, bool, str]:
    """Pick the standard or byte-range multivariant and read it."""
    if posixpath.basename(master_path) == BYTE_RANGE_MASTER:
        return master_path, True, _text(_read(read, master_path), master_path)
    if not byte_range:
        return master_path, False, _text(_read(read, master_path), master_path)
    candidate = posixpath.join(posixpath.dirname(master_path), BYTE_RANGE_MASTER)
    try:
        return candidate, True, _text(read(candidate), candidate)
    except (FileNotFoundError, PlaylistNotFound):
        raise NoByteRangePlaylist(
            f"this recording has no byte-range playlists ({BYTE_RANGE_MASTER} is not next to "
            f"{posixpath.basename(master_path)}); ask again with byte_range false",
            field="byte_range",
            details={"path": candidate},
        ) from None


def _source_path(master_path: str, uri: str) -> str:
    if is_absolute_uri(uri) or uri.startswith("/"):
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


def check_window(start_us: int, end_us: int, max_seconds: float) -> None:
    """A window must run forwards and be no longer than ``max_seconds`` (refusals name end_time)."""
    if end_us <= start_us:
        raise InvalidWindow("end_time must be after start_time", field="end_time")
    if end_us - start_us > max_seconds * US:
        raise InvalidWindow(
            f"the window is {seconds(end_us - start_us):g} s long; the longest clip allowed is {max_seconds:g} s",
            field="end_time",
        )


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
    check_window(start_us, end_us, max_seconds)
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
    if window.start_us >= rendition.last_us:
        reason = f"rendition {name} ends before the window starts (it is shorter than the reference)"
    elif window.end_us <= rendition.first_us:
        reason = f"rendition {name} starts after the window ends (it begins later than the reference)"
    elif boundary == "inner":
        reason = "with boundary inner no segment lies wholly inside it (try outer or nearest)"
    else:
        reason = "no segment overlaps it (it falls in a gap of the recording)"
    return OutOfRange(
        f"the window {_describe_window(window, reference)} gives an empty clip of rendition {name}: {reason}",
        details={"available": _available(rendition, reference.first_us), "rendition": name},
    )
