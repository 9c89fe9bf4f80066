"""The one CORS policy: what the API and the media CDN answer to browsers.

The handlers, the local stack (which answers preflights the way API Gateway's HTTP API does) and
``infra/`` (the HTTP API's ``cors_configuration``, the CDN's response-headers policy, the
bucket's CORS rules) all read these values, so a browser meets the same answers everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Request headers a browser may send to the API (``authorization`` for JWT, when configured).
API_ALLOW_HEADERS: tuple[str, ...] = ("authorization", "content-type")
#: Methods the API's routes use, all of them, as the HTTP API's CORS configuration lists them.
API_ALLOW_METHODS: tuple[str, ...] = ("GET", "POST", "DELETE", "OPTIONS")
#: Methods players use on recordings and clips.
MEDIA_ALLOW_METHODS: tuple[str, ...] = ("GET", "HEAD")
#: Response headers players read on ranged segment requests.
MEDIA_EXPOSE_HEADERS: tuple[str, ...] = ("Content-Length", "Content-Range", "ETag")
#: How long browsers may cache a preflight answer.
MAX_AGE_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    """Which origins may call, and what responses and preflights then carry."""

    allow_origins: tuple[str, ...] = ("*",)
    allow_methods: tuple[str, ...] = API_ALLOW_METHODS
    allow_headers: tuple[str, ...] = API_ALLOW_HEADERS
    expose_headers: tuple[str, ...] = ()
    max_age: int = MAX_AGE_SECONDS

    def allow_origin(self, origin: str | None) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``, or ``None`` when not allowed."""
        if "*" in self.allow_origins:
            return "*"
        if origin and origin.rstrip("/") in self.allow_origins:
            return origin
        return None

    def response_headers(self, origin: str | None) -> dict[str, str]:
        """Headers for an actual (non-preflight) response; ``Vary`` whenever the answer depends on it."""
        headers: dict[str, str] = {} if "*" in self.allow_origins else {"vary": "origin"}
        allowed = self.allow_origin(origin)
        if allowed is not None:
            headers["access-control-allow-origin"] = allowed
            if self.expose_headers:
                headers["access-control-expose-headers"] = ",".join(self.expose_headers)
        return headers

    def preflight_headers(self, origin: str | None) -> dict[str, str]:
        """Headers for an ``OPTIONS`` answer; only the ``Vary`` header for an origin not allowed."""
        headers = self.response_headers(origin)
        if "access-control-allow-origin" in headers:
            headers.pop("access-control-expose-headers", None)
            headers["access-control-allow-methods"] = ",".join(self.allow_methods)
            headers["access-control-allow-headers"] = ",".join(self.allow_headers)
            headers["access-control-max-age"] = str(self.max_age)
        return headers


def api_policy(origins: Sequence[str]) -> CorsPolicy:
    """The API's policy for the configured origins (``CORS_ALLOW_ORIGINS`` / ``corsAllowOrigins``)."""
    return CorsPolicy(allow_origins=tuple(origins) or ("*",))


def media_policy(origins: Sequence[str]) -> CorsPolicy:
    """The CDN's policy for recordings and clips: reads only, with the range headers exposed."""
    return CorsPolicy(
        allow_origins=tuple(origins) or ("*",),
        allow_methods=MEDIA_ALLOW_METHODS,
        allow_headers=("*",),
        expose_headers=MEDIA_EXPOSE_HEADERS,
    )
