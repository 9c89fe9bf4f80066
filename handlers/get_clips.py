"""Lambda entry point of ``GET /getclips``: the clips made so far, newest first, bounded reads per page."""

from __future__ import annotations

from handlers.clips.store import ClipStore
from handlers.clips.view import clip_view
from handlers.config import Settings
from handlers.recordings.source import recording_filter
from handlers.storage.base import Storage
from handlers.web.cursors import InvalidCursor
from handlers.web.errors import HttpError
from handlers.web.http import LambdaHandler, Request, Response, endpoint, lazy_handler, query_int, query_str

ROUTE = "GET /getclips"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def make_handler(settings: Settings, storage: Storage) -> LambdaHandler:
    """The handler over given settings and storage (tests inject both)."""
    store = ClipStore(storage, settings.clips_prefix)

    def list_clips(request: Request) -> Response:
        recording = recording_filter(query_str(request, "recording"))
        limit = query_int(request, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
        cursor = query_str(request, "cursor", max_length=4096)
        try:
            page = store.list_page(recording_id=recording, limit=limit, cursor=cursor)
        except InvalidCursor as exc:
            raise HttpError(400, "invalid_cursor", str(exc), field="cursor") from None
        clips = [clip_view(record, settings.public_base_url) for record in page.clips]
        return Response(200, {"clips": clips, "next_cursor": page.next_cursor})

    return endpoint(route=ROUTE, methods=("GET",), allow_origins=settings.cors_allow_origins, action=list_clips)


handler = lazy_handler(make_handler)
