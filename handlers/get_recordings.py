"""GET /getrecordings: the IVS recordings in the bucket, newest first, with their playlist URLs."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from handlers.config import Settings
from handlers.http import (
    HttpError,
    LambdaHandler,
    Request,
    Response,
    endpoint,
    lazy_handler,
    query_int,
    query_str,
)
from handlers.recordings import MAX_LIMIT, InvalidCursor, list_recordings
from handlers.storage.base import Storage

ROUTE = "GET /getrecordings"
DEFAULT_LIMIT = 50
_CHANNEL = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def query_time(request: Request, name: str) -> datetime | None:
    """An ISO 8601 query time as an aware UTC datetime (no zone means UTC), or a 400 naming it."""
    if request.query.get(name) is None:
        return None
    raw = query_str(request, name, max_length=64) or ""
    try:
        moment = datetime.fromisoformat(raw.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise HttpError(
            400,
            "invalid_parameter",
            f"{name} must be an ISO 8601 date time such as 2024-05-01T12:00:00Z",
            field=name,
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def make_handler(settings: Settings, storage: Storage) -> LambdaHandler:
    """The Lambda handler over given settings and storage (tests inject both)."""

    def recordings(request: Request) -> Response:
        channel = query_str(request, "channel", max_length=256)
        if channel is not None and not _CHANNEL.match(channel):
            raise HttpError(
                400, "invalid_parameter", "channel must be a channel id (the end of its ARN)", field="channel"
            )
        since, until = query_time(request, "from"), query_time(request, "to")
        if since and until and since >= until:
            raise HttpError(400, "invalid_parameter", "from must be earlier than to", field="to")
        limit = query_int(request, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
        cursor = query_str(request, "cursor", max_length=4096)
        try:
            page = list_recordings(
                storage,
                public_base_url=settings.public_base_url,
                prefix=settings.recordings_prefix,
                channel=channel,
                since=since,
                until=until,
                limit=limit,
                cursor=cursor,
            )
        except InvalidCursor as exc:
            raise HttpError(400, "invalid_cursor", str(exc), field="cursor") from None
        except ValueError as exc:
            raise HttpError(400, "invalid_parameter", str(exc)) from None
        return Response(200, page.to_dict())

    return endpoint(route=ROUTE, methods=("GET",), allow_origins=settings.cors_allow_origins, action=recordings)


handler = lazy_handler(make_handler)
