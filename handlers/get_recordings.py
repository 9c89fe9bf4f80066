"""Lambda entry point of ``GET /getrecordings``: the recordings in the bucket, newest first."""

from __future__ import annotations

from handlers.config import Settings
from handlers.keys import is_resource_id
from handlers.recordings.listing import MAX_LIMIT, list_recordings
from handlers.storage.base import Storage
from handlers.web.cursors import InvalidCursor
from handlers.web.errors import HttpError, invalid_parameter
from handlers.web.http import (
    LambdaHandler,
    Request,
    Response,
    endpoint,
    lazy_handler,
    query_int,
    query_str,
    query_time,
)

ROUTE = "GET /getrecordings"
DEFAULT_LIMIT = 50


def make_handler(settings: Settings, storage: Storage) -> LambdaHandler:
    """The handler over given settings and storage (tests inject both)."""

    def recordings(request: Request) -> Response:
        channel = query_str(request, "channel", max_length=256)
        if request.query.get("channel") == "" or (channel is not None and not is_resource_id(channel)):
            raise invalid_parameter("channel", "channel must be a channel id (the end of its ARN)")
        since, until = query_time(request, "from"), query_time(request, "to")
        if since and until and since >= until:
            raise invalid_parameter("to", "from must be earlier than to")
        limit = query_int(request, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
        cursor = query_str(request, "cursor", max_length=4096)
        try:
            page = list_recordings(
                storage,
                public_base_url=settings.public_base_url,
                prefix=settings.recordings_prefixes[0] or "ivs/",
                channel=channel,
                since=since,
                until=until,
                limit=limit,
                cursor=cursor,
            )
        except InvalidCursor as exc:
            raise HttpError(400, "invalid_cursor", str(exc), field="cursor") from None
        return Response(200, page.to_dict())

    return endpoint(route=ROUTE, methods=("GET",), allow_origins=settings.cors_allow_origins, action=recordings)


handler = lazy_handler(make_handler)
