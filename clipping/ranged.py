"""Clip a media playlist from a few ranged reads: the header, the tail and the window's blocks.

The whole-text engine (:mod:`clipping.media_clip`) needs the whole playlist only for facts that
depend on the prefix. This module finds the window's bytes by interpolation search over date
lines in cached blocks (IVS writes a date on every part at a near-constant byte rate, so one
probe usually lands), then hands the whole-text engine a small stand-in playlist: the real
header followed by the window's segments (with two segments of margin each side). The clip of
that excerpt is the clip of the whole playlist, given:

- **numbering from 0.** The excerpt cannot count the segments and discontinuities before it, so
  the clip's ``EXT-X-MEDIA-SEQUENCE`` is 0 and its ``EXT-X-DISCONTINUITY-SEQUENCE`` counts from
  the clip's start (the engine's ``numbering="clip"``). A clip is a new VOD playlist, and HLS
  only asks that the first segment's number be declared and that discontinuity numbers agree
  across renditions, which the engine keeps (see :func:`clipping.engine.clip_recording`).
- **no state the excerpt cannot see.** ``EXT-X-KEY``, ``EXT-X-MAP`` and ``EXT-X-DATERANGE`` can
  stand anywhere and stay in force (or apply) from far away. IVS recordings carry none of them,
  so when any block read shows one, or dates are missing or step back, or the text has CR line
  ends or a byte-order mark, the caller reads the whole playlist instead (:data:`WHOLE`).
  Trade-off, stated plainly: a tag that appears *only* in blocks never read (say, one
  ``EXT-X-DATERANGE`` in the middle of a 48 h playlist, or a key rotation there) is not seen.
  Nothing bounded can see it; a playlist from a writer that uses them should be clipped with
  the whole-text reader (the CLI's, and the service's below :data:`MIN_RANGED_SIZE`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Final

from .errors import InvalidPlaylist
from .scan import MediaHeader, Unordered, iter_segments, last_segment_from, read_header
from .source import RandomText
from .timeparse import parse_pdt

#: Playlists smaller than this are read whole: one request either way, and no search at all.
MIN_RANGED_SIZE = 256 * 1024
#: Probes by interpolation before the search falls back to halving (a bound on rounds).
_INTERPOLATED = 3
_MAX_PROBES = 40
#: Dated segments kept around the window, so the engine's one-early anchor and stop see them.
_MARGIN = 2
_STEP_BACK = 4096

_PDT = b"\n#EXT-X-PROGRAM-DATE-TIME:"
_EXTINF = b"\n#EXTINF:"
_BYTERANGE = b"\n#EXT-X-BYTERANGE:"
#: Tags whose effect reaches past the blocks read: their presence sends the caller to the whole text.
_FAR_REACHING = (b"#EXT-X-KEY", b"#EXT-X-MAP", b"#EXT-X-DATERANGE", b"#EXT-X-SKIP", b"\r", b"\xef\xbb\xbf")


class _Whole(Exception):
    """This playlist needs the whole-text path."""


WHOLE: Final = None  # what :func:`open_ranged` answers when the whole text is needed


@dataclass(frozen=True, slots=True)
class _Date:
    pos: int  # offset of the date line's first byte
    us: int


@dataclass(frozen=True, slots=True)
class RangedPlaylist:
    """What the head and tail blocks say about a long, plainly dated playlist."""

    source: RandomText
    header_text: str  # everything before the first segment's lines
    header: MediaHeader
    first: _Date
    last: _Date
    first_us: int  # the recording's first instant
    last_us: int  # the end of its last segment

    def excerpt(self, start_us: int, end_us: int) -> str:
        """A stand-in playlist: the header, then the segments around ``[start_us, end_us)``."""
        try:
            return self.header_text + _excerpt(self, start_us, end_us)
        except (Unordered, UnicodeDecodeError):
            raise _Whole from None


def open_ranged(source: RandomText) -> RangedPlaylist | None:
    """The playlist's ranged view, or :data:`WHOLE` when it must be read whole (see module doc)."""
    try:
        return _open(source)
    except (_Whole, Unordered, UnicodeDecodeError, InvalidPlaylist):
        return WHOLE


def excerpt_or_whole(playlist: RangedPlaylist, start_us: int, end_us: int) -> str | None:
    """:meth:`RangedPlaylist.excerpt`, or ``None`` when what it read rules the ranged path out."""
    try:
        return playlist.excerpt(start_us, end_us)
    except (_Whole, InvalidPlaylist):
        return None


