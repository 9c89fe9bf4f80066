"""The one way the API writes and reads instants: ISO 8601 UTC with milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

#: Earliest and latest instants the API reads: outside them datetime arithmetic overflows.
_MIN = datetime(1970, 1, 1, tzinfo=UTC)
_MAX = datetime(9000, 1, 1, tzinfo=UTC)


def iso_ms(moment: datetime | None) -> str | None:
    """``2023-02-09T22:55:41.000Z``: always milliseconds and ``Z``, as the README promises."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime | None:
    """An aware UTC datetime from ISO 8601 (no zone means UTC), or ``None`` when unreadable.

    Instants outside 1970..9000 are unreadable too: they overflow when shifted by a zone or
    turned into epoch numbers, and no recording or clip lives there.
    """
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return utc if _MIN <= utc < _MAX else None


def epoch_ms(moment: datetime) -> int:
    """Whole milliseconds since the epoch, truncated as :func:`iso_ms` truncates (exact, no float)."""
    return (moment - _MIN) // timedelta(milliseconds=1)


def truncate_ms(moment: datetime) -> datetime:
    """The instant as stored: :func:`iso_ms` keeps milliseconds only, so values compare after a round trip."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
