"""Publishers behind one small protocol: EventBridge ``PutEvents``, or the log."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import Any, Protocol, TextIO

from handlers import logs
from handlers.config import Settings

SOURCE = "ivs-clip-manifest"
#: PutEvents refuses entries over 256 KB; a clip document is a few KB.
MAX_ENTRY_BYTES = 256 * 1024
#: Two attempts, short timeouts: an event must not hold the request up for long. (botocore is
#: imported only when a bus is configured: without one, clip functions need not load it for events.)
CLIENT_CONFIG: dict[str, Any] = {
    "retries": {"mode": "standard", "total_max_attempts": 2},
    "connect_timeout": 2,
    "read_timeout": 5,
}


class EventPublisher(Protocol):
    def publish(self, detail_type: str, detail: Mapping[str, Any]) -> bool:
        """Send one event; says whether it was accepted. Never raises."""
        ...


class LogPublisher:
    """The stand-in without a bus: one JSON ``event`` line per event on ``stream`` (stderr).

    Not stdout: there each line is a request's access line, one per request.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def publish(self, detail_type: str, detail: Mapping[str, Any]) -> bool:
        fields = {"source": SOURCE, "detail_type": detail_type, "clip_id": detail.get("clip_id"), "detail": detail}
        logs.emit("INFO", "event", stream=self.stream or sys.stderr, **fields)
        return True


class EventBridgePublisher:
    """``PutEvents`` on ``bus``; a refused entry (``FailedEntryCount``) or a failed call is logged.

    The client is made on first use for the environment's region; ``AWS_ENDPOINT_URL_EVENTS``
    (or ``AWS_ENDPOINT_URL``) points it elsewhere, as ``AWS_ENDPOINT_URL_S3`` does for storage.
    """

    def __init__(self, bus: str, client: Any = None) -> None:
        self.bus = bus
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            env = os.environ
            self._client = boto3.session.Session().client(
                "events",
                region_name=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
                endpoint_url=env.get("AWS_ENDPOINT_URL_EVENTS") or env.get("AWS_ENDPOINT_URL") or None,
                config=Config(**CLIENT_CONFIG),
            )
        return self._client

    def publish(self, detail_type: str, detail: Mapping[str, Any]) -> bool:
        body = json.dumps(detail, separators=(",", ":"), default=str)
        clip_id = detail.get("clip_id")
        if len(body.encode()) > MAX_ENTRY_BYTES:
            return _not_published(detail_type, clip_id, "too large")
        entry = {"Source": SOURCE, "DetailType": detail_type, "Detail": body, "EventBusName": self.bus}
        try:
            response = self.client.put_events(Entries=[entry])
        except Exception as exc:  # never fail the change that caused the event
            return _not_published(detail_type, clip_id, str(exc))
        if response.get("FailedEntryCount"):
            failed = (response.get("Entries") or [{}])[0]
            return _not_published(detail_type, clip_id, f"{failed.get('ErrorCode')}: {failed.get('ErrorMessage')}")
        logs.emit("INFO", "event published", stream=sys.stderr, detail_type=detail_type, clip_id=clip_id, bus=self.bus)
        return True


def _not_published(detail_type: str, clip_id: Any, error: str) -> bool:
    """Log why an event was not published; the answer for :meth:`EventPublisher.publish` (False)."""
    logs.emit("ERROR", "event not published", stream=sys.stderr, detail_type=detail_type, clip_id=clip_id, error=error)
    return False


def publisher_for(settings: Settings) -> EventPublisher:
    """EventBridge when the deployment names a bus, the log otherwise."""
    if settings.event_bus_name:
        return EventBridgePublisher(settings.event_bus_name)
    return LogPublisher()
