"""A ``POST /clipmanifest`` body parsed once into a typed command; the first fault names its field.

Everything downstream (window resolution, the engine, the store) takes these values as they are
and checks nothing again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from clipping import Boundary, ClipRequest, TimePoint, parse_boundary
from handlers.channels.ids import ChannelRef
from handlers.channels.request import parse_source
from handlers.config import Settings
from handlers.web.errors import HttpError
from handlers.web.http import is_clean_text
from handlers.web.times import parse_iso, truncate_ms

MAX_TITLE = 200
CLIP_ID_HEX = 24  # 96 bits of sha256: collisions are out of reach for any number of clips
FIELDS = (
    "start_time",
    "end_time",
    "master_url",
    "channel",
    "last_seconds",
    "byte_range",
    "boundary",
    "title",
    "expires_at",
)
#: Epoch numbers at or above this are milliseconds, not seconds (the year 5138 in seconds).
EPOCH_MS_FROM = 1e11


@dataclass(frozen=True, slots=True)
class ClipCommand:
    """A validated request: which recording (or channel), which window, which options.

    ``master_key`` is ``""`` for a channel clip; ``start``/``end`` are ``None`` with ``last_seconds``
    until the service resolves the live window (see :mod:`handlers.channels`).
    """

    master_key: str
    start: TimePoint | None
    end: TimePoint | None
    byte_range: bool = False
    boundary: Boundary = "outer"
    title: str | None = None
    expires_at: datetime | None = None  # not part of the clip's identity: see clip_id
    channel: ChannelRef | None = None
    last_seconds: float | None = None

    def engine_request(self, max_seconds: float) -> ClipRequest:
        if self.start is None or self.end is None:
            raise ValueError("the live window is resolved by the service before the engine runs")
        return ClipRequest(self.start, self.end, self.byte_range, self.boundary, max_seconds)


def clip_id(command: ClipCommand, resolved: ClipRequest) -> str:
    """Same source, resolved window and options → same id, so a repeated request finds its clip.

    ``resolved`` has the window on the recording's clock: ``11``, the matching epoch seconds and
    the matching ISO text all resolve to the same instants and name one clip.
    """
    identity = {
        "v": 2,
        "master": command.master_key,
        "start": [resolved.start.kind, resolved.start.us],
        "end": [resolved.end.kind, resolved.end.us],
        "byte_range": resolved.byte_range,
        "boundary": resolved.boundary,
    }
    return identity_digest(identity)


def identity_digest(identity: Mapping[str, Any]) -> str:
    """A clip id from what makes a clip that clip (its JSON, keys sorted)."""
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:CLIP_ID_HEX]


def parse_command(body: Mapping[str, Any], settings: Settings) -> ClipCommand:
    """Check every field of the body (engine refusals such as bad times name their field too)."""
    _refuse_unknown(body)
    source = parse_source(body, settings)
    return ClipCommand(
        master_key=source.master_key or "",
        start=source.start,
        end=source.end,
        channel=source.channel,
        last_seconds=source.last_seconds,
        byte_range=_byte_range(body.get("byte_range")),
        boundary=parse_boundary("outer" if body.get("boundary") is None else body["boundary"]),
        title=_title(body.get("title")),
        expires_at=parse_expiry(body.get("expires_at")),
    )


def _refuse_unknown(body: Mapping[str, Any]) -> None:
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise HttpError(
            400, "unknown_field", f"unknown field {unknown[0]!r}; accepted: {', '.join(FIELDS)}", field=unknown[0]
        )


def _byte_range(value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise HttpError(400, "invalid_field", "byte_range must be true or false", field="byte_range")
    return value


def _title(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TITLE or not is_clean_text(value):
        raise HttpError(
            400,
            "invalid_field",
            f"title must be text of at most {MAX_TITLE} characters without control characters",
            field="title",
        )
    return value or None


def parse_expiry(value: Any) -> datetime | None:
    """``expires_at`` as an instant: ISO 8601 text or epoch seconds (a number or numeric text).

    Whether it lies in the future is checked against the service's clock when the clip is made.
    """
    if value is None:
        return None
    moment: datetime | None = None
    number = _epoch_number(value)
    if number is not None:
        if number >= EPOCH_MS_FROM:
            raise _bad_expiry("expires_at looks like epoch milliseconds; send epoch seconds or ISO 8601")
        if number > 0:
            try:
                moment = datetime.fromtimestamp(number, tz=UTC)
            except (OverflowError, OSError, ValueError):
                moment = None
    elif isinstance(value, str) and len(value) <= 64:
        moment = parse_iso(value)
    if moment is None:
        raise _bad_expiry("expires_at must be an ISO 8601 date time (2030-01-01T00:00:00Z) or epoch seconds")
    return truncate_ms(moment)


def _epoch_number(value: Any) -> float | None:
    if isinstance(value, bool):
        raise _bad_expiry("expires_at must be a date time, not true or false")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip()) if value.strip().replace(".", "", 1).isdigit() else None
        except ValueError:
            return None
    return None


def _bad_expiry(message: str) -> HttpError:
    return HttpError(400, "invalid_field", message, field="expires_at")
