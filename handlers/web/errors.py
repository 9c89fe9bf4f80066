"""Refusals as HTTP sees them: one error type and the one table from codes to statuses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clipping.errors import ClipError


class HttpError(Exception):
    """A refusal to send back as ``{"error", "code", "field"?, ...details}`` with ``status``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        details: Mapping[str, Any] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.details = dict(details or {})


#: The one place engine and domain codes become HTTP statuses; a code not listed is a 400.
STATUS_BY_CODE: Mapping[str, int] = {
    "not_found": 404,
    "no_byte_range": 404,
    "invalid_playlist": 422,
    "out_of_range": 422,
    "no_common_rendition": 422,
    "too_long": 422,
    "conflict": 409,
    "gone": 410,
    "not_promotable": 422,
}


def status_of(code: str) -> int:
    return STATUS_BY_CODE.get(code, 400)


def from_clip_error(exc: ClipError) -> HttpError:
    """Engine and domain refusals carry a code; the status comes from :data:`STATUS_BY_CODE`."""
    return HttpError(status_of(exc.code), exc.code, exc.message, field=exc.field, details=exc.details)


def invalid_parameter(name: str, message: str) -> HttpError:
    return HttpError(400, "invalid_parameter", message, field=name)


def not_found(message: str) -> HttpError:
    return HttpError(404, "not_found", message)
