"""Serves stored objects at ``/media/<key>`` the way CloudFront in front of the bucket would.

Players fetch playlists and (byte-range) segments from here, so ranges, ``HEAD``, conditional
requests and content types must behave like the CDN for a local clip to play exactly as a
deployed one. Only keys under the recordings and clips prefixes are served (the CDN's origin
holds nothing else worth exposing), never through a symlink and never outside the root.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol
from urllib.parse import unquote

from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import FileWrapper

from devserver.errors import json_error
from handlers.storage.base import NotFound, Storage, StorageError
from handlers.storage.files import RESERVED_PREFIXES, stored_disposition
from handlers.web.media_types import media_type

READ_CHUNK = 64 * 1024

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class UnsafeKey(ValueError):
    """A key that could escape the root or name no object (``..``, empty parts, NUL, a symlink)."""


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


@dataclass(frozen=True, slots=True)
class MediaObject:
    """One opened object: what the headers need, and a binary stream of its bytes."""

    stream: IO[bytes]
    size: int
    etag: str  # without quotes
    last_modified: datetime | None = None
    disposition: str | None = None  # the object's stored Content-Disposition (an MP4 export's file name)


class MediaSource(Protocol):
    """Where ``/media`` reads from; ``open`` raises :class:`NotFound`, :class:`UnsafeKey` or StorageError."""

    def open(self, key: str) -> MediaObject: ...


def key_from_path(encoded: str) -> str:
    """Decode the URL path after ``/media/`` into a storage key, refusing anything path-like."""
    key = unquote(encoded, errors="strict")
    parts = key.split("/")
    if (
        not key
        or "\\" in key
        or "\x00" in key
        or any(p in ("", ".", "..") or p.startswith(RESERVED_PREFIXES) for p in parts)
    ):
        raise UnsafeKey(f"unsafe key {key!r}")
    return key


def served_prefixes(recordings: str | Iterable[str], clips: str) -> tuple[str, ...]:
    """The key prefixes ``/media`` serves: each recordings prefix (one, a list, or comma-separated) and clips.

    An empty recordings prefix is the setting for "recordings anywhere in the bucket" (IVS Real-Time
    recordings live under ``<stage_id>/`` at the root): then every key is served, except hidden and
    temporary files (:func:`serve_media`) and symlinks (:class:`FileMediaSource`).
    """
    raw = recordings.split(",") if isinstance(recordings, str) else list(recordings)
    if any(not p.strip() for p in raw) and raw:
        return ("",)
    prefixes = [p.strip() for p in [*raw, clips] if p.strip()]
    return tuple(dict.fromkeys(p if p.endswith("/") else f"{p}/" for p in prefixes))


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single range asked for, or ``None`` for the whole object.

    Headers this server does not honour (other units, several ranges, reversed bounds) are
    ignored as RFC 9110 allows (and S3 does), which yields a plain 200; unsatisfiable ones raise.
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


class FileMediaSource:
    """Objects as files under a root directory (FileStorage's layout: key K is ``<root>/K``).

    A key is served only if its path has no symlink anywhere below the root: the resolved path
    must equal the plain one, and the final open refuses a symlink swapped in meanwhile.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def open(self, key: str) -> MediaObject:
        path = self.root.joinpath(*key.split("/"))
        try:
            resolved = path.resolve(strict=True)
        except FileNotFoundError:
            raise NotFound(key) from None
        except (OSError, RuntimeError):  # symlink loops, names too long
            raise UnsafeKey(f"key {key!r} cannot be resolved") from None
        if resolved != path:
            raise UnsafeKey(f"key {key!r} goes through a symlink")
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise NotFound(key) from None
        except OSError as exc:  # ELOOP: a symlink appeared; EISDIR etc.
            raise UnsafeKey(f"key {key!r} cannot be opened: {exc.strerror}") from None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise NotFound(key)
        stream = os.fdopen(fd, "rb")
        etag = f"{st.st_size:x}-{st.st_mtime_ns // 1000:x}"  # changes whenever the file is rewritten
        modified = datetime.fromtimestamp(st.st_mtime, UTC)
        return MediaObject(stream, st.st_size, etag, modified, stored_disposition(path))


class StorageMediaSource:
    """Objects from any :class:`Storage` (an S3 bucket); one full get per request, ranges cut from it."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def open(self, key: str) -> MediaObject:
        data = self.storage.get(key)
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()  # S3's ETag of a single-part upload
        return MediaObject(io.BytesIO(data), len(data), etag)


def serve_object(request: Request, obj: MediaObject, content_type: str) -> Response:
    """GET/HEAD of one opened object: a single ``Range``, ``If-Range``, ``If-None-Match``/``-Modified-Since``."""
    try:
        wanted = parse_range(request.headers.get("Range"), obj.size)
    except Unsatisfiable:
        obj.stream.close()
        return json_error(
            416,
            f"the range {request.headers.get('Range')!r} selects no byte of this {obj.size}-byte object",
            headers={"Content-Range": f"bytes */{obj.size}", "Accept-Ranges": "bytes"},
        )
    environ = request.environ
    if wanted is None and "HTTP_RANGE" in environ:  # ignored: werkzeug would answer 416 to these
        environ = {k: v for k, v in environ.items() if k != "HTTP_RANGE"}
    response = Response(FileWrapper(obj.stream, READ_CHUNK), content_type=content_type, direct_passthrough=True)
    response.content_length = obj.size
    response.set_etag(obj.etag)
    if obj.disposition is not None:
        response.headers["Content-Disposition"] = obj.disposition
    if obj.last_modified is not None:
        response.last_modified = obj.last_modified
    try:
        response.make_conditional(environ, accept_ranges=True, complete_length=obj.size)
    except RequestedRangeNotSatisfiable:  # not reached after parse_range; kept as the JSON 416
        obj.stream.close()
        return json_error(416, "range not satisfiable", headers={"Content-Range": f"bytes */{obj.size}"})
    if response.status_code == 304:
        obj.stream.close()
    return response


def serve_media(source: MediaSource, prefixes: tuple[str, ...], request: Request, encoded_key: str) -> Response:
    """Answer a GET or HEAD for the object ``encoded_key`` names, if it lies under ``prefixes``."""
    if request.method not in ("GET", "HEAD"):
        return json_error(405, f"{request.method} is not allowed on /media", headers={"Allow": "GET, HEAD, OPTIONS"})
    try:
        key = key_from_path(encoded_key)
    except (UnsafeKey, UnicodeDecodeError):
        return json_error(403, "this key cannot be served", "forbidden")
    if not key.startswith(prefixes):
        return json_error(403, f"only keys under {', '.join(prefixes)} are served", "forbidden")
    if any(part.startswith(".") for part in key.split("/")):
        # Hidden and temporary files (the store's own, an editor's, .DS_Store) are never recordings or
        # clips; with an empty recordings prefix this is what keeps "every key" to the media.
        return json_error(403, "hidden files are not served", "forbidden")
    try:
        obj = source.open(key)
    except UnsafeKey:
        return json_error(403, "this key cannot be served", "forbidden")
    except NotFound:
        return json_error(404, f"no object at {key}", "not_found")
    except StorageError as exc:  # the bucket failed: CloudFront's answer for a failing origin
        return json_error(502, f"the storage failed: {exc}", "bad_gateway")
    return serve_object(request, obj, media_type(key))
