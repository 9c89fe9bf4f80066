"""The one table of Content-Types by file name, for what the service stores and serves.

The CDN serves whatever Content-Type an object was stored with, so uploads (clips, promoted
copies, MP4 exports, the studio's files) and the local CDN stand-in must agree on one table.
"""

from __future__ import annotations

import posixpath

PLAYLIST = "application/vnd.apple.mpegurl"  # RFC 8216's name, not the legacy application/x-mpegURL
JSON = "application/json"
MP4 = "video/mp4"
DEFAULT = "application/octet-stream"

#: Recordings, clips and exports.
MEDIA: dict[str, str] = {
    ".m3u8": PLAYLIST,
    ".ts": "video/mp2t",
    ".mp4": MP4,
    ".m4s": MP4,
    ".aac": "audio/aac",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".json": JSON,
    ".vtt": "text/vtt",
}
#: The web studio's files.
WEB: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": JSON,
    ".map": JSON,
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".license": "text/plain; charset=utf-8",
}


def media_type(name: str) -> str:
    """The Content-Type of a recording, clip or export object by its key."""
    return MEDIA.get(posixpath.splitext(name)[1].lower(), DEFAULT)


def web_type(name: str) -> str:
    """The Content-Type of a studio file by its name."""
    return WEB.get(posixpath.splitext(name)[1].lower(), DEFAULT)