def _open(source: RandomText) -> RangedPlaylist:
    if source.size < MIN_RANGED_SIZE:
        raise _Whole
    head = source.read(0, min(source.size, _block(source)))
    tail_start = max(0, source.size - _block(source))
    tail = source.read(tail_start, source.size)
    for data in (head, tail):
        _check_plain(data)
    head_text = head[: head.rfind(b"\n") + 1].decode("utf-8")
    if not head_text.startswith("#EXTM3U") or _EXTINF not in head:
        raise _Whole
    header = read_header(head_text)
    header_text = _header_lines(head_text[: header.header_end + 1])
    dates = _dates(head, 0)
    if not dates or not _every_segment_dated(head[header.body_start :]):
        raise _Whole
    tail_text = _from_segment_start(tail, tail_start).decode("utf-8")
    if not _every_segment_dated(tail_text.encode()):
        raise _Whole
    last_dates = _dates(tail, tail_start)
    if not last_dates or last_dates[-1].us < dates[0].us:
        raise _Whole
    stand_in = header_text + tail_text
    end = max(s.end_us or 0 for s in iter_segments(stand_in, last_segment_from(stand_in), dated=True, check_order=True))
    first = dates[0]
    return RangedPlaylist(source, header_text, header, first, last_dates[-1], first.us, end)


def _header_lines(prefix: str) -> str:
    """The playlist-wide lines before the first ``EXTINF``, without the first segment's own tags.

    The engine counts header tags as part of the first segment's lines; the stand-in playlist
    puts them before the excerpt instead, where they are read the same way.
    """
    own = ("#EXT-X-PROGRAM-DATE-TIME:", "#EXT-X-BYTERANGE:", "#EXT-X-DISCONTINUITY\n", "#EXT-X-GAP")
    return "".join(line for line in prefix.splitlines(keepends=True) if not line.startswith(own))


def _block(source: RandomText) -> int:
    return int(getattr(source, "block", 32 * 1024))


def _check_plain(data: bytes) -> None:
    """Refuse blocks with far-reaching tags, or byte ranges whose offset an earlier segment implies."""
    if any(tag in data for tag in _FAR_REACHING):
        raise _Whole
    at = data.find(_BYTERANGE)
    while at != -1:
        nl = data.find(b"\n", at + 1)
        if nl != -1 and b"@" not in data[at:nl]:
            raise _Whole
        at = data.find(_BYTERANGE, at + 1)


def _every_segment_dated(body: bytes) -> bool:
    """Each whole segment of ``body`` carries a date (what the interpolation and excerpt rely on)."""
    return abs(body.count(_EXTINF) - body.count(_PDT)) <= 1


def _from_segment_start(data: bytes, base: int) -> bytes:
    """``data`` from just after its first complete URI line (a segment boundary)."""
    pos = data.find(b"\n") + 1
    while 0 < pos < len(data):
        nl = data.find(b"\n", pos)
        if nl == -1:
            break
        if data[pos : pos + 1] not in (b"#", b"\n") and data[pos:nl].strip():
            return data[nl + 1 :]
        pos = nl + 1
    raise _Whole


def _dates(data: bytes, base: int) -> list[_Date]:
    """Every complete date line of ``data`` (which starts at offset ``base``)."""
    found: list[_Date] = []
    at = data.find(_PDT)
    while at != -1:
        nl = data.find(b"\n", at + 1)
        if nl == -1:
            break
        raw = data[at + len(_PDT) : nl].decode("ascii", "replace").strip()
        try:
            found.append(_Date(base + at + 1, parse_pdt(raw)))
        except ValueError:
            raise _Whole from None
        at = data.find(_PDT, nl)
    return found


def _probe(playlist: RangedPlaylist, lo: _Date, hi: _Date, target: int, step: int) -> int:
    """The offset to read next: interpolated between the bracket's dates at first, then halved."""
    if step < _INTERPOLATED and hi.us > lo.us:
        guess = lo.pos + (target - lo.us) * (hi.pos - lo.pos) // (hi.us - lo.us)
    else:
        guess = (lo.pos + hi.pos) // 2
    return min(max(guess, lo.pos + 1), hi.pos - 1)


def _locate(playlist: RangedPlaylist, target: int, lo: _Date | None = None) -> _Date:
    """The last date line at or before ``target`` (the first one if all are later)."""
    source, block = playlist.source, _block(playlist.source)
    lo, hi = lo or playlist.first, playlist.last
    if target < lo.us:
        return lo
    if target >= hi.us:
        return hi
    for step in range(_MAX_PROBES):
        if hi.pos - lo.pos <= 1:
            return lo
        at = _probe(playlist, lo, hi, target, step) // block * block
        data = source.read(at, at + block)
        _check_plain(data)
        inside = [d for d in _dates(data, at) if lo.pos < d.pos < hi.pos]
        if not inside:
            if hi.pos - lo.pos <= 2 * block:  # no date between the two: they are neighbours
                return lo
            continue  # a block without dates: the next probe halves the bracket
        if any(not lo.us <= d.us <= hi.us for d in inside) or any(a.us > b.us for a, b in pairwise(inside)):
            raise Unordered
        if inside[0].us > target:
            hi = inside[0]
        elif inside[-1].us <= target:
            lo = inside[-1]
        else:
            return max((d for d in inside if d.us <= target), key=lambda d: d.pos)
    raise _Whole


