"""Lambda entry point of ``POST /clipmanifest``: body → :class:`ClipCommand` → clip → record → 201/200."""

from __future__ import annotations

from handlers.clips.command import parse_command
from handlers.clips.service import ClipService, Clock
from handlers.clips.view import clip_view
from handlers.config import Settings
from handlers.storage.base import Storage
from handlers.web.http import LambdaHandler, Request, Response, endpoint, lazy_handler, read_json_object

ROUTE = "POST /clipmanifest"


def make_handler(settings: Settings, storage: Storage, *, clock: Clock | None = None) -> LambdaHandler:
    """The handler over given settings and storage (tests inject both, and a clock)."""
    service = ClipService(settings, storage, clock)

    def create(request: Request) -> Response:
        outcome = service.create(parse_command(read_json_object(request), settings))
        status = 201 if outcome.created else 200
        return Response(status, clip_view(outcome.record, settings.public_base_url), log=outcome.log)

    return endpoint(route=ROUTE, methods=("POST",), allow_origins=settings.cors_allow_origins, action=create)


handler = lazy_handler(make_handler)
