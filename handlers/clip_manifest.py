"""POST /clipmanifest: cut a time window of a recording into new HLS playlists (no transcoding).

request body → :class:`ClipCommand` → clip id → existing clip (200) or engine → store → 201.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from clipping import TimePoint, clip_recording, parse_boundary, parse_time
from clipping.errors import InvalidPlaylist, PlaylistNotFound
from clipping.model import BOUNDARIES, Clip, ClipRequest, TimeValue
from handlers.clip_store import ClipStore, clip_view
from handlers.config import Settings
from handlers.http import HttpError, LambdaHandler, Request, Response, endpoint, lazy_handler, read_json_object
from handlers.source import recording_id_of, recording_key_of, resolve_master_key
from handlers.storage.base import NotFound, Storage

ROUTE = "POST /clipmanifest"
MAX_TITLE = 200
CLIP_ID_HEX = 24  # 96 bits of sha256: collisions are out of reach for any number of clips
FIELDS = ("start_time", "end_time", "master_url", "byte_range", "boundary", "title")

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class ClipCommand:
    """A validated request: which recording, which window (as given and as parsed), which options."""

    master_key: str
    start: TimeValue
    end: TimeValue
    start_kind: str
    start_us: int
    end_kind: str
    end_us: int
    byte_range: bool = False
    boundary: str = "outer"
    title: str | None = None

    @property
    def clip_id(self) -> str:
        """Same source, window and options → same id, so a repeated request finds its clip."""
        identity = {
            "v": 1,
            "master": self.master_key,
            "start": [self.start_kind, self.start_us],
            "end": [self.end_kind, self.end_us],
            "byte_range": self.byte_range,
            "boundary": self.boundary,
        }
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
        return digest[:CLIP_ID_HEX]


def parse_command(body: Mapping[str, Any], settings: Settings) -> ClipCommand:
    """Check every field of the body; the first fault is a 400 naming its field."""
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise HttpError(
            400,
            "unknown_field",
            f"unknown field {unknown[0]!r}; accepted: {', '.join(FIELDS)}",
            field=unknown[0],
        )
    for name in ("master_url", "start_time", "end_time"):
        if body.get(name) is None:
            raise HttpError(400, "missing_field", f"{name} is required", field=name)
    master_key = resolve_master_key(
        body["master_url"],
        public_base_url=settings.public_base_url,
        bucket=settings.bucket,
        recordings_prefix=settings.recordings_prefix,
    )
    start, end = _time(body, "start_time"), _time(body, "end_time")
    byte_range = body.get("byte_range", False)
    if byte_range is None:
        byte_range = False
    if not isinstance(byte_range, bool):
        raise HttpError(400, "invalid_field", "byte_range must be true or false", field="byte_range")
    boundary = body.get("boundary") or "outer"
    if boundary not in BOUNDARIES:
        raise HttpError(400, "invalid_option", f"boundary must be one of {', '.join(BOUNDARIES)}", field="boundary")
    title = body.get("title")
    if title is not None and (not isinstance(title, str) or len(title) > MAX_TITLE or any(ord(c) < 32 for c in title)):
        raise HttpError(
            400,
            "invalid_field",
            f"title must be text of at most {MAX_TITLE} characters without control characters",
            field="title",
        )
    return ClipCommand(
        master_key=master_key,
        start=start[0],
        end=end[0],
        start_kind=start[1].kind,
        start_us=start[1].us,
        end_kind=end[1].kind,
        end_us=end[1].us,
        byte_range=byte_range,
        boundary=boundary,
        title=title or None,
    )


def _time(body: Mapping[str, Any], name: str) -> tuple[TimeValue, TimePoint]:
    """The value as given (the engine reads it again) and as parsed (for the clip id)."""
    value = body[name]
    return value, parse_time(value, name)  # refuses wrong types, NaN, overflow and epoch ms naming the field


def storage_reader(storage: Storage) -> Callable[[str], str]:
    """The engine's playlist reader over our store: absent keys are the engine's not-found."""

    def read(path: str) -> str:
        try:
            return storage.get(path).decode("utf-8")
        except NotFound:
            raise PlaylistNotFound(f"no playlist at {path}", field="master_url") from None
        except UnicodeDecodeError:
            raise InvalidPlaylist(f"{path} is not a text playlist", field="master_url") from None

    return read


def clip_document(command: ClipCommand, clip: Clip, clip_id: str, store: ClipStore, created_at: str) -> dict:
    """The metadata document: everything the API reports about a clip, with keys instead of URLs."""
    return {
        "clip_id": clip_id,
        "key": store.master_key(clip_id),
        "created_at": created_at,
        "title": command.title,
        "start_time": clip.start_time,
        "end_time": clip.end_time,
        "duration": clip.duration,
        "start_offset": clip.start_offset,
        "start_seconds": clip.start_seconds,
        "end_seconds": clip.end_seconds,
        "requested": {
            "start_time": clip.requested_start_time,
            "end_time": clip.requested_end_time,
            "start_seconds": clip.requested_start_seconds,
            "end_seconds": clip.requested_end_seconds,
        },
        "byte_range": clip.byte_range,
        "boundary": clip.boundary,
        "recording": {
            "id": recording_id_of(command.master_key),
            "key": command.master_key,
            "prefix": recording_key_of(command.master_key),
            "source_key": clip.source_master_path,
        },
        "renditions": [
            {
                "name": r.name,
                "kind": r.kind,
                "key": r.path,
                "segments": r.segments,
                "duration": r.duration,
            }
            for r in clip.renditions
        ],
    }


def iso_ms(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def make_handler(settings: Settings, storage: Storage, *, clock: Clock | None = None) -> LambdaHandler:
    """The Lambda handler over given settings and storage (tests inject both)."""
    store = ClipStore(storage, settings.clips_prefix)
    read = storage_reader(storage)
    now = clock or (lambda: datetime.now(UTC))

    def create(request: Request) -> Response:
        command = parse_command(read_json_object(request), settings)
        clip_id = command.clip_id
        existing = store.read(clip_id)
        if existing is not None:
            return Response(
                200, clip_view(existing, settings.public_base_url), log={"clip_id": clip_id, "existing": True}
            )
        engine_started = time.perf_counter()
        clip = clip_recording(
            command.master_key,
            ClipRequest(
                start=TimePoint(command.start_kind, command.start_us),  # type: ignore[arg-type]
                end=TimePoint(command.end_kind, command.end_us),  # type: ignore[arg-type]
                byte_range=command.byte_range,
                boundary=parse_boundary(command.boundary),
                max_seconds=settings.max_clip_seconds,
            ),
            read,
            store.master_key(clip_id),
        )
        engine_ms = round((time.perf_counter() - engine_started) * 1000, 1)
        doc = clip_document(command, clip, clip_id, store, iso_ms(now()))
        visible, created = store.save(doc, clip.playlists)
        log = {
            "clip_id": clip_id,
            "recording": command.master_key,
            "byte_range": clip.byte_range,
            "renditions": len(clip.renditions),
            "segments": sum(r.segments for r in clip.renditions),
            "clip_duration": clip.duration,
            "engine_ms": engine_ms,
            "existing": not created,
        }
        return Response(201 if created else 200, clip_view(visible, settings.public_base_url), log=log)

    return endpoint(route=ROUTE, methods=("POST",), allow_origins=settings.cors_allow_origins, action=create)


handler = lazy_handler(make_handler)
