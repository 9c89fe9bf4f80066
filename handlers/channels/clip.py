"""One clip over several recordings: plan which recording covers which part of a window, clip each
with the engine over its part, and stitch the parts per rendition (:mod:`clipping.stitch`).

Renditions are matched by name across recordings; only those present in every recording are in
the clip (none in common is ``no_common_rendition``). The parts of the window no recording
covers are reported as ``gaps``.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from clipping import (
    Boundary,
    Clip,
    ClipError,
    ClipRequest,
    OutOfRange,
    PlaylistReader,
    RenditionSummary,
    TimePoint,
    check_window,
    clip_recording,
    format_iso,
)
from clipping.stitch import ClipPart, common_master, stitch_renditions
from clipping.timeparse import US, parse_pdt, seconds
from handlers.channels.find import Candidate, channel_recordings, following_recording, newest_recording
from handlers.channels.ids import ChannelRef
from handlers.channels.span import Span, recording_span
from handlers.clips.command import identity_digest
from handlers.storage.base import Storage


class NoCommonRendition(ClipError):
    """The recordings of the window share no rendition name, so no one playlist can hold them all."""

    code = "no_common_rendition"


@dataclass(frozen=True, slots=True)
class PlannedPart:
    """A recording and the part of the window it covers (epoch µs)."""

    candidate: Candidate
    span: Span
    start_us: int
    end_us: int


@dataclass(frozen=True, slots=True)
class Plan:
    """The window on the wall clock and the recordings that cover it, in time order."""

    channel: ChannelRef
    start_us: int
    end_us: int
    parts: tuple[PlannedPart, ...]
    gaps: tuple[tuple[int, int], ...]

    def identity(self, byte_range: bool, boundary: str) -> str:
        """The clip id: same channel, window, options and recordings (up to their current end) → same id."""
        data = {
            "v": 3,
            "channel": self.channel.identity,
            "start": self.start_us,
            "end": self.end_us,
            "byte_range": byte_range,
            "boundary": boundary,
            "parts": [[p.candidate.master_key, p.span.first_us, p.span.last_us] for p in self.parts],
        }
        return identity_digest(data)


@dataclass(frozen=True, slots=True)
class RecordingEntry:
    """One recording of a clip as the answer lists it."""

    id: str
    key: str
    start_time: str | None
    end_time: str | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "key": self.key, "start_time": self.start_time, "end_time": self.end_time}


@dataclass(frozen=True, slots=True)
class StitchedClip:
    """The joined clip (one master, one playlist per common rendition) and what it is made of."""

    clip: Clip
    recordings: tuple[RecordingEntry, ...]
    gaps: tuple[dict[str, Any], ...]


# --- planning --------------------------------------------------------------------------------


def plan_window(
    storage: Storage,
    read: PlaylistReader,
    root: str,
    channel: ChannelRef,
    start: TimePoint,
    end: TimePoint,
    max_seconds: float,
    byte_range: bool = False,
) -> Plan:
    """The recordings of ``channel`` that cover the absolute window, or a refusal saying why none does."""
    start_us, end_us = start.us, end.us
    check_window(start_us, end_us, max_seconds)
    since, until = _moment(start_us), _moment(end_us)
    candidates = channel_recordings(storage, root, channel, since, until)
    spans = [(c, recording_span(c.master_key, read, byte_range)) for c in candidates if c.may_overlap(since)]
    parts = tuple(
        PlannedPart(c, s, max(start_us, s.first_us), min(end_us, s.last_us))
        for c, s in spans
        if s.dated and s.overlaps(start_us, end_us)
    )
    if not parts:
        earlier = [c for c in candidates if not c.may_overlap(since)][-1:]
        spans = [(c, recording_span(c.master_key, read, byte_range)) for c in earlier] + spans
        raise _in_gap(storage, read, root, channel, start_us, end_us, spans, byte_range)
    return Plan(channel, start_us, end_us, parts, _gaps(start_us, end_us, parts))


def plan_live(
    storage: Storage, read: PlaylistReader, root: str, channel: ChannelRef, last_seconds: float, byte_range: bool
) -> Plan:
    """The last ``last_seconds`` of the channel's newest recording, up to its last segment now."""
    newest = newest_recording(storage, root, channel)
    span = recording_span(newest.master_key, read, byte_range)
    start_us = max(span.first_us, span.last_us - round(last_seconds * US))
    return Plan(channel, start_us, span.last_us, (PlannedPart(newest, span, start_us, span.last_us),), ())


def live_window(
    master_key: str, read: PlaylistReader, last_seconds: float, byte_range: bool
) -> tuple[TimePoint, TimePoint]:
    """The last ``last_seconds`` of one recording as it is now (relative times when it has no dates)."""
    span = recording_span(master_key, read, byte_range)
    start_us = max(span.first_us, span.last_us - round(last_seconds * US))
    if span.dated:
        return TimePoint("absolute", start_us), TimePoint("absolute", span.last_us)
    return TimePoint("relative", start_us - span.first_us), TimePoint("relative", span.last_us - span.first_us)


def _gaps(start_us: int, end_us: int, parts: tuple[PlannedPart, ...]) -> tuple[tuple[int, int], ...]:
    gaps: list[tuple[int, int]] = []
    at = start_us
    for part in parts:
        if part.start_us > at:
            gaps.append((at, part.start_us))
        at = max(at, part.end_us)
    if at < end_us:
        gaps.append((at, end_us))
    return tuple(gaps)


