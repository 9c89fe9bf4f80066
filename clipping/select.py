"""Which segments a window keeps, for each boundary mode."""

from __future__ import annotations

from collections.abc import Iterable

from .scan import Segment


def select(
    segments: Iterable[Segment],
    start_us: int,
    end_us: int,
    boundary: str,
    *,
    fallback: bool = True,
    ordered: bool = True,
) -> list[Segment]:
    """Keep the segments of ``[start_us, end_us)`` under ``boundary``.

    ``outer`` keeps every segment that overlaps the window (touching an edge is not overlapping),
    ``inner`` only those wholly inside, ``nearest`` snaps each edge to the closest segment
    boundary (ties go outward) and never returns nothing when something overlaps. Zero-length
    segments inside the window are kept, so the kept run stays contiguous in the source. Without
    ``fallback``, ``nearest`` may return nothing (for a caller judging one edge of a longer window).

    Only the first run of overlapping segments that are adjacent in the source is kept: when dates
    step back, a later part of the playlist may repeat the window's times, and a clip is one run.
    ``ordered`` segments (dates never step back by more than a segment) may be a lazy walk from
    anywhere before the window: it is consumed only up to the window's end.
    """
    overlapping = _first_run(segments, start_us, end_us, ordered)
    if boundary == "outer" or not overlapping:
        return overlapping
    if boundary == "inner":
        return [s for s in overlapping if s.start_us >= start_us and s.start_us + s.duration_us <= end_us]  # type: ignore[operator]
    return _nearest(overlapping, start_us, end_us, fallback)


def _overlaps(seg: Segment, start_us: int, end_us: int) -> bool:
    """A positive overlap, or a zero-length segment strictly inside the window."""
    seg_start = seg.start_us
    if seg_start is None or seg_start >= end_us:
        return False
    return seg_start + seg.duration_us > start_us if seg.duration_us else seg_start > start_us


def _first_run(segments: Iterable[Segment], start_us: int, end_us: int, ordered: bool) -> list[Segment]:
    run: list[Segment] = []
    for seg in segments:
        if _overlaps(seg, start_us, end_us):
            if run and run[-1].block_end != seg.block_start:
                break
            run.append(seg)
        elif run or (ordered and seg.start_us is not None and seg.start_us >= end_us):
            break
    return run


def _nearest(overlapping: list[Segment], start_us: int, end_us: int, fallback: bool) -> list[Segment]:
    first, last = overlapping[0], overlapping[-1]
    first_start, first_end = first.start_us or 0, (first.start_us or 0) + first.duration_us
    last_start, last_end = last.start_us or 0, (last.start_us or 0) + last.duration_us
    snap_start = first_start if start_us - first_start <= first_end - start_us else first_end
    snap_end = last_end if last_end - end_us <= end_us - last_start else last_start
    kept = [s for s in overlapping if (s.start_us or 0) >= snap_start and (s.start_us or 0) + s.duration_us <= snap_end]
    if kept or not fallback:
        return kept

    def overlap(seg: Segment) -> int:
        seg_start = seg.start_us or 0
        return min(seg_start + seg.duration_us, end_us) - max(seg_start, start_us)

    return [max(overlapping, key=overlap)]
