"""Long windows: copy the middle of the window in bulk instead of segment by segment.

Only the segments at the window's two edges decide anything; every segment between them is kept.
When that middle is plain (dates, durations, explicit byte ranges and URIs, nothing else), it is
copied with a few whole-text operations that run in C, so a 2 h window costs about what a 60 s one
does plus a copy. Anything unusual in the middle sends the caller back to the segment-by-segment
path, which handles every case.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .scan import MediaHeader, Segment, find_anchor, iter_segments
from .select import select

#: Below this many characters between the edges, the plain path is as fast; tests lower it to 0.
MIN_MIDDLE_CHARS = 32_768
#: Segments read past the start before the start edge is settled (the containing one and two more).
_HEAD_SEGMENTS = 3

_URI_LINE = re.compile(r"^[^#\n][^\n]*", re.MULTILINE)
_EXTINF = re.compile(r"^#EXTINF:([^,\n]*)", re.MULTILINE)
_PLAIN_LINE = r"#EXTINF:|#EXT-X-PROGRAM-DATE-TIME:|#EXT-X-BYTERANGE:\d+@\d+\n|[^#\n]"
#: A line other than a date, a duration, a byte range with its offset, or a URI (after the first).
_UNUSUAL = re.compile(rf"\n(?!{_PLAIN_LINE})")
_PLAIN_FIRST = re.compile(_PLAIN_LINE)
_MAX_DURATION_US = 10**13


@dataclass(frozen=True, slots=True)
class Middle:
    """The kept segments between the two edges, already written out."""

    start: int  # text offset of the first middle segment's first line
    end: int  # just past the last middle segment's URI line
    text: str  # the rewritten lines, without a trailing newline
    segments: int
    duration_us: int
    max_duration_us: int
    has_range: bool


@dataclass(frozen=True, slots=True)
class LongWindow:
    head: list[Segment]
    middle: Middle
    tail: list[Segment]


def split_long_window(
    text: str,
    header: MediaHeader,
    anchor: int,
    start_us: int,
    end_us: int,
    boundary: str,
    relocate: Callable[[str], str],
) -> LongWindow | None:
    """The window as head segments, a bulk-copied middle and tail segments; ``None`` if not worth it."""
    tail_anchor = find_anchor(text, header.body_start, end_us - 1)  # the last segment starting before the end
    if tail_anchor - anchor < MIN_MIDDLE_CHARS or text.find("\n#EXT-X-DISCONTINUITY", anchor, tail_anchor) != -1:
        return None
    head_walk: list[Segment] = []
    past_start = 0
    for seg in iter_segments(text, anchor, dated=True):
        head_walk.append(seg)
        if seg.start_us is not None and seg.start_us + seg.duration_us > start_us:
            past_start += 1
        if past_start >= _HEAD_SEGMENTS or seg.block_end >= tail_anchor:
            break
    middle_start = head_walk[-1].block_end if head_walk else anchor
    if middle_start > tail_anchor or any(s.start_us is None for s in head_walk):
        return None
    head = select(head_walk, start_us, end_us, boundary, fallback=False)
    tail = select(iter_segments(text, tail_anchor, dated=True), start_us, end_us, boundary, fallback=False)
    if not head or not tail or tail[0].block_start != tail_anchor or head[-1] is not head_walk[-1]:
        return None  # an edge ends inside the middle: the plain path sorts that out
    middle = copy_middle(text, middle_start, tail_anchor, relocate)
    if middle is None:
        return None
    return LongWindow(head, middle, tail)


def copy_middle(text: str, start: int, end: int, relocate: Callable[[str], str]) -> Middle | None:
    """Rewrite the URIs of ``text[start:end]`` if it holds nothing but plain segments."""
    if end <= start or text[end - 1] != "\n":
        return None
    region = text[start : end - 1]
    if not _PLAIN_FIRST.match(region) or _UNUSUAL.search(region):
        return None
    try:
        durations = [round(float(value) * 1_000_000) for value in _EXTINF.findall(region)]
    except (ValueError, OverflowError):
        return None  # the plain path reports the malformed line
    if not durations or min(durations) < 0 or max(durations) > _MAX_DURATION_US:
        return None
    return Middle(
        start=start,
        end=end,
        text=_URI_LINE.sub(lambda m: relocate(m.group().strip()), region),
        segments=len(durations),
        duration_us=sum(durations),
        max_duration_us=max(durations),
        has_range="#EXT-X-BYTERANGE:" in region,
    )