def _in_gap(
    storage: Storage,
    read: PlaylistReader,
    root: str,
    channel: ChannelRef,
    start_us: int,
    end_us: int,
    spans: list[tuple[Candidate, Span]],
    byte_range: bool,
) -> OutOfRange:
    """``out_of_range`` with the nearest recordings before and after the window."""
    before = [(c, s) for c, s in spans if s.dated and s.last_us <= start_us]
    nearest = before[-1:]
    after = following_recording(storage, root, channel, _moment(end_us))
    if after is not None:
        nearest.append((after, recording_span(after.master_key, read, byte_range)))
    available = [_entry(c, s.first_us, s.last_us).to_json() for c, s in nearest]
    return OutOfRange(
        f"no recording of channel {channel.channel_id} covers {format_iso(start_us)} to {format_iso(end_us)}; "
        "the nearest recordings are in available",
        field="start_time",
        details={"available": available},
    )


# --- clipping --------------------------------------------------------------------------------


def clip_plan(
    plan: Plan, read: PlaylistReader, output_master_path: str, byte_range: bool, boundary: Boundary, max_seconds: float
) -> StitchedClip:
    """Clip every planned part with the engine and join them per common rendition."""
    clips: list[tuple[PlannedPart, Clip]] = []
    for part in plan.parts:
        request = ClipRequest(
            TimePoint("absolute", part.start_us), TimePoint("absolute", part.end_us), byte_range, boundary, max_seconds
        )
        try:
            clips.append((part, clip_recording(part.candidate.master_key, request, read, output_master_path)))
        except OutOfRange:
            if len(plan.parts) == 1:
                raise
            # e.g. boundary "inner" and a recording that covers less than one whole segment of the window
    if not clips:
        raise OutOfRange("no segment of the recordings lies in the window", field="start_time")
    return _joined(plan, clips, output_master_path)


def stitched_single(clip: Clip, master_key: str, recording_id: str) -> StitchedClip:
    """A one-recording clip described as the channel clips are (its ``recordings`` entry, no gaps)."""
    entry = RecordingEntry(recording_id, master_key, clip.start_time, clip.end_time)
    return StitchedClip(clip, (entry,), ())


def _joined(plan: Plan, clips: list[tuple[PlannedPart, Clip]], output_master_path: str) -> StitchedClip:
    common = _common_names(clips)
    first_part, first = clips[0]
    by_name = [{r.name: r for r in c.renditions} for _, c in clips]
    parts = {
        name: [
            ClipPart(c.playlists[names[name].path], _part_start(p, c))
            for (p, c), names in zip(clips, by_name, strict=True)
        ]
        for name in common
    }
    joined = stitch_renditions(parts)
    folder = posixpath.basename(output_master_path.removesuffix(".m3u8"))
    keep = {f"{folder}/{name}.m3u8": f"{folder}/{name}.m3u8" for name in common}
    playlists = {output_master_path: common_master(first.playlists[output_master_path], keep)}
    for name in common:
        playlists[by_name[0][name].path] = joined[name]
    renditions = tuple(_summed(name, [names[name] for names in by_name]) for name in common)
    last_part, last = clips[-1]
    base = first_part.span.first_us
    last_end_us = last_part.span.first_us + round(last.end_seconds * US)
    clip = replace(
        first,
        playlists=playlists,
        end_time=last.end_time,
        end_seconds=seconds(last_end_us - base),
        duration=renditions[0].duration,
        requested_start_time=format_iso(plan.start_us),
        requested_end_time=format_iso(plan.end_us),
        requested_start_seconds=seconds(plan.start_us - base),
        requested_end_seconds=seconds(plan.end_us - base),
        renditions=renditions,
        notices=tuple(n for _, c in clips for n in c.notices),
    )
    recordings = tuple(_entry(p.candidate, _iso_us(c.start_time), _iso_us(c.end_time)) for p, c in clips)
    gaps = tuple(
        {"start_time": format_iso(a), "end_time": format_iso(b), "duration": seconds(b - a)} for a, b in plan.gaps
    )
    return StitchedClip(clip, recordings, gaps)


def _common_names(clips: list[tuple[PlannedPart, Clip]]) -> list[str]:
    names = [[r.name for r in c.renditions] for _, c in clips]
    shared = set(names[0]).intersection(*names[1:])
    if not shared:
        listed = "; ".join(
            f"{p.candidate.recording_id}: {', '.join(n)}" for (p, _), n in zip(clips, names, strict=True)
        )
        raise NoCommonRendition(
            f"the recordings in the window share no rendition, so no one playlist can play them all ({listed})",
            details={"renditions": {p.candidate.recording_id: n for (p, _), n in zip(clips, names, strict=True)}},
        )
    return [n for n in names[0] if n in shared]


def _summed(name: str, pieces: list[RenditionSummary]) -> RenditionSummary:
    return RenditionSummary(
        name=name,
        kind=pieces[0].kind,
        path=pieces[0].path,
        segments=sum(p.segments for p in pieces),
        duration=round(sum(p.duration for p in pieces), 3),
        start_offset=pieces[0].start_offset,
    )


def _part_start(part: PlannedPart, clip: Clip) -> int | None:
    return part.span.first_us + round(clip.start_seconds * US) if part.span.dated else None


def _entry(candidate: Candidate, first_us: int | None, last_us: int | None) -> RecordingEntry:
    return RecordingEntry(
        candidate.recording_id,
        candidate.master_key,
        None if first_us is None else format_iso(first_us),
        None if last_us is None else format_iso(last_us),
    )


def _iso_us(text: str | None) -> int | None:
    return None if text is None else parse_pdt(text)


def _moment(us: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
