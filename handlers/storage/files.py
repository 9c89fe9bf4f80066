"""Storage on a local directory: key ``K`` is the file ``<root>/K`` (local runs and tests).

It mimics the S3 behaviour the handlers rely on: whole-object atomic writes, conditional
create, and ListObjectsV2-style pages (UTF-8 byte order, prefix, delimiter, tokens). Keys
are checked so that none can name a path outside ``root``.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from handlers.storage.base import MAX_LIST_LIMIT, Listing, NotFound, StorageError, StoredObject

#: Names of in-flight temporary files; keys may not use it, so listings can skip them safely.
TEMP_PREFIX = ".~storage-tmp-"
#: Hidden sidecars holding an object's headers (``Content-Disposition``) beside it; reserved like temp names.
META_PREFIX = ".~storage-meta-"
RESERVED_PREFIXES = (TEMP_PREFIX, META_PREFIX)

COPY_CHUNK = 1024 * 1024
_LINK_UNSUPPORTED = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK}


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative path, else raise :class:`ValueError` saying why."""
    if not isinstance(key, str) or not key:
        raise ValueError("storage key must be a non-empty string")
    _check_chars(key, "key")
    for segment in key.split("/"):
        _check_segment(segment, key)
    return key


def _check_chars(text: str, what: str) -> None:
    if "\x00" in text:
        raise ValueError(f"storage {what} {text!r} contains a NUL character")
    if "\\" in text:
        raise ValueError(f"storage {what} {text!r} contains a backslash")
    if text.startswith("/"):
        raise ValueError(f"storage {what} {text!r} is absolute (starts with '/')")


def _check_segment(segment: str, whole: str) -> None:
    if segment == "":
        raise ValueError(f"storage key {whole!r} has an empty path segment")
    if segment in (".", ".."):
        raise ValueError(f"storage key {whole!r} has a '{segment}' path segment")
    if segment.startswith(RESERVED_PREFIXES):
        raise ValueError(f"storage key {whole!r} uses a reserved (temporary or sidecar) file prefix")


def _check_prefix(prefix: str) -> None:
    """A listing prefix: its complete segments must be safe; the last one may be partial."""
    if not isinstance(prefix, str):
        raise ValueError("storage prefix must be a string")
    if not prefix:
        return
    _check_chars(prefix, "prefix")
    for segment in prefix.split("/")[:-1]:
        _check_segment(segment, prefix)


def sidecar_path(path: Path) -> Path:
    """Where the headers of the object stored at ``path`` are kept (a hidden file beside it)."""
    return path.with_name(META_PREFIX + path.name + ".json")


def stored_disposition(path: Path) -> str | None:
    """The ``Content-Disposition`` stored with the object at ``path`` by ``put_file``, if any."""
    try:
        value = json.loads(sidecar_path(path).read_bytes()).get("content_disposition")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _check_range(start: int, length: int) -> None:
    for name, value in (("start", start), ("length", length)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"range {name} must be a non-negative integer, not {value!r}")


