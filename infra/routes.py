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

ROUTES: tuple[Route, ...] = (CLIP_MANIFEST, GET_RECORDINGS, GET_CLIPS)
