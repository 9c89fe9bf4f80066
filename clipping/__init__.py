"""ivs-clip-manifest's clip engine: HLS clips of IVS recordings without transcoding.

Pure Python, no AWS and no HTTP: give it a way to read playlists and a window, and it returns
the clip's playlists (a master and one media playlist per rendition) as text.
"""

from .engine import BYTE_RANGE_MASTER, check_window, clip_recording
from .errors import (
    ClipError,
    InvalidOption,
    InvalidPlaylist,
    InvalidTime,
    InvalidWindow,
    NoByteRangePlaylist,
    OutOfRange,
    PlaylistNotFound,
)
from .model import (
    BOUNDARIES,
    DEFAULT_MAX_SECONDS,
    Boundary,
    Clip,
    ClipRequest,
    Notice,
    PlaylistReader,
    RenditionSummary,
    parse_boundary,
)
from .timeparse import TimePoint, format_iso, parse_time

__all__ = [
    "BOUNDARIES",
    "BYTE_RANGE_MASTER",
    "DEFAULT_MAX_SECONDS",
    "Boundary",
    "Clip",
    "ClipError",
    "ClipRequest",
    "InvalidOption",
    "InvalidPlaylist",
    "InvalidTime",
    "InvalidWindow",
    "NoByteRangePlaylist",
    "Notice",
    "OutOfRange",
    "PlaylistNotFound",
    "PlaylistReader",
    "RenditionSummary",
    "TimePoint",
    "check_window",
    "clip_recording",
    "format_iso",
    "parse_boundary",
    "parse_time",
]
