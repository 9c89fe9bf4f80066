"""The source fields of ``POST /clipmanifest``: which recording(s) and which window.

Either ``master_url`` (one recording) or ``channel`` (every recording of the channel that
overlaps the window), and either ``start_time``/``end_time`` or ``last_seconds`` (the newest
part of the recording, for clips of a live broadcast). With ``channel`` the window must be
absolute: relative seconds count from a recording's start, and a channel has many.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clipping import InvalidTime, TimePoint, parse_time
from handlers.channels.ids import ChannelRef, parse_channel
from handlers.config import Settings
from handlers.recordings.source import resolve_master_key
from handlers.web.errors import HttpError

FIELDS = ("master_url", "channel", "start_time", "end_time", "last_seconds")


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """Exactly one of ``master_key``/``channel``; a window (``start``, ``end``) or ``last_seconds``."""

    master_key: str | None = None
    channel: ChannelRef | None = None
    start: TimePoint | None = None
    end: TimePoint | None = None
    last_seconds: float | None = None

    @property
    def live(self) -> bool:
        return self.last_seconds is not None


def parse_source(body: Mapping[str, Any], settings: Settings) -> SourceSpec:
    """Check the source and window fields; the first fault names its field."""
    master_url, channel = body.get("master_url"), body.get("channel")
    if master_url is not None and channel is not None:
        raise HttpError(400, "invalid_field", "give master_url or channel, not both", field="channel")
    if master_url is None and channel is None:
        raise HttpError(400, "missing_field", "master_url (or channel) is required", field="master_url")
    master_key = None
    ref = None
    if master_url is not None:
        master_key = resolve_master_key(
            master_url,
            public_base_url=settings.public_base_url,
            bucket=settings.bucket,
            recordings_prefixes=settings.recordings_prefixes,
            clips_prefix=settings.clips_prefix,
        )
    else:
        ref = parse_channel(channel)
    if body.get("last_seconds") is not None:
        return SourceSpec(master_key, ref, last_seconds=_last_seconds(body, settings.max_clip_seconds))
    for name in ("start_time", "end_time"):
        if body.get(name) is None:
            raise HttpError(400, "missing_field", f"{name} is required (or last_seconds)", field=name)
    start, end = parse_time(body["start_time"], "start_time"), parse_time(body["end_time"], "end_time")
    if ref is not None:
        for point, name in ((start, "start_time"), (end, "end_time")):
            if point.kind == "relative":
                raise InvalidTime(
                    f"{name} must be an absolute time (epoch seconds or ISO 8601) when clipping by channel: "
                    "relative seconds count from one recording's start",
                    field=name,
                )
    return SourceSpec(master_key, ref, start, end)


def _last_seconds(body: Mapping[str, Any], max_seconds: float) -> float:
    for name in ("start_time", "end_time"):
        if body.get(name) is not None:
            raise HttpError(400, "invalid_field", f"give last_seconds or {name}, not both", field="last_seconds")
    value = body["last_seconds"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise HttpError(400, "invalid_field", "last_seconds must be a number of seconds", field="last_seconds")
    if not 1 <= value <= max_seconds:
        raise HttpError(
            400, "invalid_field", f"last_seconds must be from 1 to {max_seconds:g} seconds", field="last_seconds"
        )
    return float(value)
