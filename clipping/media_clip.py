"""Clip one media playlist: select its segments and write them as a VOD playlist.

Kept segments are copied line by line from the source (EXTINF and date strings unchanged), with
the few rewrites a cut needs: absolute byte-range offsets, the init section and key in force,
dates where a cut or discontinuity leaves a segment without one, and URIs relative to the clip.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .bulk import Middle, split_long_window
from .errors import InvalidPlaylist
from .paths import rewrite_uri_attributes
from .scan import (
    MediaHeader,
    Segment,
    Unordered,
    dates_look_ordered,
    find_anchor,
    iter_segments,
    last_segment_from,
    read_header,
)
from .select import select
from .timeparse import US, format_iso, parse_pdt

#: Tags the clip writes itself, or that make no sense in a finished clip, or that are stale.
_DROPPED = (
    "#EXTM3U",
    "#EXT-X-VERSION",
    "#EXT-X-TARGETDURATION",
    "#EXT-X-MEDIA-SEQUENCE",
    "#EXT-X-DISCONTINUITY-SEQUENCE",
    "#EXT-X-PLAYLIST-TYPE",
    "#EXT-X-ENDLIST",
    "#EXT-X-INDEPENDENT-SEGMENTS",
    "#EXT-X-I-FRAMES-ONLY",
    "#EXT-X-START",
    "#EXT-X-ALLOW-CACHE",
    "#EXT-X-TWITCH-",
    "#EXT-X-PART",
    "#EXT-X-SERVER-CONTROL",
    "#EXT-X-PRELOAD-HINT",
    "#EXT-X-RENDITION-REPORT",
    "#EXT-X-SKIP",
    "#EXT-X-DEFINE",  # the header's defines are written once, in the clip's header
)
#: Tags copied verbatim, tested first because every segment has them.
_COPIED = ("#EXT-X-PROGRAM-DATE-TIME:", "#EXTINF:")
_BYTERANGE = "#EXT-X-BYTERANGE:"


@dataclass(frozen=True, slots=True)
class Timeline:
    """First and last instant of a media playlist (µs; relative to 0 when it has no dates)."""

    first_us: int
    last_us: int
    dated: bool


def timeline(text: str, header: MediaHeader, undated_from: int | None = None) -> Timeline:
    """The earliest and latest instant of the playlist's timed segments, reading as little as possible.

    ``undated_from`` times the playlist by cumulative EXTINF from that instant, ignoring any dates.
    """
    if not header.dated or undated_from is not None:
        return _span(iter_segments(text, header.body_start, dated=False, clock_us=undated_from or 0), False)
    if dates_look_ordered(text, header.body_start):
        try:
            return _ordered_span(text, header)
        except Unordered:
            pass
    return _span(iter_segments(text, header.body_start, dated=True), True)


def _span(segments: Iterable[Segment], dated: bool) -> Timeline:
    first: int | None = None
    last: int | None = None
    for seg in segments:
        if seg.start_us is not None:
            first = seg.start_us if first is None else min(first, seg.start_us)
            last = seg.start_us + seg.duration_us if last is None else max(last, seg.start_us + seg.duration_us)
    if first is None or last is None:
        raise InvalidPlaylist("the media playlist has no timed segment")
    return Timeline(first, last, dated)


def _ordered_span(text: str, header: MediaHeader) -> Timeline:
    """First timed start and the end of the walk from the last dates, when dates do not step back."""
    first = next(s.start_us for s in iter_segments(text, header.body_start, dated=True) if s.start_us is not None)
    tail = _span(iter_segments(text, last_segment_from(text), dated=True, check_order=True), True)
    if tail.first_us < first:
        raise Unordered
    return Timeline(first, tail.last_us, True)


@dataclass(frozen=True, slots=True)
class MediaClip:
    """A clipped media playlist before its target duration is known (it must match across renditions)."""

    header: MediaHeader
    body: tuple[str, ...]
    version: int
    needed_target: int
    media_sequence: int
    discontinuity_sequence: int
    start_us: int
    end_us: int
    duration_us: int
    segments: int
    start_offset_us: int
    starts_in_final_segment: bool = False  # the requested start lies in the playlist's last segment
    first_discontinuity: bool = False  # the first kept segment follows a discontinuity (its tag is dropped)

    def render(self, target_duration: int) -> str:
        head = [
            "#EXTM3U",
            f"#EXT-X-VERSION:{self.version}",
            f"#EXT-X-TARGETDURATION:{target_duration}",
            "#EXT-X-PLAYLIST-TYPE:VOD",
            f"#EXT-X-MEDIA-SEQUENCE:{self.media_sequence}",
        ]
        if self.discontinuity_sequence:
            head.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{self.discontinuity_sequence}")
        if self.header.independent_segments:
            head.append("#EXT-X-INDEPENDENT-SEGMENTS")
        if self.header.iframes_only:
            head.append("#EXT-X-I-FRAMES-ONLY")
        head.extend(self.header.defines)
        if self.start_offset_us > 0:
            head.append(f"#EXT-X-START:TIME-OFFSET={self.start_offset_us / US:.3f},PRECISE=YES")
        return "\n".join((*head, *self.body, "#EXT-X-ENDLIST")) + "\n"


def clip_media(
    text: str,
    start_us: int,
    end_us: int,
    boundary: str,
    relocate: Callable[[str], str],
    header: MediaHeader | None = None,
    undated_from: int | None = None,
) -> MediaClip | None:
    """Clip a normalized media playlist to a window; ``None`` when no segment is kept.

    Dated playlists are searched by date unless ``undated_from`` is given: then, as in undated
    playlists, times are cumulative EXTINF from that instant (0 by default).
    """
    header = header or read_header(text)
    if header.dated and undated_from is None:
        if dates_look_ordered(text, header.body_start):
            try:
                return _clip_ordered(text, header, start_us, end_us, boundary, relocate)
            except Unordered:
                pass  # dates step back somewhere: walk the whole playlist instead
        walk = iter_segments(text, header.body_start, dated=True)
        kept = select(walk, start_us, end_us, boundary, ordered=False)
    else:
        walk = iter_segments(text, header.body_start, dated=False, clock_us=undated_from or 0)
        kept = select(walk, start_us, end_us, boundary)
    return _write(text, header, kept, start_us, relocate) if kept else None


def _clip_ordered(
    text: str, header: MediaHeader, start_us: int, end_us: int, boundary: str, relocate: Callable[[str], str]
) -> MediaClip | None:
    """The fast path: binary-search the start, copy a long window's middle in bulk."""
    anchor = find_anchor(text, header.body_start, start_us)
    long_window = split_long_window(text, header, anchor, start_us, end_us, boundary, relocate)
    if long_window is not None:
        return _write(text, header, long_window.head, start_us, relocate, long_window.middle, long_window.tail)
    kept = select(iter_segments(text, anchor, dated=True, check_order=True), start_us, end_us, boundary)
    return _write(text, header, kept, start_us, relocate) if kept else None


