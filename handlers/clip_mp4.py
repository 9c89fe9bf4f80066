"""Lambda entry point of ``POST /clips/{clip_id}/mp4``: start an MP4 export of the clip's requested window.

Optional JSON body ``{"rendition": "<name>"}`` (default: the clip's highest-bandwidth variant).
202 with the clip's document, ``mp4.status`` ``pending``, once the job is handed to the export
worker; 200 when an export of that rendition is already ``ready``. A failed export is retried by
posting again; a request for another rendition replaces a ready or failed one, and is refused
(409 ``conflict``) while one is still pending. The worker itself runs elsewhere
(:mod:`handlers.mp4_worker` in AWS, a background thread locally): this function stays small.
"""

from __future__ import annotations

from typing import Any

from handlers.clip_by_id import clip_id_of
from handlers.clips.record import ClipRecord, Mp4State
from handlers.clips.service import ClipService, Clock
from handlers.clips.view import clip_view
from handlers.config import Settings
from handlers.events import EventPublisher
from handlers.export.errors import ExportError
from handlers.export.jobs import Dispatcher, DispatchError, Mp4Job, dispatcher_for, is_pending_for, pending_state
from handlers.export.playlist import VariantRef, find_rendition, highest_variant
from handlers.storage.base import NotFound, Storage
from handlers.web.errors import HttpError, not_found, status_of
from handlers.web.http import LambdaHandler, Request, Response, endpoint, lazy_handler, read_json_object

ROUTE = "POST /clips/{clip_id}/mp4"
FIELDS = frozenset({"rendition"})


def requested_rendition(request: Request) -> str | None:
    """The body's ``rendition``; an empty body (with or without a Content-Type) asks for the default."""
    if not request.body.strip():
        return None
    body = read_json_object(request)
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise HttpError(
            400, "unknown_field", f"unknown field {unknown[0]!r}; only rendition is accepted", field=unknown[0]
        )
    value = body.get("rendition")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise HttpError(400, "invalid_field", "rendition must be a rendition name such as 720p30", field="rendition")
    return value


def pick_variant(storage: Storage, record: ClipRecord, rendition: str | None) -> VariantRef:
    """The clip master's variant by name, or its highest-bandwidth one; 400 on an unknown name."""
    try:
        master = storage.get(record.key).decode("utf-8")
    except (NotFound, UnicodeDecodeError):
        raise not_found(f"clip {record.clip_id} has no readable master playlist") from None
    try:
        return (
            highest_variant(master, record.key) if rendition is None else find_rendition(master, record.key, rendition)
        )
    except ExportError as exc:
        raise HttpError(400, "invalid_field", exc.message, field="rendition") from None


def check_length(record: ClipRecord, settings: Settings) -> None:
    length = record.requested.end_seconds - record.requested.start_seconds
    if length > settings.mp4_max_seconds:
        raise HttpError(
            status_of("too_long"),
            "too_long",
            f"the clip's window is {length:g} s; MP4 exports are at most {settings.mp4_max_seconds:g} s",
            details={"max_seconds": settings.mp4_max_seconds},
        )


def make_handler(
    settings: Settings,
    storage: Storage,
    *,
    clock: Clock | None = None,
    events: EventPublisher | None = None,
    dispatcher: Dispatcher | None = None,
) -> LambdaHandler:
    """The handler over given settings and storage (tests inject a dispatcher they can join)."""
    service = ClipService(settings, storage, clock, events)
    jobs = dispatcher if dispatcher is not None else dispatcher_for(settings, storage)

    def answer(record: ClipRecord, status: int, **log: Any) -> Response:
        return Response(status, clip_view(record, settings.public_base_url), log={"clip_id": record.clip_id, **log})

    def act(request: Request) -> Response:
        clip_id = clip_id_of(request)
        rendition = requested_rendition(request)
        record = service.get(clip_id)
        if record is None:
            raise not_found(f"no clip {clip_id}")
        check_length(record, settings)
        name = pick_variant(storage, record, rendition).name
        current = record.mp4
        if current is not None and current.status == "ready" and current.rendition == name:
            return answer(record, 200, rendition=name, existing=True)
        if current is not None and current.status == "pending" and current.rendition != name:
            raise HttpError(
                status_of("conflict"),
                "conflict",
                f"an export of rendition {current.rendition} is pending; ask again when it is ready or failed",
                field="rendition",
            )
        pending = service.store.update_mp4(clip_id, record.created_ms, pending_state(name), only_if=lambda _: True)
        if pending is None:  # deleted or expired since we read it
            raise not_found(f"no clip {clip_id}")
        try:
            jobs.submit(Mp4Job(clip_id, name, record.created_ms))
        except DispatchError as exc:
            failed = Mp4State("failed", rendition=name, error=f"not started: {exc}")
            service.store.update_mp4(clip_id, record.created_ms, failed, only_if=is_pending_for(name))
            raise HttpError(503, "export_unavailable", "the export could not be started; try again shortly") from None
        return answer(pending, 202, rendition=name)

    return endpoint(route=ROUTE, methods=("POST",), allow_origins=settings.cors_allow_origins, action=act)


handler = lazy_handler(make_handler)
