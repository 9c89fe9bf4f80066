"""CORS as API Gateway's HTTP API (and the CDN in front of the bucket) apply it, not as handlers do.

A configured HTTP API answers preflights itself and replaces any CORS headers the integration
returns, so the local server does the same to keep browser behaviour identical to AWS.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.local.messages import HttpRequest, HttpResponse


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    """Which origins may call, and what a preflight answers."""

    allow_origins: tuple[str, ...] = ("*",)
    allow_methods: tuple[str, ...] = ("GET", "POST", "OPTIONS")
    allow_headers: tuple[str, ...] = ("content-type", "authorization")
    expose_headers: tuple[str, ...] = ()
    max_age: int = 3600

    def allow_origin_value(self, origin: str | None) -> str | None:
        """The Access-Control-Allow-Origin value for ``origin``, or ``None`` if it is not allowed."""
        if not origin:
            return None
        if "*" in self.allow_origins:
            return "*"
        return origin if origin.rstrip("/") in self.allow_origins else None

    def preflight(self, request: HttpRequest) -> HttpResponse:
        """204 for any OPTIONS; the CORS headers only when the origin is allowed."""
        response = HttpResponse(204)
        allowed = self.allow_origin_value(request.header("origin"))
        if allowed is not None:
            response.headers += [
                ("Access-Control-Allow-Origin", allowed),
                ("Access-Control-Allow-Methods", ",".join(self.allow_methods)),
                ("Access-Control-Allow-Headers", ",".join(self.allow_headers)),
                ("Access-Control-Max-Age", str(self.max_age)),
            ]
            if allowed != "*" and response.header("vary") is None:
                response.headers.append(("Vary", "Origin"))
        return response

    def apply(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """Replace the response's CORS headers with the policy's answer for the request's origin."""
        kept = [(k, v) for k, v in response.headers if not k.lower().startswith("access-control-")]
        response.headers = kept
        allowed = self.allow_origin_value(request.header("origin"))
        if allowed is not None:
            response.headers.append(("Access-Control-Allow-Origin", allowed))
            if self.expose_headers:
                response.headers.append(("Access-Control-Expose-Headers", ",".join(self.expose_headers)))
            if allowed != "*" and response.header("vary") is None:
                response.headers.append(("Vary", "Origin"))
        return response