def _encode_token(marker: str, rolled_up: bool) -> str:
    raw = json.dumps({"after": marker, "prefix": rolled_up}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _decode_token(token: str) -> tuple[str, bool]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        marker, rolled_up = data["after"], data["prefix"]
    except (ValueError, KeyError, TypeError, UnicodeError) as exc:
        raise ValueError("invalid continuation token") from exc
    if not isinstance(marker, str) or not isinstance(rolled_up, bool):
        raise ValueError("invalid continuation token")
    return marker, rolled_up


class FileStorage:
    """A :class:`~handlers.storage.base.Storage` over the directory ``root`` (created on first write).

    Content types are not stored (a local server guesses them from the file name). A key and a
    key below it (``a`` and ``a/b``) cannot both exist, unlike S3: such a write raises
    :class:`StorageError`. Writes are atomic but not fsynced (local data, not a database).
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"FileStorage({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def _inside(self, path: Path) -> bool:
        """Whether ``path`` resolves inside the root: a symlink out of it is no object of ours."""
        root = os.path.realpath(self.root)
        real = os.path.realpath(path)
        return real == root or real.startswith(root + os.sep)

    @contextmanager
    def _opened(self, key: str) -> Iterator[BinaryIO]:
        """The object's file for reading: absent, a folder, out of the root or unnameable is NotFound."""
        path = self._path(key)
        if not self._inside(path):
            raise NotFound(key)
        try:
            with path.open("rb") as f:
                yield f
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise NotFound(key) from exc
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:  # no object can have that name
                raise NotFound(key) from exc
            raise StorageError(f"cannot read {key!r}: {exc}") from exc

    def get(self, key: str) -> bytes:
        with self._opened(key) as f:
            return f.read()

    def put(self, key: str, body: bytes, content_type: str, *, if_absent: bool = False) -> bool:
        path = self._path(key)
        if not self._inside(path):
            raise StorageError(f"cannot write {key!r}: it resolves outside the storage root")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise StorageError(f"cannot write {key!r}: a parent of it is a file") from exc
        except OSError as exc:
            raise StorageError(f"cannot write {key!r}: {exc}") from exc
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
        except OSError as exc:
            raise StorageError(f"cannot write {key!r}: {exc}") from exc
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), 0o644)  # mkstemp makes 0600; the object is not a secret
                f.write(body)
            if not if_absent:
                os.replace(tmp, path)
                return True
            return self._link_if_absent(tmp, path, body)
        except IsADirectoryError as exc:
            raise StorageError(f"cannot write {key!r}: keys below it exist") from exc
        except OSError as exc:
            raise StorageError(f"cannot write {key!r}: {exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)

    def get_range(self, key: str, start: int, length: int) -> bytes:
        _check_range(start, length)
        with self._opened(key) as f:
            if length == 0:
                return b""
            f.seek(start)
            return f.read(length)

    def get_tail(self, key: str, length: int) -> tuple[bytes, int]:
        _check_range(0, length)
        with self._opened(key) as f:
            size = os.fstat(f.fileno()).st_size
            if length == 0:
                return b"", size
            f.seek(max(0, size - length))
            return f.read(length), size

    def copy(self, source_key: str, key: str, content_type: str) -> None:
        self.put(key, self.get(source_key), content_type)

    def put_file(self, key: str, path: Path, content_type: str, *, disposition: str | None = None) -> None:
        """Copy the file in chunks to a temporary name beside ``key``, then rename it into place.

        The headers go first into a hidden sidecar (``sidecar_path``) that listings skip, so the
        local CDN stand-in serves the object's ``Content-Disposition`` as S3 would.
        """
        target = self._path(key)
        if not self._inside(target):
            raise StorageError(f"cannot write {key!r}: it resolves outside the storage root")
        if not Path(path).is_file():
            raise StorageError(f"cannot write {key!r}: {path} is not a file")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            meta = sidecar_path(target)
            if disposition is None:
                meta.unlink(missing_ok=True)
            else:
                self._replace_with(meta, json.dumps({"content_disposition": disposition}).encode())
            fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=target.parent)
        except (FileExistsError, NotADirectoryError) as exc:
            raise StorageError(f"cannot write {key!r}: a parent of it is a file") from exc
        except OSError as exc:
            raise StorageError(f"cannot write {key!r}: {exc}") from exc
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                os.fchmod(out.fileno(), 0o644)
                shutil.copyfileobj(src, out, COPY_CHUNK)
            os.replace(tmp, target)
        except IsADirectoryError as exc:
            raise StorageError(f"cannot write {key!r}: keys below it exist") from exc
        except OSError as exc:
            raise StorageError(f"cannot write {key!r} from {path}: {exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)

    @staticmethod
    def _replace_with(path: Path, body: bytes) -> None:
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), 0o644)
                f.write(body)
            os.replace(tmp_name, path)
        finally:
            Path(tmp_name).unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        """Unlink the file and its sidecar (absent is fine); empty folders stay, as listings never show them."""
        path = self._path(key)
        if not self._inside(path):
            return  # a symlink out of the root is no object of ours
        try:
            sidecar_path(path).unlink(missing_ok=True)
            path.unlink(missing_ok=True)
        except (IsADirectoryError, NotADirectoryError, PermissionError) as exc:
            if path.is_dir() or not path.parent.is_dir():
                return  # a folder (keys below it) or a missing parent: no object at this key
            raise StorageError(f"cannot delete {key!r}: {exc}") from exc
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                return
            raise StorageError(f"cannot delete {key!r}: {exc}") from exc

    @staticmethod
    def _link_if_absent(tmp: Path, path: Path, body: bytes) -> bool:
        """Publish the complete temp file under ``path`` only if nothing is there (atomic)."""
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in _LINK_UNSUPPORTED:
                raise
        # No hard links on this file system: O_EXCL still lets only one writer win.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as f:
            f.write(body)
        return True

    def list(
        self, prefix: str = "", *, delimiter: str | None = None, token: str | None = None, limit: int = 1000
    ) -> Listing:
        _check_prefix(prefix)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        limit = min(limit, MAX_LIST_LIMIT)
        if delimiter == "":
            delimiter = None
        marker, rolled_up = _decode_token(token) if token else ("", False)

        objects: list[StoredObject] = []
        prefixes: list[str] = []
        entries = self._walk(prefix, marker, rolled_up)
        last: tuple[str, bool] = (marker, rolled_up)
        while (item := next(entries, None)) is not None:
            key, stat = item
            if len(objects) + len(prefixes) == limit:
                return Listing(objects, prefixes, _encode_token(*last))
            cut = key.find(delimiter, len(prefix)) if delimiter else -1
            if cut < 0:
                mtime = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
                objects.append(StoredObject(key, stat.st_size, mtime))
                last = (key, False)
            else:
                common = key[: cut + len(delimiter or "")]
                prefixes.append(common)
                last = (common, True)
                # Skip the rest of the rolled-up keys without reading them: walk again past them.
                entries = self._walk(prefix, common, True)
        return Listing(objects, prefixes, None)

    def _walk(self, prefix: str, marker: str, rolled_up: bool) -> Iterator[tuple[str, os.stat_result]]:
        """Files whose key starts with ``prefix`` and sorts after ``marker``, in key order.

        With ``rolled_up`` the marker is a common prefix and keys starting with it are skipped too.
        Directories that cannot hold such keys are not opened.
        """
        start = prefix[: prefix.rfind("/") + 1]  # the deepest directory the prefix names fully
        yield from self._walk_dir(start, prefix, marker, rolled_up)

    def _walk_dir(self, rel: str, prefix: str, marker: str, rolled_up: bool) -> Iterator[tuple[str, os.stat_result]]:
        try:
            with os.scandir(self.root / rel if rel else self.root) as it:
                found = [
                    (e.name + "/", e) if e.is_dir(follow_symlinks=False) else (e.name, e)
                    for e in it
                    if not e.name.startswith(RESERVED_PREFIXES)
                ]
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise StorageError(f"cannot list {rel or '.'!r}: {exc}") from exc
        # Code point order of str equals the byte order of its UTF-8 encoding, as S3 sorts.
        found.sort(key=lambda pair: pair[0])
        for name, entry in found:
            path = rel + name
            if name.endswith("/"):
                if not (path.startswith(prefix) or prefix.startswith(path)):
                    continue
                if marker and _before_or_at(path, marker, rolled_up):
                    continue
                yield from self._walk_dir(path, prefix, marker, rolled_up)
            elif entry.is_file(follow_symlinks=False) and path.startswith(prefix):
                if marker and (path <= marker or (rolled_up and path.startswith(marker))):
                    continue
                try:
                    yield path, entry.stat()
                except FileNotFoundError:  # deleted since the scan
                    continue


def _before_or_at(directory: str, marker: str, rolled_up: bool) -> bool:
    """Whether no key under ``directory`` (ending with "/") can come after the marker."""
    if rolled_up and directory.startswith(marker):
        return True
    if marker.startswith(directory):
        return False  # the marker is inside: some keys are before it, some after
    return directory < marker  # then every key under it is before the marker too
