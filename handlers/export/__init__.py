"""Frame-accurate MP4 export of a clip by stream copy (no re-encode), pure of HTTP.

Its only I/O is the `read_range(key_or_url, start, length) -> bytes` callable it is given, a temporary
directory and the ffmpeg binary, so S3 ranged GETs, files or a CDN plug in alike.
"""

from .disposition import content_disposition, safe_filename
from .errors import ExportError
from .export import ExportResult, ExportWindow, RangeReader, export_mp4, select_entries
from .mp4box import TrackSummary, top_level_boxes, tracks
from .playlist import (
    ByteSpan,
    Entry,
    VariantRef,
    find_rendition,
    highest_variant,
    master_variants,
    read_entries,
    resolve_uri,
)

__all__ = [
    "ByteSpan",
    "Entry",
    "ExportError",
    "ExportResult",
    "ExportWindow",
    "RangeReader",
    "TrackSummary",
    "VariantRef",
    "content_disposition",
    "export_mp4",
    "find_rendition",
    "highest_variant",
    "master_variants",
    "read_entries",
    "resolve_uri",
    "safe_filename",
    "select_entries",
    "top_level_boxes",
    "tracks",
]
