"""The stored clip document (``clips/<clip_id>.json``) as typed, versioned values.

The document holds keys, never URLs (a new public domain leaves no stale links), and everything
the API reports about a clip. Version 1 documents (written before this module) have no ``v``
field and read the same: new fields only ever get defaults. Version 3 added the lifecycle:
``owned`` (its media copied under the clip's prefix), ``expires_at``, ``thumbnail_key`` and the
``mp4`` export state; version 1 and 2 documents read as not owned, never expiring, no poster.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, cast

from handlers.web.times import epoch_ms, iso_ms, parse_iso

RECORD_VERSION = 3
Mp4Status = Literal["pending", "ready", "failed"]
MP4_STATUSES: tuple[Mp4Status, ...] = ("pending", "ready", "failed")


class DamagedRecord(ValueError):
    """A stored document that is not a clip record (hand-edited, truncated, another format)."""


@dataclass(frozen=True, slots=True)
class Window:
    """A span of a recording: ISO times (``None`` without program date times) and relative seconds."""

    start_time: str | None
    end_time: str | None
    start_seconds: float
    end_seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "start_time": self.start_time,
            "end_time": self.end_time,
            "start_seconds": self.start_seconds,
            "end_seconds": self.end_seconds,
        }

    @classmethod
    def from_json(cls, data: Any) -> Window:
        data = _object(data, "requested")
        return cls(
            _opt_str(data.get("start_time")),
            _opt_str(data.get("end_time")),
            _number(data.get("start_seconds")),
            _number(data.get("end_seconds")),
        )


@dataclass(frozen=True, slots=True)
class RecordingRef:
    """Which recording a clip cuts: its id, master key and prefix, and the master actually read."""

    id: str
    key: str
    prefix: str
    source_key: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "key": self.key, "prefix": self.prefix, "source_key": self.source_key}

    @classmethod
    def from_json(cls, data: Any) -> RecordingRef:
        data = _object(data, "recording")
        key = _str(data.get("key"), "recording.key")
        return cls(
            _str(data.get("id"), "recording.id"),
            key,
            _opt_str(data.get("prefix")) or "",
            _opt_str(data.get("source_key")) or key,
        )


@dataclass(frozen=True, slots=True)
class RenditionRecord:
    name: str
    kind: str
    key: str
    segments: int
    duration: float

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "key": self.key,
            "segments": self.segments,
            "duration": self.duration,
        }

    @classmethod
    def from_json(cls, data: Any) -> RenditionRecord:
        data = _object(data, "renditions[]")
        return cls(
            _str(data.get("name"), "rendition.name"),
            _opt_str(data.get("kind")) or "variant",
            _str(data.get("key"), "rendition.key"),
            int(_number(data.get("segments"))),
            _number(data.get("duration")),
        )


@dataclass(frozen=True, slots=True)
class Mp4State:
    """Where an MP4 export of the clip stands (filled by the export job; ``key`` once written)."""

    status: Mp4Status
    key: str | None = None
    rendition: str | None = None
    duration: float | None = None
    size: int | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "key": self.key,
            "rendition": self.rendition,
            "duration": self.duration,
            "size": self.size,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: Any) -> Mp4State:
        data = _object(data, "mp4")
        status = data.get("status")
        if status not in MP4_STATUSES:
            raise DamagedRecord(f"mp4.status must be one of {', '.join(MP4_STATUSES)}, not {status!r}")
        size = data.get("size")
        duration = data.get("duration")
        return cls(
            status=cast(Mp4Status, status),
            key=_opt_str(data.get("key")),
            rendition=_opt_str(data.get("rendition")),
            duration=None if duration is None else _number(duration),
            size=None if size is None else int(_number(size)),
            error=_opt_str(data.get("error")),
        )


@dataclass(frozen=True, slots=True)
class ClipRecord:
    """Everything the service knows about one clip."""

    clip_id: str
    key: str  # the clip's master playlist
    created_at: datetime
    title: str | None
    clip: Window  # the clip's actual edges (segment boundaries)
    requested: Window  # the window asked for, resolved on the recording's clock
    duration: float
    start_offset: float
    byte_range: bool
    boundary: str
    recording: RecordingRef
    renditions: tuple[RenditionRecord, ...]
    notices: tuple[dict[str, str], ...] = ()
    owned: bool = False  # True once its media are copies under the clip's own prefix
    expires_at: datetime | None = None  # None: never
    thumbnail_key: str | None = None  # the poster: a recording thumbnail, or its copy once owned
    mp4: Mp4State | None = None
    #: The recordings the clip is made of, in time order (``id``, ``key``, ``start_time``, ``end_time``);
    #: empty in documents written before clips could span recordings: then the one ``recording``.
    recordings: tuple[dict[str, Any], ...] = ()
    gaps: tuple[dict[str, Any], ...] = ()  # parts of the window no recording covers
    version: int = RECORD_VERSION
    extra: dict[str, Any] = field(default_factory=dict)  # fields of newer versions, kept on rewrite

    @property
    def created_ms(self) -> int:
        return epoch_ms(self.created_at)

    def expired(self, now: datetime) -> bool:
        """Whether the clip has expired at ``now`` (it is then gone for every reader at once)."""
        return self.expires_at is not None and self.expires_at <= now

    def with_changes(self, **changes: Any) -> ClipRecord:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.extra,
            "v": self.version,
            "clip_id": self.clip_id,
            "key": self.key,
            "created_at": iso_ms(self.created_at),
            "title": self.title,
            "start_time": self.clip.start_time,
            "end_time": self.clip.end_time,
            "start_seconds": self.clip.start_seconds,
            "end_seconds": self.clip.end_seconds,
            "duration": self.duration,
            "start_offset": self.start_offset,
            "requested": self.requested.to_json(),
            "byte_range": self.byte_range,
            "boundary": self.boundary,
            "recording": self.recording.to_json(),
            "renditions": [r.to_json() for r in self.renditions],
            "notices": [dict(n) for n in self.notices],
            "owned": self.owned,
            "expires_at": iso_ms(self.expires_at),
            "thumbnail_key": self.thumbnail_key,
            **({"mp4": self.mp4.to_json()} if self.mp4 is not None else {}),
            "recordings": [dict(r) for r in self.recordings] or [self._recording_entry()],
            "gaps": [dict(g) for g in self.gaps],
        }

    def _recording_entry(self) -> dict[str, Any]:
        return {
            "id": self.recording.id,
            "key": self.recording.key,
            "start_time": self.clip.start_time,
            "end_time": self.clip.end_time,
        }

    @classmethod
    def from_json(cls, data: Any) -> ClipRecord:
        """Read a stored document; :class:`DamagedRecord` says what is wrong with a bad one."""
        try:
            return cls._from_json(_object(data, "document"))
        except DamagedRecord:
            raise
        except (TypeError, ValueError, KeyError) as exc:
            raise DamagedRecord(f"not a clip record: {exc}") from None

    @classmethod
    def _from_json(cls, data: dict[str, Any]) -> ClipRecord:
        created = parse_iso(_str(data.get("created_at"), "created_at"))
        if created is None:
            raise DamagedRecord("created_at is not an ISO 8601 time")
        renditions = data.get("renditions")
        if not isinstance(renditions, list):
            raise DamagedRecord("renditions is not a list")
        raw_notices = data.get("notices")
        notices: list[Any] = raw_notices if isinstance(raw_notices, list) else []
        expires_at = None
        if data.get("expires_at") is not None:
            expires_at = parse_iso(_str(data.get("expires_at"), "expires_at"))
            if expires_at is None:
                raise DamagedRecord("expires_at is not an ISO 8601 time")
        return cls(
            clip_id=_str(data.get("clip_id"), "clip_id"),
            key=_str(data.get("key"), "key"),
            created_at=created,
            title=_opt_str(data.get("title")),
            clip=Window.from_json(data),
            requested=Window.from_json(data.get("requested")),
            duration=_number(data.get("duration")),
            start_offset=_number(data.get("start_offset")),
            byte_range=bool(data.get("byte_range")),
            boundary=_opt_str(data.get("boundary")) or "outer",
            recording=RecordingRef.from_json(data.get("recording")),
            renditions=tuple(RenditionRecord.from_json(r) for r in renditions),
            notices=tuple({str(k): str(v) for k, v in n.items()} for n in notices if isinstance(n, dict)),
            owned=data.get("owned") is True,
            expires_at=expires_at,
            thumbnail_key=_opt_str(data.get("thumbnail_key")),
            mp4=None if data.get("mp4") is None else Mp4State.from_json(data["mp4"]),
            recordings=_objects(data.get("recordings")),
            gaps=_objects(data.get("gaps")),
            version=int(data.get("v", 1)),
            extra={k: v for k, v in data.items() if k not in _KNOWN},
        )


_KNOWN = frozenset(
    {
        "v",
        "clip_id",
        "key",
        "created_at",
        "title",
        "start_time",
        "end_time",
        "start_seconds",
        "end_seconds",
        "duration",
        "start_offset",
        "requested",
        "byte_range",
        "boundary",
        "recording",
        "renditions",
        "notices",
        "owned",
        "expires_at",
        "thumbnail_key",
        "mp4",
        "recordings",
        "gaps",
    }
)


def _objects(value: Any) -> tuple[dict[str, Any], ...]:
    """A list of JSON objects (absent in older documents: none)."""
    return tuple(dict(v) for v in value if isinstance(v, dict)) if isinstance(value, list) else ()


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DamagedRecord(f"{what} is not an object")
    return value


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise DamagedRecord(f"{what} is missing or not text")
    return value


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DamagedRecord(f"{value!r} is not a number")
    return float(value)
