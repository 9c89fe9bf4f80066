"""Put a request's window on the recording's clock before clipping, so equal windows compare equal.

A window given as relative seconds, epoch seconds or ISO 8601 names the same instants once the
recording's first instant is known; callers that key clips by their window (the service's clip
ids) resolve first, then clip with the resolved request.
"""

from __future__ import annotations

from .engine import _open_master, _read, _resolve_window, _source_path
from .master import read_master
from .media_clip import timeline
from .model import ClipRequest, PlaylistReader
from .scan import normalize, read_header
from .timeparse import TimePoint


def resolve_request(master_path: str, request: ClipRequest, read: PlaylistReader) -> ClipRequest:
    """``request`` with both times absolute (dated recordings) or relative (undated ones).

    Reads the master and the reference (first) rendition, and refuses the window exactly as
    :func:`clip_recording` would (reversed, too long, outside the recording).
    """
    master_path, _, master_text = _open_master(master_path, request.byte_range, read)
    entries = read_master(master_text)
    if not entries:
        return request  # clip_recording says what is wrong with such a master
    text = normalize(_read(read, _source_path(master_path, entries[0].uri)))
    reference = timeline(text, read_header(text))
    window = _resolve_window(request.start, request.end, reference, request.max_seconds)
    if reference.dated:
        start, end = TimePoint("absolute", window.start_us), TimePoint("absolute", window.end_us)
    else:
        base = reference.first_us
        start, end = TimePoint("relative", window.start_us - base), TimePoint("relative", window.end_us - base)
    return ClipRequest(start, end, request.byte_range, request.boundary, request.max_seconds)
