"""Where recordings and clips are kept: :func:`open_storage` turns a URL into a :class:`Storage`.

``s3://bucket`` is S3 (or an S3-compatible store, see :mod:`handlers.storage.s3`);
``file:///abs/dir`` or a plain directory path is local files (see :mod:`handlers.storage.files`).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from handlers.keys import is_bucket_name
from handlers.storage.base import MAX_LIST_LIMIT, Listing, NotFound, Storage, StorageError, StoredObject

__all__ = [
    "MAX_LIST_LIMIT",
    "Listing",
    "NotFound",
    "Storage",
    "StorageError",
    "StoredObject",
    "open_storage",
]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def open_storage(url: str) -> Storage:
    """The storage a URL names: ``s3://bucket``, ``file:///abs/dir`` or a directory path.

    Raises :class:`ValueError` naming the problem for anything else (unknown scheme, key
    prefix in an S3 URL, relative or remote ``file:`` URL, empty string).
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError("storage URL is empty: use s3://bucket, file:///abs/dir or a directory path")
    url = url.strip()
    if url.startswith("s3://"):
        return _open_s3(url)
    if url.startswith("file:"):
        return _open_file(url)
    if _SCHEME.match(url):
        scheme = url.split(":", 1)[0]
        raise ValueError(f"unsupported storage URL scheme {scheme!r} in {url!r}: use s3:// or file://")
    from handlers.storage.files import FileStorage

    return FileStorage(Path(url).expanduser().resolve())


def _open_s3(url: str) -> Storage:
    parts = urlsplit(url)
    bucket = parts.netloc
    if not bucket:
        raise ValueError(f"storage URL {url!r} has no bucket name: use s3://bucket")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"storage URL {url!r} has a key prefix, query or fragment; only s3://bucket is supported")
    if not is_bucket_name(bucket):
        raise ValueError(f"storage URL {url!r}: {bucket!r} is not a valid S3 bucket name")
    from handlers.storage.budget import BudgetedStorage
    from handlers.storage.s3 import S3Storage

    return BudgetedStorage(S3Storage(bucket))


def _open_file(url: str) -> Storage:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ValueError(f"storage URL {url!r} names a remote host {parts.netloc!r}; use file:///abs/dir")
    if parts.query or parts.fragment:
        raise ValueError(f"storage URL {url!r} has a query or fragment")
    path = unquote(parts.path)
    if not path.startswith("/"):
        raise ValueError(f"storage URL {url!r} is not absolute: use file:///abs/dir")
    from handlers.storage.files import FileStorage

    return FileStorage(Path(path))
