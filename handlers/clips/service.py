"""Making a clip: validated command → resolved window → clip id → engine → stored record.

The id is computed from the window on the recording's clock, so a repeated request, in any time
format, finds its clip (200) instead of clipping again; only a new window runs the engine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from clipping import Clip, InvalidPlaylist, PlaylistNotFound, clip_recording
from clipping.resolve import resolve_request
from handlers.clips.command import ClipCommand, clip_id
from handlers.clips.record import ClipRecord, RecordingRef, RenditionRecord, Window
from handlers.clips.store import ClipStore
from handlers.config import Settings
from handlers.recordings.source import recording_id_of, recording_key_of
from handlers.storage.base import NotFound, Storage
from handlers.web.times import truncate_ms

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The visible record, whether this request created it, and facts for the access log."""

    record: ClipRecord
    created: bool
    log: dict[str, Any] = field(default_factory=dict)


class ClipService:
    def __init__(self, settings: Settings, storage: Storage, clock: Clock | None = None) -> None:
        self.settings = settings
        self.storage = storage
        self.store = ClipStore(storage, settings.clips_prefix)
        self.now = clock or (lambda: datetime.now(UTC))

    def create(self, command: ClipCommand) -> Outcome:
        read = cached_reader(self.storage)
        resolved = resolve_request(command.master_key, command.engine_request(self.settings.max_clip_seconds), read)
        new_id = clip_id(command, resolved)
        existing = self.store.read(new_id)
        if existing is not None:
            return Outcome(existing, False, {"clip_id": new_id, "existing": True})
        started = time.perf_counter()
        clip = clip_recording(command.master_key, resolved, read, self.store.master_key(new_id))
        engine_ms = round((time.perf_counter() - started) * 1000, 1)
        record, created = self.store.save(self._record(command, clip, new_id), clip.playlists)
        return Outcome(record, created, _log(command, clip, new_id, engine_ms, created))

    def _record(self, command: ClipCommand, clip: Clip, new_id: str) -> ClipRecord:
        return ClipRecord(
            clip_id=new_id,
            key=self.store.master_key(new_id),
            created_at=truncate_ms(self.now()),
            title=command.title,
            clip=Window(clip.start_time, clip.end_time, clip.start_seconds, clip.end_seconds),
            requested=Window(
                clip.requested_start_time,
                clip.requested_end_time,
                clip.requested_start_seconds,
                clip.requested_end_seconds,
            ),
            duration=clip.duration,
            start_offset=clip.start_offset,
            byte_range=clip.byte_range,
            boundary=clip.boundary,
            recording=RecordingRef(
                id=recording_id_of(command.master_key),
                key=command.master_key,
                prefix=recording_key_of(command.master_key),
                source_key=clip.source_master_path,
            ),
            renditions=tuple(RenditionRecord(r.name, r.kind, r.path, r.segments, r.duration) for r in clip.renditions),
            notices=_notices(clip),
        )


def _notices(clip: Clip) -> tuple[dict[str, str], ...]:
    notices = getattr(clip, "notices", ())
    return tuple({"code": str(n.code), "message": str(n.message)} for n in notices)


def _log(command: ClipCommand, clip: Clip, new_id: str, engine_ms: float, created: bool) -> dict[str, Any]:
    return {
        "clip_id": new_id,
        "recording": command.master_key,
        "byte_range": clip.byte_range,
        "renditions": len(clip.renditions),
        "segments": sum(r.segments for r in clip.renditions),
        "clip_duration": clip.duration,
        "engine_ms": engine_ms,
        "existing": not created,
    }


def cached_reader(storage: Storage, keep: int = 2) -> Callable[[str], str]:
    """The engine's playlist reader over our store, remembering the last ``keep`` texts.

    Resolving the window reads the master and the reference rendition; the engine then reads
    them again. Keeping two texts for the length of one request saves those GETs.
    """
    recent: dict[str, str] = {}

    def read(path: str) -> str:
        if path in recent:
            return recent[path]
        try:
            text = storage.get(path).decode("utf-8")
        except NotFound:
            raise PlaylistNotFound(f"no playlist at {path}", field="master_url") from None
        except UnicodeDecodeError:
            raise InvalidPlaylist(f"{path} is not a text playlist", field="master_url") from None
        recent[path] = text
        while len(recent) > keep:
            recent.pop(next(iter(recent)))
        return text

    return read
