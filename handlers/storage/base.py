"""The storage contract the handlers use: S3 in AWS, plain files locally."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

#: The most entries one :meth:`Storage.list` page holds (S3 ListObjectsV2 caps MaxKeys at 1000).
MAX_LIST_LIMIT = 1000


class NotFound(KeyError):
    """No object at that key."""


class StorageError(RuntimeError):
    """The store failed (network, permissions, disk); not the caller's fault."""


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    size: int
    last_modified: datetime  # timezone-aware UTC


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of a listing: objects and, with a delimiter, the common prefixes."""

    objects: list[StoredObject] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    next_token: str | None = None


class Storage(Protocol):
    """Keys are ``/``-separated paths without a leading slash."""

    def get(self, key: str) -> bytes:
        """The object's bytes; raises :class:`NotFound`."""
        ...

    def put(self, key: str, body: bytes, content_type: str, *, if_absent: bool = False) -> bool:
        """Write atomically (readers see the old object or the new one, never a part).

        With ``if_absent`` the write happens only when no object has that key, and the
        return value says whether it happened (S3 ``If-None-Match: *``; ``O_EXCL`` locally).
        """
        ...

    def list(
        self, prefix: str = "", *, delimiter: str | None = None, token: str | None = None, limit: int = 1000
    ) -> Listing:
        """One page of keys under ``prefix`` in ascending key order (as S3 ListObjectsV2).

        Keys sort by their UTF-8 bytes. With a ``delimiter``, keys holding it after the
        prefix roll up into ``prefixes`` (each ending with the delimiter) and a page holds
        at most ``limit`` objects and prefixes together (1 to :data:`MAX_LIST_LIMIT`).
        Pass the previous page's ``next_token`` (opaque; ``None`` on the last page) as
        ``token`` with the same prefix and delimiter to get the next page.
        """
        ...

    def get_range(self, key: str, start: int, length: int) -> bytes:
        """Up to ``length`` bytes from offset ``start`` (fewer, maybe none, where the object ends).

        Raises :class:`NotFound` when there is no object; ``length`` 0 reads nothing.
        """
        ...

    def get_tail(self, key: str, length: int) -> tuple[bytes, int]:
        """The last ``length`` bytes (all of a shorter object) and the object's size, in one read.

        S3 answers a suffix range (``Range: bytes=-N``) with ``Content-Range: bytes a-b/size``, so a
        reader learns the size and the end of a playlist without a ``HeadObject`` round trip.
        Raises :class:`NotFound`; ``length`` 0 reads nothing but still gives the size.
        """
        ...

    def copy(self, source_key: str, key: str, content_type: str) -> None:
        """Write the whole object at ``source_key`` to ``key`` (atomically, as :meth:`put`).

        Server-side on S3 (no bytes through the caller); raises :class:`NotFound` for no source.
        """
        ...

    def delete(self, key: str) -> None:
        """Remove the object at ``key``; removing an absent key succeeds too (idempotent)."""
        ...

    def put_file(self, key: str, path: Path, content_type: str, *, disposition: str | None = None) -> None:
        """Write the local file at ``path`` to ``key`` (atomically, as :meth:`put`), streamed from disk.

        For large objects (an MP4 export): the file is never read into memory whole (S3 multipart
        upload). ``disposition`` becomes the object's ``Content-Disposition``, which the CDN serves.
        """
        ...


def list_pages(storage: Storage, prefix: str, *, delimiter: str | None = None, limit: int = 1000) -> Iterator[Listing]:
    """Every page of a listing, one request per page, each fetched only when the caller asks for it."""
    token: str | None = None
    while True:
        page = storage.list(prefix, delimiter=delimiter, token=token, limit=limit)
        yield page
        if not page.next_token:
            return
        token = page.next_token


def delete_keys(storage: Storage, keys: Iterable[str]) -> None:
    """Delete every key, batched where the store can (S3 ``DeleteObjects``), one by one elsewhere."""
    keys = list(keys)
    batched = getattr(storage, "delete_many", None)
    if callable(batched):
        batched(keys)
        return
    for key in keys:
        storage.delete(key)
