"""A purpose-built scanner for long HLS media playlists.

A 24 h recording's playlist holds tens of thousands of segments. Parsing all of it (m3u8 takes
about 0.5 s and 50 MB per rendition) is far too slow for a 128 MB Lambda, so the scanner never
splits the whole text: it binary-searches the raw string for the program date time at the start
of the window, then walks only the segments it needs, remembering where each segment's lines are
so that the writer can copy them unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .errors import InvalidPlaylist
from .timeparse import parse_pdt

PDT = "#EXT-X-PROGRAM-DATE-TIME:"
_NL_PDT = "\n" + PDT
#: Below this many characters the binary search hands over to a short linear walk.
_BISECT_FLOOR = 4096
#: Dates read by :func:`dates_look_ordered`.
_SAMPLES = 64


def normalize(text: str) -> str:
    """Drop a byte-order mark and turn CRLF/CR line ends into LF, so offsets are plain."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def extinf_us(line: str) -> int:
    """Duration of an ``#EXTINF:<duration>,[title]`` line in microseconds."""
    comma = line.find(",", 8)
    try:
        value = float(line[8:comma] if comma != -1 else line[8:])
    except ValueError:
        raise InvalidPlaylist(f"malformed EXTINF line: {line[:80]!r}") from None
    if not value >= 0 or value > 1e7:
        raise InvalidPlaylist(f"EXTINF duration out of range: {line[:80]!r}")
    return round(value * 1_000_000)


@dataclass(frozen=True, slots=True)
class MediaHeader:
    """Playlist-wide facts read from the tags before the first segment."""

    version: int
    target_duration: int
    media_sequence: int
    discontinuity_sequence: int
    independent_segments: bool
    iframes_only: bool
    ended: bool
    dated: bool  # at least one segment carries a program date time
    body_start: int  # offset of the first segment's first line
    header_end: int  # offset of the first #EXTINF line: header tags all come before it
    defines: tuple[str, ...] = ()  # the header's EXT-X-DEFINE lines, which every clip must keep


def _int_tag(text: str, tag: str, end: int, default: int) -> int:
    pos = text.find("\n" + tag, 0, end)
    if pos == -1:
        return default
    start = pos + 1 + len(tag)
    stop = text.find("\n", start)
    raw = text[start : stop if stop != -1 else len(text)].strip()
    try:
        return int(raw)
    except ValueError:
        raise InvalidPlaylist(f"malformed {tag[:-1]} value: {raw[:40]!r}") from None


def read_header(text: str) -> MediaHeader:
    """Read the header of a normalized media playlist; refuse anything that is not one."""
    if not text.startswith("#EXTM3U"):
        raise InvalidPlaylist("not an HLS playlist: it does not start with #EXTM3U")
    if "#EXT-X-STREAM-INF" in text[:65536] and "#EXTINF" not in text[:65536]:
        raise InvalidPlaylist("expected a media playlist but found a multivariant playlist")
    first = text.find("\n#EXTINF:")
    if first == -1:
        raise InvalidPlaylist("the media playlist has no segments")
    body_start = segment_block_start(text, first + 1)
    header_end = first
    if text.find("\n#EXT-X-SKIP", 0, header_end) != -1:
        raise InvalidPlaylist(
            "this is a playlist delta update (EXT-X-SKIP): it omits the oldest segments, so it cannot be "
            "clipped; give the full playlist"
        )
    return MediaHeader(
        version=_int_tag(text, "#EXT-X-VERSION:", header_end, 1),
        target_duration=_int_tag(text, "#EXT-X-TARGETDURATION:", header_end, 0),
        media_sequence=_int_tag(text, "#EXT-X-MEDIA-SEQUENCE:", header_end, 0),
        discontinuity_sequence=_int_tag(text, "#EXT-X-DISCONTINUITY-SEQUENCE:", header_end, 0),
        independent_segments=text.find("\n#EXT-X-INDEPENDENT-SEGMENTS", 0, header_end) != -1,
        iframes_only=text.find("\n#EXT-X-I-FRAMES-ONLY", 0, header_end) != -1,
        ended=text.rfind("\n#EXT-X-ENDLIST") != -1,
        dated=_owned_date_before(text, len(text)) != -1,
        body_start=body_start,
        header_end=header_end,
        defines=tuple(_tag_lines(text, "#EXT-X-DEFINE:", header_end)),
    )


