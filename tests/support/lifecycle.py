"""Helpers for the clip lifecycle tests (no tests here): handlers over one store, media, faults.

The lifecycle handlers take a clock and an event publisher; :class:`LifecycleApi` builds every
one of them over one store with the same clock and a recording publisher, so a test reads as
requests and answers. :func:`seed_media` writes a recording whose segments have real bytes, so
promotion can be checked byte for byte.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers import clip_by_id, clip_manifest, get_clips, promote_clip, sweep_expired
from handlers.clips.playlists import references
from handlers.clips.store import ClipStore
from handlers.storage.base import NotFound, StorageError
from tests.support.api import REC_ROOT, ApiResult, LambdaContext, call, seed_recording, settings_for

MASTER = f"{REC_ROOT}/master.m3u8"
RENDITIONS = ("720p30", "360p30")
SEGMENTS = 60
RANGE_BYTES = 1000  # seed_recording's byte-range playlists: 1000@i*1000 into all.ts
T0 = datetime(2030, 1, 1, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand (thread-safe)."""

    def __init__(self, start: datetime = T0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)


@dataclass
class RecordedEvents:
    """An :class:`EventPublisher` that keeps what it was given."""

    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, detail_type: str, detail: Mapping[str, Any]) -> bool:
        with self._lock:
            self.sent.append((detail_type, dict(detail)))
        return True

    def types(self) -> list[str]:
        return [t for t, _ in self.sent]


