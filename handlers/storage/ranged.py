"""The clip engine's random-access reader over a :class:`Storage`, and a budget-aware thread runner.

:func:`ranged_reader` answers each playlist path with a :class:`clipping.source.BlockText` whose
blocks come from ``get_range`` and whose tail and size come from one ``get_tail`` (a suffix-range
GET on S3, a seek on files). Sources are kept for the length of one request, so resolving the
window and clipping share their blocks. :func:`threaded` runs the engine's per-rendition work in
threads; each task carries the request's time budget (:func:`handlers.storage.budget.carry`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from clipping import InvalidPlaylist, PlaylistNotFound
from clipping.source import BLOCK, BlockCache, BlockText
from handlers.storage.base import NotFound, Storage
from handlers.storage.budget import carry

#: Threads for one request's reads: 6 renditions x (head + tail) fit in one round.
MAX_THREADS = 16
_pool: ThreadPoolExecutor | None = None


def ranged_reader(storage: Storage, *, block: int = BLOCK, cache: BlockCache | None = None) -> Callable[[str], Any]:
    """A :data:`clipping.model.SourceReader` answering :class:`BlockText` sources over ``storage``.

    A missing object raises :class:`clipping.PlaylistNotFound` on first read (the engine reads
    the head and tail of each playlist first). A store without ranged reads (a test double)
    gets whole texts, which the engine takes as well.
    """
    if not (callable(getattr(storage, "get_range", None)) and callable(getattr(storage, "get_tail", None))):
        return _whole_reader(storage)
    shared = cache if cache is not None else BlockCache()
    sources: dict[str, BlockText] = {}

    def read(path: str) -> BlockText:
        found = sources.get(path)
        if found is None:
            found = sources[path] = BlockText(path, _fetch(storage, path), _fetch_tail(storage, path), shared, block)
        return found

    return read


def _whole_reader(storage: Storage) -> Callable[[str], str]:
    texts: dict[str, str] = {}

    def read(path: str) -> str:
        if path not in texts:
            try:
                texts[path] = storage.get(path).decode("utf-8")
            except NotFound:
                raise PlaylistNotFound(f"no playlist at {path}", field="master_url") from None
            except UnicodeDecodeError:
                raise InvalidPlaylist(f"{path} is not a text playlist", field="master_url") from None
        return texts[path]

    return read


def _fetch(storage: Storage, path: str) -> Callable[[int, int], bytes]:
    def fetch(start: int, length: int) -> bytes:
        try:
            return storage.get_range(path, start, length)
        except NotFound:
            raise PlaylistNotFound(f"no playlist at {path}", field="master_url") from None

    return fetch


def _fetch_tail(storage: Storage, path: str) -> Callable[[int], tuple[bytes, int]]:
    get_tail = storage.get_tail

    def fetch_tail(length: int) -> tuple[bytes, int]:
        try:
            data, size = get_tail(path, length)
            return bytes(data), int(size)
        except NotFound:
            raise PlaylistNotFound(f"no playlist at {path}", field="master_url") from None

    return fetch_tail


def decoded(found: BlockText, path: str) -> str:
    """A whole source as text (for callers that need a ``str``)."""
    try:
        return found.read(0, found.size).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidPlaylist(f"{path} is not a text playlist", field="master_url") from None


def threaded(tasks: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run ``tasks`` in threads under the caller's time budget; results in order, first error raised."""
    if len(tasks) <= 1:
        return [task() for task in tasks]
    futures = [_executor().submit(carry(task)) for task in tasks]
    return [future.result() for future in futures]


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=MAX_THREADS, thread_name_prefix="clip-read")
    return _pool