def _dates_around(playlist: RangedPlaylist, pos: int, back: int) -> tuple[int, int]:
    """Offsets of the date line ``back`` dated segments before ``pos``, never before the body."""
    source, floor = playlist.source, playlist.header.body_start
    if back <= 0:
        return pos, 0
    start = pos
    while start > floor:
        start = max(floor, start - _STEP_BACK)
        before = [d.pos for d in _dates(source.read(start, pos + 1), start) if d.pos < pos]
        if len(before) >= back:
            return before[-back], back
    return floor, back


def _segment_start(playlist: RangedPlaylist, line_start: int) -> int:
    """Offset of the first line of the segment whose tag line begins at ``line_start``.

    The segment's lines begin just after the previous URI line: walk back over tag lines,
    reading further back until one is found or the body begins.
    """
    source, floor = playlist.source, playlist.header.body_start
    reach = _STEP_BACK
    while True:
        start = max(floor, line_start - reach)
        data = source.read(start, line_start)
        pos = len(data)
        while pos > 0:
            prev = data.rfind(b"\n", 0, pos - 1) + 1
            if prev == 0 and start > floor:
                break  # this line may begin before the chunk: read further back
            line = data[prev : pos - 1]
            if line and not line.startswith(b"#"):
                return start + pos
            pos = prev
        if start <= floor:
            return floor
        reach *= 2


def _segment_end(playlist: RangedPlaylist, pos: int, dates_after: int) -> int:
    """Just past the URI line of the segment holding the ``dates_after``-th date line after ``pos``."""
    source, size = playlist.source, playlist.source.size
    seen, at = 0, pos
    while at < size:
        data = source.read(at, min(size, at + _STEP_BACK))
        for d in _dates(data, at):
            if d.pos > pos:
                seen += 1
                if seen >= dates_after:
                    return _uri_end(playlist, d.pos)
        last_nl = data.rfind(b"\n")
        if last_nl <= 0:
            return size
        at += last_nl
    return size


def _uri_end(playlist: RangedPlaylist, pos: int) -> int:
    source, size = playlist.source, playlist.source.size
    while pos < size:
        data = source.read(pos, min(size, pos + _STEP_BACK))
        line = 0
        while True:
            nl = data.find(b"\n", line)
            if nl == -1:
                break
            if data[line : line + 1] not in (b"#", b"\n") and data[line:nl].strip():
                return pos + nl + 1
            line = nl + 1
        if line == 0:
            return size
        pos += line
    return size


def _prefetch(playlist: RangedPlaylist, start_us: int, end_us: int) -> None:
    """Read, in one request, where interpolation puts the window and its margins.

    The searches that follow then find their dates in the cache: one round of requests for the
    window instead of one per probe, unless the estimate misses (then the search corrects it).
    """
    lo, hi, block = playlist.first, playlist.last, _block(playlist.source)
    if hi.us <= lo.us:
        return
    rate = (hi.pos - lo.pos) / (hi.us - lo.us)
    begin = lo.pos + int((max(start_us, lo.us) - lo.us) * rate) - 6 * _STEP_BACK
    end = lo.pos + int((min(end_us, hi.us) - lo.us) * rate) + 4 * _STEP_BACK
    if end - begin <= 64 * block:  # a long window's middle is read once, by the excerpt itself
        playlist.source.read(max(begin, 0), end)


def _excerpt(playlist: RangedPlaylist, start_us: int, end_us: int) -> str:
    _prefetch(playlist, start_us, end_us)
    first = _locate(playlist, start_us)
    date_pos, _ = _dates_around(playlist, first.pos, _MARGIN)
    begin = _segment_start(playlist, date_pos) if date_pos > playlist.header.body_start else playlist.header.body_start
    last = _locate(playlist, end_us, first if first.us <= end_us else None)
    finish = _segment_end(playlist, last.pos, _MARGIN + 1)
    data = playlist.source.read(begin, finish)
    _check_plain(data)
    if not _every_segment_dated(data):
        raise _Whole
    dates = _dates(data, begin)
    if any(a.us > b.us for a, b in pairwise(dates)):
        raise _Whole  # dates step back: the whole-text engine decides which run is the clip
    return data.decode("utf-8")
