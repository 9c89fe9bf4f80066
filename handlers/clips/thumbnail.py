"""The poster of a clip: the recording's IVS thumbnail nearest the clip's start.

IVS writes ``media/thumbnails/thumb<N>.jpg`` every ``targetIntervalSeconds`` (60 s unless the
recording configuration says otherwise), N counting intervals from the recording's start. The
events JSON names the folder (and says when thumbnails are off); the interval is read from it
when present (``media.thumbnails.target_interval_seconds``), else from the setting. One listing
of the folder's first page bounds N by what exists. Cost per clip: at most two GETs and one LIST.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from handlers.recordings.events import DEFAULT_THUMBNAILS, parse_events
from handlers.storage.base import NotFound, Storage

_THUMB = re.compile(r"thumb(\d+)\.jpg")
_EVENT_FILES = (("ended", "recording-ended.json"), ("recording", "recording-started.json"))


def nearest_thumbnail(storage: Storage, recording_prefix: str, start_seconds: float, interval: float) -> str | None:
    """The key of the thumbnail nearest ``start_seconds`` into the recording, or ``None``."""
    status, body = _events(storage, recording_prefix)
    events = parse_events(body, status)
    if events.from_file and events.thumbnails_path is None:
        return None  # thumbnails are off for this recording
    interval = _interval(body) or interval
    folder = f"{recording_prefix}{events.thumbnails_path or DEFAULT_THUMBNAILS}/"
    numbered: dict[int, str] = {}
    for obj in storage.list(folder, limit=1000).objects:
        match = _THUMB.fullmatch(obj.key[len(folder) :])
        if match:
            numbered[int(match.group(1))] = obj.key
    if not numbered:
        return None
    wanted = math.floor(max(0.0, start_seconds) / interval + 0.5)
    return numbered[min(numbered, key=lambda n: (abs(n - wanted), n))]


def _events(storage: Storage, recording_prefix: str) -> tuple[str, bytes | None]:
    for status, name in _EVENT_FILES:
        try:
            return status, storage.get(f"{recording_prefix}events/{name}")
        except NotFound:
            continue
    return "unknown", None


def _interval(body: bytes | None) -> float | None:
    if body is None:
        return None
    try:
        data: Any = json.loads(body)
        value = data["media"]["thumbnails"]["target_interval_seconds"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e6:
        return None
    return float(value)
