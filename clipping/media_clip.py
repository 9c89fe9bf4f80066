"""Clip one media playlist: select its segments and write them as a VOD playlist.

Kept segments are copied line by line from the source (EXTINF and date strings unchanged), with
the few rewrites a cut needs: absolute byte-range offsets, the init section and key in force,
dates where a cut or discontinuity leaves a segment without one, and URIs relative to the clip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .bulk import Middle, split_long_window
from .errors import InvalidPlaylist
from .paths import rewrite_uri_attributes
from .scan import MediaHeader, Segment, find_anchor, iter_segments, last_segment_from, read_header
from .select import select
from .timeparse import US, format_iso

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


def timeline(text: str, header: MediaHeader) -> Timeline:
    """Where the playlist's timed segments begin and end, reading as little as possible."""
    if header.dated:
        first = next(
            (s.start_us for s in iter_segments(text, header.body_start, dated=True) if s.start_us is not None),
            None,
        )
        last_block = last_segment_from(text)
        last = None
        for seg in iter_segments(text, last_block, dated=True):
            if seg.start_us is not None:
                last = seg.start_us + seg.duration_us
        if first is None or last is None:
            raise InvalidPlaylist("the media playlist has no timed segment")
        return Timeline(first, last, True)
    total = 0
    for seg in iter_segments(text, header.body_start, dated=False, clock_us=0):
        total += seg.duration_us
    return Timeline(0, total, False)


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
) -> MediaClip | None:
    """Clip a normalized media playlist to a window; ``None`` when no segment is kept."""
    header = header or read_header(text)
    if header.dated:
        anchor = find_anchor(text, header.body_start, start_us)
        long_window = split_long_window(text, header, anchor, start_us, end_us, boundary, relocate)
        if long_window is not None:
            return _write(text, header, long_window.head, start_us, relocate, long_window.middle, long_window.tail)
        walk = iter_segments(text, anchor, dated=True)
    else:
        walk = iter_segments(text, header.body_start, dated=False, clock_us=0)
    kept = select(walk, start_us, end_us, boundary)
    if not kept:
        return None
    return _write(text, header, kept, start_us, relocate)


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
    first = kept[0]
    body: list[str] = []
    uses_map = False
    uses_range = False
    uses_keyformat = False
    in_block_map = text.find("\n#EXT-X-MAP:", first.block_start - 1, first.uri_start) != -1
    if not in_block_map:
        map_line = _last_tag_before(text, "#EXT-X-MAP:", first.block_start)
        if map_line:
            body.append(rewrite_uri_attributes(map_line, relocate))
            uses_map = True
    if text.find("\n#EXT-X-KEY:", first.block_start - 1, first.uri_start) == -1:
        key_line = _last_tag_before(text, "#EXT-X-KEY:", first.block_start)
        if key_line and "METHOD=NONE" not in key_line:
            body.append(rewrite_uri_attributes(key_line, relocate))
            uses_keyformat = "KEYFORMAT" in key_line

    previous_end: int | None = None  # where the previous written segment's lines ended
    range_end: int | None = None
    needed_target = 0
    duration = 0
    count = 0
    segments = (*kept, None, *(tail or ())) if middle is not None else kept
    for seg in segments:
        if seg is None:
            assert middle is not None
            body.append(middle.text)
            previous_end, range_end = middle.end, None
            uses_range = uses_range or middle.has_range
            duration += middle.duration_us
            needed_target = max(needed_target, (middle.max_duration_us + US // 2) // US)
            count += middle.segments
            continue
        adjacent = previous_end == seg.block_start
        leading = previous_end is None
        forced_discontinuity = (
            previous_end is not None
            and not adjacent
            and not seg.discontinuity
            and text.find("\n#EXT-X-DISCONTINUITY", previous_end - 1, seg.block_start) != -1
        )
        if forced_discontinuity:
            body.append("#EXT-X-DISCONTINUITY")  # untimed source segments were skipped here
        needs_date = (
            header.dated
            and not seg.dated
            and seg.start_us is not None
            and (leading or seg.discontinuity or forced_discontinuity)
        )
        seg_range_end: int | None = None
        for line in text[seg.block_start : seg.uri_start].split("\n"):
            if line.startswith(_COPIED):  # the common case, first
                if needs_date and line.startswith("#EXTINF:"):
                    body.append("#EXT-X-PROGRAM-DATE-TIME:" + format_iso(seg.start_us or 0))
                body.append(line)
                continue
            if not line.startswith("#EXT"):
                continue  # blank lines and comments (#ID3-EQUIV-TDTG among them)
            if line.startswith(_DROPPED):
                continue
            if leading and line.rstrip() == "#EXT-X-DISCONTINUITY":
                continue
            if line.startswith(_BYTERANGE):
                length, offset = _parse_range(line)
                if offset is None:
                    offset = range_end if adjacent and range_end is not None else _implied_offset(text, seg)
                    line = f"{_BYTERANGE}{length}@{offset}"
                seg_range_end = offset + length
                uses_range = True
            elif line.startswith(("#EXT-X-MAP:", "#EXT-X-KEY:")):
                uses_map = uses_map or line.startswith("#EXT-X-MAP:")
                uses_keyformat = uses_keyformat or "KEYFORMAT" in line
                line = rewrite_uri_attributes(line, relocate)
            body.append(line)
        body.append(relocate(text[seg.uri_start : seg.block_end].strip()))
        range_end = seg_range_end
        previous_end = seg.block_end
        duration += seg.duration_us
        needed_target = max(needed_target, (seg.duration_us + US // 2) // US)
        count += 1

    version = max(header.version, 3)
    if uses_range or header.iframes_only:
        version = max(version, 4)
    if uses_keyformat:
        version = max(version, 5)
    if uses_map:
        version = max(version, 5 if header.iframes_only else 6)
    last = tail[-1] if middle is not None and tail else kept[-1]
    first_start = first.start_us or 0
    offset = start_us - first_start if first_start < start_us < first_start + first.duration_us else 0
    return MediaClip(
        header=header,
        body=tuple(body),
        version=version,
        needed_target=max(needed_target, 1),
        media_sequence=header.media_sequence + text.count("\n#EXTINF:", 0, first.block_start),
        discontinuity_sequence=header.discontinuity_sequence + _discontinuities_before(text, header, first),
        start_us=first_start,
        end_us=(last.start_us or 0) + last.duration_us,
        duration_us=duration,
        segments=count,
        start_offset_us=offset,
    )


def _discontinuities_before(text: str, header: MediaHeader, first: Segment) -> int:
    """Discontinuity tags up to and including the first kept segment's (its own is dropped)."""
    tags = text.count("\n#EXT-X-DISCONTINUITY", 0, first.uri_start)
    return tags - text.count("\n#EXT-X-DISCONTINUITY-SEQUENCE", 0, header.header_end)


def _last_tag_before(text: str, tag: str, pos: int) -> str | None:
    found = text.rfind("\n" + tag, 0, pos)
    if found == -1:
        return None
    end = text.find("\n", found + 1)
    return text[found + 1 : end if end != -1 else len(text)].strip()


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
