"""GET /getclips: the clips made so far, newest first, a bounded number of reads per page."""

from __future__ import annotations

from handlers.clip_store import ClipStore, InvalidCursor, clip_view
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
from handlers.source import is_recording_id, recording_id_of
from handlers.storage.base import Storage

ROUTE = "GET /getclips"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def recording_filter(value: str | None) -> str | None:
    """The recording id to filter on: given as is, or taken from a recording or master key."""
    if value is None:
        return None
    text = value.strip().strip("/")
    if is_recording_id(text):
        return text
    if "/" in text and ".." not in text.split("/") and "\\" not in text:
        candidate = recording_id_of(text if text.endswith(".m3u8") else text + "/media/hls/master.m3u8")
        if is_recording_id(candidate):
            return candidate
    raise HttpError(
        400, "invalid_parameter", "recording must be a recording id or a recording's key", field="recording"
    )


def make_handler(settings: Settings, storage: Storage) -> LambdaHandler:
    """The Lambda handler over given settings and storage (tests inject both)."""
    store = ClipStore(storage, settings.clips_prefix)

    def list_clips(request: Request) -> Response:
        recording = recording_filter(query_str(request, "recording"))
        limit = query_int(request, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
        cursor = query_str(request, "cursor", max_length=4096)
        try:
            page = store.list_page(recording_id=recording, limit=limit, cursor=cursor)
        except InvalidCursor as exc:
            raise HttpError(400, "invalid_cursor", str(exc), field="cursor") from None
        clips = [clip_view(doc, settings.public_base_url) for doc in page.clips]
        return Response(200, {"clips": clips, "next_cursor": page.next_cursor})

    return endpoint(route=ROUTE, methods=("GET",), allow_origins=settings.cors_allow_origins, action=list_clips)


handler = lazy_handler(make_handler)
