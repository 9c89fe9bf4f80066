"""The one cursor codec: opaque page tokens bound to the listing that handed them out.

A cursor is URL-safe base64 of ``{"s": scope, "p": payload, "c": checksum}``. The checksum
catches damaged or hand-edited cursors, and the scope (for example the index prefix or the
listing's filters) stops a cursor of one listing from being replayed on another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

MAX_CURSOR_CHARS = 4096


class InvalidCursor(ValueError):
    """A cursor this service did not hand out, or one for another listing."""


def encode_cursor(scope: str, payload: Any) -> str:
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    raw = json.dumps({"s": scope, "p": payload, "c": _check(scope, body)}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, scope: str) -> Any:
    """The payload of a cursor made by :func:`encode_cursor` for ``scope``."""
    if not cursor or len(cursor) > MAX_CURSOR_CHARS or not cursor.isascii():
        raise InvalidCursor("cursor is not one this service handed out; start again without one")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor("cursor is not one this service handed out; start again without one") from None
    if not isinstance(data, dict) or set(data) != {"s", "p", "c"}:
        raise InvalidCursor("cursor is damaged; start again without one")
    if data["s"] != scope:
        raise InvalidCursor("cursor belongs to another listing; start again without one")
    body = json.dumps(data["p"], separators=(",", ":"), sort_keys=True)
    if data["c"] != _check(scope, body):
        raise InvalidCursor("cursor is damaged; start again without one")
    return data["p"]


def _check(scope: str, body: str) -> str:
    return hashlib.sha256(f"{scope}\n{body}".encode()).hexdigest()[:16]
