"""Lambda entry point of ``GET /getrecordings``: the recordings in the bucket, newest first.

Low-latency recordings come from the first recordings prefix's ``v1/`` tree, Real-Time ones
(participant and composite) from the other prefixes and ``""`` (see
:func:`handlers.recordings.listing.listing_roots`).
"""

from __future__ import annotations

from handlers.config import Settings
from handlers.keys import is_resource_id
from handlers.recordings.listing import MAX_LIMIT, list_recordings, listing_roots
from handlers.recordings.realtime import stage_id_of
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
        stage = _stage(request)
        if channel is not None and stage is not None:
            raise invalid_parameter("stage", "give channel (low-latency) or stage (Real-Time), not both")
        since, until = query_time(request, "from"), query_time(request, "to")
        if since and until and since >= until:
            raise invalid_parameter("to", "from must be earlier than to")
        limit = query_int(request, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
        cursor = query_str(request, "cursor", max_length=4096)
        prefix, realtime, excluded = listing_roots(settings.recordings_prefixes, settings.clips_prefix)
        try:
            page = list_recordings(
                storage,
                public_base_url=settings.public_base_url,
                prefix=prefix,
                realtime_roots=realtime,
                excluded=excluded,
                channel=channel,
                stage=stage,
                since=since,
                until=until,
                limit=limit,
                cursor=cursor,
            )
        except InvalidCursor as exc:
            raise HttpError(400, "invalid_cursor", str(exc), field="cursor") from None
        return Response(200, page.to_dict())

    return endpoint(route=ROUTE, methods=("GET",), allow_origins=settings.cors_allow_origins, action=recordings)


def _stage(request: Request) -> str | None:
    """The ``stage`` filter: a stage id or a stage ARN (``arn:aws:ivs:<region>:<account>:stage/<id>``)."""
    value = query_str(request, "stage", max_length=256)
    if request.query.get("stage") == "":
        raise invalid_parameter("stage", "stage must be a stage id or a stage ARN")
    if value is None:
        return None
    stage = stage_id_of(value)
    if stage is None:
        raise invalid_parameter("stage", "stage must be a stage id or a stage ARN (arn:aws:ivs:…:stage/<id>)")
    return stage


handler = lazy_handler(make_handler)
