"""Lambda entry point of ``POST /clips/{clip_id}/promote``: the clip gets its own copy of its bytes.

After it the clip plays the same, byte for byte, even when the recording is deleted. 200 with
the clip's document (``owned: true``), the first time and every time after.
"""

from __future__ import annotations

from handlers.clip_by_id import clip_id_of
from handlers.clips.service import ClipService, Clock
from handlers.clips.view import clip_view
from handlers.config import Settings
from handlers.events import EventPublisher
from handlers.storage.base import Storage
from handlers.web.errors import not_found
from handlers.web.http import LambdaHandler, Request, Response, endpoint, lazy_handler

ROUTE = "POST /clips/{clip_id}/promote"


def make_handler(
    settings: Settings, storage: Storage, *, clock: Clock | None = None, events: EventPublisher | None = None
) -> LambdaHandler:
    """The handler over given settings and storage (tests inject both, a clock and a publisher)."""
    service = ClipService(settings, storage, clock, events)

    def act(request: Request) -> Response:
        clip_id = clip_id_of(request)
        record = service.promote(clip_id)
        if record is None:
            raise not_found(f"no clip {clip_id}")
        return Response(200, clip_view(record, settings.public_base_url), log={"clip_id": clip_id})

    return endpoint(route=ROUTE, methods=("POST",), allow_origins=settings.cors_allow_origins, action=act)


handler = lazy_handler(make_handler)
