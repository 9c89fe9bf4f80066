"""Lambda entry point of ``GET`` and ``DELETE /clips/{clip_id}``: one clip's document, or its removal.

GET answers the clip's document (the POST answer plus ``owned``, ``expires_at``,
``thumbnail_url`` and ``mp4`` when there is one). DELETE removes every object of the clip and
answers 204; see :meth:`ClipService.delete` for when it answers 404 instead.
"""

from __future__ import annotations

from handlers.clips.service import ClipService, Clock
from handlers.clips.view import clip_view
from handlers.config import Settings
from handlers.events import EventPublisher
from handlers.keys import is_clip_id
from handlers.storage.base import Storage
from handlers.web.errors import invalid_parameter, not_found
from handlers.web.http import LambdaHandler, Request, Response, endpoint, lazy_handler

ROUTE = "/clips/{clip_id}"


def clip_id_of(request: Request) -> str:
    """The path's clip id (API Gateway's ``pathParameters``, else the path itself), checked."""
    value = request.path_parameters.get("clip_id")
    if value is None:
        parts = request.path.strip("/").split("/")
        value = parts[1] if len(parts) >= 2 and parts[0] == "clips" else ""
    if not is_clip_id(value):
        raise invalid_parameter("clip_id", "clip_id must be a clip id: 8 to 64 lower-case hex digits")
    return value


def make_handler(
    settings: Settings, storage: Storage, *, clock: Clock | None = None, events: EventPublisher | None = None
) -> LambdaHandler:
    """The handler over given settings and storage (tests inject both, a clock and a publisher)."""
    service = ClipService(settings, storage, clock, events)

    def act(request: Request) -> Response:
        clip_id = clip_id_of(request)
        if request.method == "DELETE":
            if not service.delete(clip_id):
                raise not_found(f"no clip {clip_id}")
            return Response(204, None, log={"clip_id": clip_id})
        record = service.get(clip_id)
        if record is None:
            raise not_found(f"no clip {clip_id}")
        return Response(200, clip_view(record, settings.public_base_url), log={"clip_id": clip_id})

    return endpoint(route=ROUTE, methods=("GET", "DELETE"), allow_origins=settings.cors_allow_origins, action=act)


handler = lazy_handler(make_handler)