def _write(
    text: str,
    header: MediaHeader,
    kept: list[Segment],
    start_us: int,
    relocate: Callable[[str], str],
    middle: Middle | None = None,
    tail: list[Segment] | None = None,
) -> MediaClip:
    """Write the kept segments; with a long window, ``kept`` is its head, then the middle and tail."""
    writer = _Writer(text, header, relocate)
    first = kept[0]
    last = tail[-1] if middle is not None and tail else kept[-1]
    writer.lead(first, last)
    writer.segments(kept)
    if middle is not None:
        writer.middle(middle)
        writer.segments(tail or ())
    return writer.finish(first, last, start_us)


class _Writer:
    """Builds a clip's body: the state in force at its first segment, then each segment's lines."""

    __slots__ = (
        "body",
        "count",
        "duration",
        "header",
        "leading",
        "needed_target",
        "previous_end",
        "range_end",
        "relocate",
        "text",
        "uses_keyformat",
        "uses_map",
        "uses_range",
    )

    def __init__(self, text: str, header: MediaHeader, relocate: Callable[[str], str]) -> None:
        self.text = text
        self.header = header
        self.relocate = relocate
        self.body: list[str] = []
        self.uses_map = self.uses_range = self.uses_keyformat = False
        self.leading = True
        self.previous_end: int | None = None  # where the previous written segment's lines ended
        self.range_end: int | None = None  # where its byte range ended
        self.needed_target = self.duration = self.count = 0

    # -- state in force ---------------------------------------------------------------------

    def lead(self, first: Segment, last: Segment) -> None:
        """The init section, keys and date ranges that apply to the first segment but stand before it."""
        text, block = self.text, (first.block_start, first.uri_start)
        keys = keys_in_force(text, block[0], text[block[0] : block[1]])
        if text.find("\n#EXT-X-MAP:", block[0] - 1, block[1]) == -1:
            map_at = text.rfind("\n#EXT-X-MAP:", 0, block[0])
            if map_at != -1:
                # a key applies to the init sections declared after it too: the keys in force at the
                # MAP go before it, then what changed between the MAP and the first segment
                at_map = keys_in_force(text, map_at + 1)
                self._keys(at_map)
                self.body.append(rewrite_uri_attributes(_line_at(text, map_at + 1), self.relocate))
                self.uses_map = True
                keys = _keys_after(at_map, keys_in_force(text, block[0]), keys)
        self._keys(keys)
        if self.header.dated and first.start_us is not None and last.start_us is not None:
            self.body.extend(dateranges_overlapping(text, first.start_us, last.start_us + last.duration_us))

    def _keys(self, lines: Iterable[str]) -> None:
        for key_line in lines:
            self.body.append(rewrite_uri_attributes(key_line, self.relocate))
            self.uses_keyformat = self.uses_keyformat or "KEYFORMAT" in key_line

    # -- segments ---------------------------------------------------------------------------

    def middle(self, middle: Middle) -> None:
        """A long window's middle, already rewritten in bulk."""
        self.body.append(middle.text)
        self.previous_end, self.range_end = middle.end, None
        self.uses_range = self.uses_range or middle.has_range
        self.duration += middle.duration_us
        self.needed_target = max(self.needed_target, (middle.max_duration_us + US // 2) // US)
        self.count += middle.segments

    def segments(self, segments: Iterable[Segment]) -> None:
        for seg in segments:
            self.segment(seg)

    def segment(self, seg: Segment) -> None:
        """Copy one segment's lines with the rewrites a cut needs."""
        text, body = self.text, self.body
        previous_end = self.previous_end
        adjacent = previous_end == seg.block_start
        if previous_end is not None and not adjacent and not seg.discontinuity:
            body.append("#EXT-X-DISCONTINUITY")  # source segments were skipped here
        needs_date = (
            self.header.dated
            and not seg.dated
            and seg.start_us is not None
            and (self.leading or seg.discontinuity or not adjacent)
        )
        seg_range_end: int | None = None
        for line in text[seg.block_start : seg.uri_start].split("\n"):
            if line.startswith(_COPIED):  # the common case, first
                if needs_date and line.startswith("#EXTINF:"):
                    body.append("#EXT-X-PROGRAM-DATE-TIME:" + format_iso(seg.start_us or 0))
                body.append(line)
            elif line.startswith("#EXT") and not self._dropped(line):
                if line.startswith(_BYTERANGE):
                    line, seg_range_end = self._byte_range(line, seg, adjacent)
                elif line.startswith(("#EXT-X-MAP:", "#EXT-X-KEY:")):
                    self.uses_map = self.uses_map or line.startswith("#EXT-X-MAP:")
                    self.uses_keyformat = self.uses_keyformat or "KEYFORMAT" in line
                    line = rewrite_uri_attributes(line, self.relocate)
                body.append(line)
        body.append(self.relocate(text[seg.uri_start : seg.block_end].strip()))
        self.range_end = seg_range_end
        self.previous_end = seg.block_end
        self.leading = False
        self.duration += seg.duration_us
        self.needed_target = max(self.needed_target, (seg.duration_us + US // 2) // US)
        self.count += 1

    def _dropped(self, line: str) -> bool:
        """Tags the clip writes itself (a leading discontinuity, date ranges of dated clips) or drops."""
        if line.startswith(_DROPPED):
            return True
        if self.leading and line.rstrip() == "#EXT-X-DISCONTINUITY":
            return True
        return self.header.dated and line.startswith("#EXT-X-DATERANGE:")

    def _byte_range(self, line: str, seg: Segment, adjacent: bool) -> tuple[str, int]:
        """The range with an explicit offset, and where it ends."""
        length, offset = _parse_range(line)
        if offset is None:
            offset = self.range_end if adjacent and self.range_end is not None else _implied_offset(self.text, seg)
            line = f"{_BYTERANGE}{length}@{offset}"
        self.uses_range = True
        return line, offset + length

    # -- trailer ----------------------------------------------------------------------------

    def finish(self, first: Segment, last: Segment, start_us: int) -> MediaClip:
        text, header = self.text, self.header
        first_start = first.start_us or 0
        offset = start_us - first_start if first_start < start_us < first_start + first.duration_us else 0
        return MediaClip(
            header=header,
            body=tuple(self.body),
            version=self._version(),
            needed_target=max(self.needed_target, 1),
            media_sequence=header.media_sequence + text.count("\n#EXTINF:", 0, first.block_start),
            discontinuity_sequence=header.discontinuity_sequence + _discontinuities_before(text, header, first),
            start_us=first_start,
            end_us=(last.start_us or 0) + last.duration_us,
            duration_us=self.duration,
            segments=self.count,
            start_offset_us=offset,
            first_discontinuity=first.discontinuity,
            starts_in_final_segment=(
                first_start <= start_us < first_start + first.duration_us
                and text.find("\n#EXTINF:", first.block_end - 1) == -1
            ),
        )

    def _version(self) -> int:
        """The lowest version the tags used need, never below the source's or 3."""
        header = self.header
        version = max(header.version, 3)
        if self.uses_range or header.iframes_only:
            version = max(version, 4)
        if self.uses_keyformat:
            version = max(version, 5)
        if self.uses_map:
            version = max(version, 5 if header.iframes_only else 6)
        if header.defines:
            version = max(version, 8)
        return version


def keys_in_force(text: str, pos: int, first_block: str = "") -> list[str]:
    """The ``EXT-X-KEY`` lines in force at ``pos``, one per KEYFORMAT, in source order.

    A ``METHOD=NONE`` key clears every key before it. Keys the first segment's own lines
    (``first_block``) set again, or clear, are left to those lines.
    """
    if "METHOD=NONE" in first_block and "#EXT-X-KEY:" in first_block:
        return []
    found: dict[str, str] = {}
    at = text.rfind("\n#EXT-X-KEY:", 0, pos)
    while at != -1:
        end = text.find("\n", at + 1)
        line = text[at + 1 : end if end != -1 else len(text)].strip()
        if _attribute(line, "METHOD") == "NONE":
            break
        found.setdefault(_attribute(line, "KEYFORMAT") or "identity", line)
        at = text.rfind("\n#EXT-X-KEY:", 0, at)
    redefined = {_attribute(line, "KEYFORMAT") or "identity" for line in _lines_with(first_block, "#EXT-X-KEY:")}
    return [line for keyformat, line in reversed(found.items()) if keyformat not in redefined]


def _keys_after(at_map: list[str], at_block: list[str], lead: list[str]) -> list[str]:
    """The key lines that turn the keys written before a MAP (``at_map``) into those in force at the block.

    ``lead`` is what the block needs written before it (``at_block`` less what its own lines set).
    A KEYFORMAT in force at the MAP but no longer at the block was cleared by ``METHOD=NONE``.
    """
    formats = {_attribute(line, "KEYFORMAT") or "identity" for line in at_block}
    if any((_attribute(line, "KEYFORMAT") or "identity") not in formats for line in at_map):
        return ["#EXT-X-KEY:METHOD=NONE", *lead]
    return [line for line in lead if line not in at_map]


def dateranges_overlapping(text: str, start_us: int, end_us: int) -> list[str]:
    """Every ``EXT-X-DATERANGE`` line of the playlist whose span overlaps ``[start_us, end_us)``.

    A range without an end is an instant. One whose start cannot be read is kept rather than lost.
    """
    kept: list[str] = []
    for line in _lines_with(text, "#EXT-X-DATERANGE:"):
        span = _daterange_span(line)
        if span is None:
            kept.append(line)
            continue
        begin, finish = span
        if (begin < end_us and finish > start_us) if finish > begin else start_us <= begin < end_us:
            kept.append(line)
    return kept


def _daterange_span(line: str) -> tuple[int, int] | None:
    try:
        begin = parse_pdt(_attribute(line, "START-DATE") or "")
        end_date = _attribute(line, "END-DATE")
        if end_date:
            return begin, parse_pdt(end_date)
        duration = _attribute(line, "DURATION") or _attribute(line, "PLANNED-DURATION")
        return begin, begin + (round(float(duration) * US) if duration else 0)
    except ValueError:
        return None


def _attribute(line: str, name: str) -> str | None:
    """The value of attribute ``name`` of a tag line, unquoted; ``None`` when absent."""
    match = re.search(rf'(?:[:,]){re.escape(name)}=("[^"]*"|[^,]*)', line)
    return match.group(1).strip('"') if match else None


def _lines_with(text: str, tag: str) -> list[str]:
    """Every line of ``text`` that starts with ``tag`` (one C-speed search when there is none)."""
    lines: list[str] = []
    at = text.find(tag)
    while at != -1:
        if at == 0 or text[at - 1] == "\n":
            end = text.find("\n", at)
            lines.append(text[at : end if end != -1 else len(text)].strip())
        at = text.find(tag, at + 1)
    return lines


def _discontinuities_before(text: str, header: MediaHeader, first: Segment) -> int:
    """Discontinuity tags up to and including the first kept segment's (its own is dropped)."""
    tags = text.count("\n#EXT-X-DISCONTINUITY", 0, first.uri_start)
    return tags - text.count("\n#EXT-X-DISCONTINUITY-SEQUENCE", 0, header.header_end)


def _line_at(text: str, start: int) -> str:
    end = text.find("\n", start)
    return text[start : end if end != -1 else len(text)].strip()


def _parse_range(line: str) -> tuple[int, int | None]:
    raw = line[len(_BYTERANGE) :].strip()
    length, _, offset = raw.partition("@")
    try:
        return int(length), (int(offset) if offset else None)
    except ValueError:
        raise InvalidPlaylist(f"malformed EXT-X-BYTERANGE: {line[:80]!r}") from None


def _implied_offset(text: str, seg: Segment) -> int:
    """Resolve an offset-less range: it starts where the previous range of the resource ended."""
    carried = 0
    pos = seg.block_start
    while True:
        found = text.rfind("\n" + _BYTERANGE, 0, pos)
        if found == -1:
            return carried
        end = text.find("\n", found + 1)
        length, offset = _parse_range(text[found + 1 : end if end != -1 else len(text)])
        if offset is not None:
            return offset + length + carried
        carried += length
        pos = found