def _tag_lines(text: str, tag: str, end: int) -> list[str]:
    """Every ``tag`` line before ``end`` (for header tags: a short search)."""
    lines: list[str] = []
    pos = text.find("\n" + tag, 0, end)
    while pos != -1:
        stop = text.find("\n", pos + 1)
        lines.append(text[pos + 1 : stop if stop != -1 else len(text)].strip())
        pos = text.find("\n" + tag, pos + 1, end)
    return lines


def _owns_segment(text: str, line_start: int) -> bool:
    """Whether a URI line follows the tag line at ``line_start``: a date after the last segment has none."""
    pos = text.find("\n", line_start)
    while pos != -1:
        start = pos + 1
        pos = text.find("\n", start)
        line = text[start : pos if pos != -1 else len(text)]
        if line and not line.startswith("#") and not line.isspace():
            return True
    return False


def _owned_date_before(text: str, end: int) -> int:
    """Line start of the last date line before ``end`` that belongs to a segment, or -1."""
    found = text.rfind(_NL_PDT, 0, end)
    while found != -1 and not _owns_segment(text, found + 1):
        found = text.rfind(_NL_PDT, 0, found)
    return -1 if found == -1 else found + 1


def segment_block_start(text: str, line_start: int) -> int:
    """Offset of the first line of the segment whose tag line begins at ``line_start``.

    A segment's lines run from just after the previous segment's URI line to its own URI line,
    so walk back over tag, comment and blank lines.
    """
    pos = line_start
    while pos > 0:
        prev = text.rfind("\n", 0, pos - 1) + 1
        line = text[prev : pos - 1]
        if line and not line.startswith("#"):
            return pos
        if line.startswith("#EXTM3U"):
            return pos
        pos = prev
    return 0


@dataclass(slots=True)
class Segment:
    """One media segment: its time, and where its lines are in the source text."""

    start_us: int | None  # None when its time cannot be known (after a discontinuity with no date)
    duration_us: int
    block_start: int  # first line of the segment's tags
    uri_start: int  # its URI line
    block_end: int  # just past the URI line's newline
    discontinuity: bool
    dated: bool  # carries its own program date time

    @property
    def end_us(self) -> int | None:
        return None if self.start_us is None else self.start_us + self.duration_us


class Unordered(Exception):
    """Dates step back by more than a segment: the fast search cannot trust the playlist's order."""


def iter_segments(
    text: str, pos: int, *, dated: bool, clock_us: int | None = None, check_order: bool = False
) -> Iterator[Segment]:
    """Walk segments from the block starting at ``pos`` to the end of the playlist.

    A segment's time is its own date, or the previous segment's end (across a discontinuity too,
    so undated ad breaks in a dated playlist stay timed). In an undated playlist (``dated`` false)
    dates are ignored and times are cumulative EXTINF from ``clock_us``. Segments before the first
    date of a dated walk have no time. An ``EXT-X-ENDLIST`` may stand anywhere: the walk reads on.
    With ``check_order``, a date before the previous segment's start raises :class:`Unordered`.
    """
    end = len(text)
    block_start = pos
    duration = -1
    pdt: int | None = None
    disc = False
    clock = clock_us
    previous_start: int | None = None
    while pos < end:
        nl = text.find("\n", pos)
        if nl == -1:
            nl = end
        if text.startswith("#", pos):
            if text.startswith("#EXTINF:", pos):
                duration = extinf_us(text[pos:nl])
            elif dated and text.startswith(PDT, pos):
                pdt = _pdt_value(text[pos + 25 : nl])
            elif text.startswith("#EXT-X-DISCONTINUITY", pos) and (nl - pos == 20 or text[pos + 20 : nl].isspace()):
                disc = True
        elif nl > pos and not text[pos:nl].isspace():
            if duration < 0:
                raise InvalidPlaylist(f"segment {text[pos:nl][:80]!r} has no #EXTINF")
            start = clock if pdt is None else pdt
            if check_order and pdt is not None and previous_start is not None and pdt < previous_start:
                raise Unordered
            yield Segment(start, duration, block_start, pos, nl + 1, disc, pdt is not None)
            previous_start = start
            clock = None if start is None else start + duration
            block_start = nl + 1
            duration = -1
            pdt = None
            disc = False
        pos = nl + 1