@dataclass
class LifecycleApi:
    """Every clip handler over one store, one clock and one event recorder."""

    storage: Any
    clock: Clock = field(default_factory=Clock)
    events: RecordedEvents = field(default_factory=RecordedEvents)
    overrides: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.settings = settings_for(self.storage, **self.overrides)
        kw = {"clock": self.clock, "events": self.events}
        self.create_handler = clip_manifest.make_handler(self.settings, self.storage, clock=self.clock)
        self.by_id = clip_by_id.make_handler(self.settings, self.storage, **kw)
        self.promote_handler = promote_clip.make_handler(self.settings, self.storage, **kw)
        self.sweeper = sweep_expired.make_handler(self.settings, self.storage, **kw)
        self.list_handler = get_clips.make_handler(self.settings, self.storage)
        self.store = ClipStore(self.storage, self.settings.clips_prefix, self.clock)

    def create(self, **overrides: Any) -> ApiResult:
        body = {"master_url": MASTER, "start_time": 10, "end_time": 30, **overrides}
        return call(self.create_handler, "POST", "/clipmanifest", body)

    def get(self, clip_id: str) -> ApiResult:
        return call(self.by_id, "GET", f"/clips/{clip_id}")

    def delete(self, clip_id: str) -> ApiResult:
        return call(self.by_id, "DELETE", f"/clips/{clip_id}")

    def promote(self, clip_id: str) -> ApiResult:
        return call(self.promote_handler, "POST", f"/clips/{clip_id}/promote")

    def sweep(self) -> dict[str, Any]:
        return self.sweeper({"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext())

    def listed(self, **query: str) -> list[str]:
        result = call(self.list_handler, "GET", "/getclips", query=query or None)
        assert result.status == 200, result.body
        return [c["clip_id"] for c in result.body["clips"]]


def segment_bytes(key: str, size: int) -> bytes:
    """Distinct, position-dependent bytes for a segment file, so any mix-up shows."""
    seed = sum(key.encode()) % 251
    return bytes((seed + i * 7) % 256 for i in range(size))


def seed_media(storage: Any, *, root: str = REC_ROOT, thumbnails: int = 0, interval: float | None = None) -> str:
    """``seed_recording`` plus the bytes its playlists name (and thumbnails); the master key."""
    master = seed_recording(storage, root=root, segments=SEGMENTS)
    for name in RENDITIONS:
        for i in range(SEGMENTS):
            key = f"{root}/{name}/{i}.ts"
            storage.put(key, segment_bytes(key, 1500 + i), "video/mp2t")
        key = f"{root}/{name}/all.ts"
        storage.put(key, segment_bytes(key, RANGE_BYTES * SEGMENTS), "video/mp2t")
    prefix = root.removesuffix("/media/hls") + "/"
    for n in range(thumbnails):
        storage.put(f"{prefix}media/thumbnails/thumb{n}.jpg", f"jpeg {n}".encode(), "image/jpeg")
    if interval is not None:
        events = (
            '{"recording_started_at":"2024-05-01T12:00:00Z","media":{"hls":{"path":"media/hls"},'
            f'"thumbnails":{{"path":"media/thumbnails","target_interval_seconds":{interval}}}}}}}'
        )
        storage.put(f"{prefix}events/recording-started.json", events.encode(), "application/json")
    return master


def played_bytes(storage: Any, master_key: str) -> dict[str, list[bytes]]:
    """Per rendition, the bytes of every segment/range the clip's playlists name, in order."""
    master = storage.get(master_key).decode()
    out: dict[str, list[bytes]] = {}
    for playlist in dict.fromkeys(r.key for r in references(master, master_key)):
        text = storage.get(playlist).decode()
        name = playlist.rsplit("/", 1)[-1]
        chunks = []
        for ref in references(text, playlist):
            if ref.length is None:
                chunks.append(storage.get(ref.key))
            else:
                chunks.append(storage.get_range(ref.key, ref.start, ref.length))
        out[name] = chunks
    return out


def all_keys(storage: Any, prefix: str = "") -> list[str]:
    keys: list[str] = []
    token = None
    while True:
        page = storage.list(prefix, token=token)
        keys.extend(o.key for o in page.objects)
        token = page.next_token
        if token is None:
            return keys


def clip_keys(storage: Any, clip_id: str) -> list[str]:
    """Every stored key that belongs to ``clip_id`` (its name appears in it)."""
    return [k for k in all_keys(storage, "clips/") if clip_id in k]


def delete_recording(storage: Any, root: str = REC_ROOT) -> None:
    prefix = root.removesuffix("/media/hls") + "/"
    for key in all_keys(storage, prefix):
        storage.delete(key)
    assert all_keys(storage, prefix) == []


class FaultyStore:
    """Counts every change (put, copy, delete) that reaches ``inner`` and fails the ``fail_at``-th.

    Reads pass through. Batched deletes are not offered, so each delete counts on its own.
    """

    def __init__(self, inner: Any, fail_at: int = 0) -> None:
        self.inner, self.fail_at = inner, fail_at
        self.changes = 0
        self.bucket = getattr(inner, "bucket", None)
        self.root = getattr(inner, "root", None)
        self._lock = threading.Lock()

    def _change(self, what: str) -> None:
        with self._lock:
            self.changes += 1
            if self.changes == self.fail_at:
                raise StorageError(f"injected fault at change {self.changes} ({what})")

    def get(self, key: str) -> bytes:
        return self.inner.get(key)

    def get_range(self, key: str, start: int, length: int) -> bytes:
        return self.inner.get_range(key, start, length)

    def list(self, prefix: str = "", **kwargs: Any) -> Any:
        return self.inner.list(prefix, **kwargs)

    def put(self, key: str, data: bytes, content_type: str, *, if_absent: bool = False) -> bool:
        self._change(f"put {key}")
        return self.inner.put(key, data, content_type, if_absent=if_absent)

    def copy(self, source_key: str, key: str, content_type: str) -> None:
        self._change(f"copy {key}")
        self.inner.copy(source_key, key, content_type)

    def delete(self, key: str) -> None:
        self._change(f"delete {key}")
        self.inner.delete(key)


def is_not_found(storage: Any, key: str) -> bool:
    try:
        storage.get(key)
    except NotFound:
        return True
    return False


def made(api: LifecycleApi, **body: Any) -> dict[str, Any]:
    """A new clip's answer (201), for tests whose subject is what happens to it afterwards."""
    result = api.create(**body)
    assert result.status == 201, result.body
    return result.body
