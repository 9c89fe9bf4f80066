"""A recording's first and last instants, read from its master and reference rendition.

The engine's own reading (the first variant is the reference), so the span is exactly the range
the engine accepts windows in: the part of a window given to a recording always lies inside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from clipping import PlaylistReader
from clipping.engine import _open_master, _read, _source_path
from clipping.errors import InvalidPlaylist
from clipping.master import read_master
from clipping.media_clip import timeline
from clipping.scan import normalize, read_header


@dataclass(frozen=True, slots=True)
class Span:
    """First and last instant (epoch µs when dated, else µs from 0) and whether IVS still writes it."""

    first_us: int
    last_us: int
    dated: bool
    ended: bool  # the reference playlist has #EXT-X-ENDLIST

    def overlaps(self, start_us: int, end_us: int) -> bool:
        return self.first_us < end_us and start_us < self.last_us


def recording_span(master_key: str, read: PlaylistReader, byte_range: bool = False) -> Span:
    """The span of the recording whose master is ``master_key`` (2 reads: master, first variant)."""
    master_path, _, master_text = _open_master(master_key, byte_range, read)
    entries = read_master(master_text)
    if not entries:
        raise InvalidPlaylist("the multivariant playlist lists no playlist to clip")
    text = normalize(_read(read, _source_path(master_path, entries[0].uri)))
    header = read_header(text)
    found = timeline(text, header)
    return Span(found.first_us, found.last_us, found.dated, header.ended)
