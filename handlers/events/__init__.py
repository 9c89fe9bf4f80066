"""Clip events (``Clip Created``, ``Clip Deleted``, ``Clip Expired``, ``Clip Promoted``).

With ``EVENT_BUS_NAME`` set they go to that EventBridge bus (source ``ivs-clip-manifest``, the
clip document as detail); without it, to the log. Publishing never fails the request that
caused it: an event is a notice after the fact, and the stored clip is the truth.
"""

from __future__ import annotations

from handlers.events.publisher import (
    SOURCE,
    EventBridgePublisher,
    EventPublisher,
    LogPublisher,
    publisher_for,
)

CLIP_CREATED = "Clip Created"
CLIP_DELETED = "Clip Deleted"
CLIP_EXPIRED = "Clip Expired"
CLIP_PROMOTED = "Clip Promoted"

__all__ = [
    "CLIP_CREATED",
    "CLIP_DELETED",
    "CLIP_EXPIRED",
    "CLIP_PROMOTED",
    "SOURCE",
    "EventBridgePublisher",
    "EventPublisher",
    "LogPublisher",
    "publisher_for",
]
