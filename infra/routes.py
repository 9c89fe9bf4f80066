"""The HTTP routes and the handler behind each: the contract between the API and the functions.

A route also says what its function may do in the bucket (by kind of prefix: recordings or
clips) and whether it changes anything, so a new route is one line here and its least-privilege
role, its API route and its authorizer follow from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Area = Literal["recordings", "clips"]


@dataclass(frozen=True)
class Route:
    name: str  # logical name of the function and its resources
    method: str
    path: str
    handler: str  # module.function inside the code archive
    reads: tuple[Area, ...] = ()
    writes: tuple[Area, ...] = ()
    deletes: tuple[Area, ...] = ()
    publishes_events: bool = False  # Clip Created/Deleted/Expired/Promoted, when a bus is configured

    @property
    def key(self) -> str:
        """API Gateway's route key, e.g. ``POST /clipmanifest``."""
        return f"{self.method} {self.path}"

    @property
    def protected(self) -> bool:
        """Behind the JWT authorizer when one is configured: the clip routes, not the public listings."""
        return self.path.startswith("/clips/") or self.method != "GET"


@dataclass(frozen=True)
class Job:
    """A function with no route: run on a schedule."""

    name: str
    handler: str
    schedule: str  # an EventBridge schedule expression
    reads: tuple[Area, ...] = ()
    writes: tuple[Area, ...] = ()
    deletes: tuple[Area, ...] = ()
    publishes_events: bool = False


CLIP_MANIFEST = Route(
    "clipmanifest",
    "POST",
    "/clipmanifest",
    "handlers.clip_manifest.handler",
    reads=("recordings", "clips"),
    writes=("clips",),
    publishes_events=True,
)
GET_RECORDINGS = Route(
    "getrecordings", "GET", "/getrecordings", "handlers.get_recordings.handler", reads=("recordings",)
)
GET_CLIPS = Route("getclips", "GET", "/getclips", "handlers.get_clips.handler", reads=("clips",))
GET_CLIP = Route("getclip", "GET", "/clips/{clip_id}", "handlers.clip_by_id.handler", reads=("clips",))
DELETE_CLIP = Route(
    "deleteclip",
    "DELETE",
    "/clips/{clip_id}",
    "handlers.clip_by_id.handler",
    reads=("clips",),
    writes=("clips",),  # the deletion tombstone, so a retry can finish an interrupted delete
    deletes=("clips",),
    publishes_events=True,
)
PROMOTE_CLIP = Route(
    "promoteclip",
    "POST",
    "/clips/{clip_id}/promote",
    "handlers.promote_clip.handler",
    reads=("recordings", "clips"),
    writes=("clips",),
    publishes_events=True,
)

ROUTES: tuple[Route, ...] = (CLIP_MANIFEST, GET_RECORDINGS, GET_CLIPS, GET_CLIP, DELETE_CLIP, PROMOTE_CLIP)

#: Removes the objects of expired clips and finishes interrupted deletions.
SWEEP_EXPIRED = Job(
    "sweepexpired",
    "handlers.sweep_expired.handler",
    schedule="rate(15 minutes)",
    reads=("clips",),
    writes=("clips",),
    deletes=("clips",),
    publishes_events=True,
)
JOBS: tuple[Job, ...] = (SWEEP_EXPIRED,)
