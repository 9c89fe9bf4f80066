"""What clients see of a clip: the record plus public URLs computed from its keys."""

from __future__ import annotations

from typing import Any

from handlers.clips.record import ClipRecord
from handlers.web.urls import public_url


def clip_view(record: ClipRecord, public_base_url: str) -> dict[str, Any]:
    """The record's JSON with URLs; ``key``/``url``/``created`` keep the AWS sample's field names.

    URLs are not stored, so moving the public domain does not leave stale links behind. The
    poster is ``thumbnail_url`` and the MP4 export (when there is one) gets a ``url``.
    """
    view = record.to_json()
    view.pop("v", None)
    url = public_url(public_base_url, record.key)
    view["url"] = view["clip_url"] = url
    view["created"] = view["created_at"]
    view["recording"] = {**record.recording.to_json(), "url": public_url(public_base_url, record.recording.key)}
    view.pop("thumbnail_key", None)
    view["thumbnail_url"] = public_url(public_base_url, record.thumbnail_key) if record.thumbnail_key else None
    if record.mp4 is not None:
        mp4 = record.mp4.to_json()
        mp4["url"] = public_url(public_base_url, record.mp4.key) if record.mp4.key else None
        view["mp4"] = mp4
    view["renditions"] = [
        {
            "name": r.name,
            "kind": r.kind,
            "url": public_url(public_base_url, r.key),
            "segments": r.segments,
            "duration": r.duration,
        }
        for r in record.renditions
    ]
    return view
