"""Promotion: copy the bytes a clip uses under its own prefix and point its playlists at them.

Only what the clip plays is copied: whole segment files for plain clips, and for byte-range
clips only the ranges it names, packed into one copy per source object (contiguous parts merge
into one ranged read; offsets in the new playlists are those inside the copy). The order keeps
the clip playable at every instant and a failure half-way harmless:

1. copies under ``clips/<id>/media/`` (and the poster) — nothing refers to them yet;
2. new rendition playlists under NEW names (``clips/<id>/owned/...``) — nothing refers to them yet;
3. the master, rewritten to name the new playlists: the switch (one atomic PUT);
4. the record (``owned: true``), re-read just before so a concurrent change is kept.

Every object written is a pure function of the clip, so a retry or a concurrent promotion
writes the same bytes again. The old rendition playlists stay (they are deleted with the clip),
so a player holding the old master keeps working while the recording exists.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from handlers.clips.playlists import Ref, references, resolve, rewrite
from handlers.clips.record import ClipRecord, RenditionRecord
from handlers.clips.store import PLAYLIST_TYPE, ClipStore
from handlers.storage.base import NotFound
from handlers.storage.budget import carry

COPY_THREADS = 8
MEDIA_TYPES = {".ts": "video/mp2t", ".mp4": "video/mp4", ".m4s": "video/iso.segment", ".aac": "audio/aac"}


class SourceMissing(RuntimeError):
    """Bytes the clip names are gone (the recording was deleted before the clip was promoted)."""


@dataclass(frozen=True, slots=True)
class Interval:
    """One ranged read of a source object and where it lands in the copy."""

    start: int
    length: int
    new_start: int


@dataclass(frozen=True, slots=True)
class CopyPlan:
    """For each source object: its copy's key and either ``None`` (whole) or the packed intervals."""

    targets: dict[str, str]
    intervals: dict[str, tuple[Interval, ...] | None]

    def locate(self, ref: Ref) -> tuple[str, int]:
        """Where the bytes of ``ref`` are in the copies: ``(key, offset)``."""
        target = self.targets.get(ref.key)
        if target is None:  # already under the clip's prefix (an earlier promotion got this far)
            return ref.key, ref.start
        packed = self.intervals[ref.key]
        if packed is None:
            return target, ref.start
        for interval in packed:
            if interval.start <= ref.start < interval.start + interval.length:
                return target, interval.new_start + ref.start - interval.start
        raise AssertionError(f"range {ref} is in no planned interval")  # pragma: no cover


def plan_copies(refs: Iterable[Ref], store: ClipStore, clip_id: str, source_dir: str) -> CopyPlan:
    """Which objects to copy and how, for every reference not yet under the clip's prefix."""
    own = store.own_prefix(clip_id)
    ranges: dict[str, list[tuple[int, int]]] = defaultdict(list)
    whole: set[str] = set()
    for ref in refs:
        if ref.key.startswith(own):
            continue
        if ref.length is None:
            whole.add(ref.key)
        else:
            ranges[ref.key].append((ref.start, ref.length))
    targets = {key: _target(store, clip_id, source_dir, key) for key in {*whole, *ranges}}
    intervals: dict[str, tuple[Interval, ...] | None] = {key: None for key in whole}
    for key, spans in ranges.items():
        if key not in whole:  # a whole copy keeps every offset as it is
            intervals[key] = _pack(spans)
    return CopyPlan(targets, intervals)


def _pack(spans: list[tuple[int, int]]) -> tuple[Interval, ...]:
    """Merge overlapping or touching ranges, then lay the merged ones end to end from offset 0."""
    merged: list[list[int]] = []
    for start, length in sorted(spans):
        end = start + length
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, offset = [], 0
    for start, end in merged:
        out.append(Interval(start, end - start, offset))
        offset += end - start
    return tuple(out)


def _target(store: ClipStore, clip_id: str, source_dir: str, key: str) -> str:
    """``clips/<id>/media/<path below the recording's hls folder>``, or a hashed name for others."""
    media = store.media_prefix(clip_id)
    if source_dir and key.startswith(source_dir):
        return media + key[len(source_dir) :]
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{media}x/{digest}-{posixpath.basename(key)}"


def content_type(key: str) -> str:
    return MEDIA_TYPES.get(posixpath.splitext(key)[1].lower(), "application/octet-stream")


def execute(plan: CopyPlan, store: ClipStore) -> int:
    """Write every planned copy (in parallel); returns the bytes copied. Raises :class:`SourceMissing`."""
    storage = store.storage

    def copy_one(key: str) -> int:
        target, packed = plan.targets[key], plan.intervals[key]
        try:
            if packed is None:
                storage.copy(key, target, content_type(target))
                return 0
            data = b"".join(storage.get_range(key, i.start, i.length) for i in packed)
        except NotFound:
            raise SourceMissing(f"{key} is gone: the clip can no longer be promoted") from None
        if len(data) != sum(i.length for i in packed):
            raise SourceMissing(f"{key} is shorter than the ranges the clip names")
        storage.put(target, data, content_type(target))
        return len(data)

    keys = sorted(plan.targets)
    if not keys:
        return 0
    with ThreadPoolExecutor(max_workers=min(COPY_THREADS, len(keys))) as pool:
        return sum(pool.map(carry(copy_one), keys))


@dataclass(frozen=True, slots=True)
class Promotion:
    """What a promotion wrote: the master's new text, the new playlists, the poster's copy."""

    master: str
    playlists: dict[str, str]
    renditions: tuple[RenditionRecord, ...]
    poster: str | None
    copied_bytes: int


def promote(record: ClipRecord, store: ClipStore) -> Promotion:
    """Steps 1–3 of the module doc; the caller writes the record (step 4)."""
    clip_id = record.clip_id
    storage = store.storage
    master_key = store.master_key(clip_id)
    master_text = storage.get(master_key).decode("utf-8")
    playlist_keys = list(dict.fromkeys(ref.key for ref in references(master_text, master_key)))
    texts = {key: storage.get(key).decode("utf-8") for key in playlist_keys}
    new_names = {key: store.owned_playlist_key(clip_id, key) for key in playlist_keys}
    refs = [ref for key, text in texts.items() for ref in references(text, key)]
    source_dir = posixpath.dirname(record.recording.source_key) + "/"
    plan = plan_copies(refs, store, clip_id, source_dir)
    copied = execute(plan, store)
    poster = _copy_poster(record, store)
    playlists = {new_names[key]: rewrite(text, key, new_names[key], plan.locate) for key, text in texts.items()}
    for key, text in playlists.items():
        storage.put(key, text.encode("utf-8"), PLAYLIST_TYPE)
    master = rewrite(master_text, master_key, master_key, lambda ref: (new_names.get(ref.key, ref.key), 0))
    storage.put(master_key, master.encode("utf-8"), PLAYLIST_TYPE)
    renditions = tuple(
        RenditionRecord(
            r.name, r.kind, new_names.get(r.key, store.owned_playlist_key(clip_id, r.key)), r.segments, r.duration
        )
        for r in record.renditions
    )
    return Promotion(master, playlists, renditions, poster, copied)


def _copy_poster(record: ClipRecord, store: ClipStore) -> str | None:
    key = record.thumbnail_key
    if key is None or key.startswith(store.own_prefix(record.clip_id)):
        return key
    target = store.poster_key(record.clip_id)
    try:
        store.storage.copy(key, target, "image/jpeg")
    except NotFound:
        return None  # the thumbnail went with the recording: no poster rather than a dead link
    return target


__all__ = ["CopyPlan", "Promotion", "SourceMissing", "plan_copies", "promote", "resolve"]
