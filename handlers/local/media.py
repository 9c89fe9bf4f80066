"""Serves stored objects at ``/media/<key>`` the way CloudFront in front of S3 would.

Players fetch playlists and (byte-range) segments from here, so ranges, ``HEAD`` and content
types must behave like the CDN for a local clip to play exactly as a deployed one.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote

from handlers.local.messages import HttpResponse
from handlers.storage.base import NotFound, Storage, StorageError

CONTENT_TYPES: dict[str, str] = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".mp4": "video/mp4",
    ".m4s": "video/mp4",
    ".aac": "audio/aac",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".json": "application/json",
    ".vtt": "text/vtt",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class UnsafeKey(ValueError):
    """A key that could escape the data directory or name no object (``..``, empty parts, NUL)."""


class Unsatisfiable(ValueError):
    """A syntactically valid range that selects no byte of the object (answered with 416)."""


@dataclass(frozen=True, slots=True)
class ByteRange:
    """An inclusive byte interval, as in ``Content-Range: bytes start-end/size``."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class StoredMedia(Protocol):
    """One opened object: its size for the headers, then the bytes asked for."""

    size: int
    last_modified: float | None  # Unix seconds, when known

    @property
    def etag(self) -> str: ...

    def read(self, start: int, length: int) -> bytes: ...


class MediaSource(Protocol):
    """Where ``/media`` reads from; ``open`` raises :class:`NotFound` for absent keys."""

    def open(self, key: str) -> StoredMedia: ...


def content_type_for(key: str) -> str:
    """The CDN's Content-Type for a key, by extension (the uploads set the same types)."""
    return CONTENT_TYPES.get(posixpath.splitext(key)[1].lower(), DEFAULT_CONTENT_TYPE)


def key_from_path(encoded: str) -> str:
    """Decode the URL path after ``/media/`` into a storage key, refusing anything path-like."""
    key = unquote(encoded, errors="strict")
    parts = key.split("/")
    if not key or "\\" in key or "\x00" in key or any(p in ("", ".", "..") for p in parts):
        raise UnsafeKey(f"unsafe key {key!r}")
    return key


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single range asked for, or ``None`` for the whole object.

    Headers this server does not honour (other units, several ranges, reversed bounds) are
    ignored as RFC 9110 allows, which yields a plain 200; unsatisfiable ones raise.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last n bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable(header)
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise Unsatisfiable(header)
    return ByteRange(start, min(end, size - 1))


@dataclass(frozen=True, slots=True)
class _FileObject:
    path: Path
    size: int
    last_modified: float | None

    @property
    def etag(self) -> str:
        """Changes whenever the file is rewritten (clips are replaced by rename, never edited)."""
        return f'"{self.size:x}-{int((self.last_modified or 0) * 1e6):x}"'

    def read(self, start: int, length: int) -> bytes:
        with self.path.open("rb") as f:
            f.seek(start)
            return f.read(length)


@dataclass(frozen=True, slots=True)
class _BytesObject:
    data: bytes
    last_modified: float | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def etag(self) -> str:
        """S3's ETag of a single-part upload: the MD5 of the bytes."""
        return f'"{hashlib.md5(self.data, usedforsecurity=False).hexdigest()}"'

    def read(self, start: int, length: int) -> bytes:
        return self.data[start : start + length]


class FileMediaSource:
    """Objects as files under a root directory (FileStorage's layout: key K is ``<root>/K``)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def open(self, key: str) -> StoredMedia:
        try:
            path = (self.root / key).resolve()
        except (OSError, RuntimeError):  # symlink loops, names too long
            raise NotFound(key) from None
        if not path.is_relative_to(self.root):  # a symlink pointing out of the data directory
            raise UnsafeKey(f"key {key!r} leaves the data directory")
        try:
            st = path.stat()
        except OSError:
            raise NotFound(key) from None
        if not path.is_file():
            raise NotFound(key)
        return _FileObject(path, st.st_size, st.st_mtime)


class StorageMediaSource:
    """Objects from any :class:`Storage` (an S3 bucket); one full get per request, ranges cut from it."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def open(self, key: str) -> StoredMedia:
        return _BytesObject(self.storage.get(key))


def _error(status: int, message: str) -> HttpResponse:
    body = f"{message}\n".encode()
    return HttpResponse(status, [("Content-Type", "text/plain; charset=utf-8")], body)


def serve_media(source: MediaSource, method: str, encoded_key: str, range_header: str | None) -> HttpResponse:
    """Answer a GET or HEAD for one object, honouring a single ``Range``."""
    if method not in ("GET", "HEAD"):
        response = _error(405, "Method Not Allowed")
        response.headers.append(("Allow", "GET, HEAD, OPTIONS"))
        return response
    try:
        key = key_from_path(encoded_key)
        info = source.open(key)
    except (UnsafeKey, UnicodeDecodeError):
        return _error(403, "Forbidden")  # what the CDN answers for keys it cannot serve
    except NotFound:
        return _error(404, "Not Found")
    except StorageError:
        return _error(502, "Bad Gateway")  # the bucket failed: CloudFront's answer for a failing origin
    headers = [("Content-Type", content_type_for(key)), ("Accept-Ranges", "bytes"), ("ETag", info.etag)]
    if info.last_modified is not None:
        headers.append(("Last-Modified", formatdate(info.last_modified, usegmt=True)))
    try:
        wanted = parse_range(range_header, info.size)
    except Unsatisfiable:
        headers = [("Content-Range", f"bytes */{info.size}"), *headers[1:]]
        return HttpResponse(416, headers, b"")
    status, start, length = 200, 0, info.size
    if wanted is not None:
        status, start, length = 206, wanted.start, wanted.length
        headers.append(("Content-Range", f"bytes {wanted.start}-{wanted.end}/{info.size}"))
    if method == "HEAD":
        return HttpResponse(status, headers, b"", length=length)
    try:
        body = info.read(start, length)
    except OSError:  # deleted between open and read
        return _error(404, "Not Found")
    return HttpResponse(status, headers, body)
