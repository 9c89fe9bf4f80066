"""Put a request's window on the recording's clock before clipping, so equal windows compare equal.

A window given as relative seconds, epoch seconds or ISO 8601 names the same instants once the
recording's first instant is known; callers that key clips by their window (the service's clip
ids) resolve first, then clip with the resolved request.
"""

from __future__ import annotations

from .engine import _resolve_window, open_recording, reference_timeline
from .model import ClipRequest, Numbering, Parallel, SourceReader, sequential
from .timeparse import TimePoint


def resolve_request(
    master_path: str,
    request: ClipRequest,
    read: SourceReader,
    *,
    numbering: Numbering = "source",
    parallel: Parallel = sequential,
) -> ClipRequest:
    """``request`` with both times absolute (dated recordings) or relative (undated ones).

    Reads the master and the reference (first) rendition, and refuses the window exactly as
    :func:`clip_recording` would (reversed, too long, outside the recording). With a random-access
    reader it also fetches every rendition's head and tail in one parallel round, which the clip
    that follows reuses (pass a reader that keeps its sources for the request).
    """
    opened = open_recording(master_path, request.byte_range, read, parallel)
    if not opened.sources:
        return request  # clip_recording says what is wrong with such a master
    reference, _ = reference_timeline(opened.sources[0], numbering)
    window = _resolve_window(request.start, request.end, reference, request.max_seconds)
    if reference.dated:
        start, end = TimePoint("absolute", window.start_us), TimePoint("absolute", window.end_us)
    else:
        base = reference.first_us
        start, end = TimePoint("relative", window.start_us - base), TimePoint("relative", window.end_us - base)
    return ClipRequest(start, end, request.byte_range, request.boundary, request.max_seconds)
