"""The HTTP routes and the handler behind each: the contract between the API and the functions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    name: str  # logical name of the function and its resources
    method: str
    path: str
    handler: str  # module.function inside the code archive

    @property
    def key(self) -> str:
        """API Gateway's route key, e.g. ``POST /clipmanifest``."""
        return f"{self.method} {self.path}"


CLIP_MANIFEST = Route("clipmanifest", "POST", "/clipmanifest", "handlers.clip_manifest.handler")
GET_RECORDINGS = Route("getrecordings", "GET", "/getrecordings", "handlers.get_recordings.handler")
GET_CLIPS = Route("getclips", "GET", "/getclips", "handlers.get_clips.handler")

GET_CLIP = Route("getclip", "GET", "/clips/{clip_id}", "handlers.clip_by_id.handler")
DELETE_CLIP = Route("deleteclip", "DELETE", "/clips/{clip_id}", "handlers.clip_by_id.handler")
PROMOTE_CLIP = Route("promoteclip", "POST", "/clips/{clip_id}/promote", "handlers.promote_clip.handler")

ROUTES: tuple[Route, ...] = (CLIP_MANIFEST, GET_RECORDINGS, GET_CLIPS)
#: The clip lifecycle routes. Not in ROUTES yet: infra/functions.py must first grant each its S3
#: access (GET: read clips; DELETE: read + s3:DeleteObject on the clips prefix; promote: read
#: recordings and clips, write clips) and optionally events:PutEvents on the bus; until then,
#: adding them would give create_functions a route it has no access entry for.
LIFECYCLE_ROUTES: tuple[Route, ...] = (GET_CLIP, DELETE_CLIP, PROMOTE_CLIP)