def _pdt_value(raw: str) -> int:
    try:
        return parse_pdt(raw.strip())
    except ValueError as exc:
        raise InvalidPlaylist(f"malformed program date time: {exc}") from None


def _pdt_at(text: str, line_start: int) -> int:
    nl = text.find("\n", line_start)
    return _pdt_value(text[line_start + len(PDT) : nl if nl != -1 else len(text)])


def dates_look_ordered(text: str, body_start: int, samples: int = _SAMPLES) -> bool:
    """A cheap test that the playlist's dates do not step back: ``samples`` evenly spaced dates.

    It reads a few dozen dates, not every one, so it misses a step back shorter than the spacing
    between samples; the fast search and its walk check the dates they read as well. Dates of
    one fixed-width UTC shape compare as text, which saves parsing them.

    A playlist with undated segments between its dates is never taken as ordered: those segments
    run on from the previous date by EXTINF, so the clock can step back (a date repeating an
    earlier segment's time) while the dates themselves increase, and only a walk sees that.
    """
    body = max(body_start - 1, 0)
    if text.count(_NL_PDT, body) < text.count("\n#EXTINF:", body):
        return False
    previous = ""
    step = max(1, (len(text) - body_start) // samples)
    for offset in range(max(body_start - 1, 0), len(text), step):
        found = text.find(_NL_PDT, offset)
        if found == -1:
            break
        nl = text.find("\n", found + 1)
        value = text[found + 1 + len(PDT) : nl if nl != -1 else len(text)].strip()
        if previous and _before(value, previous):
            return False
        previous = value
    return True


def _before(a: str, b: str) -> bool:
    """Whether date ``a`` is earlier than date ``b``."""
    if len(a) == len(b) and a[-1] == b[-1] == "Z" and a[19:20] == b[19:20] == ".":
        return a < b
    return _pdt_value(a) < _pdt_value(b)


def find_anchor(text: str, body_start: int, target_us: int) -> int:
    """Block start of the dated segment before the last one whose date is at or before ``target_us``.

    Binary search over the raw text: each probe finds the next date line after a midpoint, which
    works as long as dates increase through the playlist. A probe outside its bracket's dates
    raises :class:`Unordered`. The result is one dated segment early, so a segment that a small
    step back in the dates makes overlap its successor is still walked. Returns ``body_start``
    when the first date is already after the target.
    """
    first = text.find(_NL_PDT, body_start - 1 if body_start else 0)
    if first == -1:
        return body_start
    lo = first + 1
    lo_us = _pdt_at(text, lo)
    if lo_us > target_us:
        return body_start
    hi = len(text)
    last = text.rfind(_NL_PDT)
    hi_us = _pdt_at(text, last + 1)
    while hi - lo > _BISECT_FLOOR:
        mid = (lo + hi) // 2
        probe = text.find(_NL_PDT, mid, hi)
        if probe == -1:
            hi = mid
            continue
        probe += 1
        value = _pdt_at(text, probe)
        if not lo_us <= value <= hi_us:
            raise Unordered
        if value <= target_us:
            lo, lo_us = probe, value
        else:
            hi, hi_us = mid, value
    while True:
        probe = text.find(_NL_PDT, lo)
        if probe == -1 or _pdt_at(text, probe + 1) > target_us:
            break
        lo = probe + 1
    before = text.rfind(_NL_PDT, 0, lo - 1)
    if before != -1 and before >= body_start - 1:
        lo = before + 1
    return segment_block_start(text, lo)


def last_segment_from(text: str) -> int:
    """Block start of the dated segment before the one holding the last owned date, or -1 if none.

    One segment early for the same reason as :func:`find_anchor`.
    """
    last = _owned_date_before(text, len(text))
    if last == -1:
        return -1
    before = text.rfind(_NL_PDT, 0, last - 1)
    return segment_block_start(text, before + 1 if before != -1 else last)
