"""Which studio controls a deployment offers: one table, read by the local stack and by ``infra/``.

The page shows a control only when its routes are served (and, for options of ``POST
/clipmanifest``, when the clip handler accepts the field), so a deployment without a route never
shows a button that would fail.
"""

from __future__ import annotations

from collections.abc import Collection

from handlers.clips.command import FIELDS as CLIP_FIELDS

#: The studio's feature flags (see studio/features.js) → the routes each one calls.
FEATURE_ROUTES: dict[str, tuple[str, ...]] = {
    "clipDetails": ("GET /clips/{clip_id}",),
    "deleteClip": ("DELETE /clips/{clip_id}",),
    "promoteClip": ("POST /clips/{clip_id}/promote",),
    "mp4Download": ("POST /clips/{clip_id}/mp4", "GET /clips/{clip_id}"),  # polls GET for the status
    "clipExpiry": ("POST /clipmanifest",),
    "liveLast30": ("POST /clipmanifest",),
}
#: Flags that also need a field of the ``POST /clipmanifest`` body.
FEATURE_FIELDS: dict[str, str] = {"clipExpiry": "expires_at", "liveLast30": "last_seconds"}


def studio_features(route_keys: Collection[str], clip_fields: Collection[str] = CLIP_FIELDS) -> dict[str, bool]:
    """Each flag: on when all its routes are in ``route_keys`` and its body field (if any) is accepted."""
    keys = set(route_keys)
    return {
        name: all(route in keys for route in routes)
        and (name not in FEATURE_FIELDS or FEATURE_FIELDS[name] in clip_fields)
        for name, routes in FEATURE_ROUTES.items()
    }
