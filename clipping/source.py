"""Random access to a playlist that is never downloaded whole: ranged reads of cached blocks.

A clip of a 48 h recording needs a few kilobytes of each 10 MB playlist, but reading the whole
object costs more than the clip on a small Lambda and grows with the recording. A
:class:`BlockText` reads aligned blocks (and the object's tail) on demand and keeps them in a
small shared LRU :class:`BlockCache`, so the engine's search touches a handful of blocks.

Everything here works in bytes: IVS playlists are ASCII, but a multi-byte UTF-8 character may
straddle a block edge, so text is decoded only from whole lines (see :mod:`clipping.ranged`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

#: Block size: a probe reads one block; 32 KiB holds about 290 IVS byte-range segments (~10 min).
BLOCK = 32 * 1024
#: Bytes the shared cache keeps: a few blocks per rendition of a 6-rendition recording.
CACHE_BYTES = 4 * 1024 * 1024

RangeFetch = Callable[[int, int], bytes]  # (start, length) -> bytes, fewer where the object ends
TailFetch = Callable[[int], tuple[bytes, int]]  # length -> (last bytes, object size)


@runtime_checkable
class RandomText(Protocol):
    """A playlist the engine may read piecewise (the reader's other answer besides a ``str``)."""

    def load_head(self) -> None:
        """Fetch the first block (the header); separate so callers can fetch many in parallel."""

    def load_tail(self) -> None:
        """Fetch the last block and learn the size."""

    @property
    def size(self) -> int: ...

    def read(self, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` (clamped to the object)."""
        ...


class BlockCache:
    """A thread-safe LRU of blocks keyed by (object, block index), bounded in bytes."""

    def __init__(self, capacity: int = CACHE_BYTES) -> None:
        self.capacity = capacity
        self._blocks: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int]) -> bytes | None:
        with self._lock:
            found = self._blocks.get(key)
            if found is not None:
                self._blocks.move_to_end(key)
            return found

    def put(self, key: tuple[str, int], data: bytes) -> None:
        with self._lock:
            old = self._blocks.pop(key, None)
            self._held += len(data) - (len(old) if old is not None else 0)
            self._blocks[key] = data
            while self._held > self.capacity and len(self._blocks) > 1:
                _, dropped = self._blocks.popitem(last=False)
                self._held -= len(dropped)

    @property
    def held(self) -> int:
        return self._held


@dataclass(slots=True)
class _Tail:
    start: int
    data: bytes


class BlockText:
    """A :class:`RandomText` over two fetch functions (ranged read, suffix read) and a cache.

    ``name`` keys the blocks in a cache shared by several objects. The size is learnt from the
    first tail read, or from a short head read (an object smaller than a block).
    """

    def __init__(
        self,
        name: str,
        fetch: RangeFetch,
        fetch_tail: TailFetch,
        cache: BlockCache | None = None,
        block: int = BLOCK,
    ) -> None:
        self.name = name
        self._fetch = fetch
        self._fetch_tail = fetch_tail
        self._cache = cache if cache is not None else BlockCache()
        self._block = block
        self._size: int | None = None
        self._tail: _Tail | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BlockText({self.name!r}, size={self._size})"

    @property
    def block(self) -> int:
        return self._block

    def load_head(self) -> None:
        self._get_block(0)

    def load_tail(self) -> None:
        with self._lock:
            if self._tail is not None or (self._size is not None and self._size < self._block):
                return  # known already, or the head block held the whole object
        data, size = self._fetch_tail(self._block)
        with self._lock:
            self._size = size
            self._tail = _Tail(size - len(data), data)

    @property
    def size(self) -> int:
        if self._size is None:
            self.load_tail()
        assert self._size is not None
        return self._size

    def read(self, start: int, end: int) -> bytes:
        start, end = max(0, start), min(end, self.size)
        if end <= start:
            return b""
        tail = self._tail
        if tail is not None and start >= tail.start:
            return tail.data[start - tail.start : end - tail.start]
        first, last = start // self._block, (end - 1) // self._block
        parts: list[bytes] = []
        index = first
        while index <= last:
            found = self._cache.get((self.name, index))
            if found is None:
                run = self._missing_run(index, last)
                parts.extend(self._fetch_run(index, run))
                index += run
                continue
            parts.append(found)
            index += 1
        joined = b"".join(parts)
        offset = first * self._block
        return joined[start - offset : end - offset]

    def _missing_run(self, index: int, last: int) -> int:
        """How many blocks from ``index`` on are absent (fetched together in one request)."""
        run = 1
        while index + run <= last and self._cache.get((self.name, index + run)) is None:
            run += 1
        return run

    def _fetch_run(self, index: int, run: int) -> list[bytes]:
        data = self._fetch(index * self._block, run * self._block)
        if len(data) < run * self._block:  # the object ends here
            with self._lock:
                self._size = index * self._block + len(data)
        blocks = [data[i * self._block : (i + 1) * self._block] for i in range(run)]
        if run * self._block <= self._cache.capacity // 2:  # a long window's excerpt is not kept
            for i, piece in enumerate(blocks):
                if piece:
                    self._cache.put((self.name, index + i), piece)
        return blocks

    def _get_block(self, index: int) -> bytes:
        found = self._cache.get((self.name, index))
        return found if found is not None else self._fetch_run(index, 1)[0]


def read_all(source: RandomText) -> bytes:
    """The whole object (the fallback when a playlist cannot be clipped from a few blocks)."""
    return source.read(0, source.size)
