"""The clip lifecycle: make, read, delete, expire and promote clips; publish what happened.

Making a clip: validated command → resolved window → clip id → engine → stored record. The id
is computed from the window on the recording's clock, so a repeated request, in any time
format, finds its clip (200) instead of clipping again; only a new window runs the engine.
``expires_at`` is a property of the stored clip: a repeated request returns the clip as stored,
whatever ``expires_at`` it sends (delete the clip to make it again with another expiry); an
expired clip is gone, so the same request then makes it again (201).

Every change publishes one event (see :mod:`handlers.events`) after it is stored.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from clipping import Clip, InvalidPlaylist, PlaylistNotFound, clip_recording
from clipping.resolve import resolve_request
from handlers import logs
from handlers.channels.clip import StitchedClip, clip_plan, live_window, plan_live, plan_window, stitched_single
from handlers.channels.find import ll_root
from handlers.clips.command import ClipCommand, clip_id
from handlers.clips.playlists import UnsupportedReference
from handlers.clips.promote import SourceMissing, promote
from handlers.clips.record import ClipRecord, DamagedRecord, RecordingRef, RenditionRecord, Window
from handlers.clips.store import ClipStore
from handlers.clips.thumbnail import nearest_thumbnail
from handlers.clips.view import clip_view
from handlers.config import MAX_TTL_SECONDS, Settings
from handlers.events import (
    CLIP_CREATED,
    CLIP_DELETED,
    CLIP_EXPIRED,
    CLIP_PROMOTED,
    EventPublisher,
    publisher_for,
)
from handlers.recordings.source import recording_id_of, recording_key_of
from handlers.storage.base import NotFound, Storage
from handlers.storage.ranged import ranged_reader, threaded
from handlers.web.errors import HttpError, status_of
from handlers.web.times import epoch_ms, iso_ms, truncate_ms

Clock = Callable[[], datetime]
#: Expiry entries one sweep handles; the next run takes the rest.
SWEEP_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Outcome:
    """The visible record, whether this request created it, and facts for the access log."""

    record: ClipRecord
    created: bool
    log: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SweepReport:
    """What one sweep did: clips removed because they expired, interrupted deletions finished."""

    expired: list[str] = field(default_factory=list)
    finished_deletions: list[str] = field(default_factory=list)
    stale_entries: int = 0


class ClipService:
    def __init__(
        self,
        settings: Settings,
        storage: Storage,
        clock: Clock | None = None,
        events: EventPublisher | None = None,
    ) -> None:
        self.settings = settings
        self.storage = storage
        self.now = clock or (lambda: datetime.now(UTC))
        self.store = ClipStore(storage, settings.clips_prefix, self.now)
        self.events = events or publisher_for(settings)

    # Making -----------------------------------------------------------------------------------

    def create(self, command: ClipCommand) -> Outcome:
        now = truncate_ms(self.now())
        expires_at = self._expiry(command, now)
        read = cached_reader(self.storage)
        if command.channel is not None:
            return self._create_from_channel(command, read, now, expires_at)
        if command.last_seconds is not None:
            start, end = live_window(command.master_key, read, command.last_seconds, command.byte_range)
            command = replace(command, start=start, end=end)
        # Ranged reads: a few blocks of each long playlist, renditions in parallel, clips numbered from 0.
        blocks = ranged_reader(self.storage)
        request = command.engine_request(self.settings.max_clip_seconds)
        resolved = resolve_request(command.master_key, request, blocks, numbering="clip", parallel=threaded)
        new_id = clip_id(command, resolved)
        existing = self._existing(new_id, now)
        if existing is not None:
            return existing
        started = time.perf_counter()
        out = self.store.master_key(new_id)
        clip = clip_recording(command.master_key, resolved, blocks, out, numbering="clip", parallel=threaded)
        engine_ms = round((time.perf_counter() - started) * 1000, 1)
        single = stitched_single(clip, command.master_key, recording_id_of(command.master_key))
        return self._save(command, single, new_id, now, expires_at, engine_ms)

    def _create_from_channel(
        self, command: ClipCommand, read: Callable[[str], str], now: datetime, expires_at: datetime | None
    ) -> Outcome:
        """One clip over the channel's recordings in the window (or the newest one, live)."""
        channel, settings = command.channel, self.settings
        assert channel is not None
        root = ll_root(settings.recordings_prefixes[0])
        if command.last_seconds is not None:
            plan = plan_live(self.storage, read, root, channel, command.last_seconds, command.byte_range)
        else:
            assert command.start is not None and command.end is not None
            window = (command.start, command.end, settings.max_clip_seconds, command.byte_range)
            plan = plan_window(self.storage, read, root, channel, *window)
        new_id = plan.identity(command.byte_range, command.boundary)
        existing = self._existing(new_id, now)
        if existing is not None:
            return existing
        started = time.perf_counter()
        stitched = clip_plan(
            plan, read, self.store.master_key(new_id), command.byte_range, command.boundary, settings.max_clip_seconds
        )
        engine_ms = round((time.perf_counter() - started) * 1000, 1)
        source = replace(command, master_key=stitched.recordings[0].key)
        return self._save(source, stitched, new_id, now, expires_at, engine_ms)

    def _existing(self, new_id: str, now: datetime) -> Outcome | None:
        existing = self.store.read(new_id)
        if existing is None:
            return None
        if not existing.expired(now):
            return Outcome(existing, False, {"clip_id": new_id, "existing": True})
        self._remove(new_id, existing, None)  # expired: gone for everyone, so make it anew
        return None

    def _save(
        self,
        command: ClipCommand,
        stitched: StitchedClip,
        new_id: str,
        now: datetime,
        expires_at: datetime | None,
        engine_ms: float,
    ) -> Outcome:
        clip = stitched.clip
        record = self._record(command, clip, new_id, now, expires_at).with_changes(
            recordings=tuple(r.to_json() for r in stitched.recordings), gaps=stitched.gaps
        )
        record, created = self.store.save(record, clip.playlists)
        if created:
            self._publish(CLIP_CREATED, record)
        return Outcome(record, created, _log(command, clip, new_id, engine_ms, created))

    def _expiry(self, command: ClipCommand, now: datetime) -> datetime | None:
        """The clip's expiry: as asked (in the future, at most ten years ahead) or the default TTL."""
        latest = now + timedelta(seconds=MAX_TTL_SECONDS)
        if command.expires_at is None:
            ttl = self.settings.default_clip_ttl_seconds
            return None if ttl is None else truncate_ms(now + timedelta(seconds=ttl))
        if command.expires_at <= now:
            raise HttpError(
                400,
                "invalid_field",
                f"expires_at {iso_ms(command.expires_at)} is not in the future",
                field="expires_at",
            )
        if command.expires_at > latest:
            raise HttpError(400, "invalid_field", "expires_at is more than ten years ahead", field="expires_at")
        return command.expires_at

    def _record(
        self, command: ClipCommand, clip: Clip, new_id: str, now: datetime, expires_at: datetime | None
    ) -> ClipRecord:
        prefix = recording_key_of(command.master_key)
        return ClipRecord(
            clip_id=new_id,
            key=self.store.master_key(new_id),
            created_at=now,
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
                prefix=prefix,
                source_key=clip.source_master_path,
            ),
            renditions=tuple(RenditionRecord(r.name, r.kind, r.path, r.segments, r.duration) for r in clip.renditions),
            notices=_notices(clip),
            expires_at=expires_at,
            thumbnail_key=nearest_thumbnail(
                self.storage, prefix, clip.start_seconds, self.settings.thumbnail_interval_seconds
            ),
        )

    # Reading ----------------------------------------------------------------------------------

    def get(self, clip_id: str) -> ClipRecord | None:
        """The clip, or ``None`` when it does not exist, has expired or its document is damaged."""
        try:
            return self.store.read_visible(clip_id)
        except DamagedRecord:
            return None

    # Deleting ---------------------------------------------------------------------------------

    def delete(self, clip_id: str) -> bool:
        """Remove every object of the clip; ``True`` (204) when there was a clip or a deletion to finish.

        ``False`` (404) when the clip is not visible and no deletion of it is pending: a deleted
        clip, an unknown id, or an expired one (whose objects this removes, as the sweep would).
        A clip's objects without a document and without a tombstone (a failed POST, or one in
        flight) are left alone: they are not a clip, and a retry of the POST completes them.
        """
        try:
            record = self.store.read(clip_id)
            damaged = False
        except DamagedRecord:
            record, damaged = None, True
        tombstone = self.store.read_tombstone(clip_id)
        if record is None and tombstone is None and not damaged:
            return False
        visible = record is not None and not record.expired(self.now())
        self._remove(clip_id, record, tombstone)
        return visible or record is None

    def _remove(self, clip_id: str, record: ClipRecord | None, tombstone: ClipRecord | None) -> None:
        """Tombstone, then purge (document first, tombstone last), then the event."""
        if record is not None:
            self.store.write_tombstone(record)
        self.store.purge(clip_id, [r for r in (record, tombstone) if r is not None])
        gone = record or tombstone
        if gone is not None:
            self._publish(CLIP_EXPIRED if gone.expired(self.now()) else CLIP_DELETED, gone)

    # Expiring ---------------------------------------------------------------------------------

    def sweep(self, limit: int = SWEEP_LIMIT) -> SweepReport:
        """Remove clips whose expiry has passed, from the expiry index only (no scan of all clips).

        Also finishes deletions a crash interrupted (tombstones left behind) and drops expiry
        entries that no longer match their clip's document.
        """
        now = self.now()
        report = SweepReport()
        stale = 0
        for entry in self.store.expired_entries(now, limit):
            record = self._read_quietly(entry.clip_id)
            if record is not None and record.expires_at is not None and epoch_ms(record.expires_at) == entry.expires_ms:
                self._remove(entry.clip_id, record, self.store.read_tombstone(entry.clip_id))
                report.expired.append(entry.clip_id)
            elif record is None and self.store.read_tombstone(entry.clip_id) is None:
                self.store.purge(entry.clip_id, [])  # leftovers of a POST that never finished
                self.storage.delete(entry.key)
                stale += 1
            else:
                self.storage.delete(entry.key)  # the clip was made again with another expiry
                stale += 1
        for pending in self.store.pending_deletions():
            tombstone = self.store.read_tombstone(pending)
            record = self._read_quietly(pending)
            if record is None or (tombstone is not None and record.created_ms == tombstone.created_ms):
                self._remove(pending, record, tombstone)
                report.finished_deletions.append(pending)
            else:
                self.storage.delete(self.store.tombstone_key(pending))  # the clip was made again since
        return SweepReport(report.expired, report.finished_deletions, stale)

    def _read_quietly(self, clip_id: str) -> ClipRecord | None:
        try:
            return self.store.read(clip_id)
        except DamagedRecord:
            return None

    # Promoting --------------------------------------------------------------------------------

    def promote(self, clip_id: str) -> ClipRecord | None:
        """Make the clip own its bytes (see :mod:`handlers.clips.promote`); ``None`` when there is no clip.

        Idempotent: an owned clip is returned as it is. Concurrent promotions write the same
        objects and the same record.
        """
        record = self.get(clip_id)
        if record is None or record.owned:
            return record
        try:
            promotion = promote(record, self.store)
        except SourceMissing as exc:
            raise HttpError(status_of("gone"), "gone", str(exc)) from None
        except UnsupportedReference as exc:
            raise HttpError(status_of("not_promotable"), "not_promotable", str(exc)) from None
        except NotFound:  # its playlists went away under us: deleted meanwhile
            return None
        fresh = self._read_quietly(clip_id)
        if fresh is None:  # deleted while we copied: remove what we wrote, too
            self.store.purge(clip_id, [record])
            return None
        if fresh.owned:
            return fresh
        owned = fresh.with_changes(owned=True, renditions=promotion.renditions, thumbnail_key=promotion.poster)
        self.store.replace_record(owned)
        logs.emit("INFO", "clip promoted", stream=sys.stderr, clip_id=clip_id, copied_bytes=promotion.copied_bytes)
        self._publish(CLIP_PROMOTED, owned)
        return owned

    # Events -----------------------------------------------------------------------------------

    def _publish(self, detail_type: str, record: ClipRecord) -> None:
        try:
            self.events.publish(detail_type, clip_view(record, self.settings.public_base_url))
        except Exception as exc:  # an event is a notice after the fact: it never fails the change
            logs.emit("ERROR", "event not published", detail_type=detail_type, clip_id=record.clip_id, error=str(exc))


def _notices(clip: Clip) -> tuple[dict[str, str], ...]:
    return tuple({"code": n.code, "message": n.message} for n in clip.notices)


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
