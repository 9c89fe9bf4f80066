"""Reading and writing instants: program date times, request times, ISO output.

The engine works in integer microseconds since the Unix epoch so that sums of EXTINF values and
comparisons with program date times are exact and cheap.
"""

from __future__ import annotations

import math
import re
from calendar import timegm
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from .errors import InvalidTime

US = 1_000_000
#: Numbers at or above this are Unix epoch seconds; below, seconds relative to the recording start.
EPOCH_THRESHOLD = 1e9
#: Numbers above this are taken for epoch milliseconds, which the API refuses.
EPOCH_MS_THRESHOLD = 1e11
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)
_hour_cache: dict[str, int] = {}
#: The instants the engine can write back (years 1 to 9999 in UTC, to the millisecond).
MIN_US = (datetime(1, 1, 1, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)
MAX_US = (datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class TimePoint:
    """A request time: ``relative`` microseconds from the recording start, or ``absolute`` epoch µs."""

    kind: Literal["relative", "absolute"]
    us: int


def parse_pdt(text: str) -> int:
    """Epoch microseconds of an ISO 8601 date time, as written in ``#EXT-X-PROGRAM-DATE-TIME``.

    Accepts ``Z``, ``±hh:mm``, ``±hhmm``, ``±hh`` or no zone (UTC, as RFC 8216bis says) and 0 to 9
    fractional digits. The common IVS shape takes a fast path that caches the date and hour,
    because a long playlist repeats them thousands of times. An instant that a zone pushes out of
    years 1 to 9999 UTC is refused, so that no later step overflows writing it.
    """
    value = _parse_pdt(text)
    if not MIN_US <= value <= MAX_US:
        raise ValueError(f"date time out of range (years 1 to 9999 UTC): {text!r}")
    return value


def _parse_pdt(text: str) -> int:
    try:
        if text[10] == "T" and text[13] == ":" and text[16] == ":":
            base = _hour_cache.get(text[:13])
            if base is None:
                hour = datetime(int(text[:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), tzinfo=UTC)
                base = timegm(hour.timetuple())
                if len(_hour_cache) > 4096:
                    _hour_cache.clear()
                _hour_cache[text[:13]] = base
            rest = text[19:]
            minute, second = int(text[14:16]), int(text[17:19])
            if minute > 59 or second > 59 or text[4] != "-" or text[7] != "-":
                raise ValueError(text)
            seconds = base + minute * 60 + second
            micros = 0
            if rest[:1] == ".":
                end = 1
                while end < len(rest) and rest[end].isdigit():
                    end += 1
                digits = rest[1:end]
                if not digits:
                    raise ValueError(text)
                micros = int((digits + "00000")[:6])
                rest = rest[end:]
            if rest in ("Z", "", "z"):
                return seconds * US + micros
            return (seconds - _zone_seconds(rest)) * US + micros
    except (IndexError, ValueError):
        pass
    return _parse_iso_slow(text)


def _zone_seconds(zone: str) -> int:
    if len(zone) not in (3, 5, 6) or zone[0] not in "+-" or (len(zone) == 6 and zone[3] != ":"):
        raise ValueError(zone)
    hours = int(zone[1:3])
    minutes = int(zone[-2:]) if len(zone) > 3 else 0
    if hours > 23 or minutes > 59:
        raise ValueError(zone)
    sign = 1 if zone[0] == "+" else -1
    return sign * (hours * 3600 + minutes * 60)


def _parse_iso_slow(text: str) -> int:
    match = _ISO.fullmatch(text.strip())
    if not match:
        raise ValueError(f"not an ISO 8601 date time: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"not a valid date time: {text!r} ({exc})") from None
    micros = int(((fraction or "") + "000000")[:6])
    offset = 0 if zone in (None, "Z", "z") else _zone_seconds(zone)
    return timegm(moment.timetuple()) * US + micros - offset * US


def format_iso(us: int) -> str:
    """ISO 8601 UTC with milliseconds and ``Z``: the one form the API answers with."""
    ms = (us + 500) // 1000
    moment = _EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def seconds(us: int) -> float:
    """Microseconds as seconds rounded to the millisecond, for JSON answers."""
    return round(us / US, 3)


def parse_time(value: object, field: str) -> TimePoint:
    """Read a request time; every refusal names the field and says what is accepted."""
    if isinstance(value, bool) or value is None:
        raise InvalidTime(f"{field} must be a number of seconds or an ISO 8601 date time", field=field)
    if isinstance(value, int | float):
        try:
            return _from_number(float(value), field)
        except OverflowError:
            return _from_number(math.inf, field)
    if not isinstance(value, str):
        raise InvalidTime(f"{field} must be a number of seconds or an ISO 8601 date time", field=field)
    text = value.strip()
    if not text or len(text) > 64:
        raise InvalidTime(f"{field} must be a number of seconds or an ISO 8601 date time", field=field)
    if _looks_numeric(text):
        try:
            number = float(text)
        except ValueError:
            raise InvalidTime(f"{field} is not a valid number: {text!r}", field=field) from None
        return _from_number(number, field)
    try:
        return TimePoint("absolute", parse_pdt(text))
    except ValueError:
        raise InvalidTime(
            f"{field} is not a valid ISO 8601 date time: {text!r} (example: 2024-05-01T12:00:00.000Z)",
            field=field,
        ) from None


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text))


def _from_number(number: float, field: str) -> TimePoint:
    if math.isnan(number) or math.isinf(number):
        raise InvalidTime(f"{field} must be a finite number", field=field)
    if number < 0:
        raise InvalidTime(f"{field} must not be negative (got {number:g})", field=field)
    if number > EPOCH_MS_THRESHOLD:
        raise InvalidTime(
            f"{field} looks like epoch milliseconds ({number:.0f}); send epoch seconds instead "
            f"(for example {number / 1000:.3f}) or an ISO 8601 date time",
            field=field,
        )
    kind: Literal["relative", "absolute"] = "absolute" if number >= EPOCH_THRESHOLD else "relative"
    return TimePoint(kind, round(number * US))
