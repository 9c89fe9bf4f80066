"""IVS recording events JSON (``events/recording-*.json``) parsed once into typed facts.

The docs say to discover renditions and paths from these files rather than assume them, and the
files vary: rendition order is not stable, ``byte_range_playlist`` and ``resolution_*`` may be
absent, thumbnails may be off. Everything is read defensively here so nothing downstream handles
raw dictionaries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.web.times import parse_iso

#: Which events file decides the status, most final first (IVS never writes both ended and failed).
EVENT_FILES: tuple[tuple[str, str], ...] = (
    ("ended", "recording-ended.json"),
    ("failed", "recording-failed.json"),
    ("recording", "recording-started.json"),
)
DEFAULT_HLS_PATH = "media/hls"
DEFAULT_MASTER = "master.m3u8"
DEFAULT_BYTE_RANGE_MASTER = "byte-range-multivariant.m3u8"
DEFAULT_THUMBNAILS = "media/thumbnails"
DEFAULT_LATEST_THUMBNAIL = "media/latest_thumbnail/thumb.jpg"


@dataclass(frozen=True, slots=True)
class Rendition:
    name: str
    width: int | None
    height: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "width": self.width, "height": self.height}


@dataclass(frozen=True, slots=True)
class RecordingEvents:
    """What a recording's newest events file says; defaults where it says nothing."""

    status: str  # "recording" | "ended" | "failed" | "unknown" (no events file)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_ms: int | None = None
    hls_path: str = DEFAULT_HLS_PATH
    master_name: str = DEFAULT_MASTER
    byte_range_name: str | None = None  # None: the file does not say
    renditions: tuple[Rendition, ...] = ()  # highest first
    thumbnails_path: str | None = None  # None: sequential thumbnails off (or not said)
    latest_thumbnail_path: str | None = None
    from_file: bool = False  # False: no events file was read
    # IVS Real-Time (participant and composite recordings); empty for low-latency ones.
    stage_arn: str | None = None
    session_id: str | None = None
    participant_id: str | None = None
    #: Sub-folders of the thumbnail folders (``high``; ``1280x720`` for composites): RT nests them.
    thumbnail_folders: tuple[str, ...] = ()
    #: The events say "composite": renditions with ``resolution_*`` or thumbnails by ``resolutions[]``.
    composite_hint: bool = False

    @property
    def duration(self) -> float | None:
        return None if self.duration_ms is None else self.duration_ms / 1000


def status_of_files(names: frozenset[str]) -> tuple[str, str | None]:
    """The status the listed events files give, and the file to read for it."""
    for status, file in EVENT_FILES:
        if file in names:
            return status, file
    return "unknown", None


def parse_events(body: bytes | None, status: str) -> RecordingEvents:
    """Typed facts from an events file's bytes (``None`` or unreadable: defaults only)."""
    data = _json_object(body) if body is not None else None
    if data is None:
        return RecordingEvents(status=status)
    media = _object(data.get("media"))
    hls = _object(media.get("hls"))
    thumbnails = media.get("thumbnails")
    latest = media.get("latest_thumbnail")
    renditions = _renditions(hls.get("renditions"))
    folders = _thumbnail_folders(thumbnails) or _thumbnail_folders(latest)
    realtime = "stage_arn" in data
    return RecordingEvents(
        status=status,
        started_at=_time(data.get("recording_started_at")),
        ended_at=_time(data.get("recording_ended_at")),
        duration_ms=_duration_ms(hls.get("duration_ms")),
        hls_path=relative_path(hls.get("path"), DEFAULT_HLS_PATH),
        master_name=relative_path(hls.get("playlist"), DEFAULT_MASTER),
        byte_range_name=relative_path(hls["byte_range_playlist"], "") or None if "byte_range_playlist" in hls else None,
        renditions=by_height(renditions),
        thumbnails_path=relative_path(thumbnails.get("path"), DEFAULT_THUMBNAILS)
        if isinstance(thumbnails, dict)
        else None,
        latest_thumbnail_path=relative_path(latest.get("path"), DEFAULT_LATEST_THUMBNAIL)
        if isinstance(latest, dict)
        else None,
        from_file=True,
        stage_arn=_text(data.get("stage_arn")),
        session_id=_text(data.get("session_id")),
        participant_id=_text(data.get("participant_id")),
        thumbnail_folders=folders,
        composite_hint=realtime
        and (
            any(r.height is not None for r in renditions)
            or any(isinstance(t, dict) and isinstance(t.get("resolutions"), list) for t in (thumbnails, latest))
        ),
    )


def _thumbnail_folders(section: Any) -> tuple[str, ...]:
    """RT thumbnail sub-folders: ``renditions[].path`` (participants) or ``resolutions[]`` as ``WxH``.

    AWS documents the composite thumbnail folders as ``media/thumbnails/<WxH>/`` without the JSON
    field names of ``resolutions[]`` items; ``width``/``height`` and ``resolution_*`` are both read.
    """
    if not isinstance(section, dict):
        return ()
    found: list[str] = []
    for item in section.get("renditions") or []:
        if isinstance(item, dict) and (path := relative_path(item.get("path"), "")):
            found.append(path)
    for item in section.get("resolutions") or []:
        if isinstance(item, dict):
            width = _int(item.get("width", item.get("resolution_width")))
            height = _int(item.get("height", item.get("resolution_height")))
            if width and height:
                found.append(f"{width}x{height}")
    return tuple(dict.fromkeys(found))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def by_height(renditions: list[Rendition]) -> tuple[Rendition, ...]:
    """Highest first, as the IVS docs pick "the highest" rendition (listing order is not stable)."""
    return tuple(sorted(renditions, key=lambda r: (-(r.height or 0), -(r.width or 0), r.name)))


def relative_path(value: Any, default: str) -> str:
    """A path from the events JSON, used only if it stays inside the recording's prefix."""
    if isinstance(value, str) and value.strip("/") and not value.startswith("/") and ".." not in value.split("/"):
        return value.strip("/")
    return default


def _renditions(items: Any) -> list[Rendition]:
    if not isinstance(items, list):
        return []
    return [
        Rendition(item["path"], _int(item.get("resolution_width")), _int(item.get("resolution_height")))
        for item in items
        if isinstance(item, dict) and isinstance(item.get("path"), str) and item["path"]
    ]


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _duration_ms(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e15:
        return None
    return int(value)


def _time(value: Any) -> datetime | None:
    return parse_iso(value) if isinstance(value, str) else None
