"""Lambda entry point of the scheduled sweep: remove expired clips' objects (an EventBridge schedule).

Expired clips are already 404 and unlisted (readers check the expiry); the sweep frees their
storage. It reads only the expiry index entries that are due, so its cost follows the number
of clips expiring, not the number of clips. It also finishes deletions a crash interrupted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from handlers import logs
from handlers.clips.service import SWEEP_LIMIT, ClipService, Clock
from handlers.config import Settings
from handlers.events import EventPublisher
from handlers.storage.base import Storage
from handlers.web.http import lazy_handler

SweepHandler = Callable[[Mapping[str, Any], Any], dict[str, Any]]


def make_handler(
    settings: Settings,
    storage: Storage,
    *,
    clock: Clock | None = None,
    events: EventPublisher | None = None,
    limit: int = SWEEP_LIMIT,
) -> SweepHandler:
    """The sweep over given settings and storage; its answer says what it removed."""
    service = ClipService(settings, storage, clock, events)

    def sweep(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        report = service.sweep(limit)
        summary = {
            "expired": report.expired,
            "finished_deletions": report.finished_deletions,
            "stale_entries": report.stale_entries,
        }
        logs.info("sweep", **summary)
        return summary

    return sweep


handler = lazy_handler(make_handler)
